"""Read model of a point's values as the point page, its chart and the enterprise/outlet pages show them:
latest values per kind, the hours of a day, the limits in force, the chart's series and invalid periods.

One set of queries for :mod:`ecosentry.web.pages`, :mod:`ecosentry.subsystems.monitoring.web.sites`,
:mod:`ecosentry.subsystems.monitoring.web.point_chart` and the marks form; the points are already scope-checked by the
caller (:func:`ecosentry.web.views.site_state.require_point`). This module only reads.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, or_, select

from ecosentry.store import schema as s

__all__ = ["KINDS", "PERIOD", "live_values", "day_hours", "limits_in_force", "point_zone", "point_factor_names",
           "chart_rows", "invalid_periods", "exceeded_hours", "daily_rows", "daily_exceedance_stats"]

#: Data kinds of the live-value tables, finest first.
KINDS = ("rtd", "min", "hour", "day")
#: Length of one period of each derived kind, for the invalid spans.
PERIOD = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def live_values(conn: Connection, point_ids: list[int]) -> dict[int, dict[str, dict[str, dict]]]:
    """point id → factor code → data kind → the latest value row (``latest_values``)."""
    lv = s.latest_values
    out: dict[int, dict[str, dict[str, dict]]] = {}
    if not point_ids:
        return out
    for r in conn.execute(select(lv).where(lv.c.point_id.in_(point_ids), lv.c.kind.in_(KINDS))).mappings():
        out.setdefault(r["point_id"], {}).setdefault(r["factor_code"], {})[r["kind"]] = dict(r)
    return out


def day_hours(conn: Connection, point_id: int, day: date | None, tz: str, now: datetime) -> list[dict]:
    """Derived hourly values of the point's local ``day`` (in ``tz``), or of the last 24 hours when ``day`` is
    ``None``; newest hour first, factors in code order, each with ``complete`` (False for the hour in
    progress, whose validity can still change)."""
    h = s.hourly_values
    if day is None:
        start, end = now - timedelta(hours=24), now + timedelta(hours=1)
    else:
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(tz)).astimezone(timezone.utc)
    rows = conn.execute(select(h).where(h.c.point_id == point_id, h.c.period_start >= start, h.c.period_start < end)
                        .order_by(h.c.period_start.desc(), h.c.factor_code)).mappings()
    return [{**dict(r), "complete": r["period_start"] + timedelta(hours=1) <= now} for r in rows]


def limits_in_force(conn: Connection, point_ids: list[int], day: date) -> dict[int, dict[str, dict[str, dict]]]:
    """point id → factor code → ``hour``/``day`` → the limit row valid on ``day`` (seasonal ones included)."""
    lim = s.limits
    out: dict[int, dict[str, dict[str, dict]]] = {}
    if not point_ids:
        return out
    rows = conn.execute(select(lim).where(lim.c.point_id.in_(point_ids), lim.c.valid_from <= day,
                                          or_(lim.c.valid_to.is_(None), lim.c.valid_to >= day))
                        .order_by(lim.c.valid_from)).mappings()
    for r in rows:
        out.setdefault(r["point_id"], {}).setdefault(r["factor_code"], {})[r["kind"]] = dict(r)
    return out


def point_zone(conn: Connection, point_id: int) -> str:
    """The point's time zone (IANA name)."""
    p = s.points
    return conn.execute(select(p.c.tz).where(p.c.id == point_id)).scalar_one()


def point_factor_names(conn: Connection, point_id: int) -> list[dict]:
    """The point's configured factors (factor_code, name_zh, name_en, unit), by factor code."""
    pf, f = s.point_factors, s.factors
    return [dict(r) for r in conn.execute(
        select(pf.c.factor_code, f.c.name_zh, f.c.name_en, f.c.unit).join(f, pf.c.factor_code == f.c.code)
        .where(pf.c.point_id == point_id).order_by(pf.c.factor_code)).mappings()]


def chart_rows(conn: Connection, point_id: int, kind: str, t0: datetime, t1: datetime) -> list[dict]:
    """Rows of (factor, time, value, flag, valid, exceeded) of one kind (rtd, min, hour, day) over [t0, t1),
    oldest first."""
    if kind in ("rtd", "min"):
        o = s.observations
        q = select(o.c.factor_code, o.c.period_start, o.c.value, o.c.flag).where(
            o.c.point_id == point_id, o.c.kind == kind, o.c.period_start >= t0, o.c.period_start < t1)
        return [{"factor": r.factor_code, "t": r.period_start, "v": r.value, "flag": r.flag, "valid": None,
                 "exceeded": None} for r in conn.execute(q.order_by(o.c.period_start))]
    if kind == "hour":
        h = s.hourly_values
        q = select(h.c.factor_code, h.c.period_start, h.c.value, h.c.flag, h.c.valid, h.c.exceeded).where(
            h.c.point_id == point_id, h.c.period_start >= t0, h.c.period_start < t1).order_by(h.c.period_start)
    else:
        h = s.derived_periods
        q = select(h.c.factor_code, h.c.period_start, h.c.value, h.c.valid, h.c.exceeded).where(
            h.c.point_id == point_id, h.c.period == "day", h.c.period_start >= t0, h.c.period_start < t1
        ).order_by(h.c.period_start)
    return [{"factor": r.factor_code, "t": r.period_start, "v": r.value, "flag": getattr(r, "flag", None),
             "valid": r.valid, "exceeded": r.exceeded} for r in conn.execute(q)]


def invalid_periods(conn: Connection, point_id: int, kind: str, t0: datetime, t1: datetime,
                    now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(factor, start, end) of the invalid complete hours (days for the day chart) in [t0, t1)."""
    if kind == "day":
        d = s.derived_periods
        rows = conn.execute(select(d.c.factor_code, d.c.period_start).where(
            d.c.point_id == point_id, d.c.period == "day", d.c.valid.is_(False), d.c.period_start >= t0,
            d.c.period_start < t1))
        return [(f, t, t + PERIOD["day"]) for f, t in rows]
    h = s.hourly_values
    rows = conn.execute(select(h.c.factor_code, h.c.period_start).where(
        h.c.point_id == point_id, h.c.valid.is_(False), h.c.period_start >= t0 - PERIOD["hour"],
        h.c.period_start < t1, h.c.period_start <= now - PERIOD["hour"]))
    return [(f, t, t + PERIOD["hour"]) for f, t in rows]


def exceeded_hours(conn: Connection, point_ids: list[int], since: datetime, last_start: datetime,
                   limit: int) -> tuple[int, list[dict]]:
    """(how many hours of the points starting in [since, last_start] exceeded a limit; the ``limit`` newest of
    them: point, factor, start, value, converted value, limit, multiple)."""
    h = s.hourly_values
    where = (h.c.point_id.in_(point_ids), h.c.exceeded.is_(True), h.c.period_start >= since,
             h.c.period_start <= last_start)
    n = conn.execute(select(func.count()).select_from(h).where(*where)).scalar_one()
    rows = [dict(r) for r in conn.execute(
        select(h.c.point_id, h.c.factor_code, h.c.period_start, h.c.value, h.c.zs_value, h.c.limit_value,
               h.c.multiple).where(*where).order_by(h.c.period_start.desc()).limit(limit)).mappings()]
    return n, rows


def daily_rows(conn: Connection, point_ids: list[int], since: datetime) -> list:
    """The points' derived daily values starting at or after ``since`` (point, factor, start, value, converted
    value, valid, exceeded, limit), newest first."""
    d = s.derived_periods
    return conn.execute(select(d.c.point_id, d.c.factor_code, d.c.period_start, d.c.value, d.c.zs_value, d.c.valid,
                               d.c.exceeded, d.c.limit_value)
                        .where(d.c.point_id.in_(point_ids), d.c.period == "day", d.c.period_start >= since)
                        .order_by(d.c.period_start.desc())).mappings().all() if point_ids else []


def daily_exceedance_stats(conn: Connection, enterprise_ids: list[int], since: datetime) -> dict:
    """{enterprise id: row of ``exceeded_days`` (days with a daily value above its limit) and ``last_day`` (the
    latest day with a daily value)} over the days starting at or after ``since``."""
    d, p, o = s.derived_periods, s.points, s.outlets
    return {r.enterprise_id: r for r in conn.execute(
        select(o.c.enterprise_id, func.count(func.distinct(d.c.period_start)).filter(d.c.exceeded.is_(True))
               .label("exceeded_days"), func.max(d.c.period_start).label("last_day"))
        .join_from(d, p, d.c.point_id == p.c.id).join(o, p.c.outlet_id == o.c.id)
        .where(o.c.enterprise_id.in_(enterprise_ids), d.c.period == "day", d.c.period_start >= since)
        .group_by(o.c.enterprise_id))} if enterprise_ids else {}
