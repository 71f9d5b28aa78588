"""Missing station files: the expected 5-minute slots no file covers, raised as ``ALM-DATA-MISSING``
(Circular 10/2021/TT-BTNMT Art. 39: one file per measurement; subsystems.md §7 req. 32)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine

from ecosentry.alarms import store as alarm_store
from ecosentry.metrics import counters
from ecosentry.settings import get_settings
from ecosentry.store.registry import load_point_directory
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.store import vn as vn_store
from ecosentry.subsystems.monitoring.vn.mapping import zone

__all__ = ["missing_slots", "MISSING_SOURCE_SUFFIX", "check_missing_files"]


def missing_slots(file_times: Iterable[datetime], start: datetime, end: datetime,
                  interval: timedelta) -> list[datetime]:
    """Expected file slots in ``[start, end)`` that no file covers.

    Slots lie on the grid of ``interval`` counted from the Unix epoch (00:00, 00:05 … for 5 minutes; the same
    grid in local time for any zone offset that is a whole multiple of the interval, such as Vietnam's
    UTC+07:00). A slot ``t`` is covered by a file whose time is in ``[t, t + interval)``, so a file stamped
    12:45:30 covers 12:45. One file per interval is expected (Circular 10/2021 Art. 39; default interval 5 min
    = ``points.min_interval``; subsystems.md §7 req. 32).

    Parameters
    ----------
    file_times : iterable of datetime
        Times of the files received (aware).
    start, end : datetime
        Window (aware); the first slot is the first grid time at or after ``start``.
    interval : timedelta
        Expected interval between files. [min]

    Returns
    -------
    list of datetime
        Start of every uncovered slot, in order (UTC).
    """
    step = interval.total_seconds()
    if step <= 0:
        raise ValueError("interval must be positive")
    t0, t1 = start.timestamp(), end.timestamp()
    first = -(-t0 // step) * step  # ceil to the grid
    covered = {int(t.timestamp() // step) for t in file_times}
    out = []
    k = int(first // step)
    while k * step < t1:
        if k not in covered:
            out.append(datetime.fromtimestamp(k * step, timezone.utc))
        k += 1
    return out


#: ``alarms.source_id`` of the missing-file alarm of point 12 is ``"12:vn-files"``: one originator per point
#: distinct from the detection job's own ``ALM-DATA-MISSING`` of the point (source_id ``"12"``), so that the
#: detection pass (which clears its alarm when its detectors find nothing) and this check never clear each
#: other's alarm.
MISSING_SOURCE_SUFFIX = ":vn-files"


async def check_missing_files(engine: Engine, now: datetime, *, settings: VnIntakeSettings | None = None,
                              dispatcher: Any = None, point_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Raise or clear ``ALM-DATA-MISSING`` for the stations that miss files (subsystems.md §7 req. 32).

    For every active point that has sent at least one accepted file (or those in ``point_ids``), the slots of
    ``points.min_interval`` minutes in the last ``missing_window_hours`` (not before the station's first file)
    that are due — older than ``late_after_minutes`` plus one interval — are checked with
    :func:`missing_slots`. Any missing slot raises (or updates) the alarm, none clears it; a back-filled file
    fills its slot. The lead schedules this, e.g. every minute next to the detection job.

    Parameters
    ----------
    engine : Engine
    now : datetime
        The check's clock (aware).
    settings : VnIntakeSettings, optional
    dispatcher : optional
        :class:`ecosentry.alarms.dispatch.Dispatcher`: notify on raise/clear; without it the alarm store is
        written directly.
    point_ids : iterable of int, optional
        Restrict the check to these points.

    Returns
    -------
    dict
        ``{"points": n, "raised": n, "cleared": n, "missing": total missing slots}``.
    """
    st = settings or get_settings().vn
    first_seen, directory = await asyncio.to_thread(
        lambda: (vn_store.stations_with_files(engine), load_point_directory(engine)))
    wanted = set(point_ids) if point_ids is not None else set(first_seen)
    points = [p for p in directory.values() if p.active and p.point_id in wanted]
    window = timedelta(hours=st.missing_window_hours)
    starts = {p.point_id: max(now - window, first_seen.get(p.point_id, now - window)) for p in points}
    earliest = min(starts.values(), default=now)
    times = await asyncio.to_thread(vn_store.accepted_file_times, engine, [p.point_id for p in points],
                                    earliest - timedelta(hours=1), now + timedelta(hours=1))
    stats = {"points": 0, "raised": 0, "cleared": 0, "missing": 0}
    for p in points:
        stats["points"] += 1
        interval = timedelta(minutes=max(1, p.min_interval))
        due_before = now - timedelta(minutes=st.late_after_minutes) - interval + timedelta(seconds=1)
        gaps = missing_slots(times.get(p.point_id, []), starts[p.point_id], due_before, interval)
        origin = {"type": "ALM-DATA-MISSING", "source_type": "point",
                  "source_id": f"{p.point_id}{MISSING_SOURCE_SUFFIX}"}
        if not gaps:
            cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(
                engine, **origin, at=now, explanation="every expected station file of the window was received"))
            if cleared is not None:
                stats["cleared"] += 1
                if dispatcher is not None and hasattr(dispatcher, "notify_cleared"):
                    await dispatcher.notify_cleared(cleared)
            continue
        stats["missing"] += len(gaps)
        local_zone = zone(p.tz)
        local = [g.astimezone(local_zone).strftime("%Y-%m-%d %H:%M") for g in gaps]
        shown = ", ".join(local[:6]) + (f" … (+{len(local) - 6})" if len(local) > 6 else "")
        kwargs = dict(**origin, severity=None, point_id=p.point_id, at=now,
                      title=f"{p.mn}: {len(gaps)} station file(s) missing",
                      explanation=f"Station {p.mn} sent no file for {len(gaps)} of its {interval.seconds // 60}-min "
                                  f"slots in the last {st.missing_window_hours:g} h ({shown}, local time); "
                                  "Circular 10/2021 Art. 39 requires one file per measurement within 5 minutes.",
                      evidence={"missing_slots": [g.isoformat() for g in gaps[:100]], "n_missing": len(gaps),
                                "interval_minutes": interval.seconds // 60,
                                "window_hours": st.missing_window_hours})
        if dispatcher is not None:
            _alarm, change, _ = await dispatcher.raise_alarm(**kwargs)
        else:
            _alarm, change = await asyncio.to_thread(lambda: alarm_store.raise_alarm(engine, **kwargs))
        stats["raised"] += change.kind == "raised"
    counters.inc("vn.missing_checks")
    return stats
