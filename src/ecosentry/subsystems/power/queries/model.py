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
from ecosentry.subsystems.power.schema import (power_devices, power_equipment, power_linkage, power_lines,
                                               power_meters)

__all__ = ["StoredEnterprise", "enterprise_model", "enterprise_zone", "metered_enterprises"]


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


def enterprise_zone(conn: Connection, enterprise_id: int, default_tz: str = "Asia/Shanghai") -> str:
    """The enterprise's zone: that of its first power device, else ``default_tz``."""
    d = power_devices
    return conn.execute(select(d.c.tz).where(d.c.enterprise_id == enterprise_id).order_by(d.c.id).limit(1)
                        ).scalar() or default_tz


def metered_enterprises(conn: Connection) -> list[int]:
    """Ids of the enterprises that have power equipment."""
    return [r[0] for r in conn.execute(select(power_equipment.c.enterprise_id).distinct())]


def enterprise_model(conn: Connection, enterprise_id: int, at: datetime, default_tz: str = "Asia/Shanghai"
                     ) -> StoredEnterprise | None:
    """The enterprise as the rules see it at ``at`` (None when it has no power equipment). Its zone is that of
    its first power device (else ``default_tz``); each meter carries its thresholds in force at ``at``."""
    e, m, eq, lk, ln = core.enterprises, power_meters, power_equipment, power_linkage, power_lines
    ent = conn.execute(select(e.c.id, e.c.name, e.c.industry).where(e.c.id == enterprise_id)).first()
    if ent is None:
        return None
    meters = conn.execute(select(m).where(m.c.enterprise_id == enterprise_id).order_by(m.c.id)).mappings().all()
    equipment = conn.execute(select(eq, m.c.code.label("meter_code")).join(m, m.c.id == eq.c.meter_id)
                             .where(eq.c.enterprise_id == enterprise_id).order_by(eq.c.id)).mappings().all()
    if not equipment:
        return None
    tz = enterprise_zone(conn, enterprise_id, default_tz)
    lines = {r.id: r for r in conn.execute(select(ln).where(ln.c.enterprise_id == enterprise_id))}
    code_of = {r["id"]: r["code"] for r in equipment}
    links: dict[int, list] = {}
    grace: dict[int, int | None] = {}
    for r in conn.execute(select(lk).where(lk.c.treatment_id.in_(list(code_of)))):
        if r.production_id in code_of:
            links.setdefault(r.treatment_id, []).append(code_of[r.production_id])
            if r.grace_minutes is not None:
                g = grace.get(r.treatment_id)
                grace[r.treatment_id] = r.grace_minutes if g is None else min(g, r.grace_minutes)
    force = in_force(conn, [r["id"] for r in meters], at)
    rated_eq = {r["meter_id"]: r["rated_kw"] for r in equipment}
    model_meters = []
    for r in meters:
        th = force.get(r["id"])
        model_meters.append(Meter(r["code"], r["ct_ratio"] or 1.0, r["phases"] or 3, r["rated_kw"],
                                  Thresholds(th["on_kw"], th["off_kw"], th["dwell"]) if th else None))
    model_eq = tuple(Equipment(r["code"], r["role"], r["meter_code"], r["name"], r["kind"],
                               lines[r["line_id"]].code if r["line_id"] in lines else None, r["rated_kw"],
                               r["normal_kw"]) for r in equipment)
    model_links = tuple(Linkage(code_of[t_id], tuple(sorted(p)), grace.get(t_id)) for t_id, p in links.items())
    model = Enterprise(str(enterprise_id), ent.name, tz or default_tz, ent.industry or "", 0.0,
                       tuple(Line(r.code, r.name) for r in lines.values()), tuple(model_meters), model_eq,
                       model_links)
    return StoredEnterprise(enterprise_id, model, {r["code"]: r["id"] for r in meters}, force,
                            {r["code"]: r["rated_kw"] or rated_eq.get(r["id"]) for r in meters})
