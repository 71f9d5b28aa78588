"""Ledger search (电子台账): rows of the enterprises in scope, filtered by enterprise, plate, time range,
emission stage or the rows whose stage the guard must still complete; newest first, with the enterprise's name,
time zone and the gate of the camera passage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.schema import gates_enterprises, gates_gates, gates_ledger, gates_passages

__all__ = ["LedgerFilter", "search_ledger"]

Clause = ColumnElement[bool]


@dataclass(frozen=True)
class LedgerFilter:
    enterprise_id: int | None = None
    plate: str = ""  # a part of the plate
    start: datetime | None = None  # aware
    end: datetime | None = None
    stage: str = ""  # 0–6, d; empty for any
    unknown_stage: bool = False


def search_ledger(conn: Connection, scope: Clause, f: LedgerFilter, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[dict], int]:
    """Matching rows (newest first) and how many match in all. ``scope`` is a clause on ``enterprises.id``."""
    lg, e, ge = gates_ledger, s.enterprises, gates_enterprises
    where = [scope]
    if f.enterprise_id is not None:
        where.append(lg.c.enterprise_id == f.enterprise_id)
    if f.plate:
        where.append(lg.c.plate.contains(f.plate.strip().upper(), autoescape=True))
    if f.start is not None:
        where.append(lg.c.at >= f.start)
    if f.end is not None:
        where.append(lg.c.at < f.end)
    if f.stage:
        where.append(lg.c.emission_stage == f.stage)
    if f.unknown_stage:
        where.append(lg.c.stage_unknown.is_(True))
    base = lg.join(e, e.c.id == lg.c.enterprise_id)
    total = conn.execute(select(func.count()).select_from(base).where(*where)).scalar_one()
    p, g = gates_passages, gates_gates
    stmt = (select(lg, e.c.name.label("enterprise_name"), ge.c.tz, g.c.name.label("gate_name"))
            .select_from(base.outerjoin(ge, ge.c.enterprise_id == lg.c.enterprise_id)
                         .outerjoin(p, p.c.id == lg.c.passage_id).outerjoin(g, g.c.id == p.c.gate_id))
            .where(*where).order_by(lg.c.at.desc(), lg.c.id.desc()).limit(limit).offset(offset))
    return [dict(r) for r in conn.execute(stmt).mappings()], int(total)
