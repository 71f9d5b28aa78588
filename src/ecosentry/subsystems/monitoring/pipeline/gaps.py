"""Automatic 通讯中断 marks for the hours the worker recomputes (CN-MARK-AUTO-GAP, reference notes §1.2).

Before the touched hours of a point are recomputed, its gaps longer than 15 minutes are synced into
automatic marks: from the last minute record before the first touched hour (so an outage of several
hours that ends now is marked whole) up to ``now`` (the unreceived future is not a gap). Late or back-filled
minutes remove or shorten the marks they fill (:func:`ecosentry.subsystems.monitoring.store.marks.sync_point_gap_marks`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Engine, func, select

from ecosentry.metrics import counters
from ecosentry.subsystems.monitoring.pipeline.hourly import HourKey
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import sync_point_gap_marks

log = logging.getLogger(__name__)

#: How far back a gap may reach before the first touched hour (HJ 212 back-fill horizon, 168 h national
#: missing-data rule: reference notes §5.2).
LOOKBACK = timedelta(hours=168)


def gap_windows(engine: Engine, keys: Iterable[HourKey], now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Per point: ``[last minute record before the first touched hour, min(last touched hour end, now))``."""
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for point_id, _factor, hour in keys:
        first[point_id] = min(first.get(point_id, hour), hour)
        last[point_id] = max(last.get(point_id, hour), hour)
    o = s.observations
    out: dict[int, tuple[datetime, datetime]] = {}
    with engine.connect() as conn:
        for point_id, h0 in first.items():
            prev = conn.execute(select(func.max(o.c.period_start)).where(
                o.c.point_id == point_id, o.c.kind == "min", o.c.period_start < h0,
                o.c.period_start >= h0 - LOOKBACK)).scalar()
            start = min(h0, prev) if prev is not None else h0
            end = min(last[point_id] + timedelta(hours=1), now)
            if end > start:
                out[point_id] = (start, end)
    return out


def sync_gap_marks_for_hours(engine: Engine, keys: Iterable[HourKey], now: datetime,
                             min_gap_minutes: int = 15) -> set[HourKey]:
    """Sync the automatic gap marks of every touched point; returns the hours whose marks changed.

    A mark covers all the point's factors (one mark per gap of the point), so when a point's marks change,
    every stored hour of its window is returned for every factor of the point: back-filling one factor
    shortens a mark that the other factors' hours were judged with, and they must be judged again.
    """
    keys = list(keys)
    again: set[HourKey] = set()
    for point_id, (w0, w1) in gap_windows(engine, keys, now).items():
        try:
            res = sync_point_gap_marks(engine, point_id, None, w0, w1, min_gap_minutes, only_minute_factors=True)
        except Exception:
            counters.inc("gap_marks.errors")
            log.exception("automatic gap marks of point %d failed; hours are still recomputed", point_id)
            continue
        n = sum(len(v) for v in res.values())
        counters.inc("gap_marks.changes", n)
        if n:  # the point's hours already judged in the window are judged again
            h = s.hourly_values
            with engine.connect() as conn:
                again |= {(point_id, f, t) for f, t in conn.execute(select(h.c.factor_code, h.c.period_start).where(
                    h.c.point_id == point_id, h.c.period_start >= w0.replace(minute=0, second=0, microsecond=0),
                    h.c.period_start < w1))}
    return again
