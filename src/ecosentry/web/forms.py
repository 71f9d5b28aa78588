"""Page forms: who may open a page, the CSRF token of a session, and POST → redirect → GET.

Every working page starts with :func:`gate`::

    principal, denied = gate(request, "alarms.act")
    if denied:
        return denied

which answers a redirect to ``/login?next=…`` for the anonymous public and a 403 page for an account whose
role may not do the action. Objects outside the principal's scope answer :func:`not_found` (404: the page
does not say whether the object exists).

CSRF: a random token per session (``request.session["csrf"]``), put in every form as the hidden field
``csrf`` (:func:`csrf_token`, available in templates as ``csrf``) and compared in :func:`check_csrf`. A
request authenticated by an API key (``Authorization: Bearer`` or ``X-API-Key``) carries no cookie a foreign
site could ride on, so it skips the check; every other POST without a session or with a wrong token is
refused (403). The same token guards the API's writes made with the session cookie (header ``X-CSRF-Token``,
:mod:`ecosentry.auth.csrf`).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ecosentry.auth.csrf import session_csrf_token
from ecosentry.auth.deps import current_principal
from ecosentry.auth.principal import Principal
from ecosentry.said import Said
from ecosentry.web.templating import page_context, render

__all__ = ["FormError", "error_text", "gate", "not_found", "denied_page", "csrf_token", "check_csrf", "see_other",
           "work_render", "local_time", "carries_api_key"]

CSRF_FIELD = "csrf"


class FormError(Said):
    """A value in a form is wrong; ``field`` names the input, the message (a catalogue msgid with
    ``params``) is shown beside it in the reader's language."""

    def __init__(self, msgid: str, field: str | None = None, **params) -> None:
        super().__init__(msgid, **params)
        self.field = field


def error_text(request: Request, exc: Exception, tz: str | None = None) -> str:
    """An error's message in the request's language, its times in local time (``tz``: the point's zone,
    else the display zone); an error that is not a :class:`~ecosentry.said.Said` is shown as it is."""
    if not isinstance(exc, Said):
        return str(exc)
    ctx = page_context(request)
    return exc.say(ctx["_"], lambda t: ctx["fmt"].datetime(t, tz))


def carries_api_key(request: Request) -> bool:
    """True when the request is authenticated by an API key header (no ambient cookie credentials)."""
    auth = request.headers.get("authorization", "")
    return auth.lower().startswith("bearer ") or bool(request.headers.get("x-api-key"))


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use ("" when the app has no session middleware)."""
    return session_csrf_token(request.scope.get("session"))


def check_csrf(request: Request, form) -> Response | None:
    """``None`` when the form may be processed, else the 403 page to answer."""
    if carries_api_key(request):
        return None
    session = request.scope.get("session")
    expected = session.get("csrf") if session is not None else None
    given = form.get(CSRF_FIELD) if form is not None else None
    if expected and isinstance(given, str) and hmac.compare_digest(expected, given):
        return None
    return denied_page(request, "The form has expired or did not come from this site; reload the page and "
                                "try again.")


def work_render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> Response:
    """:func:`ecosentry.web.templating.render` plus the CSRF token (``csrf``) every form needs."""
    ctx = {"csrf": csrf_token(request)}
    ctx.update(context or {})
    response = render(request, name, ctx, status_code=status_code)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def denied_page(request: Request, message: str | Said | None, status_code: int = 403, *,
                action: str | None = None) -> Response:
    """The 403 (or 404) page in the user's language: the status's sentence (:mod:`ecosentry.web.errors`),
    ``message`` (a :class:`~ecosentry.said.Said` or an English msgid) said in the reader's language, and the
    permission ``action`` lacking."""
    text = None
    if message is not None:
        text = error_text(request, message if isinstance(message, Said) else Said(message))
    return work_render(request, "work_denied.html", {"message": text, "status": status_code, "action": action},
                       status_code=status_code)


def not_found(request: Request, what: str) -> Response:
    """404 for an object that does not exist or lies outside the principal's scope. ``what`` (English, for the
    code's reader) is not shown: both cases give the same page, in the user's language."""
    return denied_page(request, None, status_code=404)


def gate(request: Request, action: str | None = None) -> tuple[Principal, Response | None]:
    """The principal, and the response to answer instead of the page when it may not see it.

    Anonymous visitors are sent to the login page (``next`` = this page); a logged-in account whose role
    lacks ``action`` gets the 403 page.
    """
    principal = current_principal(request)
    if principal.is_public and principal.auth == "anonymous":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return principal, RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
    if action is not None and not principal.may(action):
        return principal, denied_page(request, None, action=action)
    return principal, None


def see_other(path: str, **params: str | int | None) -> RedirectResponse:
    """303 redirect after a successful POST (the browser then GETs ``path``)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


def local_time(value: str | None, tz: str, name: str) -> datetime | None:
    """A ``datetime-local`` input (``YYYY-MM-DDTHH:MM``, local time of ``tz``) as an aware UTC time.

    Empty → ``None``; a value with an offset keeps it. :class:`FormError` for anything else.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise FormError("%(value)r is not a date and time (YYYY-MM-DD HH:MM)", name, value=value) from None
    if t.tzinfo is None:
        try:
            t = t.replace(tzinfo=ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise FormError("unknown time zone %(tz)r", name, tz=tz) from None
    return t.astimezone(timezone.utc)
