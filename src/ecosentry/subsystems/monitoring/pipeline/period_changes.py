"""Recompute what the data of a stretch gave after another subsystem changed its invalid periods.

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

__all__ = ["recompute_for_invalid_periods"]


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
        with engine.connect() as conn:
            connected, _decommissioned = point_service_window(conn, point_id)
        if connected is None:   # nothing derived yet: the first data will be computed with the periods
            continue
        lo, hi = max(lo, connected), min(hi, now)
        if lo >= hi:
            continue
        run = bulk_recompute_range if choose_path(1, lo, hi) == "bulk" else recompute_range
        out[point_id] = run(engine, directory, lo, hi, point_ids=[point_id])
    return out
