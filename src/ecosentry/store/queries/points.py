"""Read model of the monitoring points: a point with its outlet, enterprise and region, its factors, its
latest values, and its series (minute/real-time observations, derived hours, days and months).

One set of queries for the ``/api/v1/points`` and ``/periods`` routes, the point page and the rate
report, so they show the same rows in the same order. The scope is a ``WHERE`` clause the caller passes
(``principal.point_clause(...)``, :mod:`ecosentry.auth.guards`); this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree

__all__ = ["point_row", "point_page", "last_received", "point_factor_ranges", "latest_rows",
           "observation_page", "hourly_page", "period_rows", "rate_points", "region_name"]


def _point_select():
    p, o, e, r = s.points, s.outlets, s.enterprises, s.regions
    return (select(p.c.id, p.c.mn, p.c.name, p.c.st, p.c.tz, p.c.min_interval, p.c.region_code,
                   r.c.name.label("region_name"), o.c.id.label("outlet_id"), o.c.name.label("outlet_name"),
                   o.c.medium, o.c.ref_o2, e.c.id.label("enterprise_id"), e.c.name.label("enterprise_name"))
            .join_from(p, o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
            .join(r, p.c.region_code == r.c.code))


def point_row(conn: Connection, point_id: int) -> dict | None:
    """The point with its outlet, enterprise and region names, or ``None`` when there is no such point."""
    row = conn.execute(_point_select().where(s.points.c.id == point_id)).mappings().first()
    return dict(row) if row is not None else None


def point_page(conn: Connection, scope: ColumnElement[bool], *, enterprise_id: int | None = None,
               region: str | None = None, offset: int = 0, limit: int) -> tuple[list[dict], int]:
    """(one page of the points matching ``scope`` and the filters, by id; how many match in all).
    ``region``: a GB/T 2260 code, that region and the regions below it."""
    q = _point_select().where(scope)
    if enterprise_id is not None:
        q = q.where(s.enterprises.c.id == enterprise_id)
    if region:
        q = q.where(s.points.c.region_code.in_(region_subtree(conn, region)))
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = conn.execute(q.order_by(s.points.c.id).offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], total


def last_received(conn: Connection) -> dict[int, datetime]:
    """{point id: when its latest value of any kind was received}."""
    lv = s.latest_values
    return dict(conn.execute(select(lv.c.point_id, func.max(lv.c.received_at)).group_by(lv.c.point_id)).all())


def point_factor_ranges(conn: Connection, point_id: int) -> list[dict]:
    """The point's configured factors with their names, unit, instrument range and method detection limit, by
    factor code."""
    f, pf = s.factors, s.point_factors
    rows = conn.execute(select(pf.c.factor_code, f.c.name_zh, f.c.name_en, f.c.unit, pf.c.range_low,
                               pf.c.range_high, pf.c.detection_limit).join(f, pf.c.factor_code == f.c.code)
                        .where(pf.c.point_id == point_id).order_by(pf.c.factor_code)).mappings().all()
    return [dict(x) for x in rows]


def latest_rows(conn: Connection, point_id: int, kind: str | None = None) -> list[dict]:
    """The latest value of every factor and kind of the point (only ``kind`` if given), with the factor's
    names and unit, by factor then kind."""
    lv, f = s.latest_values, s.factors
    q = (select(lv, f.c.name_zh, f.c.name_en, f.c.unit).join(f, lv.c.factor_code == f.c.code, isouter=True)
         .where(lv.c.point_id == point_id).order_by(lv.c.factor_code, lv.c.kind))
    if kind:
        q = q.where(lv.c.kind == kind)
    return [dict(r) for r in conn.execute(q).mappings().all()]


def observation_page(conn: Connection, point_id: int, factor: str, kind: str, t0: datetime, t1: datetime, *,
                     offset: int = 0, limit: int) -> tuple[list[dict], int]:
    """(one page of the point's ``kind`` observations of ``factor`` in [t0, t1), oldest first; the count)."""
    o = s.observations
    where = (o.c.point_id == point_id, o.c.factor_code == factor, o.c.kind == kind, o.c.period_start >= t0,
             o.c.period_start < t1)
    total = conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
    rows = conn.execute(select(o).where(*where).order_by(o.c.period_start).offset(offset)
                        .limit(limit)).mappings().all()
    return [dict(r) for r in rows], total


def hourly_page(conn: Connection, point_id: int, t0: datetime, t1: datetime, factor: str | None = None, *,
                offset: int = 0, limit: int) -> tuple[list[dict], int]:
    """(one page of the point's derived hours in [t0, t1), by factor then hour; the count)."""
    h = s.hourly_values
    where = [h.c.point_id == point_id, h.c.period_start >= t0, h.c.period_start < t1]
    if factor:
        where.append(h.c.factor_code == factor)
    total = conn.execute(select(func.count()).select_from(h).where(*where)).scalar_one()
    rows = conn.execute(select(h).where(*where).order_by(h.c.factor_code, h.c.period_start)
                        .offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], total


def period_rows(conn: Connection, point_id: int, period: str, t0: datetime, t1: datetime,
                factor: str | None = None) -> list[dict]:
    """The point's derived ``period`` values (day, month) starting in [t0, t1), by factor then start."""
    d = s.derived_periods
    where = [d.c.point_id == point_id, d.c.period == period, d.c.period_start >= t0, d.c.period_start < t1]
    if factor:
        where.append(d.c.factor_code == factor)
    return [dict(r) for r in conn.execute(select(d).where(*where)
                                          .order_by(d.c.factor_code, d.c.period_start)).mappings().all()]


def rate_points(conn: Connection, scope: ColumnElement[bool] | None = None, region: str | None = None, *,
                by_enterprise: bool = False) -> list[dict]:
    """The points whose rates a region sums (id, MN, name, enterprise id and name), in ``scope`` (all if
    ``None``) and ``region`` and below (all if ``None``); by id, or by enterprise name, enterprise id, id."""
    p, o, e = s.points, s.outlets, s.enterprises
    q = (select(p.c.id, p.c.mn, p.c.name, e.c.id.label("enterprise_id"), e.c.name.label("enterprise_name"))
         .join_from(p, o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id))
    if scope is not None:
        q = q.where(scope)
    q = q.order_by(e.c.name, e.c.id, p.c.id) if by_enterprise else q.order_by(p.c.id)
    if region:
        q = q.where(p.c.region_code.in_(region_subtree(conn, region)))
    return [dict(r) for r in conn.execute(q).mappings().all()]


def region_name(conn: Connection, code: str) -> str | None:
    """The name of region ``code``, ``None`` if unknown."""
    return conn.scalar(select(s.regions.c.name).where(s.regions.c.code == code))
