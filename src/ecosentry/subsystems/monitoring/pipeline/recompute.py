"""Bulk recomputation of derived hours, days and months over a time range (``ecosentry recompute``).

Used after a rule or limit change, a bulk back-fill, or a restored database. Every clock hour of every
factor of every selected point in the range is recomputed (an hour without minutes becomes an invalid
"no data" hour, which the rates need), then the days and months they belong to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.hourly import HourKey, local_hour_start, recompute_hours
from ecosentry.subsystems.monitoring.pipeline.periods import days_of_hours, recompute_days, recompute_months
from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree


def points_in_scope(engine: Engine, region: str | None) -> list[int]:
    with engine.connect() as conn:
        q = select(s.points.c.id).order_by(s.points.c.id)
        if region:
            q = q.where(s.points.c.region_code.in_(region_subtree(conn, region)))
        return list(conn.scalars(q))


def point_factors(engine: Engine, point_id: int, t0: datetime, t1: datetime) -> list[str]:
    """Registered factors of the point plus any factor that sent minute data in the range."""
    o, pf = s.observations, s.point_factors
    with engine.connect() as conn:
        registered = set(conn.scalars(select(pf.c.factor_code).where(pf.c.point_id == point_id)))
        sent = set(conn.scalars(select(o.c.factor_code).distinct().where(
            o.c.point_id == point_id, o.c.kind == "min", o.c.period_start >= t0, o.c.period_start < t1)))
    return sorted(registered | sent)


def recompute_range(engine: Engine, directory: PointDirectory, t0: datetime, t1: datetime, *,
                    region: str | None = None, point_ids: list[int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """Recompute everything derived in [t0, t1) for ``point_ids``, or the points of ``region`` (all when
    both are None)."""
    ids = point_ids if point_ids is not None else points_in_scope(engine, region)
    totals = {"points": len(ids), "hours": 0, "days": 0, "months": 0}
    for i, point_id in enumerate(ids, start=1):
        info = directory.by_id(point_id)
        tz = info.tz if info else "UTC"
        keys: set[HourKey] = set()
        hour = local_hour_start(t0, tz)
        hours = []
        while hour < t1:
            hours.append(hour)
            hour += timedelta(hours=1)
        for f in point_factors(engine, point_id, t0, t1):
            keys |= {(point_id, f, h) for h in hours}
        totals["hours"] += recompute_hours(engine, keys, directory)
        days = days_of_hours(keys, directory)
        months = recompute_days(engine, days, directory)
        totals["days"] += len(days)
        totals["months"] += recompute_months(engine, months, directory)
        if progress:
            progress(i, len(ids))
    return totals

