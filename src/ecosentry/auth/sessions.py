"""The secret that signs the session cookie (Starlette ``SessionMiddleware``, itsdangerous).

``settings.access.session_secret`` when set; otherwise a random secret generated once and kept in
``data_dir/session.key`` (mode 0600), so a restart, and every process that shares ``data_dir`` (``ecosentry
serve`` and its worker), accept the same cookies. Deleting the file logs everybody out.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.requests import Request

from ecosentry.auth.principal import PERMISSIONS, Principal

__all__ = ["SESSION_KEY_FILE", "session_secret", "client_address", "clock", "start_session", "principal_json"]

SESSION_KEY_FILE = "session.key"


def session_secret(settings: Any) -> str:
    """The signing secret of the session cookie (see the module doc)."""
    configured = settings.access.session_secret
    if configured:
        return str(configured)
    path = Path(getattr(settings, "data_dir", "var")) / SESSION_KEY_FILE
    if path.is_file():
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start together, exactly one writes the file and both read the winner's
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip() or secret
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    return secret


def client_address(request: Request) -> str | None:
    """The client's address as the server saw it (for the audit log)."""
    return request.client.host if request.client else None


def clock(request: Request) -> datetime:
    """The current time (aware UTC) of the application: ``app.state.clock()`` when set (tests), else now."""
    fn = getattr(request.app.state, "clock", None)
    return fn() if fn is not None else datetime.now(timezone.utc)


def start_session(request: Request, user: dict) -> None:
    """Log ``user`` in on this browser: a fresh session holding the user id (and the chosen language)."""
    request.session.clear()
    request.session["user_id"] = int(user["id"])
    request.state.principal = None  # resolved again with the new session


def principal_json(principal: Principal) -> dict:
    """What the API tells a client about itself: identity, role and the size of its scope."""
    def count(ids):
        return None if ids is None else len(ids)

    return {"username": principal.username, "display_name": principal.display_name, "role": principal.role,
            "auth": principal.auth, "region_code": principal.region_code, "enterprise_id": principal.enterprise_id,
            "park_code": principal.park_code, "locale": principal.locale,
            "scope": {"points": count(principal.point_ids), "enterprises": count(principal.enterprise_ids),
                      "regions": None if principal.region_codes is None else sorted(principal.region_codes)},
            "permissions": sorted(a for a in PERMISSIONS if principal.may(a))}
