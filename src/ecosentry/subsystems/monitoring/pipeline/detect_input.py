"""Build the detectors' :class:`~ecosentry.subsystems.monitoring.detect.model.PointData` of one point from the database.

The continuous detection pass (:mod:`ecosentry.subsystems.monitoring.pipeline.detection`) looks at a window ending now: the
minute observations of the last ``minute_hours`` hours and the platform's hourly values of the last
``hour_days`` days (15 days by default: the national half-month constant-range rule needs them), with the
point's analyser ranges and method detection limits (``point_factors``), the limits in force today, its marks and
the registered (备案) instrument parameters (duct area, reference O2, ranges, detection limits).

The window that the completeness rules judge (``window_start``) is the minute window: hours older than it
have no minute data loaded, so judging their minutes would be wrong. A pass every minute still sees every
hour while it is recent; a factor silent for days keeps raising DET-MISSING-HOUR on each pass. The
> 168 h rule (DET-MISSING-168H) is for offline analysis (``ecosentry detect``) over longer windows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, select

from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.pipeline.periods import load_limits
from ecosentry.subsystems.monitoring.rules.cn.exceedance import applicable_limit
from ecosentry.store import schema as s
from ecosentry.store.registry import PointInfo

__all__ = ["DetectWindow", "load_point_data"]


@dataclass(frozen=True)
class DetectWindow:
    """How much history one detection pass reads per point."""

    minute_hours: float = 6.0
    hour_days: float = 15.0


def _series(factor: str, rows: list[tuple], *, with_valid: bool) -> Series:
    times = np.array([to_datetime64(r[0]) for r in rows], dtype="datetime64[s]")
    values = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    zs = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
    flags = tuple(r[3] for r in rows)
    if all(f in (None, "N") for f in flags):
        flags = ()
    valid = np.array([bool(r[4]) for r in rows], dtype=bool) if with_valid else None
    return Series(factor, times, values, flags, zs if np.isfinite(zs).any() else None, valid)


def load_point_data(conn: Connection, info: PointInfo, now: datetime,
                    window: DetectWindow = DetectWindow()) -> PointData:
    """Everything the detectors need for ``info`` over the window ending at ``now`` (aware)."""
    pid = info.point_id
    t_min = now - timedelta(hours=window.minute_hours)
    t_hour = now - timedelta(days=window.hour_days)
    o, h = s.observations, s.hourly_values
    minutes: dict[str, list[tuple]] = defaultdict(list)
    for r in conn.execute(select(o.c.factor_code, o.c.period_start, o.c.value, o.c.zs_value, o.c.flag).where(
            o.c.point_id == pid, o.c.kind == "min", o.c.period_start >= t_min, o.c.period_start < now)
            .order_by(o.c.factor_code, o.c.period_start)):
        minutes[r.factor_code].append((r.period_start, r.value, r.zs_value, r.flag, True))
    hours: dict[str, list[tuple]] = defaultdict(list)
    for r in conn.execute(select(h.c.factor_code, h.c.period_start, h.c.value, h.c.zs_value, h.c.flag, h.c.valid)
                          .where(h.c.point_id == pid, h.c.period_start >= t_hour, h.c.period_start < now)
                          .order_by(h.c.factor_code, h.c.period_start)):
        hours[r.factor_code].append((r.period_start, r.value, r.zs_value, r.flag, r.valid))
    pf = s.point_factors
    ranges: dict[str, tuple[float | None, float | None]] = {}
    detection_limits: dict[str, float] = {}
    for r in conn.execute(select(pf.c.factor_code, pf.c.range_low, pf.c.range_high, pf.c.detection_limit)
                          .where(pf.c.point_id == pid)):
        if r.range_low is not None or r.range_high is not None:
            ranges[r.factor_code] = (r.range_low, r.range_high)
        if r.detection_limit is not None:
            detection_limits[r.factor_code] = r.detection_limit
    today = now.astimezone(ZoneInfo(info.tz)).date()
    limits: dict[str, float] = {}
    day_limits: dict[str, float] = {}
    for (_pid, factor), lims in load_limits(conn, [pid]).items():
        for kind, target in (("hour", limits), ("day", day_limits)):
            lim = applicable_limit(lims, today, kind)
            if lim is not None and lim.upper is not None:
                target[factor] = lim.upper
    m = s.marks
    marks = [Mark(r.type, r.start, r.end or now,
                  None if not r.factor_codes else frozenset(r.factor_codes.split(",")), r.id)
             for r in conn.execute(select(m.c.id, m.c.type, m.c.start, m.c.end, m.c.factor_codes, m.c.status).where(
                 m.c.point_id == pid, m.c.deleted_at.is_(None), m.c.status != "rejected", m.c.start < now,
                 (m.c.end.is_(None)) | (m.c.end >= t_hour)))]
    out = s.outlets
    reg = conn.execute(select(out.c.duct_area, out.c.ref_o2).join_from(s.points, out, s.points.c.outlet_id == out.c.id)
                       .where(s.points.c.id == pid)).first()
    registered: dict[str, dict[str, float]] = {"*": {}}
    if reg is not None:
        if reg.duct_area is not None:
            registered["*"]["area"] = reg.duct_area
        if reg.ref_o2 is not None:
            registered["*"]["ref_o2"] = reg.ref_o2
    for factor, (lo, hi) in ranges.items():
        registered[factor] = {k: v for k, v in (("range_low", lo), ("range_high", hi)) if v is not None}
    for factor, dl in detection_limits.items():
        registered.setdefault(factor, {})["detection_limit"] = dl
    return PointData(
        point=info.mn, medium=info.medium, tz=info.tz,
        minutes={f: _series(f, rows, with_valid=False) for f, rows in minutes.items()},
        hours={f: _series(f, rows, with_valid=True) for f, rows in hours.items()},
        ranges=ranges, limits=limits, day_limits=day_limits, detection_limits=detection_limits,
        registered=registered, marks=marks,
        window_start=t_min, window_end=now)
