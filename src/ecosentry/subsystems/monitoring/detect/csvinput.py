"""CSV files → :class:`~ecosentry.subsystems.monitoring.detect.model.PointData` for ``ecosentry detect`` and the benchmarks.

Input formats (header line required; errors name the file and the 1-based line, header = line 1)
-----------------------------------------------------------------------------------------------------
* **Long data** ``point,factor,time,value[,flag][,zs_value]``: read by
  :func:`ecosentry.subsystems.monitoring.offline.csvio.iter_data_rows` (the offline audit reader). Times with an offset are
  converted, times without one are local time of ``--tz``.
* **NAB data** ``timestamp,value`` (Numenta Anomaly Benchmark files): one anonymous series; the point is
  the file stem, the factor ``value``.
* **Limits** ``point,factor,kind,limit``; ``kind`` is ``hour`` or ``day`` (reference notes §4.1: gas hourly
  on 折算 values, water daily).
* **Ranges** ``point,factor,low,high[,detection_limit]``: analyser range (instrument master data) for the
  over-range rule, and the analyser's method detection limit (optional column, found by its header name; an
  empty cell = unknown) for the detection-limit rules (DET-AT-DETECTION-LIMIT; the quantisation floor of
  DET-CONST-4H).
* **Marks** ``point,factor,type,start,end``: read by :func:`ecosentry.subsystems.monitoring.offline.csvio.read_marks`.
* **Parameters** ``point,factor,name,value[,time]``: instrument parameters; a row without ``time`` is the
  registered (备案) value, a row with ``time`` a reported one (HJ 212 CN 3020) — factor ``*`` = point-wide
  (``area``).

Resolution
----------
Per point, the median record spacing decides: below one hour the records are minute data (HJ 212 CN
2051, any MinInterval, or finer real-time data) and go to :attr:`PointData.minutes`, with hourly values
computed by :func:`ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes` (45 valid minutes, HJ 76-2017
Appendix B) in the point's clock hours; otherwise the records are hourly values and go to
:attr:`PointData.hours`.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.said import N_

from ecosentry.subsystems.monitoring.offline.csvio import (
    AuditInputError,
    DataColumns,
    DataRow,
    iter_data_rows,
    parse_number,
    parse_time,
    read_data_columns,
    read_marks,
)
from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series, remember_normal_flags, to_datetime64
from ecosentry.subsystems.monitoring.rules.cn.hourly import (
    ALLOWED_MIN_INTERVALS,
    MIN_VALID_MINUTES,
    MINUTES_PER_HOUR,
    MinuteRecord,
    _normalise_flag,
    hourly_from_minutes,
)

__all__ = [
    "AuditInputError",
    "RawSeries",
    "ColumnSeries",
    "read_long",
    "read_nab",
    "read_limits",
    "read_ranges",
    "read_detection_limits",
    "read_instruments",
    "read_parameters",
    "read_detect_marks",
    "build_points",
    "point_names",
    "prepare_points",
    "hourly_columns",
    "hourly_columns_of",
    "HourClock",
    "hour_clock",
    "infer_medium",
    "HOURLY_STEP_MIN_S",
]

#: Spacing from which records are hourly values rather than minute data. [s]
HOURLY_STEP_MIN_S = 3600.0

LIMIT_KINDS = ("hour", "day")


@dataclass
class RawSeries:
    """Records of one point and factor as read (aware times, any order, duplicates possible)."""

    point: str
    factor: str
    times: list[datetime] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    flags: list[str | None] = field(default_factory=list)
    zs: list[float | None] = field(default_factory=list)

    def add(self, time: datetime, value: float | None, flag: str | None, zs: float | None) -> None:
        self.times.append(time)
        self.values.append(value)
        self.flags.append(flag)
        self.zs.append(zs)


@dataclass
class ColumnSeries:
    """Records of one point and factor as columns (input order, duplicates possible).

    ``utc_us`` and ``local_us`` are as in :class:`~ecosentry.subsystems.monitoring.offline.csvio.DataColumns`
    (instant, and wall clock of the zone ``zone``); ``flag_code`` indexes ``flag_names`` (``None`` = no flag).
    """

    point: str
    factor: str
    zone: tzinfo
    utc_us: np.ndarray
    local_us: np.ndarray
    values: np.ndarray
    flag_names: list[str | None]
    flag_code: np.ndarray
    zs: np.ndarray

    def __len__(self) -> int:
        return len(self.utc_us)

    def flags(self) -> np.ndarray:
        """One flag per record (``object`` array of str or None)."""
        names = np.empty(len(self.flag_names), dtype=object)
        names[:] = self.flag_names
        return names[self.flag_code]

    def time(self, i: int) -> datetime:
        """Record ``i`` as the aware datetime of the zone the reader gives (fold as ``astimezone``)."""
        wall = _EPOCH + timedelta(microseconds=int(self.local_us[i]))
        t = wall.replace(tzinfo=self.zone)
        if _utc_us(t) != int(self.utc_us[i]):
            t = t.replace(fold=1)
        return t


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000


def _utc_us(t: datetime) -> int:
    return (t - _EPOCH_UTC) // _US


def _rezoned(cs: ColumnSeries, zone: tzinfo) -> ColumnSeries:
    """The same records with the wall clock of another zone."""
    local = np.array(
        [((_EPOCH_UTC + timedelta(microseconds=u)).astimezone(zone).replace(tzinfo=None) - _EPOCH) // _US
         for u in cs.utc_us.tolist()], dtype=np.int64)
    return ColumnSeries(cs.point, cs.factor, zone, cs.utc_us, local, cs.values, cs.flag_names, cs.flag_code, cs.zs)


def columns_of(raw: RawSeries, zone: tzinfo) -> ColumnSeries:
    """:class:`RawSeries` → :class:`ColumnSeries` (wall clock of ``zone``, as :func:`hourly_series` groups)."""
    utc = np.array([_utc_us(t) for t in raw.times], dtype=np.int64)
    local = np.array(
        [((t if t.tzinfo is zone else t.astimezone(zone)).replace(tzinfo=None) - _EPOCH) // _US for t in raw.times],
        dtype=np.int64,
    )
    names: dict[str | None, int] = {}
    codes = np.array([names.setdefault(f, len(names)) for f in raw.flags], dtype=np.int64)
    return ColumnSeries(
        raw.point, raw.factor, zone, utc, local,
        np.array([np.nan if v is None else v for v in raw.values], dtype=np.float64),
        list(names), codes,
        np.array([np.nan if z is None else z for z in raw.zs], dtype=np.float64),
    )


# --------------------------------------------------------------------------- readers


def read_long(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None,
    read_columns: Callable[[], DataColumns | None] | None = None,
) -> dict[str, dict[str, RawSeries]]:
    """Long CSV → point → factor → :class:`RawSeries` (input order kept).

    ``read_columns`` gives the file's :func:`~ecosentry.subsystems.monitoring.offline.csvio.read_data_columns`
    when the caller started that read already (``ecosentry detect`` reads while it imports the detectors);
    ``None`` reads them here.

    Raises
    ------
    AuditInputError
        Naming file and line (missing column, bad time, value not a number ...).
    """
    columns = read_data_columns(path, zone, on_progress=on_progress) if read_columns is None else read_columns()
    if columns is None:  # not a plain file (quotes, mixed time layouts, ...) or an error: row by row
        return group_rows(iter_data_rows(path, zone, on_progress=on_progress))
    return group_columns(columns, zone)


def group_columns(cols: DataColumns, zone: tzinfo) -> dict[str, dict[str, ColumnSeries]]:
    """Split the columns by point and factor (points and factors in order of first appearance)."""
    n_factors = max(len(cols.factors), 1)
    key = cols.point_code * n_factors + cols.factor_code
    if len(key):
        # A logger's export (and the honest set) writes each series in one block: then the series are slices
        # of the columns, in the order of their blocks (= of first appearance), no sort and no copy.
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        if len(np.unique(key[starts])) == len(starts):
            stops = np.r_[starts[1:], len(key)]
            points: dict[str, dict[str, ColumnSeries]] = {}
            for a, b in zip(starts.tolist(), stops.tolist()):
                k = int(key[a])
                point, factor = cols.points[k // n_factors], cols.factors[k % n_factors]
                points.setdefault(point, {})[factor] = ColumnSeries(
                    point, factor, zone, cols.utc_us[a:b], cols.local_us[a:b], cols.values[a:b], cols.flag_names,
                    cols.flag_code[a:b], cols.zs[a:b])
            return points
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]]) if len(key) else np.zeros(0, int)
    stops = np.r_[starts[1:], len(key)]
    utc, local = cols.utc_us[order], cols.local_us[order]
    values, flags, zs = cols.values[order], cols.flag_code[order], cols.zs[order]
    points = {}
    for g in np.argsort(order[starts], kind="stable").tolist():
        a, b = int(starts[g]), int(stops[g])
        k = int(sorted_key[a])
        point, factor = cols.points[k // n_factors], cols.factors[k % n_factors]
        points.setdefault(point, {})[factor] = ColumnSeries(
            point, factor, zone, utc[a:b], local[a:b], values[a:b], cols.flag_names, flags[a:b], zs[a:b])
    return points


def group_rows(rows: Iterable[DataRow]) -> dict[str, dict[str, RawSeries]]:
    """Group parsed data rows by point and factor."""
    points: dict[str, dict[str, RawSeries]] = defaultdict(dict)
    for row in rows:
        by_factor = points[row.point]
        raw = by_factor.get(row.factor)
        if raw is None:
            raw = by_factor[row.factor] = RawSeries(row.point, row.factor)
        raw.add(row.time, row.value, row.flag, row.zs_value)
    return dict(points)


def read_nab(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None
) -> dict[str, dict[str, RawSeries]]:
    """NAB ``timestamp,value`` file → ``{stem: {"value": RawSeries}}``.

    Raises
    ------
    AuditInputError
        Missing column, bad timestamp, value not a finite number.
    """
    raw = RawSeries(path.stem, "value")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        cols = _header(reader, path, ("timestamp", "value"))
        it, iv = cols["timestamp"], cols["value"]
        count = 0
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) <= max(it, iv):
                raise AuditInputError(path, line, N_("%(count)s field(s), the header has %(width)s"),
                                      count=len(fields), width=len(cols))
            try:
                time = parse_time(fields[it], zone)
            except ValueError:
                raise AuditInputError(path, line, N_("bad timestamp %(text)r (ISO 8601 expected)"),
                                      text=fields[it]) from None
            raw.add(time, parse_number(fields[iv], path, line, "value", required=False), None, None)
            count += 1
            if on_progress is not None and count % 10_000 == 0:
                on_progress(10_000)
    if on_progress is not None:
        on_progress(count % 10_000)
    return {raw.point: {raw.factor: raw}} if raw.times else {}


def read_limits(path: Path) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Limits CSV → (hourly limits, daily limits), each ``(point, factor) → limit``.

    Raises
    ------
    AuditInputError
        Missing column, kind not hour/day, limit not a positive number, a limit given twice.
    """
    hourly: dict[tuple[str, str], float] = {}
    daily: dict[tuple[str, str], float] = {}
    for line, get in _rows(path, ("point", "factor", "kind", "limit")):
        key = (_text(get, "point", path, line), _text(get, "factor", path, line))
        kind = get("kind").strip().lower()
        if kind not in LIMIT_KINDS:
            raise AuditInputError(path, line, N_("kind %(kind)r is not one of %(known)s"), kind=kind,
                                  known=", ".join(LIMIT_KINDS))
        limit = parse_number(get("limit"), path, line, "limit", required=True)
        if limit <= 0:
            raise AuditInputError(path, line, N_("limit %(limit)s is not positive"), limit=limit)
        target = hourly if kind == "hour" else daily
        if key in target:
            raise AuditInputError(path, line, N_("%(kind)s limit of %(point)s/%(factor)s given twice"), kind=kind,
                                  point=key[0], factor=key[1])
        target[key] = limit
    return hourly, daily


def read_ranges(path: Path) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """Ranges CSV (``point,factor,low,high[,detection_limit]``; an empty bound = unknown) →
    ``(point, factor) → (low, high)``. The detection limits: :func:`read_detection_limits`.

    Raises
    ------
    AuditInputError
        Missing column, bound not a number, low not below high, a bad detection limit.
    """
    return read_instruments(path)[0]


def read_detection_limits(path: Path) -> dict[tuple[str, str], float]:
    """The ranges CSV's optional ``detection_limit`` column → ``(point, factor) → method detection limit`` in the
    factor's unit (rows with an empty cell, and files without the column, give none).

    Raises
    ------
    AuditInputError
        As :func:`read_ranges`; a detection limit not above 0, or not below the row's ``high``.
    """
    return read_instruments(path)[1]


def read_instruments(
    path: Path,
) -> tuple[dict[tuple[str, str], tuple[float | None, float | None]], dict[tuple[str, str], float]]:
    """The ranges CSV read once: :func:`read_ranges` and :func:`read_detection_limits` of it."""
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    limits: dict[tuple[str, str], float] = {}
    for line, get in _rows(path, ("point", "factor", "low", "high")):
        key = (_text(get, "point", path, line), _text(get, "factor", path, line))
        low = parse_number(get("low"), path, line, "low", required=False)
        high = parse_number(get("high"), path, line, "high", required=False)
        if low is not None and high is not None and not low < high:
            raise AuditInputError(path, line, N_("low %(low)s is not below high %(high)s"), low=low, high=high)
        ranges[key] = (low, high)
        dl = parse_number(get("detection_limit"), path, line, "detection_limit", required=False)
        if dl is None:
            limits.pop(key, None)  # a later row of the point-factor wins, as for the range
            continue
        if not dl > 0:
            raise AuditInputError(path, line, N_("detection_limit %(value)s is not above 0"), value=f"{dl:g}")
        if high is not None and not dl < high:
            raise AuditInputError(path, line, N_("detection_limit %(value)s is not below high %(high)s"),
                                  value=f"{dl:g}", high=f"{high:g}")
        limits[key] = dl
    return ranges, limits


def read_parameters(
    path: Path, zone: tzinfo
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, list[tuple[datetime, str, str, float]]]]:
    """Parameters CSV → (registered, reported) per point, in the shapes of :class:`PointData`.

    Returns
    -------
    registered : dict
        point → factor (or ``"*"``) → name → value.
    reported : dict
        point → list of ``(time, factor or "*", name, value)`` in time order.

    Raises
    ------
    AuditInputError
        Missing column, empty name, value not a number, bad time.
    """
    registered: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    reported: dict[str, list[tuple[datetime, str, str, float]]] = defaultdict(list)
    for line, get in _rows(path, ("point", "factor", "name", "value")):
        point = _text(get, "point", path, line)
        factor = get("factor").strip() or "*"
        name = _text(get, "name", path, line)
        value = parse_number(get("value"), path, line, "value", required=True)
        when = get("time").strip()
        if not when:
            registered[point][factor][name] = value
            continue
        try:
            t = parse_time(when, zone)
        except ValueError:
            raise AuditInputError(path, line, N_("bad time %(text)r (ISO 8601 expected)"), text=when) from None
        reported[point].append((t, factor, name, value))
    for rows in reported.values():
        rows.sort(key=lambda r: r[0])
    return ({p: {f: dict(v) for f, v in d.items()} for p, d in registered.items()}, dict(reported))


def read_detect_marks(path: Path, zone: tzinfo) -> dict[str, list[Mark]]:
    """Marks CSV (audit format) → point → detector :class:`~ecosentry.subsystems.monitoring.detect.model.Mark` list.

    Raises
    ------
    AuditInputError
        As :func:`ecosentry.subsystems.monitoring.offline.csvio.read_marks`.
    """
    out: dict[str, list[Mark]] = defaultdict(list)
    for m in read_marks(path, zone):
        factors = frozenset({m.factor}) if m.factor else None
        out[m.point].append(Mark(type=m.type, start=m.start, end=m.end, factors=factors, mark_id=m.line))
    return dict(out)


# --------------------------------------------------------------------------- building PointData


def infer_medium(factors: Iterable[str]) -> str:
    """``"water"`` when every factor is a wastewater code (HJ 212-2017 Appendix B ``w…``), else ``"gas"``."""
    codes = list(factors)
    return "water" if codes and all(c.lower().startswith("w") for c in codes) else "gas"


def point_names(
    raw: dict[str, dict],
    limits: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]] | None = None,
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] | None = None,
) -> list[str]:
    """The points :func:`build_points` yields, in its order: those with data and those named only in the
    limits or ranges (master data)."""
    hour_limits, day_limits = limits or ({}, {})
    named = {point for mapping in (hour_limits, day_limits, ranges or {}) for point, _ in mapping}
    return sorted(set(raw) | named)


def build_points(
    raw: dict[str, dict[str, RawSeries]] | dict[str, dict[str, ColumnSeries]],
    *,
    tz: str,
    medium: str | None = None,
    limits: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]] | None = None,
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] | None = None,
    marks: dict[str, list[Mark]] | None = None,
    parameters: tuple[dict, dict] | None = None,
    only: Collection[str] | None = None,
    detection_limits: dict[tuple[str, str], float] | None = None,
) -> Iterator[PointData]:
    """One :class:`PointData` per point (sorted by point), resolution inferred per point.

    Parameters
    ----------
    raw : dict
        From :func:`read_long` or :func:`read_nab`.
    tz : str
        IANA zone of the points (clock hours of the hourly rule, local time of day/night detectors).
    medium : {"gas", "water"} or None
        ``None``: inferred per point by :func:`infer_medium`.
    limits, ranges, marks, parameters, detection_limits :
        From the readers above; entries of unknown points are ignored.
    only : collection of str or None
        Build only these points (a worker of :mod:`~ecosentry.subsystems.monitoring.detect.fanout` builds its
        share); ``None`` = every point. The window and the hour layout are still those of the whole input.

    Notes
    -----
    ``window_start``/``window_end`` are the first record and the end of the last record over the whole
    input, the same for every point, so that a point that fell silent before the others is visible to
    "no data since" detectors. Points named only in the limits or ranges (master data) are yielded too,
    without series, so that a registered point that sent nothing is seen (电子督办 联网异常).
    """
    yield from prepare_points(raw, tz=tz, medium=medium, limits=limits, ranges=ranges, marks=marks,
                              parameters=parameters, detection_limits=detection_limits)(only)


def prepare_points(
    raw: dict[str, dict[str, RawSeries]] | dict[str, dict[str, ColumnSeries]],
    *,
    tz: str,
    medium: str | None = None,
    limits: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]] | None = None,
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] | None = None,
    marks: dict[str, list[Mark]] | None = None,
    parameters: tuple[dict, dict] | None = None,
    detection_limits: dict[tuple[str, str], float] | None = None,
) -> Callable[[Collection[str] | None], Iterator[PointData]]:
    """What :func:`build_points` does once for the whole input (the window, the columns in the points' zone),
    done now; returns ``build(only)``, which yields the points of ``only`` (``None`` = all) as
    :func:`build_points` does. The workers of :mod:`~ecosentry.subsystems.monitoring.detect.fanout` each call
    ``build`` for their share: the whole input is not gone through again for every point.
    """
    hour_limits, day_limits = limits or ({}, {})
    ranges = ranges or {}
    detection_limits = detection_limits or {}
    marks = marks or {}
    registered, reported = parameters or ({}, {})
    zone = ZoneInfo(tz)
    if any(isinstance(r, RawSeries) for by_factor in raw.values() for r in by_factor.values()):
        first, last, step = _extent(raw)  # type: ignore[arg-type]
        raw = {p: {f: columns_of(r, zone) if isinstance(r, RawSeries) else r for f, r in d.items()}
               for p, d in raw.items()}
    else:
        first, last, step = _extent_columns(raw)  # type: ignore[arg-type]
        raw = {p: {f: r if r.zone is zone else _rezoned(r, zone) for f, r in d.items()} for p, d in raw.items()}
    hour_stamps: dict[tuple[int, int], np.datetime64] = {}
    window_end = last + timedelta(seconds=step) if last is not None else None
    master: dict[str, set[str]] = defaultdict(set)
    for mapping in (hour_limits, day_limits, ranges):
        for point, factor in mapping:
            master[point].add(factor)

    def build(only: Collection[str] | None = None) -> Iterator[PointData]:
        for point in point_names(raw, limits, ranges):
            if only is not None and point not in only:
                continue
            by_factor = raw.get(point, {})
            point_medium = medium or infer_medium(by_factor or master[point])
            data = PointData(point=point, medium=point_medium, tz=tz, window_start=first, window_end=window_end)
            native = {f: _column_series(r) for f, r in sorted(by_factor.items())}
            steps = [s.step_seconds() for s in native.values() if len(s) > 1]
            point_step = float(np.median(steps)) if steps else HOURLY_STEP_MIN_S
            if point_step < HOURLY_STEP_MIN_S:
                data.minutes = native
                interval = _min_interval(point_step)
                groups: list[tuple[HourClock, list[str]]] = []  # the factors of each clock, in factor order
                for f in sorted(by_factor):
                    clock = hour_clock(by_factor[f], hour_stamps, like=groups[-1][0] if groups else None)
                    if groups and clock is groups[-1][0]:
                        groups[-1][1].append(f)
                    else:
                        groups.append((clock, [f]))
                hours = {}
                for clock, factors in groups:
                    each = hourly_columns_of([by_factor[f] for f in factors], clock, medium=point_medium,
                                             interval_minutes=interval)
                    hours.update(zip(factors, each))
                data.hours = {f: hours[f] for f in sorted(by_factor)}
            else:
                data.hours = native
            for factor in set(by_factor) | master.get(point, set()):
                key = (point, factor)
                if key in hour_limits:
                    data.limits[factor] = hour_limits[key]
                if key in day_limits:
                    data.day_limits[factor] = day_limits[key]
                if key in ranges:
                    data.ranges[factor] = ranges[key]
                if key in detection_limits:
                    data.detection_limits[factor] = detection_limits[key]
            data.marks = sorted(marks.get(point, []), key=lambda m: m.start)
            data.registered = registered.get(point, {})
            data.reported = reported.get(point, [])
            yield data

    return build


def hourly_series(raw: RawSeries, *, medium: str, tz: str, interval_minutes: int) -> Series:
    """Hourly :class:`Series` of one factor from its minute records (HJ 212-2017 CN 2051 → 2061).

    Each clock hour of the point's zone goes through :func:`hourly_from_minutes` (45 valid minutes, HJ
    76-2017 Appendix B; flag roll-up of HJ 212-2017 Appendix C). ``valid`` carries each hour's validity.
    """
    zone = ZoneInfo(tz)
    groups: dict[datetime, list[MinuteRecord]] = defaultdict(list)
    for t, v, f, z in zip(raw.times, raw.values, raw.flags, raw.zs):
        # Clock hours of the point's zone (as group_by_hour; the readers already give times in that zone,
        # so the conversion is skipped for them).
        local = t if t.tzinfo is zone else t.astimezone(zone)
        groups[local.replace(minute=0, second=0, microsecond=0)].append(MinuteRecord(local, v, f, z))
    rule_medium = "water" if medium == "water" else "gas"
    hours, values, flags, zs, valid = [], [], [], [], []
    for hour in sorted(groups):
        group = groups[hour]
        hv = hourly_from_minutes(group, medium=rule_medium, interval_minutes=interval_minutes)
        hours.append(to_datetime64(hour))
        values.append(np.nan if hv.value is None else hv.value)
        flags.append(hv.flag)
        zs.append(np.nan if hv.zs_value is None else hv.zs_value)
        valid.append(hv.valid)
    zs_arr = np.array(zs, dtype=np.float64)
    return Series(
        raw.factor,
        np.array(hours, dtype="datetime64[s]"),
        np.array(values, dtype=np.float64),
        tuple(flags) if any(f not in (None, "N") for f in flags) else (),
        zs=zs_arr if np.isfinite(zs_arr).any() else None,
        valid=np.array(valid, dtype=bool),
    )


@dataclass(frozen=True)
class HourClock:
    """The clock hours of a series' records (:func:`hour_clock`): the records in wall-clock order (``idx``,
    ``None`` when as read), their wall times ``t``, where each hour ``starts`` among them, the input position of
    each hour's first record (``first_in``) and the hours' UTC starts (``stamps``, read-only)."""

    zone: tzinfo
    utc_us: np.ndarray
    local_us: np.ndarray
    idx: np.ndarray | None
    t: np.ndarray
    starts: np.ndarray
    first_in: np.ndarray
    stamps: np.ndarray


def hour_clock(cs: ColumnSeries, hour_stamps: dict | None = None, *, like: HourClock | None = None) -> HourClock:
    """The :class:`HourClock` of ``cs``; ``like`` itself when it was taken of the same times in the same zone.

    A data logger writes every factor of a point at the same instants: the point's series share one clock,
    found once and compared after (seed 47: 260 of its 300 series, ~10 ms of the points' building, issue 13
    item 3). ``hour_stamps`` caches hour → UTC stamp across series."""
    if (like is not None and like.zone is cs.zone and np.array_equal(like.local_us, cs.local_us)
            and np.array_equal(like.utc_us, cs.utc_us)):
        return like
    if not len(cs.local_us):
        none = np.zeros(0, dtype=np.int64)
        return HourClock(cs.zone, cs.utc_us, cs.local_us, None, cs.local_us, none, none, none.astype("datetime64[s]"))
    idx, t, starts, first_in = _wall_order(cs.local_us)
    stamps = _hour_starts(cs, t[starts] // _HOUR_US, first_in, {} if hour_stamps is None else hour_stamps)
    stamps.setflags(write=False)  # shared by the point's hourly series
    return HourClock(cs.zone, cs.utc_us, cs.local_us, idx, t, starts, first_in, stamps)


def hourly_columns(cs: ColumnSeries, *, medium: str, interval_minutes: int,
                   hour_stamps: dict[tuple[int, int], np.datetime64] | None = None) -> Series:
    """:func:`hourly_series` in array form: the same hours, values, flags, 折算 values and validity.

    The rule of :func:`~ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes` per clock hour
    of the zone's wall clock: duplicates of a start dropped (first in input order kept), a minute valid when
    its flag is ``N``/``S`` and it has a value, the hour valid with ``min(valid × interval, 60) ≥ 45`` and
    not all ``F``, the flag rolled up as Appendix C (gas 75 % rule, water first invalidating flag), the
    means with ``math.fsum`` as the per-hour rule. ``hour_stamps`` caches hour → UTC stamp across series.
    """
    return hourly_columns_of([cs], hour_clock(cs, hour_stamps), medium=medium, interval_minutes=interval_minutes)[0]


def hourly_columns_of(series: Sequence[ColumnSeries], clock: HourClock, *, medium: str,
                      interval_minutes: int) -> list[Series]:
    """:func:`hourly_columns` of several series of one :func:`hour_clock` (``clock``): their hourly means summed
    together, one :func:`_exact_sums` for all (seed 47: 40 calls instead of 300, ~10 ms less, issue 13 item 3)."""
    check = hourly_from_minutes([], medium="water" if medium == "water" else "gas",
                                interval_minutes=interval_minutes)  # validates medium and interval
    del check
    if len(clock.t) == 0:
        return [Series(cs.factor, np.zeros(0, dtype="datetime64[s]"), np.zeros(0), (), zs=None,
                       valid=np.zeros(0, dtype=bool)) for cs in series]
    idx, starts = clock.idx, clock.starts
    bounds = np.append(starts, len(clock.t))
    n = np.diff(bounds)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.add.reduceat(mask.astype(np.int64), starts)

    rolled, means_of = [], []
    for cs in series:
        values = cs.values if idx is None else cs.values[idx]
        norm = [_normalise_flag(f) for f in cs.flag_names]
        codes = cs.flag_code if idx is None else cs.flag_code[idx]
        # every record N (most series: an input's flags are coded over all its series, so a series whose own
        # records are all N still has the input's other flags among its names): the hours are N, none stopped
        if norm and np.array([f == "N" for f in norm], dtype=bool)[codes].all():
            ok = np.isfinite(values)
            valid = np.minimum(count(ok) * interval_minutes, MINUTES_PER_HOUR) >= MIN_VALID_MINUTES
            flags: tuple[str, ...] = ()
        else:
            valid, flags, ok = _hour_flags(norm, codes, values, starts, n, medium, interval_minutes)
        zs = cs.zs if idx is None else cs.zs[idx]
        rolled.append((flags, valid))
        means_of += [(values, ok), (zs, ok & np.isfinite(zs))]
    means = _segment_means(means_of, bounds)
    out = []
    for k, (cs, (flags, valid)) in enumerate(zip(series, rolled)):
        hour_values, hour_zs = means[2 * k], means[2 * k + 1]
        out.append(Series(cs.factor, clock.stamps, hour_values, flags,
                          zs=hour_zs if np.isfinite(hour_zs).any() else None, valid=np.asarray(valid, dtype=bool)))
    return out


def _wall_order(local_us: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
    """The records of one series in wall-clock order, the first in input order of a repeated start kept.

    Returns their input positions (``None``: all of them, already in that order, as a logger writes them:
    nothing to sort or pick), their wall times, where each clock hour starts among them, and the input position
    of each hour's first record in input order (its fold names the hour).
    """
    if (local_us[1:] > local_us[:-1]).all():
        hour = local_us // _HOUR_US
        starts = _changes(hour)
        return None, local_us, starts, starts
    order_all = np.argsort(local_us, kind="stable")
    t_all = local_us[order_all]
    keep = np.ones(len(t_all), dtype=bool)
    keep[1:] = t_all[1:] != t_all[:-1]
    t = t_all[keep]
    hour = t // _HOUR_US
    starts = _changes(hour)
    starts_all = _changes(t_all // _HOUR_US)
    return order_all[keep], t, starts, np.minimum.reduceat(order_all, starts_all)


def _changes(key: np.ndarray) -> np.ndarray:
    """Positions where ``key`` (non-empty) takes a new value: 0 and each position unlike the one before."""
    return np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))


def _hour_flags(norm: list[str], codes: np.ndarray, values: np.ndarray, starts: np.ndarray, n: np.ndarray,
                medium: str, interval_minutes: int) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Each hour's validity, the hours' flags as a series keeps them (HJ 212-2017 Appendix C roll-up; empty
    when all are ``N``) and each record's validity, from the records' normalised flag names ``norm[codes]``:
    see :func:`hourly_columns`. The records not flagged ``N`` are few: the other flags are counted over them."""
    kind = np.array([_FLAG_KINDS.get(f, len(_FLAG_KINDS)) for f in norm], dtype=np.int8)[codes]
    ok = (kind <= 1) & np.isfinite(values)
    n_valid = np.add.reduceat(ok.astype(np.int64), starts)
    valid_minutes = np.minimum(n_valid * interval_minutes, MINUTES_PER_HOUR)
    other = np.flatnonzero(kind != 0)
    other_kind = kind[other]
    hour = np.searchsorted(starts, other, side="right") - 1
    n_s = np.bincount(hour[other_kind == 1], minlength=len(starts))
    n_f = np.bincount(hour[other_kind == 2], minlength=len(starts))
    n_n = n - np.bincount(hour, minlength=len(starts))
    all_stopped = n_f == n
    valid = ~all_stopped & (valid_minutes >= MIN_VALID_MINUTES)
    if medium == "water":  # the first invalidating flag of the hour, else S when one record is S
        bad = other_kind >= 2
        if not bad.any() and not (n_s > 0).any() and not all_stopped.any():
            return valid, (), ok  # every hour N
        names = np.where(n_s > 0, "S", "N").astype(object)
        hours_bad, first = np.unique(hour[bad], return_index=True)
        names[hours_bad] = [norm[c] for c in codes[other[bad][first]].tolist()]
    else:  # the 75 % rule
        code = np.where(4 * n_n > 3 * n, 0, np.where((n_s > 0) & (4 * (n_n + n_s) > 3 * n), 1, 2))
        if not code.any() and not all_stopped.any():
            return valid, (), ok  # every hour N
        names = np.array(["N", "S", "D"], dtype=object)[code]
    names[all_stopped] = "F"
    flags = tuple(names.tolist())
    return valid, flags if any(f != "N" for f in flags) else (), ok


#: Normalised flags whose count the hourly roll-up needs, by their index in its counts (any other flag: past them).
_FLAG_KINDS = {"N": 0, "S": 1, "F": 2}


def _hour_starts(cs: ColumnSeries, hours: np.ndarray, first_in: np.ndarray, cache: dict) -> np.ndarray:
    """UTC start of each clock hour ``hours`` (wall-clock hours since the epoch, increasing) of ``cs``, named by
    the fold of its first record in input order (input position ``first_in``); ``cache`` is kept across series.

    An hour whose wall times all have one offset (every hour but those of a clock change), named by a record
    read with fold 0, starts at its wall time less that offset: all such hours at once. The others (a clock
    change, the repeated hour's second pass) one by one.
    """
    stamps = np.empty(len(hours), dtype="datetime64[s]")
    known, offset = _fold0_offsets(cache, cs.zone, hours)
    simple = known & (cs.local_us[first_in] - offset == cs.utc_us[first_in])
    stamps[simple] = ((hours[simple] * _HOUR_US - offset[simple]) // 1_000_000).astype("datetime64[s]")
    for k in np.flatnonzero(~simple).tolist():
        h, i = int(hours[k]), int(first_in[k])
        wall = int(cs.local_us[i])
        off = _fold0_offset(cache, cs.zone, h)  # the hour's offset when it is one (fold 0)
        if off is None:
            off = wall - _utc_us((_EPOCH + timedelta(microseconds=wall)).replace(tzinfo=cs.zone))
        fold = int(wall - off != int(cs.utc_us[i]))
        key = (h, fold)
        stamp = cache.get(key)
        if stamp is None:
            local = (_EPOCH + timedelta(hours=h)).replace(tzinfo=cs.zone, fold=fold)
            stamp = cache[key] = to_datetime64(local)
        stamps[k] = stamp
    return stamps


def _fold0_offsets(cache: dict, zone: tzinfo, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_fold0_offset` of each of ``hours``: whether it has one offset, and that offset [µs] (0 where
    not); kept in ``cache`` for the same hours (the series of one input mostly share their hours)."""
    key = ("offsets", hours.tobytes())
    hit = cache.get(key)
    if hit is None:
        offsets = [_fold0_offset(cache, zone, h) for h in hours.tolist()]
        known = np.array([o is not None for o in offsets], dtype=bool)
        offset = np.array([0 if o is None else o for o in offsets], dtype=np.int64)
        known.setflags(write=False)
        offset.setflags(write=False)
        hit = cache[key] = (known, offset)
    return hit


def _fold0_offset(cache: dict, zone: tzinfo, h: int) -> int | None:
    """UTC offset [µs] of every wall time of clock hour ``h`` read with fold 0, ``None`` when it changes
    within the hour (cached in ``cache`` under ``("offset", h)``)."""
    key = ("offset", h)
    if key in cache:
        return cache[key]
    first = (_EPOCH + timedelta(hours=h)).replace(tzinfo=zone)
    last = (_EPOCH + timedelta(hours=h, microseconds=_HOUR_US - 1)).replace(tzinfo=zone)
    a, b = first.utcoffset(), last.utcoffset()
    off = None if a != b or a is None else a // _US
    cache[key] = off
    return off


def _segment_means(series: Sequence[tuple[np.ndarray, np.ndarray]], bounds: np.ndarray) -> list[np.ndarray]:
    """For each ``(x, ok)`` of ``series``: the ``math.fsum`` mean of ``x[ok]`` within each segment
    ``bounds[k]:bounds[k+1]``, NaN where none.

    The sums are :func:`_exact_sums` (``math.fsum``'s correctly rounded sums, bit for bit), of every series'
    segments at once.
    """
    values, counts, outs, filled = [], [], [], []
    for x, ok in series:
        out = np.full(len(bounds) - 1, np.nan)
        outs.append(out)
        if ok.all():  # every record counts (most hours): the segments are the bounds themselves
            sel, cum = x, bounds
        elif not ok.any():
            continue
        else:
            sel = x[ok]
            cum = np.concatenate(([0], np.cumsum(ok)))[bounds]
        count = np.diff(cum)
        some = count > 0
        values.append(sel[cum[0]:cum[-1]])  # its non-empty segments, each after the one before
        counts.append(count[some])
        filled.append((out, some))
    if not filled:
        return outs
    count = np.concatenate(counts)
    sums = _exact_sums(np.concatenate(values), np.concatenate(([0], np.cumsum(count)[:-1])), count)
    at = 0
    for (out, some), c in zip(filled, counts):
        out[some] = sums[at:at + len(c)] / c
        at += len(c)
    return outs


def _exact_sums(x: np.ndarray, starts: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``math.fsum(x[a:a+n])`` for each of the consecutive segments ``a = starts[i]``, ``n = count[i] ≥ 1`` (each
    starts where the one before ends): the sums correctly rounded to float64, in float64 arithmetic.

    Each value is split exactly into ``hi + lo``: ``hi`` a whole multiple of ``σ = 2^(e − 53 + L)``, where
    ``2^e`` exceeds the segment's largest ``|x|`` and ``2^L`` its count, and ``|lo| ≤ σ/2`` (both on ``x``'s own
    grid or coarser, so the split is exact). Every partial sum of the ``hi`` is a multiple of σ below ``2^53 σ``:
    they add exactly, in any order. So do the ``lo`` when the smallest non-zero ``|x|`` is at least
    ``2^(e − 54 + 2L)`` (every partial sum a multiple of its grid below 2^53 of it, as for the values of one
    series in one hour): then the float64 sum of the two sums is the exact sum rounded, half to even, as
    ``math.fsum`` rounds it. Otherwise the ``lo`` add with an error of at most ``γ(n−1) · n σ/2 ≤ n² σ 2^−53``
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §4.2, eq. 4.4), and the rounded sum
    ``r`` stands where its exact remainder (Knuth's TwoSum) plus that bound stays inside half the gap to its
    neighbours (less ``2^−20`` of it for the test's own rounding). Elsewhere (a sum of 0, non-finite values,
    values near float64's largest or smallest, a sum too near a point half-way between two float64 numbers)
    ``math.fsum`` itself. Why not extended precision as before: its bound (``γ(n−1) · Σ|x|`` at 64 bits) left
    one hourly sum in 13 to ``math.fsum`` on seed 47 (3,230 of 42,284), and ``numpy.longdouble`` is slow: the
    building of the points' hours took ~30 ms more CPU (issue 13 item 3).
    """
    out = np.empty(len(starts))
    if not len(starts):
        return out
    first = int(starts[0])
    y = x[first:int(starts[-1]) + int(count[-1])]
    rel = starts - first
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        size = np.abs(y)
        big = np.maximum.reduceat(size, rel)
        _, e = np.frexp(big)  # big < 2^e
        _, e_small = np.frexp(np.minimum.reduceat(np.where(size > 0, size, np.inf), rel))  # its smallest ≥ 2^(e_small − 1)
        _, bits = np.frexp(count.astype(np.float64))  # count < 2^bits
        scale_exp = np.maximum(e - 53 + bits, -1000)
        sigma = np.ldexp(1.0, scale_exp)
        each = np.repeat(sigma, count)
        hi = np.round(y / each) * each
        high = np.add.reduceat(hi, rel)  # exact
        low = np.add.reduceat(y - hi, rel)  # y − hi exact; its sum within n² σ 2^−53
        r = high + low  # TwoSum: r + rem == high + low exactly
        back = r - high
        rem = (high - (r - back)) + (low - back)
        bound = np.ldexp(count.astype(np.float64) ** 2, scale_exp - 53)
        gap = np.minimum(np.nextafter(r, np.inf) - r, r - np.nextafter(r, -np.inf)) / 2
        exact = e - e_small <= 53 - 2 * bits  # the lo add exactly: r is the exact sum rounded
        sure = exact | (np.abs(rem) <= gap * (1 - 2.0 ** -20) - 2 * bound)
        sure &= (r != 0) & np.isfinite(r) & (bits <= 26)
        # every value finite and none so small or so large that σ, the gap or the sum leave float64's range
        sure &= (big >= 2.0 ** -900) & (big * count < 2.0 ** 1020)
    out[sure] = r[sure]
    for i in np.flatnonzero(~sure).tolist():
        a = int(starts[i])
        out[i] = math.fsum(x[a : a + int(count[i])].tolist())
    return out


def _column_series(cs: ColumnSeries) -> Series:
    """As :func:`_series` on columns: sorted by time, first record of a duplicated second kept."""
    seconds = cs.utc_us // 1_000_000
    if (seconds[1:] > seconds[:-1]).all():  # in order without repeats (a logger's file): every record, as read
        idx = np.arange(len(seconds))
        # the read columns themselves, read-only (no copy: nothing writes into a series' values)
        stamps, values, codes, zs = seconds.view("datetime64[s]"), _read_only(cs.values), cs.flag_code, cs.zs
    else:
        order = np.argsort(seconds, kind="stable")
        ordered = seconds[order]
        keep = np.ones(len(ordered), dtype=bool)
        keep[1:] = ordered[1:] != ordered[:-1]
        idx = order[keep]
        stamps, values, codes, zs = ordered[keep].astype("datetime64[s]"), cs.values[idx], cs.flag_code[idx], cs.zs[idx]
    plain = all(f in (None, "N") for f in cs.flag_names) or bool(
        np.array([f in (None, "N") for f in cs.flag_names], dtype=bool)[codes].all())
    flags = () if plain else tuple(cs.flags()[idx].tolist())
    series = Series(cs.factor, stamps, values, flags, zs=_read_only(zs) if np.isfinite(zs).any() else None)
    if flags:
        remember_normal_flags(series, cs.flag_names, codes)
    return series


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (its data shared, not copied)."""
    view = a.view()
    view.setflags(write=False)
    return view


def _extent_columns(raw: dict[str, dict[str, ColumnSeries]]) -> tuple[datetime | None, datetime | None, float]:
    """:func:`_extent` on columns (min/max on the wall clock, as Python compares datetimes of one zone)."""
    first = last = None
    first_key = last_key = None
    steps = []
    for by_factor in raw.values():
        for r in by_factor.values():
            if not len(r):
                continue
            i_lo, i_hi = int(np.argmin(r.local_us)), int(np.argmax(r.local_us))
            lo, hi = int(r.local_us[i_lo]), int(r.local_us[i_hi])
            if first_key is None or lo < first_key:
                first_key, first = lo, r.time(i_lo)
            if last_key is None or hi > last_key:
                last_key, last = hi, r.time(i_hi)
            if len(r) > 1:
                t = r.local_us
                if bool((t[1:] > t[:-1]).all()):  # in order without repeats (a logger's file): no sort
                    distinct = len(t)
                else:
                    ordered = np.sort(t)
                    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
                steps.append(((hi - lo) / 1_000_000) / (distinct - 1 or 1))
    step = float(np.median(steps)) if steps else HOURLY_STEP_MIN_S
    step = HOURLY_STEP_MIN_S if step >= HOURLY_STEP_MIN_S else max(step, 1.0)
    return first, last, step


def _series(raw: RawSeries) -> Series:
    """Native-resolution series: sorted by time, first record of a duplicated time kept."""
    stamps = np.array([to_datetime64(t) for t in raw.times], dtype="datetime64[s]")
    order = np.argsort(stamps, kind="stable")
    stamps = stamps[order]
    keep = np.ones(len(stamps), dtype=bool)
    keep[1:] = stamps[1:] != stamps[:-1]
    idx = order[keep]
    values = np.array([np.nan if raw.values[i] is None else raw.values[i] for i in idx], dtype=np.float64)
    flags = tuple(raw.flags[i] for i in idx)
    zs = np.array([np.nan if raw.zs[i] is None else raw.zs[i] for i in idx], dtype=np.float64)
    return Series(
        raw.factor,
        stamps[keep],
        values,
        flags if any(f not in (None, "N") for f in flags) else (),
        zs=zs if np.isfinite(zs).any() else None,
    )


def _min_interval(step_s: float) -> int:
    """MinInterval of minute data from the record spacing: the allowed HJ 212 value nearest below."""
    minutes = max(1, int(math.floor(step_s / 60.0 + 1e-9)))
    return max(m for m in ALLOWED_MIN_INTERVALS if m <= minutes)


def _extent(raw: dict[str, dict[str, RawSeries]]) -> tuple[datetime | None, datetime | None, float]:
    first = last = None
    steps = []
    for by_factor in raw.values():
        for r in by_factor.values():
            if not r.times:
                continue
            lo, hi = min(r.times), max(r.times)
            first = lo if first is None or lo < first else first
            last = hi if last is None or hi > last else last
            if len(r.times) > 1:
                steps.append((hi - lo).total_seconds() / (len(set(r.times)) - 1 or 1))
    step = float(np.median(steps)) if steps else HOURLY_STEP_MIN_S
    step = HOURLY_STEP_MIN_S if step >= HOURLY_STEP_MIN_S else max(step, 1.0)
    return first, last, step


# --------------------------------------------------------------------------- small CSV helpers


def _header(reader: Iterator[list[str]], path: Path, required: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise AuditInputError(path, 1, N_("file is empty (a header line is required)")) from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise AuditInputError(path, 1, N_("missing column(s) %(columns)s (header is %(header)r)"),
                              columns=", ".join(missing), header=",".join(header))
    return {name: i for i, name in enumerate(names)}


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, Callable[[str], str]]]:
    """Yield ``(line, get)`` for each non-blank row; ``get(column)`` is "" for absent optional columns."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise AuditInputError(path, None, N_("cannot open (%(reason)s)"), reason=exc.strerror) from None
    with fh:
        reader = csv.reader(fh)
        cols = _header(reader, path, required)
        need = max(cols[c] for c in required) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < need:
                raise AuditInputError(path, line, N_("%(count)s field(s), the header has %(width)s"),
                                      count=len(fields), width=len(cols))

            def get(column: str, _fields=fields) -> str:
                i = cols.get(column)
                return _fields[i] if i is not None and i < len(_fields) else ""

            yield line, get


def _text(get: Callable[[str], str], column: str, path: Path, line: int) -> str:
    value = get(column).strip()
    if not value:
        raise AuditInputError(path, line, N_("column %(column)r is empty"), column=column)
    return value


