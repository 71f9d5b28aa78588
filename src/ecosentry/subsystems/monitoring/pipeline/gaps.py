"""Automatic 通讯中断 marks for the hours the worker recomputes (CN-MARK-AUTO-GAP, reference notes §1.2).

Before the touched hours of a point are recomputed, its gaps longer than 15 minutes are synced into
automatic marks: from the last minute record before the first touched hour (so an outage of several
hours that ends now is marked whole) up to ``now`` (the unreceived future is not a gap). Late or back-filled
minutes remove or shorten the marks they fill (:func:`ecosentry.subsystems.monitoring.store.marks.sync_points_gap_marks`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Engine, func, select

from ecosentry.metrics import counters
from ecosentry.subsystems.monitoring.pipeline.hourly import HourKey
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import sync_points_gap_marks

log = logging.getLogger(__name__)

#: How far back a gap may reach before the first touched hour (HJ 212 back-fill horizon, 168 h national
#: missing-data rule: reference notes §5.2).
LOOKBACK = timedelta(hours=168)


def gap_windows(engine: Engine, keys: Iterable[HourKey], now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Per point: ``[last minute record before the first touched hour, min(last touched hour end, now))``.
    One statement per 500 points whose first touched hour is the same (each point's last record found through
    its own index range, as a scalar subquery per point)."""
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for point_id, _factor, hour in keys:
        first[point_id] = min(first.get(point_id, hour), hour)
        last[point_id] = max(last.get(point_id, hour), hour)
    o, p = s.observations, s.points
    by_first: dict[datetime, list[int]] = {}
    for point_id, h0 in first.items():
        by_first.setdefault(h0, []).append(point_id)
    prev: dict[int, datetime | None] = {}
    with engine.connect() as conn:
        for h0, pids in sorted(by_first.items()):
            before = (select(func.max(o.c.period_start))
                      .where(o.c.point_id == p.c.id, o.c.kind == "min", o.c.period_start < h0,
                             o.c.period_start >= h0 - LOOKBACK).scalar_subquery())
            ordered = sorted(pids)
            for i in range(0, len(ordered), 500):
                prev.update(conn.execute(select(p.c.id, before).where(p.c.id.in_(ordered[i:i + 500]))).all())
    out: dict[int, tuple[datetime, datetime]] = {}
    for point_id, h0 in first.items():
        t = prev.get(point_id)
        start = min(h0, t) if t is not None else h0
        end = min(last[point_id] + timedelta(hours=1), now)
        if end > start:
            out[point_id] = (start, end)
    return out


def sync_gap_marks_for_hours(engine: Engine, keys: Iterable[HourKey], now: datetime,
                             min_gap_minutes: int = 15) -> set[HourKey]:
    """Sync the automatic gap marks of every touched point; returns the hours whose marks changed.

    A mark covers all the point's factors (one mark per gap of the point), so when a point's marks change,
    every stored hour of its window is returned for every factor of the point: back-filling one factor
    shortens a mark that the other factors' hours were judged with, and they must be judged again. All the
    points at once (:func:`~ecosentry.subsystems.monitoring.store.marks.sync_points_gap_marks`); a point whose
    marks fail is logged and counted, and its hours are still recomputed.
    """
    windows = gap_windows(engine, list(keys), now)
    try:
        done = sync_points_gap_marks(engine, windows, min_gap_minutes)
    except Exception:
        counters.inc("gap_marks.errors")
        log.exception("automatic gap marks of %d point(s) failed; hours are still recomputed", len(windows))
        return set()
    for point_id, exc in done.failed.items():
        counters.inc("gap_marks.errors")
        log.error("automatic gap marks of point %d failed; hours are still recomputed", point_id, exc_info=exc)
    again: set[HourKey] = set()
    h = s.hourly_values
    with engine.connect() as conn:
        for point_id, res in done.changes.items():
            counters.inc("gap_marks.changes", sum(len(v) for v in res.values()))
            w0, w1 = windows[point_id]  # the point's hours already judged in the window are judged again
            again |= {(point_id, f, t) for f, t in conn.execute(select(h.c.factor_code, h.c.period_start).where(
                h.c.point_id == point_id, h.c.period_start >= w0.replace(minute=0, second=0, microsecond=0),
                h.c.period_start < w1))}
    return again
