"""Cross-site request forgery (CSRF) protection of the API for requests authenticated by the session cookie.

A browser sends the session cookie with every request to the platform, including requests a foreign page
makes it send (a form posting to ``/api/v1/alarms/7/clear``): ``SameSite=Lax`` stops most of them, not all
(a sibling sub-domain is "same site"; old browsers ignore it). So an unsafe API request (POST, PUT, PATCH,
DELETE) that would act as the session's user must show it comes from the platform's own pages:

* a foreign ``Origin`` (or, without ``Origin``, a foreign ``Referer``) is refused (403), whatever else the
  request carries; ``Origin: null`` (sandboxed frames, some redirects) counts as foreign;
* a request with the server's own origin passes (browsers set ``Origin`` on every fetch/XHR POST);
* a request with neither header passes only with the session's CSRF token in the ``X-CSRF-Token`` header
  (the token the page forms carry in their hidden ``csrf`` field; ``POST /api/v1/auth/login`` and
  ``GET /api/v1/auth/me`` answer it as ``csrf_token`` for scripts that keep cookies).

A request authenticated by an API key (``Authorization: Bearer`` or ``X-API-Key``) carries no ambient
credential a foreign page could ride on, so none of this applies to it. A request without a logged-in session
is only held to the origin rule (a foreign page must not log a browser in to the attacker's account).

OWASP Cross-Site Request Forgery Prevention Cheat Sheet: "synchronizer token" and "verifying origin with
standard headers".
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from ecosentry.said import N_, Said

__all__ = ["CSRF_HEADER", "CSRF_SESSION_KEY", "UNSAFE_METHODS", "session_csrf_token", "origin_of", "csrf_refusal",
           "CsrfMiddleware"]

#: Request header carrying the session's CSRF token.
CSRF_HEADER = "X-CSRF-Token"
#: Key of the token in the session (shared with the page forms' hidden ``csrf`` field).
CSRF_SESSION_KEY = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORT = {"http": "80", "https": "443"}


def session_csrf_token(session: MutableMapping[str, Any] | None) -> str:
    """The session's CSRF token, created on first use ("" without a session)."""
    if session is None:
        return ""
    token = session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return str(token)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL or an ``Origin`` value, lower case, default port dropped; ``None`` for
    ``null`` or anything without scheme and host."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    keep = port is not None and str(port) != _DEFAULT_PORT[scheme]
    return f"{scheme}://{host}{f':{port}' if keep else ''}"


def _host_of(origin: str) -> str:
    """``host[:port]`` of an origin from :func:`origin_of`."""
    return origin.split("://", 1)[1]


def _own_hosts(host_header: str | None, trusted_origins: Iterable[str]) -> set[str]:
    """``host[:port]`` forms under which this server is reached: the ``Host`` header (default port of
    either scheme dropped) and the trusted origins."""
    hosts = set()
    candidates = [f"http://{host_header}", f"https://{host_header}"] if host_header else []
    for o in [*candidates, *trusted_origins]:
        known = origin_of(o)
        if known:
            hosts.add(_host_of(known))
    return hosts


def csrf_refusal(method: str, headers: Mapping[str, str], session: Mapping[str, Any] | None,
                 trusted_origins: Iterable[str] = ()) -> Said | None:
    """Why an API request must be refused (the 403 message, a :class:`~ecosentry.said.Said` said in the
    caller's language), or ``None`` when it may go on.

    ``headers`` are the request headers with lower-case names; ``session`` the decoded session cookie;
    ``trusted_origins`` further origins of the platform (its public base URL behind a proxy). The own origin
    is the ``Host`` the request was sent to; the scheme is not compared, since TLS usually ends at a proxy.
    """
    if method.upper() not in UNSAFE_METHODS:
        return None
    if headers.get("authorization", "").lower().startswith("bearer ") or headers.get("x-api-key"):
        return None
    claimed = headers.get("origin")
    if claimed is None and headers.get("referer"):
        claimed = headers["referer"]
    if claimed is not None:
        origin = origin_of(claimed)
        if origin is None or _host_of(origin) not in _own_hosts(headers.get("host"), trusted_origins):
            return Said(N_("request refused: it comes from another site (%(origin)s); API writes with the session "
                           "cookie must come from this platform's pages, scripts use an API key"),
                        origin=claimed.strip()[:100] or "-")
        return None
    if not session or session.get("user_id") is None:
        return None
    expected = session.get(CSRF_SESSION_KEY)
    given = headers.get(CSRF_HEADER.lower())
    if expected and given and hmac.compare_digest(str(expected), given):
        return None
    return Said(N_("request refused: an API write with the session cookie needs the %(header)s header (the "
                   "csrf_token answered by POST /api/v1/auth/login and GET /api/v1/auth/me); scripts use an API key"),
                header=CSRF_HEADER)


class CsrfMiddleware:
    """ASGI middleware applying :func:`csrf_refusal` to requests under ``prefix`` (answers 403 JSON).

    It must run inside Starlette's ``SessionMiddleware`` (it reads ``scope["session"]``).
    """

    def __init__(self, app, prefix: str = "/api/", trusted_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.prefix = prefix
        self.trusted_origins = tuple(o for o in trusted_origins if o)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        why = csrf_refusal(scope["method"], headers, scope.get("session"), self.trusted_origins)
        if why is None:
            await self.app(scope, receive, send)
            return
        from ecosentry.locale import scope_language, translations

        body = json.dumps({"detail": why.say(translations(scope_language(scope)).gettext)},
                          ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": body})
