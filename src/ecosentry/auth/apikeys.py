"""API keys: ``es_`` + 40 URL-safe random characters, shown once at creation, stored as SHA-256.

The table keeps the first characters (``prefix``, to recognise a key in a list) and the SHA-256 of the
whole key (:func:`ecosentry.auth.deps.hash_api_key`); the key itself is never stored. A revoked key answers
401 at once. Creation and revocation are audited (entity ``api_key``).
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select, update

from ecosentry.auth.deps import KEY_PREFIX, hash_api_key
from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s

__all__ = ["ApiKeyError", "KEY_LENGTH", "create_api_key", "list_api_keys", "revoke_api_key", "get_api_key"]

#: Random characters after the ``es_`` prefix (URL-safe alphabet: 64^40 = 240 bits).
KEY_LENGTH = 40
#: Characters of the key kept in clear (``es_`` + 8), to tell keys apart in a list.
PREFIX_LENGTH = 11
_ALPHABET = string.ascii_letters + string.digits + "-_"

k = s.api_keys


class ApiKeyError(Said):
    """An API-key operation was refused (unknown key, bad name ...); the message is a catalogue msgid
    (:class:`ecosentry.said.Said`), so the API says it in the reader's language."""


NO_API_KEY = N_("no API key with id %(id)s")


def _out(row) -> dict:
    d = dict(row)
    d.pop("key_hash", None)
    d["revoked"] = d["revoked_at"] is not None
    return d


def create_api_key(engine: Engine, user_id: int, name: str, *, actor: str | None = None,
                   rate_limit_per_minute: int | None = None) -> tuple[str, dict]:
    """Create a key for ``user_id``; return ``(key, record)``. The key is shown this once only."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ApiKeyError(N_("an API key needs a name of 1 to 100 characters"))
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise ApiKeyError(N_("rate_limit_per_minute must be at least 1"))
    key = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))
    with engine.begin() as conn:
        if conn.execute(select(s.users.c.id).where(s.users.c.id == user_id)).first() is None:
            raise ApiKeyError(N_("no user with id %(id)s"), id=user_id)
        key_id = conn.execute(insert(k).values(
            user_id=user_id, name=name, prefix=key[:PREFIX_LENGTH], key_hash=hash_api_key(key),
            rate_limit_per_minute=rate_limit_per_minute, created_at=datetime.now(timezone.utc),
        )).inserted_primary_key[0]
        record = _out(conn.execute(select(k).where(k.c.id == key_id)).mappings().one())
        audit.record(conn, actor, "create", "api_key", key_id, None, record)
    return key, record


def list_api_keys(engine: Engine, user_id: int | None = None) -> list[dict]:
    """Keys (without hashes), newest first; of one user, or all (``None``)."""
    q = select(k).order_by(k.c.id.desc())
    if user_id is not None:
        q = q.where(k.c.user_id == user_id)
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(q).mappings()]


def get_api_key(engine: Engine, key_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(k).where(k.c.id == key_id)).mappings().first()
    if row is None:
        raise ApiKeyError(NO_API_KEY, id=key_id)
    return _out(row)


def revoke_api_key(engine: Engine, key_id: int, *, actor: str | None = None) -> dict:
    """Revoke a key (kept in the table for the audit trail); revoking twice is harmless."""
    with engine.begin() as conn:
        row = conn.execute(select(k).where(k.c.id == key_id)).mappings().first()
        if row is None:
            raise ApiKeyError(NO_API_KEY, id=key_id)
        if row["revoked_at"] is None:
            conn.execute(update(k).where(k.c.id == key_id).values(revoked_at=datetime.now(timezone.utc)))
            after = _out(conn.execute(select(k).where(k.c.id == key_id)).mappings().one())
            audit.record(conn, actor, "revoke", "api_key", key_id, _out(row), after)
            return after
        return _out(row)
