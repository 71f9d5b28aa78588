"""Login and logout pages: ``GET /login`` (the form), ``POST /login`` (form post → session → redirect to
``next`` or ``/dashboard``), ``POST /logout``.

A wrong user name or password shows the form again with one message for both; a locked account shows the
lock-out message whatever the password (:mod:`ecosentry.auth.accounts`). ``next`` is followed only when it
is a path on this site (no open redirect). The login form carries the session's CSRF token (login CSRF:
a foreign page must not log a browser in to another account); logout is a POST that a foreign site cannot
send with the cookie (``SameSite=Lax``).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecosentry.auth import accounts
from ecosentry.auth.sessions import client_address, clock, start_session
from ecosentry.web.forms import CSRF_FIELD, csrf_token, work_render

router = APIRouter(include_in_schema=False)

#: Where a successful login goes when no ``next`` was given.
HOME = "/dashboard"


def safe_next(target: str | None) -> str:
    """``target`` when it is a local path (``/…`` but not ``//…`` or ``/\\…``), else :data:`HOME`."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target \
            and "\r" not in target:
        return target
    return HOME


def _form(request: Request, *, next_url: str, username: str = "", error: str | None = None,
          status_code: int = 200, locked_until=None) -> Response:
    return work_render(request, "login.html", {"next_url": next_url, "username": username, "error": error,
                                               "locked_until": locked_until}, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    return _form(request, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login_post(request: Request):
    form = await request.form()
    username = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")[:1000]
    next_url = safe_next(str(form.get("next") or ""))
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        return _form(request, next_url=next_url, username=username, status_code=400,
                     error="expired")
    engine = request.app.state.engine
    policy = accounts.LoginPolicy.from_settings(request.app.state.settings)
    try:
        user = accounts.login(engine, username, password, policy=policy, now=clock(request),
                              client=client_address(request))
    except accounts.AccountLocked as exc:
        return _form(request, next_url=next_url, username=username, status_code=423, error="locked",
                     locked_until=exc.until)
    except accounts.LoginFailed:
        return _form(request, next_url=next_url, username=username, status_code=401, error="wrong")
    lang = request.session.get("lang")
    start_session(request, user)
    if lang:
        request.session["lang"] = lang
    csrf_token(request)  # a fresh token for the forms of the next pages
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
def logout(request: Request):
    user_id = request.session.get("user_id")
    if user_id is not None:
        engine = request.app.state.engine
        user = accounts.get_user(engine, user_id=int(user_id))
        if user is not None:
            accounts.record_logout(engine, user["id"], user["username"], client_address(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
