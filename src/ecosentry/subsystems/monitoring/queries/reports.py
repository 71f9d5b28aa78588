"""Read model of the point reports (日报表, 月报表, 年报表): the point with its outlet and enterprise, the hours of
a day, the configured factors and their names, and the derived days and months.

The reports build their tables from these rows (:mod:`ecosentry.subsystems.monitoring.reports.model`,
:mod:`ecosentry.subsystems.monitoring.reports.periodic`); this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from ecosentry.store import schema as s

__all__ = ["report_point", "report_hour_rows", "report_hour_observations", "configured_factors",
           "factor_name_rows", "day_substitutions", "derived_rows"]


def report_point(conn: Connection, point_id: int) -> dict | None:
    """The point with its outlet (code, name, medium, reference O2, duct area) and enterprise (name, credit
    code), or ``None`` when there is no such point."""
    p, o, e = s.points, s.outlets, s.enterprises
    row = conn.execute(
        select(p.c.id, p.c.mn, p.c.name.label("point_name"), p.c.tz, o.c.code.label("outlet_code"),
               o.c.name.label("outlet_name"), o.c.medium, o.c.ref_o2, o.c.duct_area,
               e.c.name.label("enterprise_name"), e.c.credit_code)
        .select_from(p.join(o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id))
        .where(p.c.id == point_id)).mappings().first()
    return dict(row) if row is not None else None


def report_hour_rows(conn: Connection, point_id: int, t0: datetime, t1: datetime):
    """The point's derived hours in [t0, t1) made from at least one record (factor, start, value, converted
    value, valid, reason)."""
    h = s.hourly_values
    return conn.execute(select(h.c.factor_code, h.c.period_start, h.c.value, h.c.zs_value, h.c.valid, h.c.reason)
                        .where(h.c.point_id == point_id, h.c.period_start >= t0, h.c.period_start < t1,
                               h.c.n_records > 0)).all()


def report_hour_observations(conn: Connection, point_id: int, t0: datetime, t1: datetime):
    """The hourly values the logger itself sent (kind ``hour``) in [t0, t1): factor, start, value, converted
    value, flag."""
    ob = s.observations
    return conn.execute(select(ob.c.factor_code, ob.c.period_start, ob.c.value, ob.c.zs_value, ob.c.flag)
                        .where(ob.c.point_id == point_id, ob.c.kind == "hour", ob.c.period_start >= t0,
                               ob.c.period_start < t1)).all()


def configured_factors(conn: Connection, point_id: int) -> list[str]:
    """The factor codes configured at the point."""
    pf = s.point_factors
    return list(conn.scalars(select(pf.c.factor_code).where(pf.c.point_id == point_id)))


def factor_name_rows(conn: Connection) -> list:
    """Every factor: code, Chinese name, unit, unit of the discharge amount (cou_unit)."""
    f = s.factors
    return conn.execute(select(f.c.code, f.c.name_zh, f.c.unit, f.c.cou_unit)).all()


def day_substitutions(conn: Connection, point_id: int, day_start: datetime) -> dict:
    """{factor: row of cou, cou_substituted, n_substituted} of the point's derived day starting at
    ``day_start`` for the factors whose day has substituted hours."""
    d = s.derived_periods
    return {r.factor_code: r for r in conn.execute(
        select(d.c.factor_code, d.c.cou, d.c.cou_substituted, d.c.n_substituted).where(
            d.c.point_id == point_id, d.c.period == "day", d.c.period_start == day_start, d.c.n_substituted > 0))}


def derived_rows(conn: Connection, point_id: int, period: str, t0: datetime, t1: datetime | None = None) -> list:
    """The point's derived ``period`` rows (every column) starting in [t0, t1), or exactly at ``t0`` when
    ``t1`` is ``None``."""
    d = s.derived_periods
    when = (d.c.period_start >= t0, d.c.period_start < t1) if t1 is not None else (d.c.period_start == t0,)
    return conn.execute(select(d).where(d.c.point_id == point_id, d.c.period == period, *when)).mappings().all()
