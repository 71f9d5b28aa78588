"""The upload outbox (issue 16 item 7; ``shared/reference/subsystems.md`` §3.6, §7 item 23): store-and-forward of
ledger rows to the upper platform.

* :func:`enqueue` puts ledger rows in ``gates_upload_outbox`` **in the transaction that stores them** (the sink's,
  the CSV import's, the guard's entry), so a row stored is a row queued and a row rolled back is never sent;
* :func:`claim_due` reads the deliveries due at ``now`` (``pending``, or ``retry`` whose ``due_at`` has come) with
  the ledger row's fields the mapping needs (:func:`..rules.upload.map_row`);
* :func:`record_attempts` writes each attempt's outcome: a ``gates_upload_log`` row (attempt number, status,
  latency, error) and the delivery's next state by the pure state machine (:func:`..rules.upload.transition`:
  ``ack`` → ``sent``; ``error`` → ``failed`` → ``retry`` with its back-off, or ``dead`` after ``max_attempts``);
* :func:`requeue_dead` puts dead deliveries back to ``pending`` (an operator's act, audited).

The delivery id is the ledger row's id (``record_id`` of the default mapping and the ``Idempotency-Key`` header):
a row sent again after a lost acknowledgement is one record for a receiver that deduplicates on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.rules.upload import Delivery, UploadSettings, transition, upload_late

__all__ = ["enqueue", "claim_due", "Due", "Attempt", "record_attempts", "requeue_dead", "next_due_at"]


def enqueue(conn: Connection, rows: list[tuple[int, int, datetime]], now: datetime) -> int:
    """Queue ledger rows ``(ledger id, enterprise id, time)`` for the platform, in the caller's transaction."""
    if not rows:
        return 0
    conn.execute(gs.gates_upload_outbox.insert(), [
        {"ledger_id": lid, "enterprise_id": ent, "at": at, "queued_at": now, "state": "pending", "attempts": 0,
         "due_at": None} for lid, ent, at in rows])
    return len(rows)


@dataclass
class Due:
    """A delivery due, with the ledger row's fields by the names the mapping's ``source`` uses."""

    outbox_id: int
    delivery: Delivery
    row: dict[str, Any]


def claim_due(engine: Engine, now: datetime, limit: int) -> list[Due]:
    """The deliveries due at ``now``, the oldest passage first (at most ``limit``)."""
    ob, lg, e = gs.gates_upload_outbox, gs.gates_ledger, s.enterprises
    stmt = (select(ob.c.id.label("outbox_id"), ob.c.state, ob.c.attempts, ob.c.due_at, ob.c.last_error,
                   lg.c.id, lg.c.at.label("time"), lg.c.inbound, lg.c.plate, lg.c.plate_colour, lg.c.vin,
                   lg.c.engine_no, lg.c.emission_stage, lg.c.fuel, lg.c.cargo, lg.c.weight_t,
                   lg.c.transport_company, lg.c.purpose, lg.c.source, e.c.credit_code, e.c.name.label("enterprise_name"))
            .join(lg, lg.c.id == ob.c.ledger_id).join(e, e.c.id == ob.c.enterprise_id)
            .where(or_(ob.c.state == "pending", and_(ob.c.state == "retry", ob.c.due_at <= now)))
            .order_by(ob.c.at, ob.c.id).limit(limit))
    out = []
    with engine.connect() as conn:
        for r in conn.execute(stmt).mappings():
            row = {"id": str(r["id"]), "enterprise": r["credit_code"], "enterprise_name": r["enterprise_name"],
                   "time": r["time"], "direction": "in" if r["inbound"] else "out", "plate": r["plate"],
                   "plate_colour": r["plate_colour"], "vin": r["vin"], "engine_no": r["engine_no"],
                   "emission_stage": r["emission_stage"], "fuel": r["fuel"], "cargo": r["cargo"],
                   "weight_t": r["weight_t"], "fleet": r["transport_company"], "purpose": r["purpose"],
                   "source": r["source"]}
            out.append(Due(int(r["outbox_id"]), Delivery(str(r["id"]), r["state"], int(r["attempts"]), r["due_at"],
                                                         r["last_error"] or ""), row))
    return out


def next_due_at(engine: Engine, now: datetime) -> datetime | None:
    """When the next delivery is due (None: none waits): ``now`` when one is pending, else the earliest retry."""
    ob = gs.gates_upload_outbox
    with engine.connect() as conn:
        if conn.scalar(select(ob.c.id).where(ob.c.state == "pending").limit(1)) is not None:
            return now
        return conn.scalar(select(ob.c.due_at).where(ob.c.state == "retry").order_by(ob.c.due_at).limit(1))


@dataclass
class Attempt:
    """One attempt's outcome: acknowledged or not, the HTTP status (None: no answer, or not sent), the latency, the
    error; ``started`` when the request left."""

    outbox_id: int
    delivery: Delivery
    started: datetime
    ok: bool
    row_time: datetime
    http_status: int | None = None
    latency_ms: float | None = None
    error: str = ""


def record_attempts(engine: Engine, attempts: list[Attempt], now: datetime, settings: UploadSettings) -> list[Delivery]:
    """The attempts' log rows and the deliveries' next states, in one transaction; the new deliveries."""
    ob, log_ = gs.gates_upload_outbox, gs.gates_upload_log
    out = []
    with engine.begin() as conn:
        for a in attempts:
            d = a.delivery
            n = d.attempts + 1 if d.state != "sent" else d.attempts
            conn.execute(log_.insert().values(outbox_id=a.outbox_id, attempt=n, at=a.started, ok=a.ok,
                                              http_status=a.http_status, latency_ms=a.latency_ms,
                                              error=(a.error or None) and a.error[:500]))
            if a.ok:
                new = transition(d, "ack", now, settings)
            else:
                new = transition(transition(d, "error", now, settings, a.error), "schedule", now, settings)
            values = {"state": new.state, "attempts": new.attempts, "due_at": new.due_at,
                      "last_error": new.last_error or None, "sent_at": new.sent_at}
            if a.ok and d.state != "sent":
                at = a.row_time
                values.update(delay_s=(new.sent_at - at).total_seconds(),
                              late=upload_late(at, new.sent_at, now, settings))
            # only from the state it was read in: a delivery changed meanwhile (an operator's requeue) is left alone
            conn.execute(update(ob).where(ob.c.id == a.outbox_id, ob.c.state == d.state, ob.c.attempts == d.attempts)
                         .values(**values))
            out.append(new)
    return out


def requeue_dead(engine: Engine, now: datetime, settings: UploadSettings, *, actor: str,
                 enterprise_id: int | None = None) -> int:
    """Put the dead deliveries (of one enterprise, or all) back to ``pending``; audited. How many."""
    ob = gs.gates_upload_outbox
    with engine.begin() as conn:
        where = [ob.c.state == "dead"] + ([ob.c.enterprise_id == enterprise_id] if enterprise_id is not None else [])
        ids = list(conn.execute(select(ob.c.id).where(*where)).scalars())
        for oid in ids:
            new = transition(Delivery(str(oid), "dead"), "requeue", now, settings)
            conn.execute(update(ob).where(ob.c.id == oid, ob.c.state == "dead").values(
                state=new.state, attempts=new.attempts, due_at=new.due_at))
        if ids:
            audit.record(conn, actor, "requeue", "gates_upload", enterprise_id, None, {"deliveries": len(ids)})
    return len(ids)
