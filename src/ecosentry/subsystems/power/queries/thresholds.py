"""Read model of the meters' thresholds (``power_thresholds``): the version in force at a time, per meter, and
a meter's history (every version, learned or set, with who, when, why and what the learning saw)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, func, select

from ecosentry.store import schema as core
from ecosentry.subsystems.power.schema import power_devices, power_equipment, power_meters, power_thresholds

__all__ = ["in_force", "history", "meters_with_thresholds", "meter", "enterprise_name"]

t = power_thresholds


def in_force(conn: Connection, meter_ids: Iterable[int], at: datetime) -> dict[int, dict]:
    """Per meter id, the version in force at ``at``: the highest version whose ``valid_from`` ≤ ``at`` (a
    later version with an earlier ``valid_from`` replaces an earlier one: the newest decision wins)."""
    ids = list(meter_ids)
    if not ids:
        return {}
    newest = (select(t.c.meter_id, func.max(t.c.version).label("version"))
              .where(t.c.meter_id.in_(ids), t.c.valid_from <= at).group_by(t.c.meter_id).subquery())
    rows = conn.execute(select(t).join(newest, and_(newest.c.meter_id == t.c.meter_id,
                                                    newest.c.version == t.c.version))).mappings()
    return {r["meter_id"]: dict(r) for r in rows}


def history(conn: Connection, meter_id: int) -> list[dict]:
    """Every version of a meter's thresholds, newest first."""
    return [dict(r) for r in conn.execute(select(t).where(t.c.meter_id == meter_id)
                                          .order_by(t.c.version.desc())).mappings()]


def meter(conn: Connection, meter_id: int) -> dict | None:
    """A meter with its enterprise's name and the equipment it measures (None when unknown)."""
    m, e, eq, d = power_meters, core.enterprises, power_equipment, power_devices
    row = conn.execute(select(m, e.c.name.label("enterprise_name"), e.c.region_code,
                              eq.c.code.label("equipment_code"), eq.c.name.label("equipment_name"),
                              eq.c.role.label("equipment_role"), d.c.tz)
                       .join(e, e.c.id == m.c.enterprise_id).outerjoin(eq, eq.c.meter_id == m.c.id)
                       .outerjoin(d, d.c.id == m.c.device_id)
                       .where(m.c.id == meter_id)).mappings().first()
    return dict(row) if row else None


def enterprise_name(conn: Connection, enterprise_id: int) -> str | None:
    return conn.execute(select(core.enterprises.c.name).where(core.enterprises.c.id == enterprise_id)).scalar()


def meters_with_thresholds(conn: Connection, enterprise_id: int, at: datetime) -> list[dict]:
    """The enterprise's meters (by code) with the equipment they measure and their version in force."""
    m, eq = power_meters, power_equipment
    rows = [dict(r) for r in conn.execute(
        select(m.c.id, m.c.code, m.c.rated_kw, eq.c.code.label("equipment_code"),
               eq.c.name.label("equipment_name"), eq.c.role.label("equipment_role"))
        .outerjoin(eq, eq.c.meter_id == m.c.id).where(m.c.enterprise_id == enterprise_id)
        .order_by(m.c.code)).mappings()]
    force = in_force(conn, [r["id"] for r in rows], at)
    for r in rows:
        r["in_force"] = force.get(r["id"])
    return rows
