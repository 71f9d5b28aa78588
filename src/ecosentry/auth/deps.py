"""FastAPI dependencies that resolve the :class:`~ecosentry.auth.principal.Principal` of a request.

Order: an API key (``Authorization: Bearer es_…`` or ``X-API-Key: es_…``), else the page session (signed
cookie, ``request.session["user_id"]``, Starlette's SessionMiddleware), else the anonymous public. A key or a
session that does not resolve to an active user is an error (401), never a silent downgrade to public.

Routes use ``principal: Principal = Depends(current_principal)`` and filter with its clauses;
``Depends(requires("marks.review"))`` checks an action as well.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from typing import Callable

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine, select, update

from ecosentry.auth import scope_cache
from ecosentry.auth.guards import log_in_first, may_not
from ecosentry.auth.principal import Principal, public_principal, resolve_scope
from ecosentry.said import N_, Said
from ecosentry.store import schema as s

__all__ = ["KEY_PREFIX", "hash_api_key", "current_principal", "requires", "logged_in", "principal_for_user"]

#: The refusals of a key (Saids: the API says them in the reader's language, :mod:`ecosentry.web.errors`).
KEY_UNKNOWN = N_("the API key is unknown or revoked")
KEY_DISABLED = N_("the API key belongs to a disabled account")

#: Every API key starts with this, so it is recognisable in logs and secret scanners.
KEY_PREFIX = "es_"


def hash_api_key(key: str) -> str:
    """SHA-256 of the whole key (keys are long random strings: a slow hash adds nothing)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _api_key_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key") or None


def principal_for_user(engine: Engine, user_id: int, *, auth: str = "session",
                       api_key_id: int | None = None, version: int | None = None) -> Principal | None:
    """The principal of an active user id, or ``None``. With ``version`` (``access_version`` read before, on
    this request) the principal kept from an earlier request at the same version serves (auth/scope_cache.py)."""
    who = (user_id, auth, api_key_id)
    principal = scope_cache.kept(engine, who, version)
    if principal is not None:
        return principal
    with engine.connect() as conn:
        user = conn.execute(select(s.users).where(s.users.c.id == user_id)).mappings().first()
        if user is None or not user["active"]:
            return None
        principal = resolve_scope(conn, dict(user), auth=auth, api_key_id=api_key_id)
    scope_cache.keep(engine, who, version, principal)
    return principal


def _public(engine: Engine, version: int | None) -> Principal:
    """The anonymous public's principal (kept as the others are)."""
    principal = scope_cache.kept(engine, ("public",), version)
    if principal is None:
        with engine.connect() as conn:
            principal = public_principal(conn)
        scope_cache.keep(engine, ("public",), version, principal)
    return principal


#: A key's ``last_used_at`` is written at most once per this many seconds: a write (and its commit) on every
#: request of an API client was a good part of a short answer's time (``ecosentry bench api``).
LAST_USED_EVERY = 60.0
_last_stamped: dict[tuple[str, int], float] = {}


def _from_api_key(engine: Engine, key: str) -> Principal:
    k = s.api_keys
    with engine.connect() as conn:
        # the key's row and the scopes' version in one statement: the only one of a request whose scope is kept
        row = conn.execute(select(k.c.id, k.c.user_id, k.c.revoked_at, scope_cache.version_column().label("v"))
                           .where(k.c.key_hash == hash_api_key(key))).first()
        if row is None or row.revoked_at is not None:
            raise HTTPException(401, Said(KEY_UNKNOWN), headers={"WWW-Authenticate": "Bearer"})
        now, stamp = time.monotonic(), (str(engine.url), row.id)
        if now - _last_stamped.get(stamp, -LAST_USED_EVERY) >= LAST_USED_EVERY:
            _last_stamped[stamp] = now
            conn.execute(update(k).where(k.c.id == row.id).values(last_used_at=datetime.now(timezone.utc)))
            conn.commit()
    principal = principal_for_user(engine, row.user_id, auth="api_key", api_key_id=row.id, version=row.v)
    if principal is None:
        raise HTTPException(401, Said(KEY_DISABLED), headers={"WWW-Authenticate": "Bearer"})
    return principal


def current_principal(request: Request) -> Principal:
    """The principal of this request (cached on ``request.state`` for the rest of the request)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    engine: Engine = request.app.state.engine
    key = _api_key_of(request)
    if key:
        principal = _from_api_key(engine, key)
    else:
        session = request.scope.get("session")
        user_id = session.get("user_id") if session else None
        with engine.connect() as conn:
            version = scope_cache.current_version(conn)
        principal = principal_for_user(engine, int(user_id), version=version) if user_id is not None else None
        if principal is None:
            if user_id is not None:  # the account was disabled or deleted since login
                session.clear()
            principal = _public(engine, version)
    request.state.principal = principal
    return principal


def requires(action: str) -> Callable[[Principal], Principal]:
    """Dependency: the current principal, which must be allowed ``action`` (403 otherwise; 401 if anonymous)."""

    def dep(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.may(action):
            raise may_not(principal, action)
        return principal

    dep.__name__ = f"requires_{action.replace('.', '_')}"
    return dep


def logged_in(principal: Principal = Depends(current_principal)) -> Principal:
    """Dependency: any logged-in account (401 for the anonymous public)."""
    if principal.is_public and principal.auth == "anonymous":
        raise log_in_first()
    return principal
