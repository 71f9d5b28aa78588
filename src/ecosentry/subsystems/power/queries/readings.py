"""Read model of the meters' readings as regular grids for the rules, in bulk: the active power (``P``, kW) of
many meters per minute, or per clock hour (mean kW and the number of minutes it came from), aggregated in the
database so a region's 30-day baselines do not travel minute by minute.

Hours are clock hours of UTC; the zones the subsystem serves (China, Vietnam) have whole-hour offsets, so they
are the local clock hours too.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
from sqlalchemy import Connection, Integer, cast, func, select

from ecosentry.subsystems.power import schema as ps

__all__ = ["HourGrid", "hour_floor", "minute_power", "hourly_power", "meter_thresholds"]


def hour_floor(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _minute(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(second=0, microsecond=0)


def minute_power(conn: Connection, meter_ids: list[int], start: datetime, end: datetime) -> dict[int, np.ndarray]:
    """Meter id → its power per minute of [start, end) (start taken to its minute), NaN where none came."""
    start = _minute(start)
    n = max(0, int((end - start).total_seconds() // 60))
    out = {m: np.full(n, np.nan) for m in meter_ids}
    if not meter_ids or n == 0:
        return out
    r = ps.power_readings
    rows = conn.execute(select(r.c.meter_id, r.c.at, r.c.value).where(
        r.c.meter_id.in_(meter_ids), r.c.quantity == "P", r.c.at >= start, r.c.at < end)).all()
    t0 = start.timestamp()
    for meter, at, value in rows:
        if value is not None:
            out[meter][int((at.timestamp() - t0) // 60)] = value
    return out


class HourGrid:
    """Mean power (kW) and minutes with a reading per meter and clock hour, from ``start`` (an hour)."""

    def __init__(self, start: datetime, meter_ids: list[int], hours: int) -> None:
        self.start = start
        self.meters = {m: i for i, m in enumerate(meter_ids)}
        self.mean_kw = np.full((len(meter_ids), hours), np.nan)
        self.minutes = np.zeros((len(meter_ids), hours), dtype=int)

    def summed(self, meter_ids: list[int], min_minutes: int) -> np.ndarray:
        """Σ of the meters' mean power per hour (= energy in kWh); NaN for an hour in which any of them has
        fewer than ``min_minutes`` readings (an hour is judged on all its meters or not at all)."""
        rows = [self.meters[m] for m in meter_ids]
        if not rows:
            return np.full(self.mean_kw.shape[1], np.nan)
        kw = self.mean_kw[rows]
        ok = (self.minutes[rows] >= min_minutes).all(axis=0)
        return np.where(ok, np.nansum(kw, axis=0), np.nan)


def _hour_key(conn: Connection, column):
    """The hour as whole hours since 1970 (UTC): cheap arithmetic on both databases, no text per row."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    return cast(func.strftime("%s", column), Integer) // 3600  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS'


def hourly_power(conn: Connection, meter_ids: list[int], start: datetime, end: datetime) -> HourGrid:
    """The meters' hourly mean power over [hour of start, end), one grouped query."""
    start = hour_floor(start)
    hours = max(0, -(-int((end - start).total_seconds()) // 3600))
    grid = HourGrid(start, meter_ids, hours)
    if not meter_ids or hours == 0:
        return grid
    r = ps.power_readings
    key = _hour_key(conn, r.c.at).label("h")
    rows = conn.execute(select(r.c.meter_id, key, func.avg(r.c.value), func.count(r.c.value))
                        .where(r.c.meter_id.in_(meter_ids), r.c.quantity == "P", r.c.at >= start, r.c.at < end)
                        .group_by(r.c.meter_id, key)).all()
    first = int(start.timestamp()) // 3600
    for meter, h, mean, count in rows:
        j = int(h) - first
        if 0 <= j < hours and mean is not None:
            grid.mean_kw[grid.meters[meter], j] = float(mean)
            grid.minutes[grid.meters[meter], j] = int(count)
    return grid


def meter_thresholds(conn: Connection, meter_ids: list[int], at: datetime) -> dict[int, dict]:
    """Meter id → its threshold version in force at ``at`` (the newest with ``valid_from`` ≤ at)."""
    t = ps.power_thresholds
    out: dict[int, dict] = {}
    if not meter_ids:
        return out
    for row in conn.execute(select(t).where(t.c.meter_id.in_(meter_ids), t.c.valid_from <= at)
                            .order_by(t.c.meter_id, t.c.version)).mappings():
        out[row["meter_id"]] = dict(row)
    return out
