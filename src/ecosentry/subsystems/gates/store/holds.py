"""Legal holds (issue 16 item 6: "nothing deleted earlier"; a record that an inspection or a case needs is not
deleted while it is under way): what the retention job (:mod:`.retention`) must keep whatever its age.

Two sources hold an enterprise's records of a period:

* a **hold** a regulator places (``gates_holds``: enterprise, first and last record time, reason, case reference),
  audited when placed and when released; it stands until released explicitly (``ecosentry vehicles hold`` /
  ``ecosentry vehicles release``);
* an **open supervision case** (督办, the core's ``alarm_disposals``, any state but ``closed``) on a gates alarm:
  the period of every finding that raised or counted in that alarm (``gates_findings.alarm_id``) is held — the
  passages, ledger rows, pictures and snapshots its evidence names lie in it. Closing the case releases it.

A record is held when its enterprise and its time fall in a held period (ends included). The clauses below are
SQL (``EXISTS``), so a retention batch never reads held rows as candidates (a batch of held rows would otherwise
stop the pass before older rows that are due).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, or_, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError

__all__ = ["place_hold", "release_hold", "list_holds", "hold_enterprise", "held", "ENTITY"]

#: The audit log's entity of the holds.
ENTITY = "gate_hold"


def _utc(t: datetime, name: str) -> datetime:
    if t.tzinfo is None:
        raise GatesInputError("", name, N_("a time needs its offset"))
    return t.astimezone(timezone.utc)


def place_hold(engine: Engine, enterprise_id: int, start: datetime, end: datetime, *, reason: str, actor: str,
               case_ref: str | None = None, now: datetime | None = None) -> int:
    """Hold the enterprise's records of ``[start, end]`` (audited); the hold's id."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end < start:
        raise GatesInputError("", "end", N_("the end of a hold comes before its start"))
    if not (reason or "").strip():
        raise GatesInputError("", "reason", N_("a hold needs its reason (the inspection or case)"))
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        if conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.id == enterprise_id)) is None:
            raise GatesInputError("", "enterprise", N_("enterprise %(id)s does not exist"), id=enterprise_id)
        values = {"enterprise_id": enterprise_id, "start": start, "end": end, "reason": reason.strip()[:2000],
                  "case_ref": (case_ref or None) and case_ref[:64], "placed_by": actor[:64], "placed_at": now}
        hold_id = int(conn.execute(gs.gates_holds.insert().values(**values)).inserted_primary_key[0])
        audit.record(conn, actor, "place", ENTITY, hold_id, None, values)
    return hold_id


def release_hold(engine: Engine, hold_id: int, *, actor: str, reason: str = "",
                 now: datetime | None = None) -> dict:
    """Release a standing hold (audited); its row. The next retention pass deletes what is due."""
    h = gs.gates_holds.c
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        row = conn.execute(select(gs.gates_holds).where(h.id == hold_id)).mappings().first()
        if row is None:
            raise GatesInputError("", "hold", N_("hold %(id)s does not exist"), id=hold_id)
        if row["released_at"] is not None:
            raise GatesInputError("", "hold", N_("hold %(id)s was released already"), id=hold_id)
        after = {"released_by": actor[:64], "released_at": now, "release_reason": (reason or "").strip()[:2000] or None}
        conn.execute(update(gs.gates_holds).where(h.id == hold_id, h.released_at.is_(None)).values(**after))
        audit.record(conn, actor, "release", ENTITY, hold_id, {"released_at": None}, after)
        return {**dict(row), **after}


def list_holds(conn: Connection, *, standing: bool = True, enterprise_id: int | None = None) -> list[dict]:
    """The holds (standing only, by default), with the enterprise's name, the newest first."""
    h, e = gs.gates_holds, s.enterprises
    q = select(h, e.c.name.label("enterprise_name"), e.c.credit_code).join(e, e.c.id == h.c.enterprise_id)
    if standing:
        q = q.where(h.c.released_at.is_(None))
    if enterprise_id is not None:
        q = q.where(h.c.enterprise_id == enterprise_id)
    return [dict(r) for r in conn.execute(q.order_by(h.c.placed_at.desc(), h.c.id.desc())).mappings()]


def hold_enterprise(conn: Connection, hold_id: int) -> int | None:
    """The enterprise a hold is on (None: no such hold)."""
    return conn.scalar(select(gs.gates_holds.c.enterprise_id).where(gs.gates_holds.c.id == hold_id))


def held(enterprise_id: ColumnElement, at: ColumnElement) -> ColumnElement[bool]:
    """Whether the record of ``enterprise_id`` at ``at`` (columns of the caller's query) is held: a standing hold,
    or the period of a finding whose alarm has an open supervision case."""
    h, f, d = gs.gates_holds.c, gs.gates_findings.c, s.alarm_disposals.c
    by_hold = exists(select(h.id).where(h.enterprise_id == enterprise_id, h.released_at.is_(None),
                                        h.start <= at, h.end >= at))
    by_case = exists(select(f.id).join(s.alarm_disposals, d.alarm_id == f.alarm_id).where(
        and_(f.enterprise_id == enterprise_id, f.start <= at, f.end >= at, d.state != "closed")))
    return or_(by_hold, by_case)
