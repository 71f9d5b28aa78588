"""Read model of an alarm's evidence pack (证据包): the point or enterprise, the region and its parents, the
factors, hours, minute values and raw frames of the window around the alarm.

:mod:`ecosentry.subsystems.monitoring.reports.evidence` builds the pack from these rows; this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select, union

from ecosentry.store import schema as s

__all__ = ["evidence_point", "evidence_enterprise", "enterprise_point_zone", "region_and_parent", "window_factor_codes", "factor_rows",
           "evidence_hour_rows", "minute_rows", "frame_rows", "limit_standards", "region_country"]


def evidence_point(conn: Connection, point_id: int) -> dict | None:
    """MN, name, zone, region of the point, with its outlet and enterprise; ``None`` when there is none."""
    p, o, e = s.points, s.outlets, s.enterprises
    row = conn.execute(
        select(p.c.mn, p.c.name.label("point"), p.c.tz, p.c.region_code, o.c.name.label("outlet"),
               o.c.code.label("outlet_code"), o.c.medium, e.c.name.label("enterprise"), e.c.credit_code)
        .select_from(p.join(o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id))
        .where(p.c.id == point_id)).mappings().first()
    return dict(row) if row is not None else None


def evidence_enterprise(conn: Connection, enterprise_id: int) -> dict | None:
    """Name, credit code and region of the enterprise; ``None`` when there is none."""
    e = s.enterprises
    row = conn.execute(select(e.c.name.label("enterprise"), e.c.credit_code, e.c.region_code)
                       .where(e.c.id == enterprise_id)).mappings().first()
    return dict(row) if row is not None else None


def enterprise_point_zone(conn: Connection, enterprise_id: int) -> str | None:
    """The zone of the enterprise's monitoring points (its first point's), ``None`` when it has none."""
    p, o = s.points, s.outlets
    return conn.execute(select(p.c.tz).select_from(p.join(o, p.c.outlet_id == o.c.id))
                        .where(o.c.enterprise_id == enterprise_id, p.c.tz.is_not(None))
                        .order_by(p.c.id).limit(1)).scalar()


def region_and_parent(conn: Connection, code: str):
    """The row (name, parent_code) of region ``code``, ``None`` when there is none."""
    r = s.regions
    return conn.execute(select(r.c.name, r.c.parent_code).where(r.c.code == code)).first()


def limit_standards(conn: Connection, point_id: int, codes: list[str]) -> list[str]:
    """The distinct ``standard`` texts of the point's limits of the given factors (the regulations judged by)."""
    lim = s.limits
    return sorted(t for t in conn.execute(select(lim.c.standard).distinct().where(
        lim.c.point_id == point_id, lim.c.factor_code.in_(codes), lim.c.standard.is_not(None))).scalars() if t)


def region_country(conn: Connection, code: str | None) -> str | None:
    """The country (``regions.country``, ISO 3166 code) of region ``code``; ``None`` when unknown."""
    if not code:
        return None
    return conn.execute(select(s.regions.c.country).where(s.regions.c.code == code)).scalar()


def window_factor_codes(conn: Connection, point_id: int, t0: datetime, t1: datetime) -> list[str]:
    """The factors configured at the point, then those with a derived hour in [t0, t1) (may repeat)."""
    pf, h = s.point_factors, s.hourly_values
    codes = list(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == point_id)).scalars())
    codes += list(conn.execute(select(h.c.factor_code).distinct().where(
        h.c.point_id == point_id, h.c.period_start >= t0, h.c.period_start < t1)).scalars())
    return codes


def factor_rows(conn: Connection, codes: list[str]) -> dict:
    """{code: row of code, Chinese name, unit} of the given factors."""
    f = s.factors
    return {r.code: r for r in conn.execute(select(f.c.code, f.c.name_zh, f.c.unit).where(f.c.code.in_(codes)))}


def evidence_hour_rows(conn: Connection, point_id: int, codes: list[str], t0: datetime, t1: datetime):
    """The point's derived hours of ``codes`` in [t0, t1) (every column), by hour then factor."""
    h = s.hourly_values
    return conn.execute(select(h).where(h.c.point_id == point_id, h.c.factor_code.in_(codes),
                                        h.c.period_start >= t0, h.c.period_start < t1)
                        .order_by(h.c.period_start, h.c.factor_code)).mappings()


def minute_rows(conn: Connection, point_id: int, codes: list[str], t0: datetime, t1: datetime) -> list:
    """The point's minute values of ``codes`` in [t0, t1) (factor, start, value, converted value), by factor
    then time."""
    o = s.observations
    return conn.execute(select(o.c.factor_code, o.c.period_start, o.c.value, o.c.zs_value)
                        .where(o.c.point_id == point_id, o.c.kind == "min", o.c.factor_code.in_(codes),
                               o.c.period_start >= t0, o.c.period_start < t1)
                        .order_by(o.c.factor_code, o.c.period_start)).all()


def frame_rows(conn: Connection, point_id: int, mn: str | None, t0: datetime, t1: datetime,
               limit: int) -> tuple[list, int]:
    """(the point's raw frames (or its MN's) received in [t0, t1] or carrying its observations of [t0, t1]
    (back-filled later), oldest first, at most ``limit``: id, received_at, mn, cn, qn, status, raw; how many
    there are in all)."""
    r, o = s.raw_frames, s.observations
    who = r.c.point_id == point_id if not mn else or_(r.c.point_id == point_id, r.c.mn == mn)
    carrying = select(o.c.raw_frame_id).where(o.c.point_id == point_id, o.c.period_start >= t0,
                                              o.c.period_start <= t1, o.c.raw_frame_id.is_not(None))
    # two selects in a union, not one OR: "received in the window OR carrying" could use no index and read every
    # monthly partition of raw_frames whole (3.4 s on a year of 100 points); apart, the window reads its month
    # by the reception-time index and the carried ids are looked up by key (docs/benchmarks.md "raw_frames by month")
    found = union(select(r.c.id, r.c.received_at).where(who, r.c.received_at >= t0, r.c.received_at <= t1),
                  select(r.c.id, r.c.received_at).where(who, r.c.id.in_(carrying))).subquery()
    rows = conn.execute(select(r.c.id, r.c.received_at, r.c.mn, r.c.cn, r.c.qn, r.c.status, r.c.raw)
                        .join(found, and_(r.c.id == found.c.id, r.c.received_at == found.c.received_at))
                        .order_by(r.c.received_at, r.c.id).limit(limit)).all()
    total = conn.execute(select(func.count()).select_from(found)).scalar_one()
    return rows, total
