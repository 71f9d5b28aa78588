"""Accounts: create users, set and change passwords, log in with lock-out, log out; all of it audited.

Lock-out (issue 6 "lock-out after repeated failures"): every failed login adds one to
``users.failed_logins``; the ``access.login_max_failures``-th failure in a row locks the account until
``now + access.login_lockout_minutes`` (``users.locked_until``) and resets the counter. While locked, the answer is
"locked" whether the password is right or not (so a guesser learns nothing from it), and the attempt does
not extend the lock. A successful login resets the counter. Unknown user names, disabled accounts and wrong
passwords get one and the same answer, after the same amount of hashing work.

Audit (``audit_log``, entity ``user``): ``login``, ``login_failed``, ``lock``, ``login_locked`` (an attempt
while locked), ``logout``, ``create``, ``update``, ``set_password``. ``actor`` is the user name given (so a
user sees their own logins), ``after`` holds the client address when known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ecosentry.auth.passwords import check_strength, dummy_hash, hash_password, needs_rehash, verify_password
from ecosentry.auth.principal import ROLES
from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s

__all__ = ["AccountError", "LoginFailed", "AccountLocked", "LoginPolicy", "create_user", "update_user",
           "set_password", "change_password", "login", "record_logout", "list_users", "get_user",
           "set_maintained_points", "unlock", "USER_FIELDS"]

u = s.users

#: Columns of a user a caller may set (besides the password).
USER_FIELDS = ("display_name", "role", "region_code", "enterprise_id", "park_code", "organisation", "locale",
               "active")


class AccountError(Said):
    """An account change was refused; the message (a catalogue msgid, :class:`ecosentry.said.Said`) says why."""


#: What a scoped role's account lacks when its scope key is empty (one sentence per role, for the catalogue).
NEEDS_SCOPE = {"regulator": "a regulator account needs a region",
               "enterprise": "an enterprise account needs an enterprise", "park": "a park account needs a park"}


class LoginFailed(Said):
    """Wrong user name or password (deliberately one answer for both)."""

    def __init__(self) -> None:
        super().__init__(N_("wrong user name or password"))


class AccountLocked(Said):
    """The account is locked after repeated failed logins, until :attr:`until` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(N_("the account is locked after repeated failed logins until %(until)s UTC; try again later"),
                         until=f"{until.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S}")
        self.until = until


@dataclass(frozen=True)
class LoginPolicy:
    """Lock-out parameters (settings ``access.login_max_failures``, ``access.login_lockout_minutes``)."""

    max_failures: int = 5
    lockout_minutes: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any) -> LoginPolicy:
        return cls(settings.access.login_max_failures, settings.access.login_lockout_minutes)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(timezone.utc)


def _aware(t: datetime | None) -> datetime | None:
    if t is not None and t.tzinfo is None:  # SQLite hands back naive UTC
        return t.replace(tzinfo=timezone.utc)
    return t


def _public(row: Any) -> dict:
    """A user row without its password hash."""
    d = dict(row)
    d.pop("password_hash", None)
    return d


def _check_role(conn: Connection, values: dict) -> None:
    role = values.get("role")
    if role is not None and role not in ROLES:
        raise AccountError("unknown role %(role)r; roles are %(roles)s", role=role, roles=", ".join(ROLES))
    if values.get("region_code") and conn.execute(
            select(s.regions.c.code).where(s.regions.c.code == values["region_code"])).first() is None:
        raise AccountError("no region with code %(code)r", code=values["region_code"])
    if values.get("enterprise_id") is not None and conn.execute(
            select(s.enterprises.c.id).where(s.enterprises.c.id == values["enterprise_id"])).first() is None:
        raise AccountError("no enterprise with id %(id)s", id=values["enterprise_id"])
    if values.get("park_code") and conn.execute(
            select(s.parks.c.code).where(s.parks.c.code == values["park_code"])).first() is None:
        raise AccountError("no park with code %(code)r", code=values["park_code"])
    if values.get("locale") not in (None, "zh", "vi", "en"):
        raise AccountError("locale must be zh, vi or en, not %(value)r", value=values["locale"])


def _check_scope_key(values: dict) -> None:
    """A scoped role needs its scope key, or the account would see nothing (refused rather than useless)."""
    need = {"regulator": "region_code", "enterprise": "enterprise_id", "park": "park_code"}.get(values["role"])
    if need and values.get(need) in (None, ""):
        raise AccountError(NEEDS_SCOPE[values["role"]])


def create_user(engine: Engine, *, username: str, role: str, password: str | None = None,
                actor: str | None = None, point_ids: Iterable[int] | None = None, **fields: Any) -> int:
    """Create an account and return its id.

    Parameters
    ----------
    username, role
        Unique name (≤ 64 characters) and one of :data:`~ecosentry.auth.principal.ROLES`.
    password : str, optional
        Hashed at once (Argon2id); ``None``: the account cannot log in with a password (API keys only).
    actor : str, optional
        Who creates it (audit).
    point_ids : iterable of int, optional
        O&M accounts: the points maintained (their scope).
    **fields
        ``display_name, region_code, enterprise_id, park_code, organisation, locale, active``.
    """
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise AccountError("a user name needs 1 to 64 characters")
    unknown = sorted(set(fields) - set(USER_FIELDS))
    if unknown:
        raise AccountError("unknown user field(s) %(fields)s", fields=", ".join(unknown))
    values = {**fields, "role": role}
    with engine.begin() as conn:
        _check_role(conn, values)
        _check_scope_key(values)
        if conn.execute(select(u.c.id).where(u.c.username == username)).first() is not None:
            raise AccountError("user %(name)r exists already", name=username)
        if password is not None:
            check_strength(password)
            values["password_hash"] = hash_password(password)
        user_id = int(conn.execute(insert(u).values(username=username, **values)).inserted_primary_key[0])
        if point_ids is not None:
            _set_points(conn, user_id, point_ids)
        audit.record(conn, actor, "create", "user", user_id, None, _public(_load(conn, user_id)))
    return user_id


def update_user(engine: Engine, user_id: int, changes: dict, actor: str | None = None) -> dict:
    """Change fields of an account (:data:`USER_FIELDS`); returns the account without its hash."""
    unknown = sorted(set(changes) - set(USER_FIELDS))
    if unknown:
        raise AccountError("unknown user field(s) %(fields)s", fields=", ".join(unknown))
    with engine.begin() as conn:
        before = _public(_load(conn, user_id))
        _check_role(conn, changes)
        conn.execute(update(u).where(u.c.id == user_id).values(**changes))
        after = _public(_load(conn, user_id))
        audit.record(conn, actor, "update", "user", user_id, before, after)
    return after


def set_maintained_points(engine: Engine, user_id: int, point_ids: Iterable[int], actor: str | None = None) -> None:
    """Replace the points an O&M account maintains (its scope)."""
    with engine.begin() as conn:
        _load(conn, user_id)
        before = sorted(conn.execute(select(s.point_maintainers.c.point_id)
                                     .where(s.point_maintainers.c.user_id == user_id)).scalars())
        _set_points(conn, user_id, point_ids)
        audit.record(conn, actor, "set_points", "user", user_id, {"points": before}, {"points": sorted(set(point_ids))})


def _set_points(conn: Connection, user_id: int, point_ids: Iterable[int]) -> None:
    ids = sorted(set(int(p) for p in point_ids))
    known = set(conn.execute(select(s.points.c.id).where(s.points.c.id.in_(ids))).scalars()) if ids else set()
    missing = [p for p in ids if p not in known]
    if missing:
        raise AccountError("no point with id %(ids)s", ids=", ".join(map(str, missing)))
    conn.execute(delete(s.point_maintainers).where(s.point_maintainers.c.user_id == user_id))
    if ids:
        conn.execute(insert(s.point_maintainers), [{"user_id": user_id, "point_id": p} for p in ids])


def _load(conn: Connection, user_id: int) -> dict:
    row = conn.execute(select(u).where(u.c.id == user_id)).mappings().first()
    if row is None:
        raise AccountError("no user with id %(id)s", id=user_id)
    return dict(row)


def get_user(engine: Engine, *, user_id: int | None = None, username: str | None = None) -> dict | None:
    """One account by id or name, without its password hash (``None`` when unknown)."""
    q = select(u).where(u.c.id == user_id) if user_id is not None else select(u).where(u.c.username == username)
    with engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return _public(row) if row is not None else None


def list_users(engine: Engine) -> list[dict]:
    """Every account (without hashes), by user name, with ``has_password`` and ``locked_until``."""
    with engine.connect() as conn:
        rows = conn.execute(select(u).order_by(u.c.username)).mappings().all()
    return [{**_public(r), "has_password": bool(r["password_hash"])} for r in rows]


def set_password(engine: Engine, user_id: int, new_password: str, actor: str | None = None) -> None:
    """Set a new password (administrator or the user); unlocks the account and resets the failure count."""
    check_strength(new_password)
    with engine.begin() as conn:
        _load(conn, user_id)
        conn.execute(update(u).where(u.c.id == user_id).values(
            password_hash=hash_password(new_password), failed_logins=0, locked_until=None))
        audit.record(conn, actor, "set_password", "user", user_id, None, None)


def change_password(engine: Engine, user_id: int, old_password: str, new_password: str) -> None:
    """A user changes their own password: the old one must be right (:class:`LoginFailed` otherwise)."""
    with engine.connect() as conn:
        user = _load(conn, user_id)
    if not verify_password(user["password_hash"], old_password or ""):
        raise LoginFailed()
    set_password(engine, user_id, new_password, actor=user["username"])


def login(engine: Engine, username: str, password: str, *, policy: LoginPolicy = LoginPolicy(),
          now: datetime | None = None, client: str | None = None) -> dict:
    """Check a user name and password; return the account (without hash) or raise.

    Parameters
    ----------
    now : datetime, optional
        The clock (aware UTC), given in tests; default the current time.
    client : str, optional
        Client address, kept in the audit row.

    Raises
    ------
    AccountLocked
        The account is locked (whatever the password).
    LoginFailed
        Unknown user, disabled account or wrong password.
    """
    t = _now(now)
    name = (username or "").strip()[:64]
    # the failure counters and audit rows must be committed even though the answer is an exception:
    # decide inside the transaction, raise after it
    with engine.begin() as conn:
        outcome = _attempt(conn, name, password or "", policy, t, {"client": client} if client else None)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _attempt(conn: Connection, name: str, password: str, policy: LoginPolicy, t: datetime,
             info: dict | None) -> dict | Exception:
    """One login attempt: the account on success, else the exception to raise (after the commit)."""
    user = conn.execute(select(u).where(u.c.username == name)).mappings().first() if name else None
    if user is None or not user["active"] or not user["password_hash"]:
        verify_password(dummy_hash(), password)  # the same work as a real check: no probing by timing
        reason = "unknown or disabled account" if user is None or not user["active"] else "no password set"
        audit.record(conn, name or None, "login_failed", "user", user["id"] if user else None, None,
                     {**(info or {}), "reason": reason, "username": name})
        return LoginFailed()
    locked_until = _aware(user["locked_until"])
    if locked_until is not None and locked_until > t:
        audit.record(conn, name, "login_locked", "user", user["id"], None, info)
        return AccountLocked(locked_until)
    if not verify_password(user["password_hash"], password):
        failures = (user["failed_logins"] or 0) + 1
        audit.record(conn, name, "login_failed", "user", user["id"], None, {**(info or {}), "failures": failures})
        if failures >= policy.max_failures:
            until = t + timedelta(minutes=policy.lockout_minutes)
            conn.execute(update(u).where(u.c.id == user["id"]).values(failed_logins=0, locked_until=until))
            audit.record(conn, name, "lock", "user", user["id"], None, {"locked_until": until, "failures": failures})
            return AccountLocked(until)
        conn.execute(update(u).where(u.c.id == user["id"]).values(failed_logins=failures, locked_until=None))
        return LoginFailed()
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": t}
    if needs_rehash(user["password_hash"]):
        values["password_hash"] = hash_password(password)
    conn.execute(update(u).where(u.c.id == user["id"]).values(**values))
    audit.record(conn, name, "login", "user", user["id"], None, info)
    return _public(_load(conn, user["id"]))


def unlock(engine: Engine, user_id: int, actor: str | None = None) -> None:
    """Lift a lock-out (administrator): clears ``locked_until`` and the failure count."""
    with engine.begin() as conn:
        before = _load(conn, user_id)
        conn.execute(update(u).where(u.c.id == user_id).values(failed_logins=0, locked_until=None))
        audit.record(conn, actor, "unlock", "user", user_id, {"locked_until": before["locked_until"],
                                                             "failed_logins": before["failed_logins"]}, None)


def record_logout(engine: Engine, user_id: int, username: str, client: str | None = None) -> None:
    """Audit a logout (the session itself is cleared by the caller)."""
    with engine.begin() as conn:
        audit.record(conn, username, "logout", "user", user_id, None, {"client": client} if client else None)
