"""Log in and out, who am I, change my password, my API keys.

``POST /api/v1/auth/login`` with ``{"username", "password"}`` sets the session cookie (for pages and for
scripts that keep cookies) and answers the principal; 401 for a wrong user name or password (one answer for
both), 423 while the account is locked after repeated failures (:mod:`ecosentry.auth.accounts`). Scripts
use an API key instead: create one here (shown once), send it as ``Authorization: Bearer es_…`` or
``X-API-Key``. A user manages their own keys; an admin anyone's.

Every refusal's ``detail`` is a :class:`~ecosentry.said.Said`, said in the reader's language
(:mod:`ecosentry.web.errors`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.auth import accounts, apikeys
from ecosentry.auth.csrf import session_csrf_token
from ecosentry.auth.deps import current_principal, logged_in, requires
from ecosentry.auth.passwords import PasswordError
from ecosentry.auth.principal import Principal
from ecosentry.auth.sessions import client_address, clock, principal_json, start_session
from ecosentry.said import N_, Said

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])

NO_PASSWORD = N_("this account has no password to change")
OLD_PASSWORD_WRONG = N_("the old password is wrong")
OWN_KEYS_ONLY = N_("you may create keys for yourself only, with the default rate limit")


class LoginIn(BaseModel):
    username: str = Field(..., max_length=200)
    password: str = Field(..., max_length=1000)


class PasswordIn(BaseModel):
    old_password: str = Field(..., max_length=1000)
    new_password: str = Field(..., max_length=1000)


class ApiKeyIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=100, description="what the key is for")
    user_id: int | None = Field(None, description="owner; default yourself (only an admin names another)")
    rate_limit_per_minute: int | None = Field(None, ge=1, description="own limit (admin only); null = default")


def login_policy(request: Request) -> accounts.LoginPolicy:
    return accounts.LoginPolicy.from_settings(request.app.state.settings)


@router.post("/login", summary="Log in with user name and password (sets the session cookie)")
def login(body: LoginIn, request: Request, engine: Engine = Depends(get_engine)):
    try:
        user = accounts.login(engine, body.username, body.password, policy=login_policy(request),
                              now=clock(request), client=client_address(request))
    except accounts.AccountLocked as exc:
        raise HTTPException(423, exc) from None
    except accounts.LoginFailed as exc:
        raise HTTPException(401, exc) from None
    start_session(request, user)
    # scripts that keep the cookie send this token as X-CSRF-Token on writes (ecosentry.auth.csrf)
    return {**principal_json(current_principal(request)), "csrf_token": session_csrf_token(request.session)}


@router.post("/logout", status_code=204, summary="Log out (clears the session cookie)")
def logout(request: Request, engine: Engine = Depends(get_engine)):
    user_id = request.session.get("user_id")
    if user_id is not None:
        user = accounts.get_user(engine, user_id=int(user_id))
        if user is not None:
            accounts.record_logout(engine, user["id"], user["username"], client_address(request))
    request.session.clear()
    return Response(status_code=204)


@router.get("/me", summary="Who the request is made as: role, scope size, permissions")
def me(request: Request, principal: Principal = Depends(current_principal)):
    out = principal_json(principal)
    if principal.auth == "session":
        out["csrf_token"] = session_csrf_token(request.session)
    return out


@router.post("/password", status_code=204, summary="Change your own password (the old one is needed)")
def change_password(body: PasswordIn, engine: Engine = Depends(get_engine),
                    principal: Principal = Depends(logged_in)):
    if principal.user_id is None:
        raise HTTPException(403, Said(NO_PASSWORD))
    try:
        accounts.change_password(engine, principal.user_id, body.old_password, body.new_password)
    except accounts.LoginFailed:
        raise HTTPException(403, Said(OLD_PASSWORD_WRONG)) from None
    except PasswordError as exc:
        raise HTTPException(422, exc) from None
    return Response(status_code=204)


@router.get("/api-keys", summary="Your API keys (an admin: every key, or one user's with ?user_id=)")
def list_keys(user_id: int | None = None, engine: Engine = Depends(get_engine),
              principal: Principal = Depends(requires("apikeys.manage"))):
    if principal.role != "admin":
        user_id = principal.user_id
    return {"items": apikeys.list_api_keys(engine, user_id)}


@router.post("/api-keys", status_code=201, summary="Create an API key; the key is in this answer only")
def create_key(body: ApiKeyIn, engine: Engine = Depends(get_engine),
               principal: Principal = Depends(requires("apikeys.manage"))):
    owner = body.user_id if body.user_id is not None else principal.user_id
    if principal.role != "admin" and (owner != principal.user_id or body.rate_limit_per_minute is not None):
        raise HTTPException(403, Said(OWN_KEYS_ONLY))
    try:
        key, record = apikeys.create_api_key(engine, owner, body.name, actor=principal.username,
                                             rate_limit_per_minute=body.rate_limit_per_minute)
    except apikeys.ApiKeyError as exc:
        raise HTTPException(422, exc) from None
    return {"key": key, **record}


@router.delete("/api-keys/{key_id}", summary="Revoke an API key (it answers 401 from now on)")
def revoke_key(key_id: int, engine: Engine = Depends(get_engine),
               principal: Principal = Depends(requires("apikeys.manage"))):
    try:
        record = apikeys.get_api_key(engine, key_id)
        if principal.role != "admin" and record["user_id"] != principal.user_id:
            raise apikeys.ApiKeyError(apikeys.NO_API_KEY, id=key_id)
        return apikeys.revoke_api_key(engine, key_id, actor=principal.username)
    except apikeys.ApiKeyError as exc:
        raise HTTPException(404, exc) from None
