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
* **Ranges** ``point,factor,low,high``: analyser range (instrument master data) for the over-range rule.
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
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.monitoring.offline.csvio import AuditInputError, DataRow, iter_data_rows, parse_time, read_marks
from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.rules.cn.hourly import ALLOWED_MIN_INTERVALS, MinuteRecord, hourly_from_minutes

__all__ = [
    "AuditInputError",
    "RawSeries",
    "read_long",
    "read_nab",
    "read_limits",
    "read_ranges",
    "read_parameters",
    "read_detect_marks",
    "build_points",
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


# --------------------------------------------------------------------------- readers


def read_long(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None
) -> dict[str, dict[str, RawSeries]]:
    """Long CSV → point → factor → :class:`RawSeries` (input order kept).

    Raises
    ------
    AuditInputError
        Naming file and line (missing column, bad time, value not a number ...).
    """
    return group_rows(iter_data_rows(path, zone, on_progress=on_progress))


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
                raise AuditInputError(path, line, f"{len(fields)} field(s), the header has {len(cols)}")
            try:
                time = parse_time(fields[it], zone)
            except ValueError:
                raise AuditInputError(path, line, f"bad timestamp {fields[it]!r} (ISO 8601 expected)") from None
            raw.add(time, _number(fields[iv], path, line, "value", required=False), None, None)
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
            raise AuditInputError(path, line, f"kind {kind!r} is not one of {', '.join(LIMIT_KINDS)}")
        limit = _number(get("limit"), path, line, "limit", required=True)
        if limit <= 0:
            raise AuditInputError(path, line, f"limit {limit} is not positive")
        target = hourly if kind == "hour" else daily
        if key in target:
            raise AuditInputError(path, line, f"{kind} limit of {key[0]}/{key[1]} given twice")
        target[key] = limit
    return hourly, daily


def read_ranges(path: Path) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """Ranges CSV (``point,factor,low,high``; an empty bound = unknown) → ``(point, factor) → (low, high)``.

    Raises
    ------
    AuditInputError
        Missing column, bound not a number, low not below high.
    """
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    for line, get in _rows(path, ("point", "factor", "low", "high")):
        key = (_text(get, "point", path, line), _text(get, "factor", path, line))
        low = _number(get("low"), path, line, "low", required=False)
        high = _number(get("high"), path, line, "high", required=False)
        if low is not None and high is not None and not low < high:
            raise AuditInputError(path, line, f"low {low} is not below high {high}")
        ranges[key] = (low, high)
    return ranges


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
        value = _number(get("value"), path, line, "value", required=True)
        when = get("time").strip()
        if not when:
            registered[point][factor][name] = value
            continue
        try:
            t = parse_time(when, zone)
        except ValueError:
            raise AuditInputError(path, line, f"bad time {when!r} (ISO 8601 expected)") from None
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


def build_points(
    raw: dict[str, dict[str, RawSeries]],
    *,
    tz: str,
    medium: str | None = None,
    limits: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]] | None = None,
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] | None = None,
    marks: dict[str, list[Mark]] | None = None,
    parameters: tuple[dict, dict] | None = None,
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
    limits, ranges, marks, parameters :
        From the readers above; entries of unknown points are ignored.

    Notes
    -----
    ``window_start``/``window_end`` are the first record and the end of the last record over the whole
    input, the same for every point, so that a point that fell silent before the others is visible to
    "no data since" detectors. Points named only in the limits or ranges (master data) are yielded too,
    without series, so that a registered point that sent nothing is seen (电子督办 联网异常).
    """
    hour_limits, day_limits = limits or ({}, {})
    ranges = ranges or {}
    marks = marks or {}
    registered, reported = parameters or ({}, {})
    first, last, step = _extent(raw)
    window_end = last + timedelta(seconds=step) if last is not None else None
    master: dict[str, set[str]] = defaultdict(set)
    for mapping in (hour_limits, day_limits, ranges):
        for point, factor in mapping:
            master[point].add(factor)
    for point in sorted(set(raw) | set(master)):
        by_factor = raw.get(point, {})
        point_medium = medium or infer_medium(by_factor or master[point])
        data = PointData(point=point, medium=point_medium, tz=tz, window_start=first, window_end=window_end)
        native = {f: _series(r) for f, r in sorted(by_factor.items())}
        steps = [s.step_seconds() for s in native.values() if len(s) > 1]
        point_step = float(np.median(steps)) if steps else HOURLY_STEP_MIN_S
        if point_step < HOURLY_STEP_MIN_S:
            data.minutes = native
            interval = _min_interval(point_step)
            data.hours = {
                f: hourly_series(by_factor[f], medium=point_medium, tz=tz, interval_minutes=interval)
                for f in sorted(by_factor)
            }
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
        data.marks = sorted(marks.get(point, []), key=lambda m: m.start)
        data.registered = registered.get(point, {})
        data.reported = reported.get(point, [])
        yield data


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
        raise AuditInputError(path, 1, "file is empty (a header line is required)") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise AuditInputError(path, 1, f"missing column(s) {', '.join(missing)} (header is {','.join(header)!r})")
    return {name: i for i, name in enumerate(names)}


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, Callable[[str], str]]]:
    """Yield ``(line, get)`` for each non-blank row; ``get(column)`` is "" for absent optional columns."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise AuditInputError(path, None, f"cannot open ({exc.strerror})") from None
    with fh:
        reader = csv.reader(fh)
        cols = _header(reader, path, required)
        need = max(cols[c] for c in required) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < need:
                raise AuditInputError(path, line, f"{len(fields)} field(s), the header has {len(cols)}")

            def get(column: str, _fields=fields) -> str:
                i = cols.get(column)
                return _fields[i] if i is not None and i < len(_fields) else ""

            yield line, get


def _text(get: Callable[[str], str], column: str, path: Path, line: int) -> str:
    value = get(column).strip()
    if not value:
        raise AuditInputError(path, line, f"column {column!r} is empty")
    return value


def _number(text: str | None, path: Path, line: int, column: str, *, required: bool) -> float | None:
    s = (text or "").strip()
    if not s:
        if required:
            raise AuditInputError(path, line, f"column {column!r} is empty")
        return None
    try:
        x = float(s)
    except ValueError:
        raise AuditInputError(path, line, f"column {column!r}: {s!r} is not a number") from None
    if not math.isfinite(x):
        raise AuditInputError(path, line, f"column {column!r}: {s!r} is not a finite number")
    return x
