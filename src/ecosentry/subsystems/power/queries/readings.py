"""Read model of the meters' minute readings: a window of one quantity of many meters as aligned numpy arrays
(one query for the window, placed on the minute grid by index arithmetic), and each enterprise's last reading.

Times are UTC minutes as stored (``power_readings.at``); the pages convert to the enterprise's local time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Connection, DateTime, func, select, type_coerce

from ecosentry.subsystems.power.schema import power_meters, power_readings

__all__ = ["minute_grid", "last_reading_by_enterprise"]


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
