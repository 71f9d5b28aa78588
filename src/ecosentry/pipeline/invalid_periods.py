"""Invalid periods across subsystems: who declares them, who is told when they change (issue 18 item 3).

A subsystem that knows when an analyser's data are invalid (O&M: a failed zero/span check until the next pass,
失控, HJ 75-2017 §12) declares ``Subsystem.invalid_periods``; a subsystem that derives figures from the data
(monitoring: hourly validity, days, months, rates, substitution) asks :func:`declared` and, after a producer
changed its periods, is told through ``Subsystem.invalid_periods_changed`` (:func:`announce_changes`). Neither
imports the other: both go through :mod:`ecosentry.installed`.

The producer calls :func:`announce_changes` after its own transaction committed (the records are durable
first); the consumers' recomputation runs in the caller's thread, never on an event loop. A consumer that fails
is logged and counted (``invalid_periods.recompute_failures``) and does not stop the others nor undo the
records: ``ecosentry recompute --from --to`` brings the derived figures back in line.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine

from ecosentry.contracts.subsystem import InvalidPeriod, PeriodChange
from ecosentry.installed import each
from ecosentry.metrics import counters

__all__ = ["declared", "declared_by_series", "announce_changes"]

log = logging.getLogger(__name__)


def declared(conn: Connection, point_ids: Iterable[int], start: datetime, end: datetime,
             now: datetime) -> list[InvalidPeriod]:
    """Every installed subsystem's invalid periods of ``point_ids`` overlapping ``[start, end)``."""
    ids = sorted(set(point_ids))
    if not ids or start >= end:
        return []
    return [p for _sub, fn in each("invalid_periods") for p in fn(conn, ids, start, end, now)]


def declared_by_series(conn: Connection, point_ids: Iterable[int], start: datetime, end: datetime,
                       now: datetime) -> dict[tuple[int, str], list[tuple[datetime, datetime]]]:
    """:func:`declared` as ``(point, factor) → [(start, end)]`` in time order."""
    out: dict[tuple[int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for p in declared(conn, point_ids, start, end, now):
        out[(p.point_id, p.factor_code)].append((p.start, p.end))
    for spans in out.values():
        spans.sort()
    return dict(out)


def announce_changes(engine: Engine, changes: Sequence[PeriodChange]) -> int:
    """Tell every installed consumer that these stretches' invalid periods changed; returns how many consumers
    recomputed without error."""
    if not changes:
        return 0
    done = 0
    for sub, handler in each("invalid_periods_changed"):
        try:
            handler(engine, list(changes))
            done += 1
        except Exception:
            counters.inc("invalid_periods.recompute_failures")
            log.exception("subsystem %s could not recompute after a change of invalid periods (%s); run "
                          "`ecosentry recompute` over the range", sub.name, changes)
    return done
