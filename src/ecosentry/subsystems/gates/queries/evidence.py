"""Read model of a gate alarm's evidence pack (证据包): the findings that raised or counted in the alarm, the
enterprise's passages and ledger rows of the data window, its cameras' snapshots, the heavy-pollution alerts over
its region (:mod:`ecosentry.subsystems.gates.reports.evidence` builds the pack's section; this module only reads).

The passage as stored is the record of what the gate device pushed (``gates_passages`` keeps every field of the
event and the capture's SHA-256, :mod:`..pipeline.sink`); the push's JSON is not copied into ``raw_frames``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, or_, select

from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.subsystems.gates.schema import (gates_cameras, gates_decisions, gates_devices, gates_enterprises,
                                               gates_findings, gates_gates, gates_heartbeats, gates_ledger,
                                               gates_passages, gates_pictures, gates_snapshots, gates_vehicles)

__all__ = ["enterprise_of", "alarm_findings", "window_traffic", "window_passages", "window_ledger",
           "window_snapshots", "device_signs", "window_alerts"]


def enterprise_of(conn: Connection, enterprise_id: int) -> dict | None:
    """The enterprise's name, region, grade and time zone (``None``: it has no gates registry)."""
    e, g = s.enterprises, gates_enterprises
    row = conn.execute(select(e.c.name, e.c.region_code, g.c.grade, g.c.tz).join(g, g.c.enterprise_id == e.c.id)
                       .where(e.c.id == enterprise_id)).mappings().first()
    return dict(row) if row else None


def alarm_findings(conn: Connection, alarm_id: int, finding_id: int | None, limit: int = 50) -> list[dict]:
    """The stored findings that raised or counted in the alarm (and the one its evidence names), oldest first."""
    f = gates_findings.c
    which = f.alarm_id == alarm_id if finding_id is None else or_(f.alarm_id == alarm_id, f.id == finding_id)
    return [dict(r) for r in conn.execute(select(gates_findings).where(which).order_by(f.start, f.id)
                                          .limit(limit)).mappings()]


def window_traffic(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime) -> list[dict]:
    """Every passage of ``[t0, t1)`` in brief (for the counts and the hourly chart), oldest first: time, direction,
    side gate, the rule's decision (allowed: True, False, None to complete) and its ledger row's stage
    (``in_ledger`` False: no ledger row)."""
    p, g, lg, d = gates_passages, gates_gates, gates_ledger, gates_decisions
    return [dict(r) for r in conn.execute(
        select(p.c.at, p.c.inbound, g.c.side, d.c.allowed, lg.c.id.is_not(None).label("in_ledger"),
               lg.c.emission_stage.label("stage"))
        .select_from(p.join(g, g.c.id == p.c.gate_id)
                     .outerjoin(d, (d.c.passage_id == p.c.id) & (d.c.kind == "rule"))
                     .outerjoin(lg, lg.c.passage_id == p.c.id))
        .where(p.c.enterprise_id == enterprise_id, p.c.at >= t0, p.c.at < t1).order_by(p.c.at, p.c.id)).mappings()]


def window_passages(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime, named: list[int],
                    limit: int) -> tuple[list[dict], int]:
    """The enterprise's passages of ``[t0, t1)``, oldest first: those the findings name, then the others up to
    ``limit``; and how many the window holds. Each with its gate, the capture (SHA-256, size when stored), the rule's
    decision at the gate and the guard's latest override or completion (``override``), its ledger row (id, stage,
    fuel) and the register's stage and fuel of the plate."""
    p, g, lg, pic = gates_passages, gates_gates, gates_ledger, gates_pictures
    where = (p.c.enterprise_id == enterprise_id, p.c.at >= t0, p.c.at < t1)
    total = int(conn.execute(select(func.count()).select_from(p).where(*where)).scalar_one())
    cols = (p.c.id, p.c.at, p.c.received_at, p.c.inbound, p.c.plate, p.c.plate_colour, p.c.confidence, p.c.picture,
            pic.c.size.label("picture_size"), g.c.code.label("gate_code"), g.c.name.label("gate_name"), g.c.side,
            lg.c.id.label("ledger_id"), lg.c.emission_stage.label("ledger_stage"), lg.c.fuel.label("ledger_fuel"))
    base = (select(*cols).select_from(p.join(g, g.c.id == p.c.gate_id).outerjoin(pic, pic.c.sha256 == p.c.picture)
                                      .outerjoin(lg, lg.c.passage_id == p.c.id)))
    rows: dict[int, dict] = {}
    if named:
        for r in conn.execute(base.where(p.c.enterprise_id == enterprise_id, p.c.id.in_(named[:limit]))).mappings():
            rows[int(r["id"])] = dict(r)
    more = max(0, limit - len(rows))
    if more:
        for r in conn.execute(base.where(*where).order_by(p.c.at, p.c.id).limit(limit)).mappings():
            if len(rows) >= limit:
                break
            rows.setdefault(int(r["id"]), dict(r))
    out = sorted(rows.values(), key=lambda r: (r["at"], r["id"]))
    if not out:
        return out, total
    ids = [r["id"] for r in out]
    d = gates_decisions
    decisions: dict[int, dict] = {}
    overrides: dict[int, dict] = {}
    for x in conn.execute(select(d.c.passage_id, d.c.kind, d.c.allowed, d.c.reason, d.c.stage, d.c.level,
                                 d.c.params, d.c.operator).where(d.c.passage_id.in_(ids)).order_by(d.c.id)).mappings():
        (decisions if x["kind"] == "rule" else overrides)[int(x["passage_id"])] = dict(x)
    v = gates_vehicles
    plates = sorted({r["plate"] for r in out if r["plate"]})
    register = {x["plate"]: dict(x) for x in conn.execute(
        select(v.c.plate, v.c.emission_stage, v.c.fuel).where(v.c.enterprise_id == enterprise_id,
                                                              v.c.plate.in_(plates))).mappings()} if plates else {}
    for r in out:
        r["decision"] = decisions.get(r["id"])
        r["override"] = overrides.get(r["id"])
        r["register"] = register.get(r["plate"])
        r["named"] = r["id"] in named
    return out, total


def window_ledger(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime, named: list[int],
                  limit: int) -> tuple[list[dict], int]:
    """The enterprise's ledger rows (电子台账) of ``[t0, t1)`` and those the findings name, oldest first, at most
    ``limit`` (the named ones first); and how many the window holds. Each with the gate of its camera passage."""
    lg, p, g = gates_ledger, gates_passages, gates_gates
    where = (lg.c.enterprise_id == enterprise_id, lg.c.at >= t0, lg.c.at < t1)
    total = int(conn.execute(select(func.count()).select_from(lg).where(*where)).scalar_one())
    base = (select(lg, g.c.code.label("gate_code"), g.c.name.label("gate_name"))
            .select_from(lg.outerjoin(p, p.c.id == lg.c.passage_id).outerjoin(g, g.c.id == p.c.gate_id)))
    rows: dict[int, dict] = {}
    if named:
        for r in conn.execute(base.where(lg.c.enterprise_id == enterprise_id, lg.c.id.in_(named[:limit]))).mappings():
            rows[int(r["id"])] = dict(r)
    if len(rows) < limit:
        for r in conn.execute(base.where(*where).order_by(lg.c.at, lg.c.id).limit(limit)).mappings():
            if len(rows) >= limit:
                break
            rows.setdefault(int(r["id"]), dict(r))
    out = sorted(rows.values(), key=lambda r: (r["at"], r["id"]))
    for r in out:
        r["named"] = r["id"] in named
    return out, total


def window_snapshots(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime, limit: int) -> list[dict]:
    """The snapshots of the enterprise's cameras taken in ``[t0, t1)``, oldest first (at most ``limit``): camera,
    time, picture SHA-256, similarity to the reference view and whether blank, when compared."""
    sn, c = gates_snapshots, gates_cameras
    return [dict(r) for r in conn.execute(
        select(sn.c.id, sn.c.at, sn.c.picture, sn.c.similarity, sn.c.blank, c.c.code.label("camera"),
               c.c.reference_picture).join(c, c.c.id == sn.c.camera_id)
        .where(c.c.enterprise_id == enterprise_id, sn.c.at >= t0, sn.c.at < t1)
        .order_by(sn.c.at, sn.c.id).limit(limit)).mappings()]


def device_signs(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime, start: datetime,
                 end: datetime) -> list[dict]:
    """Per gate device of the enterprise, its signs of life around a silence ``[start, end]``: heartbeats and
    heartbeats reporting a fault (status not ``ok``) in ``[t0, t1)``, the last heartbeat or passage at or before
    ``start`` and the first at or after ``end`` (a silence runs from one sign of life to the next); by gate and
    device."""
    d, g, h, p = gates_devices, gates_gates, gates_heartbeats, gates_passages
    out = []
    for dev in conn.execute(select(d.c.id, d.c.code, d.c.active, g.c.code.label("gate_code"),
                                   g.c.name.label("gate_name")).join(g, g.c.id == d.c.gate_id)
                            .where(g.c.enterprise_id == enterprise_id).order_by(g.c.code, d.c.code)).mappings():
        row = dict(dev)
        in_window = (h.c.device_id == dev["id"], h.c.at >= t0, h.c.at < t1)
        row["heartbeats"] = int(conn.execute(select(func.count()).select_from(h).where(*in_window)).scalar_one())
        row["faults"] = int(conn.execute(select(func.count()).select_from(h).where(*in_window, h.c.status != "ok"))
                            .scalar_one())
        row["last_before"] = max([x for x in (
            conn.scalar(select(func.max(h.c.at)).where(h.c.device_id == dev["id"], h.c.at <= start)),
            conn.scalar(select(func.max(p.c.at)).where(p.c.device_id == dev["id"], p.c.at <= start))) if x is not None],
            default=None)
        row["first_after"] = min([x for x in (
            conn.scalar(select(func.min(h.c.at)).where(h.c.device_id == dev["id"], h.c.at >= end)),
            conn.scalar(select(func.min(p.c.at)).where(p.c.device_id == dev["id"], p.c.at >= end))) if x is not None],
            default=None)
        out.append(row)
    return out


def window_alerts(conn: Connection, region_code: str | None, t0: datetime, t1: datetime) -> list[dict]:
    """The heavy-pollution alerts that meet ``[t0, t1)`` over the enterprise's region (issued for it or a region
    above it), by start, with the issuing region's name."""
    if not region_code:
        return []
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    return [a | {"region_name": names.get(a["region_code"], a["region_code"])}
            for a in alerts_overlapping(conn, t0, t1, region_ancestry(conn, region_code))]
