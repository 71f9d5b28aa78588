"""Work orders stored: create (planned, or answering an alarm), move through the state machine of
:mod:`..rules.workorders` (every transition one ``om_work_order_events`` row and one audit entry, in the same
transaction as the order's row), read and list within a principal's scope.

The deadlines come from :mod:`..rules.deadlines` at creation: the restore deadline (5 working days from the
fault's start, the alarm's first time) for alarm orders, the planned window for planned ones; a fault's report
deadline (12 h) for alarm orders. Times are arguments: the API passes the request's time, tests a clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select, update

from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings, deadline_of, report_deadline
from ecosentry.subsystems.om.rules.workorders import (ALARM_KINDS, KINDS, TransitionRefused, WorkOrder, apply)
from ecosentry.subsystems.om.schema import om_work_order_events as ev
from ecosentry.subsystems.om.schema import om_work_orders as wo

__all__ = ["OrderNotFound", "OrderRefused", "create_order", "transition", "get_order", "order_events",
           "list_orders", "as_rule_order", "STAMPS", "TransitionRefused"]

STAMPS = ("assigned_at", "accepted_at", "on_site_at", "done_at", "reviewed_at", "rejected_at", "cancelled_at")
#: What a transition may add to the order (the engineer's record of the visit).
RECORD_FIELDS = ("photos", "readings", "checklist")


class OrderNotFound(Said):
    """No work order with this id (or not in the reader's scope: the same answer)."""


class OrderRefused(Said):
    """A work order that cannot be created as asked (unknown kind, an alarm without a point ...)."""


def as_rule_order(row: Any) -> WorkOrder:
    """The stored order as the pure rules see it (its history is the last transition's time)."""
    history = ((row["state"], row["state"], max(t for t in [row["created_at"], *(row[k] for k in STAMPS)]
                                                 if t is not None)),)
    return WorkOrder(str(row["id"]), str(row["point_id"]), row["kind"], row["created_at"], row["state"],
                     row["deadline"], row["fault_start"], row["assignee"],
                     **{k: row[k] for k in STAMPS}, history=history)


def _load(conn: Connection, order_id: int, *, lock: bool = False) -> dict:
    q = select(wo).where(wo.c.id == order_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    if row is None:
        raise OrderNotFound(N_("no work order with id %(id)s"), id=order_id)
    return dict(row)


def create_order(engine: Engine, *, kind: str, at: datetime, actor: str | None, settings: DeadlineSettings,
                 zone: ZoneInfo, point_id: int | None = None, alarm_id: int | None = None,
                 deadline: datetime | None = None, assignee: str | None = None, note: str | None = None) -> dict:
    """A new order (state ``created``; ``assigned`` at once when ``assignee`` is given). From an alarm: its point
    and its first time (the fault's start) come from the alarm; the kind must be an alarm kind."""
    if kind not in KINDS:
        raise OrderRefused(N_("%(value)s is not a work-order kind (%(kinds)s)."), value=kind, kinds=", ".join(KINDS))
    with engine.begin() as conn:
        fault_start = None
        if alarm_id is not None:
            alarm = conn.execute(select(s.alarms.c.point_id, s.alarms.c.first_at)
                                 .where(s.alarms.c.id == alarm_id)).first()
            if alarm is None:
                raise OrderNotFound(N_("no alarm with id %(id)s"), id=alarm_id)
            if alarm.point_id is None:
                raise OrderRefused(N_("Alarm %(id)s has no monitoring point: a work order needs one."), id=alarm_id)
            if point_id is not None and point_id != alarm.point_id:
                raise OrderRefused(N_("Alarm %(id)s is of another point."), id=alarm_id)
            if kind not in ALARM_KINDS:
                raise OrderRefused(N_("An order answering an alarm is of an alarm kind (%(kinds)s)."),
                                   kinds=", ".join(ALARM_KINDS))
            point_id, fault_start = alarm.point_id, alarm.first_at
        if point_id is None:
            raise OrderRefused(N_("A work order needs a point or an alarm."))
        rule = WorkOrder("new", str(point_id), kind, at, deadline=deadline, fault_start=fault_start)
        values = {"point_id": point_id, "kind": kind, "state": "created", "alarm_id": alarm_id,
                  "fault_start": fault_start, "created_at": at, "created_by": actor, "note": note,
                  "deadline": deadline_of(rule, settings, zone),
                  "report_deadline": report_deadline(fault_start or at, settings) if kind in ALARM_KINDS else None}
        oid = conn.execute(wo.insert().values(**values).returning(wo.c.id)).scalar_one()
        conn.execute(ev.insert().values(order_id=oid, at=at, actor=actor, action="create", from_state=None,
                                        to_state="created", note=note))
        audit.record(conn, actor, "create", "om_work_order", oid, None, {**values, "id": oid})
    if assignee:
        return transition(engine, oid, "assign", at, actor, assignee=assignee)
    return get_order(engine, oid)


def transition(engine: Engine, order_id: int, action: str, at: datetime, actor: str | None, *,
               assignee: str | None = None, note: str | None = None, record: dict | None = None) -> dict:
    """Apply ``action`` at ``at``; :class:`TransitionRefused` (nothing written) when the state does not allow it.
    ``record`` adds photos (stored-file references), readings and the checklist (kept, replaced key by key)."""
    with engine.begin() as conn:
        row = _load(conn, order_id, lock=True)
        after = apply(as_rule_order(row), action, at, assignee)
        changes: dict[str, Any] = {"state": after.state, "assignee": after.assignee,
                                   **{k: getattr(after, k) for k in STAMPS}}
        for key in RECORD_FIELDS:
            if record and record.get(key) is not None:
                changes[key] = record[key]
        conn.execute(update(wo).where(wo.c.id == order_id).values(**changes))
        conn.execute(ev.insert().values(order_id=order_id, at=at, actor=actor, action=action,
                                        from_state=row["state"], to_state=after.state, note=note))
        audit.record(conn, actor, action, "om_work_order", order_id, {"state": row["state"]},
                     {"state": after.state, "assignee": after.assignee})
    return get_order(engine, order_id)


def get_order(engine_or_conn: Engine | Connection, order_id: int) -> dict:
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return _load(conn, order_id)
    return _load(engine_or_conn, order_id)


def order_events(engine: Engine, order_id: int) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(ev).where(ev.c.order_id == order_id)
                                              .order_by(ev.c.at, ev.c.id)).mappings()]


def list_orders(engine: Engine, *, point_clause=None, states: list[str] | None = None,
                point_ids: list[int] | None = None, limit: int = 500) -> list[dict]:
    q = select(wo)
    if point_clause is not None:
        q = q.where(point_clause)
    if states:
        q = q.where(wo.c.state.in_(states))
    if point_ids:
        q = q.where(wo.c.point_id.in_(point_ids))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(wo.c.created_at.desc(), wo.c.id.desc()).limit(limit))
                .mappings()]

