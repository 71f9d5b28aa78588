"""Alarm subscriptions in the database (who is told about which region's alarms, how), and the region tree
the router needs.

A subscription belongs to a user and names a channel (``email``, ``webhook``, ``sms``, ``live``), an
address on it, a region, optionally a list of alarm types (``None`` = all) and a minimum severity. Every
change is written to the ``audit_log`` (entity ``alarm_subscription``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ecosentry.alarms.catalogue import ALARM_TYPES, SEVERITIES
from ecosentry.alarms.routing import Subscription, ancestry
from ecosentry.alarms.store import AlarmError, AlarmNotFound
from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store import schema as s

__all__ = [
    "CHANNELS", "create_subscription", "get_subscription", "list_subscriptions", "update_subscription",
    "delete_subscription", "region_parents", "routing_context",
]

CHANNELS = ("email", "webhook", "sms", "live")
_FIELDS = ("channel", "address", "region_code", "alarm_types", "min_severity", "active")

sub_t = s.alarm_subscriptions
#: The refusal of an unknown subscription (a msgid: the API says it in the reader's language).
NO_SUBSCRIPTION = N_("no alarm subscription with id %(id)s")


def _types(types: Iterable[str] | None) -> str | None:
    if types is None:
        return None
    codes = sorted({t.strip() for t in types if t and t.strip()})
    unknown = [c for c in codes if c not in ALARM_TYPES]
    if unknown:
        raise AlarmError(N_("unknown alarm type(s) %(types)s; known: %(known)s"), types=", ".join(unknown),
                         known=", ".join(sorted(ALARM_TYPES)))
    return ",".join(codes) or None


def _out(row: Any) -> dict:
    sub = dict(row)
    sub["alarm_types"] = sub["alarm_types"].split(",") if sub["alarm_types"] else None
    return sub


def _load(conn: Connection, sub_id: int) -> dict:
    u = s.users
    row = conn.execute(select(sub_t, u.c.username).join(u, u.c.id == sub_t.c.user_id)
                       .where(sub_t.c.id == sub_id)).mappings().first()
    if row is None:
        raise AlarmNotFound(NO_SUBSCRIPTION, id=sub_id)
    return _out(row)


def _validate(conn: Connection, values: dict) -> dict:
    out = dict(values)
    if "channel" in out and out["channel"] not in CHANNELS:
        raise AlarmError(N_("channel must be one of %(choices)s, not %(value)r"), choices=", ".join(CHANNELS),
                         value=out["channel"])
    if "address" in out:
        out["address"] = (out["address"] or "").strip()
        if not out["address"] or len(out["address"]) > 300:
            raise AlarmError(N_("the address must be 1 to 300 characters"))
    if "min_severity" in out and out["min_severity"] not in SEVERITIES:
        raise AlarmError(N_("min_severity must be one of %(choices)s, not %(value)r"), choices=", ".join(SEVERITIES),
                         value=out["min_severity"])
    if "alarm_types" in out:
        out["alarm_types"] = _types(out["alarm_types"])
    if "region_code" in out and conn.execute(
            select(s.regions.c.code).where(s.regions.c.code == out["region_code"])).first() is None:
        raise AlarmError(N_("no region with code %(code)r"), code=out["region_code"])
    if "user_id" in out and conn.execute(select(s.users.c.id).where(s.users.c.id == out["user_id"])).first() is None:
        raise AlarmError(N_("no user with id %(id)s"), id=out["user_id"])
    return out


def create_subscription(engine: Engine, *, user_id: int, channel: str, address: str, region_code: str,
                        alarm_types: Iterable[str] | None = None, min_severity: str = "info", active: bool = True,
                        actor: str | None = None) -> dict:
    """Create a subscription and return it (with the user's ``username``)."""
    with engine.begin() as conn:
        values = _validate(conn, {"user_id": user_id, "channel": channel, "address": address,
                                  "region_code": region_code, "alarm_types": alarm_types,
                                  "min_severity": min_severity, "active": active})
        res = conn.execute(insert(sub_t).values(**values, created_at=datetime.now(timezone.utc)))
        sub = _load(conn, int(res.inserted_primary_key[0]))
        audit.record(conn, actor, "create", "alarm_subscription", sub["id"], None, sub)
        return sub


def get_subscription(engine: Engine, sub_id: int) -> dict:
    with engine.connect() as conn:
        return _load(conn, sub_id)


def list_subscriptions(engine: Engine, *, user_id: int | None = None, region_code: str | None = None,
                       active: bool | None = None) -> list[dict]:
    """Subscriptions, by id, optionally of one user or region (exact) and active state."""
    u = s.users
    q = select(sub_t, u.c.username).join(u, u.c.id == sub_t.c.user_id).order_by(sub_t.c.id)
    if user_id is not None:
        q = q.where(sub_t.c.user_id == user_id)
    if region_code is not None:
        q = q.where(sub_t.c.region_code == region_code)
    if active is not None:
        q = q.where(sub_t.c.active == active)
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(q).mappings()]


def update_subscription(engine: Engine, sub_id: int, changes: dict, actor: str | None = None) -> dict:
    """Change some of channel, address, region_code, alarm_types, min_severity, active."""
    unknown = sorted(set(changes) - set(_FIELDS))
    if unknown:
        raise AlarmError(N_("cannot change %(fields)s; changeable: %(changeable)s"), fields=", ".join(unknown),
                         changeable=", ".join(_FIELDS))
    with engine.begin() as conn:
        before = _load(conn, sub_id)
        values = _validate(conn, changes)
        if values:
            conn.execute(update(sub_t).where(sub_t.c.id == sub_id).values(**values))
        after = _load(conn, sub_id)
        audit.record(conn, actor, "update", "alarm_subscription", sub_id, before, after)
        return after


def delete_subscription(engine: Engine, sub_id: int, actor: str | None = None) -> dict:
    """Delete a subscription (the audit log keeps it); returns it as it was."""
    with engine.begin() as conn:
        before = _load(conn, sub_id)
        conn.execute(delete(sub_t).where(sub_t.c.id == sub_id))
        audit.record(conn, actor, "delete", "alarm_subscription", sub_id, before, None)
        return before


# --------------------------------------------------------------------------- for the router

def region_parents(conn: Connection) -> dict[str, str | None]:
    """Every region code mapped to its parent code (the stored GB/T 2260 tree)."""
    return dict(conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all())


def routing_context(conn: Connection, region_code: str | None,
                    parents: dict[str, str | None] | None = None) -> tuple[tuple[str, ...], list[Subscription]]:
    """The ancestry of ``region_code`` (nearest first) and the active subscriptions of those regions."""
    regions = ancestry(region_code, parents if parents is not None else region_parents(conn))
    if not regions:
        return regions, []
    u = s.users
    rows = conn.execute(select(sub_t, u.c.username).join(u, u.c.id == sub_t.c.user_id).where(
        sub_t.c.region_code.in_(regions), sub_t.c.active.is_(True), u.c.active.is_(True))).mappings()
    subs = [Subscription(id=r["id"], user=r["username"], channel=r["channel"], address=r["address"],
                         region_code=r["region_code"],
                         alarm_types=frozenset(r["alarm_types"].split(",")) if r["alarm_types"] else None,
                         min_severity=r["min_severity"], active=True) for r in rows]
    return regions, subs
