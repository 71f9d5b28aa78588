"""The stored findings of the checks job (``gates_findings``): per enterprise in a period (the alert-period
dashboard's violations), one finding with its evidence (the passages, ledger rows or snapshots it names), for a
reader's scope (a clause on ``enterprises.id``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.alarms import ALARM_OF_CODE
from ecosentry.subsystems.gates.schema import (gates_cameras, gates_check_state, gates_enterprises, gates_findings,
                                               gates_gates, gates_ledger, gates_passages, gates_snapshots)

__all__ = ["VIOLATION_SEVERITIES", "VIOLATION_CODES", "LEDGER_CODES", "SNAPSHOT_CODES", "findings_in_period", "checked_enterprises",
           "finding_detail", "findings_of_alarm"]

#: The findings the dashboard lists (``info`` ones are notes for the guard).
VIOLATION_SEVERITIES = ("warning", "critical")
#: The codes it counts as violations: those that raise an alarm (a ledger row still lacking its cargo is listed,
#: not counted).
VIOLATION_CODES = tuple(ALARM_OF_CODE)
#: Codes whose evidence ``lines`` / ``line`` name ledger rows (else passages); camera views name snapshots.
LEDGER_CODES = ("VEH-LEDGER-NO-PASSAGE", "VEH-LEDGER-INCOMPLETE", "VEH-LEDGER-STAGE-MISMATCH")
SNAPSHOT_CODES = ("VEH-CAMERA-VIEW",)


def checked_enterprises(conn: Connection, ids: list[int]) -> set[int]:
    """The enterprises the checks job has read at least once."""
    c = gates_check_state.c
    return set(conn.execute(select(c.enterprise_id).where(c.enterprise_id.in_(ids), c.checked_at.is_not(None)))
               .scalars()) if ids else set()


def findings_in_period(conn: Connection, ids: list[int], start: datetime, end: datetime,
                       severities: tuple[str, ...] = VIOLATION_SEVERITIES, limit: int = 500) -> list[dict]:
    """The stored findings of the enterprises ``ids`` that meet ``[start, end)``, the most severe and latest
    first (at most ``limit``)."""
    if not ids:
        return []
    f = gates_findings.c
    rows = conn.execute(select(gates_findings).where(f.enterprise_id.in_(ids), f.start < end, f.end >= start,
                                                     f.severity.in_(severities))
                        .order_by(f.start.desc(), f.id.desc()).limit(limit)).mappings()
    out = [dict(r) for r in rows]
    out.sort(key=lambda r: (r["severity"] != "critical", -r["start"].timestamp()))
    return out


def _ids(evidence: dict) -> list[int]:
    ids = list(evidence.get("lines") or [])
    if isinstance(evidence.get("line"), int):
        ids.append(evidence["line"])
    return [int(x) for x in ids if isinstance(x, int) and x >= 0][:50]


def finding_detail(conn: Connection, scope: ColumnElement[bool], finding_id: int) -> dict | None:
    """One finding the reader may see (else None), with its enterprise's name and time zone and the stored rows its
    evidence names: ``passages`` (time, gate, direction, plate, picture), ``ledger`` (time, direction, plate,
    stage, VIN, cargo) or ``snapshots`` (time, camera, similarity, picture)."""
    e, f = s.enterprises, gates_findings
    row = conn.execute(select(f, e.c.name.label("enterprise_name")).join(e, e.c.id == f.c.enterprise_id)
                       .where(f.c.id == finding_id, scope)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    ge = gates_enterprises
    out["tz"] = conn.scalar(select(ge.c.tz).where(ge.c.enterprise_id == out["enterprise_id"])) or "Asia/Shanghai"
    ids = _ids(out["evidence"] or {})
    out["passages"], out["ledger"], out["snapshots"] = [], [], []
    if not ids:
        return out
    ent = out["enterprise_id"]
    if out["code"] in SNAPSHOT_CODES:
        sn, c = gates_snapshots.c, gates_cameras.c
        out["snapshots"] = [dict(r) for r in conn.execute(
            select(sn.id, sn.at, sn.picture, sn.similarity, sn.blank, c.code.label("camera"))
            .join(gates_cameras, c.id == sn.camera_id).where(sn.id.in_(ids), c.enterprise_id == ent)
            .order_by(sn.at)).mappings()]
    elif out["code"] in LEDGER_CODES:
        lg = gates_ledger.c
        out["ledger"] = [dict(r) for r in conn.execute(
            select(lg.id, lg.at, lg.inbound, lg.plate, lg.emission_stage, lg.vin, lg.cargo, lg.weight_t, lg.source)
            .where(lg.id.in_(ids), lg.enterprise_id == ent).order_by(lg.at)).mappings()]
    else:
        p, g = gates_passages.c, gates_gates.c
        out["passages"] = [dict(r) for r in conn.execute(
            select(p.id, p.at, p.inbound, p.plate, p.picture, g.name.label("gate_name"))
            .join(gates_gates, g.id == p.gate_id).where(p.id.in_(ids), p.enterprise_id == ent)
            .order_by(p.at)).mappings()]
    return out


def findings_of_alarm(conn: Connection, scope: ColumnElement[bool], alarm_id: int, limit: int = 20) -> list[dict]:
    """The stored findings that raised or counted in the alarm, in the reader's scope, the latest first."""
    e, f = s.enterprises, gates_findings
    return [dict(r) for r in conn.execute(
        select(f, e.c.name.label("enterprise_name"), gates_enterprises.c.tz)
        .join(e, e.c.id == f.c.enterprise_id).join(gates_enterprises, gates_enterprises.c.enterprise_id == e.c.id)
        .where(f.c.alarm_id == alarm_id, scope).order_by(f.c.start.desc(), f.c.id.desc()).limit(limit)).mappings()]
