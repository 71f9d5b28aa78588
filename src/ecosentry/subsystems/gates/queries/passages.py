"""Latest passages of an enterprise's gates with their gate, picture and the gate decision (the rule's, or the
guard's latest override), for the live view; and whether a picture belongs to a passage the reader may see."""

from __future__ import annotations

from sqlalchemy import Connection, and_, exists, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.schema import (gates_cameras, gates_decisions, gates_enterprises, gates_gates,
                                               gates_ledger, gates_passages, gates_snapshots, gates_vehicles)

__all__ = ["gated_enterprises", "latest_passages", "picture_visible"]

Clause = ColumnElement[bool]


def gated_enterprises(conn: Connection, scope: Clause) -> list[dict]:
    """Enterprises in ``scope`` with a gates registry: id, name, region, grade, time zone; by name."""
    e, g = s.enterprises, gates_enterprises
    stmt = (select(e.c.id, e.c.name, e.c.region_code, g.c.grade, g.c.tz, g.c.small_volume_exempt)
            .join(g, g.c.enterprise_id == e.c.id).where(scope).order_by(e.c.name, e.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def latest_passages(conn: Connection, enterprise_id: int, limit: int = 50) -> list[dict]:
    """The enterprise's latest passages, newest first: time, direction, plate, colour, confidence, picture, the
    gate's name and side flag, the rule's decision (allowed, reason, stage, level, params), the guard's latest
    override if any, the registered stage and whether a ledger row was made."""
    p, g, d = gates_passages, gates_gates, gates_decisions
    rows = [dict(r) for r in conn.execute(
        select(p.c.id, p.c.at, p.c.inbound, p.c.plate, p.c.plate_colour, p.c.confidence, p.c.picture,
               g.c.name.label("gate_name"), g.c.code.label("gate_code"), g.c.side)
        .join(g, g.c.id == p.c.gate_id).where(p.c.enterprise_id == enterprise_id)
        .order_by(p.c.at.desc(), p.c.id.desc()).limit(limit)).mappings()]
    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    decisions: dict[int, dict] = {}
    overrides: dict[int, dict] = {}
    for x in conn.execute(select(d).where(d.c.passage_id.in_(ids)).order_by(d.c.id)).mappings():
        (decisions if x["kind"] == "rule" else overrides)[int(x["passage_id"])] = dict(x)
    in_ledger = set(conn.execute(select(gates_ledger.c.passage_id).where(gates_ledger.c.passage_id.in_(ids))).scalars())
    plates = {r["plate"] for r in rows if r["plate"]}
    stages = dict(conn.execute(select(gates_vehicles.c.plate, gates_vehicles.c.emission_stage).where(
        gates_vehicles.c.enterprise_id == enterprise_id, gates_vehicles.c.plate.in_(sorted(plates)))).all()) if plates else {}
    for r in rows:
        r["decision"] = decisions.get(r["id"])
        r["override"] = overrides.get(r["id"])
        r["in_ledger"] = r["id"] in in_ledger
        r["registered_stage"] = stages.get(r["plate"])
    return rows


def picture_visible(conn: Connection, sha256: str, scope: Clause) -> bool:
    """Whether ``sha256`` is the capture of a passage, a register picture, a camera snapshot or reference view of an
    enterprise in ``scope``."""
    p, v = gates_passages, gates_vehicles
    e = s.enterprises
    by_passage = exists(select(p.c.id).join(e, e.c.id == p.c.enterprise_id).where(p.c.picture == sha256, scope))
    by_vehicle = exists(select(v.c.id).join(e, e.c.id == v.c.enterprise_id).where(
        and_(scope, (v.c.list_picture == sha256) | (v.c.licence_picture == sha256))))
    sn, c = gates_snapshots, gates_cameras
    by_snapshot = exists(select(sn.c.id).join(c, c.c.id == sn.c.camera_id).join(e, e.c.id == c.c.enterprise_id)
                         .where(sn.c.picture == sha256, scope))
    by_reference = exists(select(c.c.id).join(e, e.c.id == c.c.enterprise_id)
                          .where(c.c.reference_picture == sha256, scope))
    return bool(conn.execute(select(by_passage | by_vehicle | by_snapshot | by_reference)).scalar())
