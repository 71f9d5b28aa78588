"""Read model of the electricity registry: the enterprises with metered equipment a principal sees, their
devices, meters, lines, equipment and linkage, and the on/off thresholds in force at a time.

The scope comes in as a ``WHERE`` clause on an enterprise-id column that the caller builds from its principal
(``principal.enterprise_clause(...)``); this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.power.schema import (power_devices, power_enterprises, power_equipment, power_linkage,
                                               power_lines, power_meters, power_thresholds)

__all__ = ["metered_enterprises", "enterprise_head", "enterprise_zone", "devices_of", "meters_of", "lines_of",
           "equipment_of", "linkage_of", "thresholds_in_force", "threshold_versions", "row_of", "TABLES",
           "enterprise_settings", "DEFAULT_SETTINGS"]

#: An enterprise's power settings when none are stored: no unmetered load, a day plant.
DEFAULT_SETTINGS = {"unmetered_kw": 0.0, "schedule": "day", "updated_by": None, "updated_at": None}


def enterprise_settings(conn: Connection, enterprise_ids: list[int]) -> dict[int, dict]:
    """Per enterprise id its power settings (``power_enterprises``: ``unmetered_kw``, ``schedule``, who and when
    changed them), :data:`DEFAULT_SETTINGS` for one without a row."""
    ids = list(enterprise_ids)
    out = {i: dict(DEFAULT_SETTINGS) for i in ids}
    t = power_enterprises
    for i in range(0, len(ids), 500):
        for r in conn.execute(select(t).where(t.c.enterprise_id.in_(ids[i:i + 500]))).mappings():
            out[r["enterprise_id"]] = {k: r[k] for k in DEFAULT_SETTINGS}
    return out

Clause = ColumnElement[bool]

#: Editable registry tables by the slug of their pages.
TABLES = {"devices": power_devices, "meters": power_meters, "lines": power_lines, "equipment": power_equipment}


def metered_enterprises(conn: Connection, scope: Clause, *, q: str | None = None,
                        regions: list[str] | None = None) -> list[dict]:
    """Enterprises in ``scope`` with at least one power meter or piece of equipment, by name: id, name,
    credit code, industry, region code and name."""
    e, r = s.enterprises, s.regions
    has = or_(e.c.id.in_(select(power_meters.c.enterprise_id)), e.c.id.in_(select(power_equipment.c.enterprise_id)))
    stmt = (select(e.c.id, e.c.name, e.c.credit_code, e.c.industry, e.c.region_code, r.c.name.label("region_name"))
            .join(r, r.c.code == e.c.region_code).where(scope, has).order_by(e.c.name, e.c.id))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(e.c.name.ilike(like), e.c.credit_code.ilike(like), e.c.industry.ilike(like)))
    if regions is not None:
        stmt = stmt.where(e.c.region_code.in_(regions))
    return [dict(x) for x in conn.execute(stmt).mappings()]


def enterprise_head(conn: Connection, enterprise_id: int) -> dict | None:
    """Name, credit code, industry and region of one enterprise (no scope: the caller checked it)."""
    e, r = s.enterprises, s.regions
    row = conn.execute(select(e.c.id, e.c.name, e.c.credit_code, e.c.industry, e.c.region_code,
                              r.c.name.label("region_name")).join(r, r.c.code == e.c.region_code)
                       .where(e.c.id == enterprise_id)).mappings().first()
    return dict(row) if row else None


def enterprise_zone(conn: Connection, enterprise_id: int, default: str = "Asia/Shanghai") -> str:
    """The enterprise's local zone: its power devices' (the loggers send local time), else ``default``."""
    tz = conn.execute(select(power_devices.c.tz).where(power_devices.c.enterprise_id == enterprise_id)
                      .order_by(power_devices.c.id).limit(1)).scalar()
    return tz or default


def devices_of(conn: Connection, enterprise_id: int) -> list[dict]:
    d = power_devices
    cols = [c for c in d.c if c.name not in ("password", "mqtt_secret_hash")]
    return [dict(x) for x in conn.execute(select(*cols).where(d.c.enterprise_id == enterprise_id)
                                          .order_by(d.c.mn)).mappings()]


def meters_of(conn: Connection, enterprise_id: int) -> list[dict]:
    m, d = power_meters, power_devices
    stmt = (select(m, d.c.mn.label("device_mn")).select_from(m.outerjoin(d, d.c.id == m.c.device_id))
            .where(m.c.enterprise_id == enterprise_id).order_by(m.c.code))
    return [dict(x) for x in conn.execute(stmt).mappings()]


def lines_of(conn: Connection, enterprise_id: int) -> list[dict]:
    ln = power_lines
    return [dict(x) for x in conn.execute(select(ln).where(ln.c.enterprise_id == enterprise_id)
                                          .order_by(ln.c.code)).mappings()]


def equipment_of(conn: Connection, enterprise_id: int | list[int]) -> list[dict]:
    """The enterprise's equipment with its meter (code, channel, CT ratio, rated power) and line name;
    production first, then treatment, then the total meter, each by code."""
    q, m, ln = power_equipment, power_meters, power_lines
    stmt = (select(q, m.c.code.label("meter_code"), m.c.channel, m.c.ct_ratio, m.c.phases,
                   m.c.rated_kw.label("meter_rated_kw"), ln.c.code.label("line_code"), ln.c.name.label("line_name"))
            .select_from(q.outerjoin(m, m.c.id == q.c.meter_id).outerjoin(ln, ln.c.id == q.c.line_id))
            .where(q.c.enterprise_id.in_(enterprise_id if isinstance(enterprise_id, list) else [enterprise_id])))
    rows = [dict(x) for x in conn.execute(stmt).mappings()]
    order = {"production": 0, "treatment": 1, "total": 2}
    return sorted(rows, key=lambda x: (order.get(x["role"], 3), x["code"]))


def linkage_of(conn: Connection, enterprise_id: int) -> list[dict]:
    """Every (treatment, production) pair of the enterprise with its grace window (None: the setting's)."""
    lk, t, p = power_linkage, power_equipment.alias("t"), power_equipment.alias("p")
    stmt = (select(lk.c.treatment_id, lk.c.production_id, lk.c.grace_minutes, t.c.code.label("treatment_code"),
                   t.c.name.label("treatment_name"), p.c.code.label("production_code"),
                   p.c.name.label("production_name"))
            .join(t, t.c.id == lk.c.treatment_id).join(p, p.c.id == lk.c.production_id)
            .where(t.c.enterprise_id == enterprise_id).order_by(t.c.code, p.c.code))
    return [dict(x) for x in conn.execute(stmt).mappings()]


def thresholds_in_force(conn: Connection, meter_ids: list[int], at: datetime) -> dict[int, dict]:
    """Per meter the threshold version in force at ``at``: the highest version whose ``valid_from`` ≤ ``at``
    (on_kw, off_kw, dwell, source, version, valid_from). Meters without one are absent."""
    if not meter_ids:
        return {}
    th = power_thresholds
    latest = (select(th.c.meter_id, func.max(th.c.version).label("version"))
              .where(th.c.meter_id.in_(meter_ids), th.c.valid_from <= at).group_by(th.c.meter_id).subquery())
    stmt = select(th).join(latest, (latest.c.meter_id == th.c.meter_id) & (latest.c.version == th.c.version))
    return {x["meter_id"]: dict(x) for x in conn.execute(stmt).mappings()}


def threshold_versions(conn: Connection, meter_ids: list[int], t0: datetime, t1: datetime
                       ) -> dict[int, list[tuple[datetime, dict]]]:
    """Per meter the versions in force during ``[t0, t1)``, as ``(from, row)`` in time order: the one in force
    at ``t0`` (from ``t0``), then at each later ``valid_from`` the highest version valid by then (a version
    set later with an earlier ``valid_from`` replaces the older ones from its ``valid_from`` on)."""
    if not meter_ids:
        return {}
    th = power_thresholds
    rows = conn.execute(select(th).where(th.c.meter_id.in_(meter_ids), th.c.valid_from < t1)
                        .order_by(th.c.meter_id, th.c.version)).mappings().all()
    by_meter: dict[int, list[dict]] = {}
    for r in rows:
        by_meter.setdefault(r["meter_id"], []).append(dict(r))
    out: dict[int, list[tuple[datetime, dict]]] = {}
    for meter, versions in by_meter.items():
        points = sorted({t0} | {v["valid_from"] for v in versions if t0 < v["valid_from"] < t1})
        seq: list[tuple[datetime, dict]] = []
        for p in points:
            valid = [v for v in versions if v["valid_from"] <= p]
            if valid:
                best = max(valid, key=lambda v: v["version"])
                if not seq or seq[-1][1]["version"] != best["version"]:
                    seq.append((p, best))
        if seq:
            out[meter] = seq
    return out


def row_of(conn: Connection, slug: str, row_id: int) -> dict | None:
    """One row of an editable table (``TABLES``) by id; a device without its secrets."""
    t = TABLES[slug]
    cols = [c for c in t.c if c.name not in ("password", "mqtt_secret_hash")]
    got = conn.execute(select(*cols).where(t.c.id == row_id)).mappings().first()
    return dict(got) if got else None


