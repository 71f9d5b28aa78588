"""Read model of an enterprise's metering as the rules see it: the tables (``power_meters``,
``power_equipment``, ``power_linkage``, ``power_lines``) → a :class:`ecosentry.subsystems.power.registry.Enterprise`
(codes as ids) with each meter's thresholds in force at a time, and the database ids behind the codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from ecosentry.store import schema as core
from ecosentry.subsystems.power.queries.thresholds import in_force
from ecosentry.subsystems.power.registry import Enterprise, Equipment, Line, Linkage, Meter
from ecosentry.subsystems.power.rules.state import Thresholds
from ecosentry.subsystems.power.queries.registry import enterprise_settings, enterprise_zone
from ecosentry.subsystems.power.schema import (power_devices, power_equipment, power_linkage, power_lines,
                                               power_meters)

__all__ = ["StoredEnterprise", "enterprise_model", "enterprise_models", "enterprise_zone", "metered_enterprises"]


@dataclass(frozen=True)
class StoredEnterprise:
    """The model of one enterprise and the database ids behind its codes."""

    id: int
    model: Enterprise
    #: meter code → power_meters.id
    meter_ids: dict[str, int] = field(default_factory=dict)
    #: power_meters.id → its version in force (row of power_thresholds), if any
    thresholds: dict[int, dict] = field(default_factory=dict)
    #: meter code → rated kW (meter's, else its equipment's)
    rated_kw: dict[str, float | None] = field(default_factory=dict)

    @property
    def meter_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.meter_ids.items()}


def metered_enterprises(conn: Connection) -> list[int]:
    """Ids of the enterprises that have power equipment."""
    return [r[0] for r in conn.execute(select(power_equipment.c.enterprise_id).distinct())]


def enterprise_model(conn: Connection, enterprise_id: int, at: datetime, default_tz: str = "Asia/Shanghai"
                     ) -> StoredEnterprise | None:
    """The enterprise as the rules see it at ``at`` (None when it has no power equipment). Its zone is that of
    its first power device (else ``default_tz``); each meter carries its thresholds in force at ``at``."""
    return enterprise_models(conn, [enterprise_id], at, default_tz).get(enterprise_id)


def enterprise_models(conn: Connection, enterprise_ids: list[int], at: datetime,
                      default_tz: str = "Asia/Shanghai") -> dict[int, StoredEnterprise]:
    """:func:`enterprise_model` of many enterprises in one query per table (a pass of the engine reads them
    together); enterprises without power equipment are absent."""
    out: dict[int, StoredEnterprise] = {}
    ids = list(dict.fromkeys(enterprise_ids))
    for i in range(0, len(ids), 500):
        out.update(_models(conn, ids[i:i + 500], at, default_tz))
    return out


def _models(conn: Connection, ids: list[int], at: datetime, default_tz: str) -> dict[int, StoredEnterprise]:
    e, m, eq, lk, ln, d = core.enterprises, power_meters, power_equipment, power_linkage, power_lines, power_devices
    ents = {r.id: r for r in conn.execute(select(e.c.id, e.c.name, e.c.industry).where(e.c.id.in_(ids)))}
    meters: dict[int, list] = {}
    for r in conn.execute(select(m).where(m.c.enterprise_id.in_(ids)).order_by(m.c.id)).mappings():
        meters.setdefault(r["enterprise_id"], []).append(r)
    equipment: dict[int, list] = {}
    for r in conn.execute(select(eq, m.c.code.label("meter_code")).join(m, m.c.id == eq.c.meter_id)
                          .where(eq.c.enterprise_id.in_(ids)).order_by(eq.c.id)).mappings():
        equipment.setdefault(r["enterprise_id"], []).append(r)
    zones: dict[int, str] = {}
    for eid, tz in conn.execute(select(d.c.enterprise_id, d.c.tz).where(d.c.enterprise_id.in_(ids))
                                .order_by(d.c.id)):
        zones.setdefault(eid, tz)
    lines: dict[int, dict] = {}
    for r in conn.execute(select(ln).where(ln.c.enterprise_id.in_(ids))):
        lines.setdefault(r.enterprise_id, {})[r.id] = r
    eq_ids = [r["id"] for rows in equipment.values() for r in rows]
    linkage = conn.execute(select(lk).where(lk.c.treatment_id.in_(eq_ids))).all() if eq_ids else []
    force = in_force(conn, [r["id"] for rows in meters.values() for r in rows], at)
    settings = enterprise_settings(conn, list(ents))
    out = {}
    for eid, ent in ents.items():
        if equipment.get(eid):
            out[eid] = _assemble(eid, ent, meters.get(eid, []), equipment[eid], lines.get(eid, {}), linkage,
                                 force, zones.get(eid) or default_tz, settings[eid])
    return out


def _assemble(enterprise_id: int, ent, meters: list, equipment: list, lines: dict, linkage, force: dict,
              tz: str, settings: dict) -> StoredEnterprise:
    code_of = {r["id"]: r["code"] for r in equipment}
    links: dict[int, list] = {}
    grace: dict[int, int | None] = {}
    for r in linkage:
        if r.treatment_id in code_of and r.production_id in code_of:
            links.setdefault(r.treatment_id, []).append(code_of[r.production_id])
            if r.grace_minutes is not None:
                g = grace.get(r.treatment_id)
                grace[r.treatment_id] = r.grace_minutes if g is None else min(g, r.grace_minutes)
    rated_eq = {r["meter_id"]: r["rated_kw"] for r in equipment}
    model_meters = []
    for r in meters:
        th = force.get(r["id"])
        model_meters.append(Meter(r["code"], r["ct_ratio"] or 1.0, r["phases"] or 3, r["rated_kw"],
                                  Thresholds(th["on_kw"], th["off_kw"], th["dwell"], th.get("dwell_off"))
                                  if th else None))
    model_eq = tuple(Equipment(r["code"], r["role"], r["meter_code"], r["name"], r["kind"],
                               lines[r["line_id"]].code if r["line_id"] in lines else None, r["rated_kw"],
                               r["normal_kw"]) for r in equipment)
    model_links = tuple(Linkage(code_of[t_id], tuple(sorted(p)), grace.get(t_id)) for t_id, p in links.items())
    model = Enterprise(str(enterprise_id), ent.name, tz, ent.industry or "", float(settings["unmetered_kw"] or 0.0),
                       tuple(Line(r.code, r.name) for r in lines.values()), tuple(model_meters), model_eq,
                       model_links, schedule=settings["schedule"])
    mine = {r["id"] for r in meters}
    return StoredEnterprise(enterprise_id, model, {r["code"]: r["id"] for r in meters},
                            {k: v for k, v in force.items() if k in mine},
                            {r["code"]: r["rated_kw"] or rated_eq.get(r["id"]) for r in meters})
