"""Read model of the heavy-pollution emergency measures: each enterprise's emission-reduction list
(``power_measures``), its edited baselines (``power_baselines``) and :func:`orders_for`, the stop and limit
orders it must carry out in a period (the live engine, the compliance read model and the pages use it).

**The baseline of an enterprise for an alert** is decided here only (:func:`edited_baseline`,
:func:`order_baseline`): the alert's own edited baseline, else the enterprise's standing one, else none (the
rules compute it from the normal days before the order). An edited baseline is the hourly energy of the
enterprise's production (its production units but the safety loads; a total meter when it has none), so it
judges a limit order only when the order names all of them; :func:`orders_for` puts it on each such order
(``Order.baseline_kwh``), so the live engine and the compliance read model judge with the same numbers.

How levels, safety loads and overlapping alerts combine is the pure rule :mod:`..rules.measures`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.rules.measures import Measure, governing_spans, orders_in_spans
from ecosentry.subsystems.power.rules.orders import Order
from ecosentry.subsystems.power.queries.registry import enterprise_zone

__all__ = ["DEFAULT_TZ", "enterprise_row", "enterprise_zone", "equipment_rows", "measure_rows", "declared_measures",
           "orders_for", "latest_alert", "baseline_rows", "edited_baseline", "enterprises_with_measures",
           "baseline_units", "order_baseline"]

DEFAULT_TZ = "Asia/Shanghai"


def enterprise_row(conn: Connection, enterprise_id: int) -> dict | None:
    """The core enterprise (id, credit_code, name, industry, region_code) with its region's name, or None."""
    e, r = s.enterprises, s.regions
    row = conn.execute(select(e.c.id, e.c.credit_code, e.c.name, e.c.industry, e.c.region_code,
                              r.c.name.label("region_name"))
                       .join_from(e, r, e.c.region_code == r.c.code).where(e.c.id == enterprise_id)).mappings().first()
    return dict(row) if row else None


def equipment_rows(conn: Connection, enterprise_id: int) -> list[dict]:
    """The enterprise's equipment (code, name, role, meter, rated/normal kW, safety load), by code."""
    q = ps.power_equipment
    return [dict(r) for r in conn.execute(select(q).where(q.c.enterprise_id == enterprise_id)
                                          .order_by(q.c.code)).mappings()]


def measure_rows(conn: Connection, enterprise_id: int) -> list[dict]:
    """The emission-reduction list as stored: level, equipment (code, name, role, safety load), measure, share."""
    m, q = ps.power_measures, ps.power_equipment
    rows = conn.execute(select(m, q.c.code.label("equipment_code"), q.c.name.label("equipment_name"),
                               q.c.role, q.c.safety_load)
                        .join_from(m, q, m.c.equipment_id == q.c.id).where(m.c.enterprise_id == enterprise_id)
                        .order_by(m.c.level, q.c.code)).mappings()
    return [dict(r) for r in rows]


def declared_measures(conn: Connection, enterprise_id: int) -> list[Measure]:
    return [Measure(r["equipment_code"], r["level"], r["measure"], r["limit_pct"], bool(r["safety_load"]))
            for r in measure_rows(conn, enterprise_id)]


def orders_for(conn: Connection, enterprise_id: int, start: datetime, end: datetime) -> list[Order]:
    """The orders the enterprise must carry out in [start, end): the heavy-pollution alerts covering its region
    (issued for it or a region above it) × its declared measures (:mod:`..rules.measures`). Each order carries
    its alert's id and level; times are aware (UTC). Empty when the enterprise has no measures or no alert."""
    ent = enterprise_row(conn, enterprise_id)
    if ent is None:
        return []
    measures = declared_measures(conn, enterprise_id)
    if not measures:
        return []
    alerts = alerts_overlapping(conn, start, end, region_ancestry(conn, ent["region_code"]))
    orders = orders_in_spans(ent["credit_code"], measures, governing_spans(alerts, start, end))
    if not any(o.measure == "limit" for o in orders):
        return orders
    units = baseline_units(equipment_rows(conn, enterprise_id))
    rows = baseline_rows(conn, enterprise_id)
    return [replace(o, baseline_kwh=order_baseline(rows, o, units)) for o in orders]


def baseline_units(equipment: list[dict]) -> set[str]:
    """Codes of the units whose energy an edited baseline is: the production units but the safety loads, else
    the total meters."""
    production = {e["code"] for e in equipment if e["role"] == "production" and not e["safety_load"]}
    return production or {e["code"] for e in equipment if e["role"] == "total"}


def order_baseline(rows: list[dict], order: Order, units: set[str]) -> tuple[float, ...] | None:
    """The edited baseline (24 kWh) that judges a limit order: its alert's own, else the standing one, and only
    when the order names every unit of :func:`baseline_units`; None: computed from the readings."""
    if order.measure != "limit" or not units or set(order.equipment) != units:
        return None
    chosen = _applying({r["alert_id"]: r for r in rows}, order.alert_id)
    return None if chosen is None else tuple(float(v) for v in chosen["hours_kwh"])


def _applying(by_alert: dict, alert_id: int | None) -> dict | None:
    return by_alert.get(alert_id) if alert_id in by_alert else by_alert.get(None)


def latest_alert(conn: Connection, enterprise_id: int, start: datetime, end: datetime) -> dict | None:
    """The latest-starting alert over the enterprise's region that meets [start, end), or None."""
    ent = enterprise_row(conn, enterprise_id)
    if ent is None:
        return None
    alerts = alerts_overlapping(conn, start, end, region_ancestry(conn, ent["region_code"]))
    return max(alerts, key=lambda a: a["starts_at"], default=None)


def baseline_rows(conn: Connection, enterprise_id: int) -> list[dict]:
    """Edited baselines of the enterprise (standing first, then per alert, newest alert first)."""
    b = ps.power_baselines
    rows = [dict(r) for r in conn.execute(select(b).where(b.c.enterprise_id == enterprise_id)).mappings()]
    return sorted(rows, key=lambda r: (r["alert_id"] is not None, -(r["alert_id"] or 0)))


def edited_baseline(conn: Connection, enterprise_id: int, alert_id: int | None = None) -> dict | None:
    """The edited baseline that applies: the alert's own, else the standing one, else None (computed)."""
    return _applying({r["alert_id"]: r for r in baseline_rows(conn, enterprise_id)}, alert_id)


def enterprises_with_measures(conn: Connection, region_codes: list[str]) -> list[dict]:
    """Enterprises of the regions that have an emission-reduction list, by region then name."""
    e, r, m = s.enterprises, s.regions, ps.power_measures
    has = select(m.c.enterprise_id).distinct()
    rows = conn.execute(select(e.c.id, e.c.credit_code, e.c.name, e.c.industry, e.c.region_code,
                               r.c.name.label("region_name"))
                        .join_from(e, r, e.c.region_code == r.c.code)
                        .where(e.c.region_code.in_(region_codes), e.c.id.in_(has))
                        .order_by(e.c.region_code, e.c.name)).mappings()
    return [dict(x) for x in rows]
