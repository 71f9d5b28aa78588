"""Rate limits on the REST API, with OpenAQ-style headers and HTTP 429.

Who is counted: the API key of the request (``Authorization: Bearer es_…`` / ``X-API-Key``), else the
logged-in user of the session cookie, else the client IP address (anonymous callers). Keys and users get
``access.rate_limit_default`` (or the key's own ``api_keys.rate_limit_per_minute``), anonymous callers
``access.rate_limit_anonymous`` (settings, ``limits`` notation such as ``"600/minute"`` or ``"10/second;
600/minute"``). Counting uses the ``limits`` library's moving window in memory, per process: behind several
processes each counts its own share.

A key's own limit is set when the key is made and never changed, so it is read once and kept
:data:`KEY_LIMIT_KEPT_S` seconds (a database read and a thread hop per request were a part of a short answer's
time, ``ecosentry bench api``); a limit edited in the database by hand applies within that time.

Every answer under ``/api/v1`` carries (as OpenAQ's API does)::

    X-RateLimit-Limit: 600        requests allowed in the window (the tightest limit when several)
    X-RateLimit-Remaining: 597    requests left in it
    X-RateLimit-Reset: 42         seconds until the window has room again

and a refused request gets ``429`` with ``Retry-After`` (seconds) and a JSON sentence in ``detail``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import anyio
from limits import RateLimitItem, RateLimitItemPerMinute, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecosentry.auth.deps import hash_api_key
from ecosentry.said import N_, Said
from ecosentry.store import schema as s

__all__ = ["RateLimitMiddleware", "Verdict", "RateLimiter"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one request against its limits."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        h = [(b"x-ratelimit-limit", str(self.limit).encode()), (b"x-ratelimit-remaining", str(self.remaining).encode()),
             (b"x-ratelimit-reset", str(self.reset_s).encode())]
        if not self.allowed:
            h.append((b"retry-after", str(self.reset_s).encode()))
        return h


class RateLimiter:
    """Moving-window counting per identity (``key:…``, ``user:…``, ``ip:…``) with ``limits``."""

    def __init__(self, default: str, anonymous: str) -> None:
        self.default = parse_many(default)
        self.anonymous = parse_many(anonymous)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, identity: str, items: list[RateLimitItem]) -> Verdict:
        """Count one request of ``identity`` against every item; refused when any is exhausted."""
        allowed = True
        for item in items:
            if not self._limiter.hit(item, identity):
                allowed = False
                break
        now = time.time()
        tightest: Verdict | None = None
        for item in items:
            stats = self._limiter.get_window_stats(item, identity)
            v = Verdict(allowed, item.amount, max(0, stats.remaining), max(1, math.ceil(stats.reset_time - now)))
            if tightest is None or (v.remaining, -v.reset_s) < (tightest.remaining, -tightest.reset_s):
                tightest = v
        return tightest


_WHO = {"key": N_("API key"), "user": N_("user"), "ip": N_("client address")}
#: The 429's sentence (said in the caller's language: ``?lang=``, cookie, ``Accept-Language``, the default).
EXCEEDED = N_("rate limit exceeded: %(limit)s for this %(who)s; retry in %(seconds)s s")
#: Seconds a key's own limit is kept in the process (see the module's text), and how many keys are kept.
KEY_LIMIT_KEPT_S = 60.0
KEY_LIMITS_KEPT = 4096


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or ():
        if k == name:
            return v.decode("latin-1")
    return None


def _api_key(scope: Scope) -> str | None:
    auth = _header(scope, b"authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return _header(scope, b"x-api-key") or None


class RateLimitMiddleware:
    """ASGI middleware counting the requests under ``prefix`` (add it inside the session middleware, so the
    session is already decoded when it runs).

    Parameters
    ----------
    app
        The wrapped application.
    default, anonymous : str
        Limits for keys and users, and for anonymous callers per IP (``limits`` notation).
    prefix : str
        Path prefix that is limited (the API); pages and static files are not.
    """

    def __init__(self, app: ASGIApp, *, default: str = "600/minute", anonymous: str = "120/minute",
                 prefix: str = "/api/v1") -> None:
        self.app = app
        self.prefix = prefix
        self.limiter = RateLimiter(default, anonymous)
        self._key_limits: dict[str, tuple[float, int | None]] = {}

    async def _identity(self, scope: Scope) -> tuple[str, list[RateLimitItem]]:
        key = _api_key(scope)
        if key:
            digest = hash_api_key(key)
            now = time.monotonic()
            kept = self._key_limits.get(digest)
            if kept is not None and now - kept[0] < KEY_LIMIT_KEPT_S:
                own = kept[1]
            else:
                own = await anyio.to_thread.run_sync(self._key_limit, scope, digest)
                if len(self._key_limits) >= KEY_LIMITS_KEPT:
                    self._key_limits.clear()
                self._key_limits[digest] = (now, own)
            return f"key:{digest[:24]}", [RateLimitItemPerMinute(own)] if own else self.limiter.default
        session = scope.get("session") or {}
        if session.get("user_id") is not None:
            return f"user:{session['user_id']}", self.limiter.default
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}", self.limiter.anonymous

    @staticmethod
    def _key_limit(scope: Scope, digest: str) -> int | None:
        """The key's own per-minute limit (``api_keys.rate_limit_per_minute``), if it has one."""
        app = scope.get("app")
        engine = getattr(getattr(app, "state", None), "engine", None)
        if engine is None:
            return None
        with engine.connect() as conn:
            return conn.execute(select(s.api_keys.c.rate_limit_per_minute)
                                .where(s.api_keys.c.key_hash == digest)).scalar()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        identity, items = await self._identity(scope)
        verdict = self.limiter.check(identity, items)
        if not verdict.allowed:
            item = items[0] if len(items) == 1 else min(items, key=lambda i: i.amount)
            who = _WHO[identity.split(":", 1)[0]]
            from ecosentry.locale import scope_language, translations

            said = Said(EXCEEDED, limit=str(item), who=Said(who), seconds=verdict.reset_s)
            body = json.dumps({"detail": said.say(translations(scope_language(scope)).gettext)},
                              ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()), *verdict.headers()]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *verdict.headers()]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
