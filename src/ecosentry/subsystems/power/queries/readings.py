"""Read model of the meters' readings, in bulk: a window of one quantity of many meters as aligned numpy arrays
per minute (one query for the window, placed on the minute grid by index arithmetic), the active power per clock
hour (mean kW and the number of minutes it came from, aggregated in the database so a region's 30-day baselines
do not travel minute by minute), each enterprise's last reading, and the meters' thresholds in force.

Times are UTC minutes as stored (``power_readings.at``); the pages convert to the enterprise's local time. Hours
are clock hours of UTC; the zones the subsystem serves (China, Vietnam) have whole-hour offsets, so they are the
local clock hours too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Connection, DateTime, Integer, cast, func, select, type_coerce

from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.schema import power_meters, power_readings

__all__ = ["minute_grid", "minute_power", "last_reading_by_enterprise", "HourGrid", "hour_floor", "hourly_power",
           "meter_thresholds"]


def _utc(t: datetime) -> datetime:
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _epoch(t: datetime) -> float:
    """Seconds since the epoch of a stored time (naive = UTC, as SQLite returns it)."""
    return (t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t).timestamp()


def minute_grid(conn: Connection, meter_ids: list[int], start: datetime, minutes: int, quantity: str = "P"
                ) -> dict[int, np.ndarray]:
    """Per meter an array of ``minutes`` values, sample ``i`` the minute ``start + i`` (NaN: no reading).

    One query for every meter of the window (``meter_id IN (...) AND at in [start, end)``)."""
    start = _utc(start).replace(second=0, microsecond=0)
    out = {m: np.full(minutes, np.nan) for m in meter_ids}
    if not meter_ids or minutes <= 0:
        return out
    r = power_readings
    # the raw driver value (aware on PostgreSQL, naive UTC on SQLite): the UTC type's per-row conversion costs
    # more than the query for a day of many meters
    raw_at = type_coerce(r.c.at, DateTime(timezone=True))
    rows = conn.execute(select(r.c.meter_id, raw_at, r.c.value)
                        .where(r.c.meter_id.in_(meter_ids), r.c.quantity == quantity, r.c.at >= start,
                               r.c.at < start + timedelta(minutes=minutes))).all()
    if not rows:
        return out
    meter = np.fromiter((x[0] for x in rows), dtype=np.int64, count=len(rows))
    base = start.timestamp()
    idx = np.fromiter(((_epoch(x[1]) - base) // 60 for x in rows), dtype=np.int64, count=len(rows))
    val = np.fromiter((np.nan if x[2] is None else x[2] for x in rows), dtype=float, count=len(rows))
    for m in np.unique(meter).tolist():
        sel = meter == m
        out[int(m)][idx[sel]] = val[sel]
    return out


def last_reading_by_enterprise(conn: Connection, enterprise_ids: list[int]) -> dict[int, datetime]:
    """The latest minute any meter of each enterprise reported (absent: never)."""
    if not enterprise_ids:
        return {}
    r, m = power_readings, power_meters
    rows = conn.execute(select(m.c.enterprise_id, func.max(r.c.at)).join(m, m.c.id == r.c.meter_id)
                        .where(m.c.enterprise_id.in_(enterprise_ids)).group_by(m.c.enterprise_id)).all()
    return {int(e): _utc(t) for e, t in rows if t is not None}


def hour_floor(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _minute(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(second=0, microsecond=0)


def minute_power(conn: Connection, meter_ids: list[int], start: datetime, end: datetime) -> dict[int, np.ndarray]:
    """Meter id → its power per minute of [start, end) (start taken to its minute), NaN where none came."""
    start = _minute(start)
    return minute_grid(conn, meter_ids, start, max(0, int((end - start).total_seconds() // 60)))


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
