"""Station-room door events: the door controller's authentication, the events stored, and the consistency rule
run over a room's recent window (a door opening with no work order at work and no mark,
:func:`..rules.consistency.unexplained_doors`), raising ``ALM-OM-DOOR-UNEXPLAINED`` for the room.

A controller authenticates with its id and secret (the registry stores only the secret's Argon2id hash,
:mod:`.registry`). An event is stored once (key: room, time, open/close): a controller that sends again after a
lost answer stores nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, or_, select

from ecosentry.alarms import store as alarm_store
from ecosentry.auth.passwords import verify_password
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.alarms import DOOR_UNEXPLAINED, STATION_ROOM
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings, DoorEvent, Mark, unexplained_doors
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.schema import om_door_events as de
from ecosentry.subsystems.om.schema import om_room_points, om_rooms
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.store.workorders import as_rule_order

__all__ = ["authenticate", "store_event", "insert_event", "room_points", "check_room"]


#: door id → (the stored hash, SHA-256 of the secret) of the last verified secret: Argon2id (≈ 0.1–0.8 s) is paid
#: once per controller and process, not on every event; a changed stored hash (re-import) verifies again.
_VERIFIED: dict[str, tuple[str, bytes]] = {}


def authenticate(conn: Connection, door_id: str, secret: str) -> dict | None:
    """The room whose door controller is ``door_id`` when ``secret`` is its secret; else None."""
    row = conn.execute(select(om_rooms).where(om_rooms.c.door_id == door_id)).mappings().first()
    if row is None or not row["door_secret_hash"]:
        return None
    stored, digest = row["door_secret_hash"], hashlib.sha256(secret.encode()).digest()
    known = _VERIFIED.get(door_id)
    if known is not None and known[0] == stored and hmac.compare_digest(known[1], digest):
        return dict(row)
    if not verify_password(stored, secret):
        return None
    _VERIFIED[door_id] = (stored, digest)
    return dict(row)


def store_event(engine: Engine, room_id: int, at: datetime, event: str, source: str, received_at: datetime) -> bool:
    """Store one event; False when it was already stored."""
    with engine.begin() as conn:
        return bool(insert_event(conn, room_id, at, event, source, received_at))


def insert_event(conn: Connection, room_id: int, at: datetime, event: str, source: str, received_at: datetime
                 ) -> int:
    """Store one event in the caller's transaction; 1 when new, 0 when it was already stored."""
    res = conn.execute(insert_for(conn, de).values(room_id=room_id, at=at, event=event, source=source,
                                                   received_at=received_at)
                       .on_conflict_do_nothing(index_elements=[de.c.room_id, de.c.at, de.c.event])
                       .returning(de.c.id)).first()
    return 0 if res is None else 1


def room_points(conn: Connection, room_id: int) -> list[int]:
    return list(conn.execute(select(om_room_points.c.point_id).where(om_room_points.c.room_id == room_id)
                             .order_by(om_room_points.c.point_id)).scalars())


def check_room(engine: Engine, room_id: int, now: datetime, *, window: timedelta, settings: ConsistencySettings,
               zone: ZoneInfo, alarms: bool = True) -> list[Finding]:
    """``OM-DOOR-UNEXPLAINED`` findings of the room's door openings in ``[now - window, now]``: an opening is
    explained by a work order at work at any of the room's points, or a mark of any of them. With ``alarms``,
    the room's alarm is raised when there is a finding."""
    since = now - window
    key = f"room:{room_id}"
    with engine.connect() as conn:
        points = room_points(conn, room_id)
        doors = [DoorEvent(key, r.at, r.event == "open") for r in conn.execute(
            select(de.c.at, de.c.event).where(de.c.room_id == room_id, de.c.at >= since, de.c.at <= now)
            .order_by(de.c.at))]
        margin = timedelta(hours=settings.order_margin_hours)
        orders = [as_rule_order(r) for r in conn.execute(select(wo).where(
            wo.c.point_id.in_(points), wo.c.created_at <= now + margin,
            or_(wo.c.done_at.is_(None), wo.c.done_at >= since - margin))).mappings()] if points else []
        m = s.marks
        marks = [Mark(str(r.id), key, "", r.type, r.start, r.end) for r in conn.execute(
            select(m.c.id, m.c.type, m.c.start, m.c.end).where(
                m.c.point_id.in_(points), m.c.deleted_at.is_(None), m.c.start <= now,
                or_(m.c.end.is_(None), m.c.end >= since - timedelta(minutes=settings.door_margin_minutes)))
        )] if points else []
    orders = [replace(o, point=key) for o in orders]
    findings = unexplained_doors(doors, orders, marks, now, settings, zone)
    if alarms and findings:
        last = findings[-1]
        alarm_store.raise_alarm(
            engine, type=DOOR_UNEXPLAINED, source_type=STATION_ROOM, source_id=room_id, severity=None, title="",
            explanation=None, at=now, point_id=points[0] if points else None,
            evidence={"openings": [f.evidence["opened"] for f in findings],
                      "sentence": {"msgid": last.msgid, "params": last.params}})
    return findings
