"""Recompute what the data of a stretch gave after its invalid periods changed: a mark filed, reviewed, closed or
deleted (:func:`recompute_for_mark`), or another subsystem's out-of-control periods (:func:`recompute_for_invalid_periods`).

The monitoring subsystem's handler of ``Subsystem.invalid_periods_changed`` (issue 18 item 3): O&M files a zero or
span check when it is done, usually after the hours it concerns were computed; a failed check (or the pass that
ends an out-of-control period, or a correction) changes which minutes are invalid, so the hours, days and months
of the point over the changed stretch are recomputed here, with the same functions as ``ecosentry recompute``
(the bulk path from a day of hours on: both give the same rows). Rates are read from the stored hours, so they
follow. Called in the filing's thread (an API worker thread or a command), never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import Engine

from ecosentry.contracts.subsystem import PeriodChange
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.bulk_recompute import bulk_recompute_range, choose_path
from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range
from ecosentry.subsystems.monitoring.queries.rates import point_service_window

__all__ = ["recompute_for_invalid_periods", "recompute_for_mark"]


def recompute_for_invalid_periods(engine: Engine, changes: Sequence[PeriodChange],
                                  directory: PointDirectory | None = None) -> dict[int, dict]:
    """Recompute each changed point over the stretch its changes span (from the point's connection time or first
    data on, up to now); returns the totals per point."""
    now = datetime.now(timezone.utc)
    spans: dict[int, tuple[datetime, datetime]] = {}
    for c in changes:
        lo, hi = spans.get(c.point_id, (c.start, c.end))
        spans[c.point_id] = (min(lo, c.start), max(hi, c.end))
    if not spans:
        return {}
    directory = directory or PointDirectory(engine)
    out = {}
    for point_id, (lo, hi) in sorted(spans.items()):
        totals = _recompute_stretch(engine, directory, point_id, lo, hi, now)
        if totals is not None:
            out[point_id] = totals
    return out


def recompute_for_mark(engine: Engine, directory: PointDirectory, mark: dict) -> dict:
    """A mark was filed, reviewed, closed or deleted: recompute the hours it covers (an open mark: up to now),
    from the point's connection time or first data on; the bulk path from a day of hours on (a mark left open for
    weeks covers thousands of hours), the per-period path below."""
    now = datetime.now(timezone.utc)
    totals = _recompute_stretch(engine, directory, mark["point_id"], mark["start"], mark.get("end") or now, now)
    return totals or {"points": 1, "hours": 0, "days": 0, "months": 0}


def _recompute_stretch(engine: Engine, directory: PointDirectory, point_id: int, lo: datetime, hi: datetime,
                       now: datetime) -> dict | None:
    """Recompute [lo, hi) of one point, cut to its service window and to now; None when nothing is derived yet."""
    with engine.connect() as conn:
        connected, _decommissioned = point_service_window(conn, point_id)
    if connected is None:   # nothing derived yet: the first data will be computed with the periods
        return None
    lo, hi = max(lo, connected), min(hi, now)
    if lo >= hi:
        return None
    run = bulk_recompute_range if choose_path(1, lo, hi) == "bulk" else recompute_range
    return run(engine, directory, lo, hi, point_ids=[point_id])
