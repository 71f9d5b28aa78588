"""Delivery state of the upload to the upper platform per enterprise (issue 16 item 7; §3.6 uplink timeliness):
for each enterprise in scope with rows in the outbox, the deliveries by state, how many were acknowledged late
(``VEH-UPLOAD-LATE``, judged at the acknowledgement) and how many unsent are already late at ``now``, the mean and
longest delay from the row's time to the acknowledgement, the oldest unsent row, the last attempt and the last
error; and the latest attempts of one enterprise (the delivery log)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.rules.upload import STATES
from ecosentry.subsystems.gates.schema import gates_enterprises, gates_ledger, gates_upload_log, gates_upload_outbox

__all__ = ["delivery_state", "delivery_log"]

Clause = ColumnElement[bool]


def delivery_state(conn: Connection, scope: Clause, now: datetime, late_after_s: int) -> list[dict]:
    """One dict per enterprise in ``scope`` with outbox rows, by name: ``id``, ``name``, ``tz``, a count per state
    (:data:`..rules.upload.STATES`), ``total``, ``late`` (acknowledged late), ``overdue`` (unsent, older than
    ``late_after_s`` at ``now``), ``mean_delay_s``, ``max_delay_s``, ``oldest_unsent``, ``last_attempt``,
    ``last_error``."""
    ob, e, g = gates_upload_outbox, s.enterprises, gates_enterprises
    limit = now - timedelta(seconds=late_after_s)
    unsent = ob.c.state != "sent"
    cols = [func.count().label("total"),
            func.sum(case((ob.c.late.is_(True), 1), else_=0)).label("late"),
            func.sum(case(((unsent) & (ob.c.at < limit), 1), else_=0)).label("overdue"),
            func.avg(ob.c.delay_s).label("mean_delay_s"), func.max(ob.c.delay_s).label("max_delay_s"),
            func.min(case((unsent, ob.c.at), else_=None)).label("oldest_unsent")]
    cols += [func.sum(case((ob.c.state == st, 1), else_=0)).label(st) for st in STATES]
    stmt = (select(e.c.id, e.c.name, func.coalesce(g.c.tz, "Asia/Shanghai").label("tz"), *cols)
            .join(ob, ob.c.enterprise_id == e.c.id).outerjoin(g, g.c.enterprise_id == e.c.id)
            .where(scope).group_by(e.c.id, e.c.name, g.c.tz).order_by(e.c.name, e.c.id))
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    if not rows:
        return rows
    lg = gates_upload_log
    last = {int(r.enterprise_id): r for r in conn.execute(
        select(ob.c.enterprise_id, func.max(lg.c.at).label("at")).join(ob, ob.c.id == lg.c.outbox_id)
        .where(ob.c.enterprise_id.in_([r["id"] for r in rows])).group_by(ob.c.enterprise_id))}
    for r in rows:
        for k in ("total", "late", "overdue", *STATES):
            r[k] = int(r[k] or 0)
        hit = last.get(int(r["id"]))
        r["last_attempt"] = hit.at if hit is not None else None
        r["last_error"] = conn.scalar(
            select(ob.c.last_error).where(ob.c.enterprise_id == r["id"], ob.c.state != "sent",
                                          ob.c.last_error.is_not(None)).order_by(ob.c.id.desc()).limit(1))
    return rows


def delivery_log(conn: Connection, enterprise_id: int, limit: int = 50) -> list[dict]:
    """The enterprise's latest attempts, newest first: when, the row (time, direction, plate), the attempt number,
    acknowledged or not, the HTTP status, the latency, the error, the delivery's state now."""
    lg, ob, ld = gates_upload_log, gates_upload_outbox, gates_ledger
    stmt = (select(lg.c.at, lg.c.attempt, lg.c.ok, lg.c.http_status, lg.c.latency_ms, lg.c.error,
                   ob.c.state, ob.c.ledger_id, ld.c.at.label("row_at"), ld.c.inbound, ld.c.plate)
            .join(ob, ob.c.id == lg.c.outbox_id).join(ld, ld.c.id == ob.c.ledger_id)
            .where(ob.c.enterprise_id == enterprise_id).order_by(lg.c.id.desc()).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]
