"""National 电子督办 anomaly rules: missing data, constant values, negative and over-range values, O2 logic.

The national electronic-supervision system (电子督办) lists 18 categories of abnormal automatic-monitoring
data; only 数据缺失, 联网异常, 恒值, 负值 and 超量程 were found with explicit thresholds (reference notes
§5.2 [S]). Categories 13 (停运期间数据异常) and 16 (氧含量显示停运但其他参数不符) were found without
thresholds; their thresholds here are platform choices (notes §5.4, §5.6, tagged "ours"). Zero concentration
while running is ours (notes §5.4, §5.6).

Every detector is a pure function ``detect_x(data, cfg) -> list[Finding]`` (:mod:`.model`); thresholds live
in :class:`NationalSettings` (``cfg.national``); ``cfg.running_flow_min`` and ``cfg.o2_stopped_pct`` are
shared with the other families.

Choices made here (each a setting where it is a threshold):

* **Resolution.** The national rules are stated on hourly data. A factor without an hourly series (e.g. a
  minute-resolution CSV) is checked on its minute series. The constant-value rule also looks at minute
  data when both exist (:attr:`NationalSettings.constant_on_minutes`): 4 h of identical minute values that
  straddle clock hours (08:30–12:30) leave only 3 whole identical hours, which the hourly rule misses.
  Overlapping runs found at both resolutions (and on 折算) become one finding.
* **Normal production (正常生产).** From :func:`.model.running_mask` (flow/velocity and O2). When the point
  has no such parameter, every hour is treated as running and the evidence says ``running_known: false``.
* **Time span of a finding.** ``start`` is the start of the first offending interval, ``end`` the *end*
  of the last one (exclusive), so an offending hour 08:00 gives 08:00–09:00.
* **Explanations** give times in the point's local zone (``PointData.tz``) with the UTC offset.

References
----------
.. [1] china-vietnam-rules.md §5.2 (national 电子督办 rules, [S]), §5.4 (cross-parameter patterns, [S]),
   §5.6 (suggested detector set), §0.2 (HJ 212-2017 §6.6.4 flags, [C]), §1.2 (停运 leaves the statistics
   period, [S]), §2.1 (45 valid minutes per hour; MinInterval coverage, ours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.monitoring.detect.model import (
    Finding,
    Mark,
    PointData,
    Series,
    detector,
    hour_floor,
    is_concentration,
    resolution_step,
    role_of,
    running_mask,
    to_datetime,
    to_datetime64,
    valid_mask,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings, NationalSettings
from ecosentry.contracts.catalogue import Rule, get, register

__all__ = [
    "NationalSettings",
    "detect_missing_minutes",
    "detect_missing_hours",
    "detect_missing_unfilled",
    "detect_no_data",
    "detect_constant_value",
    "detect_half_month_range",
    "detect_negative_values",
    "detect_over_range",
    "detect_data_while_stopped",
    "detect_o2_logic",
    "detect_zero_while_running",
]


# ---------------------------------------------------------------------------------------------- catalogue

_MOD = "ecosentry.subsystems.monitoring.detect.national"
_REF = "china-vietnam-rules.md"

for _rule in (
    Rule("DET-MISSING-MINUTES", "warning",
         "Flue-gas factor with fewer than 45 minutes of minute records in an hour (数据缺失).",
         f"电子督办 数据缺失; HJ 76-2017 App. B; {_REF} §5.2, §2.1", f"{_MOD}.detect_missing_minutes", "S",
         kind="data_quality"),
    Rule("DET-MISSING-HOUR", "warning", "Hourly record of a factor missing (数据缺失).",
         f"电子督办 数据缺失; {_REF} §5.2, §5.6", f"{_MOD}.detect_missing_hours", "S", kind="data_quality"),
    Rule("DET-MISSING-168H", "warning",
         "Hourly data of a factor missing for more than 168 h without back-fill (数据缺失).",
         f"电子督办 数据缺失; {_REF} §5.2, §5.6", f"{_MOD}.detect_missing_unfilled", "S", kind="data_quality"),
    Rule("DET-NO-DATA", "warning", "No data at all for any factor during the window (联网异常).",
         f"电子督办 联网异常; {_REF} §5.2", f"{_MOD}.detect_no_data", "S", kind="data_quality"),
    Rule("DET-CONST-4H", "warning",
         "Concentration (incl. 折算), velocity or O2 at the same value ≥ 0 for ≥ 4 h while running (恒值).",
         f"电子督办 恒值; {_REF} §5.2, §5.6", f"{_MOD}.detect_constant_value", "S", kind="falsification"),
    Rule("DET-RANGE-HALFMONTH", "warning",
         "Range of valid hourly concentration means over a half-month < 5 % of the mean while running (恒值).",
         f"电子督办 恒值; {_REF} §5.2 (denominator UNCONFIRMED), §5.6", f"{_MOD}.detect_half_month_range",
         "S/R", kind="falsification"),
    Rule("DET-NEGATIVE", "warning",
         "Negative concentration (incl. 折算), velocity, O2 or flow while running (负值).",
         f"电子督办 负值; {_REF} §5.2, §5.6", f"{_MOD}.detect_negative_values", "S", kind="data_quality"),
    Rule("DET-OVER-RANGE", "warning",
         "Value above the analyser range while running, or flagged T by the analyser (超量程).",
         f"电子督办 超量程; HJ 212-2017 §6.6.4 flag T; {_REF} §5.2, §0.2", f"{_MOD}.detect_over_range", "S/C",
         kind="data_quality"),
    Rule("DET-STOPPED-DATA", "warning",
         "Point declared stopped (flag F or 停运 mark) while flow/O2/concentrations show production.",
         f"电子督办 停运期间数据异常 (category 13, thresholds ours); {_REF} §5.2, §5.4",
         f"{_MOD}.detect_data_while_stopped", "S/ours", kind="falsification"),
    Rule("DET-O2-SAYS-STOPPED", "warning",
         "O2 at or above the stop threshold while flow and flue temperature show running.",
         f"电子督办 氧含量显示停运但其他参数不符 (category 16, thresholds ours); {_REF} §5.4, §5.6",
         f"{_MOD}.detect_o2_logic", "S/ours", kind="falsification"),
    Rule("DET-O2-SAYS-RUNNING", "warning",
         "O2 below the stop threshold while flow is about zero and flue temperature is ambient.",
         f"电子督办 category 16, reverse case (ours); {_REF} §5.4, §5.6", f"{_MOD}.detect_o2_logic",
         "S/ours", kind="falsification"),
    Rule("DET-ZERO-RUNNING", "warning", "Concentration at zero while flow and O2 show normal production.",
         f"{_REF} §5.4 (zero values), §5.6 (zero while running, ours)", f"{_MOD}.detect_zero_while_running",
         "S/ours", kind="falsification"),
):
    register(_rule)
del _rule


# ---------------------------------------------------------------------------------------------- helpers

_HOUR_S = 3600
#: ``NaT`` of ``datetime64`` as its 64-bit integer.
_NAT = np.iinfo(np.int64).min
#: Flags whose values the cross-parameter rules trust: normal, manual, and F (stopped is a claim to test).
_LOGIC_FLAGS = frozenset({"N", "S", "F"})
#: At most this many per-interval items are listed in a finding's evidence.
_EVIDENCE_MAX = 48


@lru_cache(maxsize=1)
def factor_catalogue() -> dict[str, dict]:
    """HJ 212-2017 Appendix B names and units (packaged seed data; empty if unreadable), read once per process
    (:func:`~ecosentry.subsystems.monitoring.detect.registry.load_shared`)."""
    try:
        from ecosentry.store.seed import factor_index

        return factor_index()
    except Exception:  # the explanation then names the code only
        return {}


def _label(factor: str) -> str:
    """``"SO2 (a21026)"``: the chemical short name from Appendix B when there is one, then the code."""
    entry = factor_catalogue().get(factor)
    if not entry or not entry.get("name_en"):
        return factor
    name = str(entry["name_en"])
    if "(" in name and name.endswith(")"):
        short = name[name.index("(") + 1:-1]
        if any(c.isupper() for c in short):
            name = short
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        name = name[0].lower() + name[1:]  # "flue gas flow", not mid-sentence "Flue gas flow"
    return f"{name} ({factor})"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_ROLE_UNITS = {"o2": "%", "velocity": "m/s", "temperature": "°C", "moisture": "%", "pressure": "kPa"}


def _unit(factor: str, medium: str) -> str:
    """Unit of a factor's values (Appendix B; unknown concentrations: mg/m³ for gas, mg/L for water)."""
    entry = factor_catalogue().get(factor)
    if entry and entry.get("unit"):
        return str(entry["unit"])
    role = role_of(factor)
    if role in _ROLE_UNITS:
        return _ROLE_UNITS[role]
    if role == "flow":
        return "L/s" if medium == "water" else "m³/s"
    return "mg/L" if medium == "water" else "mg/m³"


def _num(x: float, digits: int = 6) -> str:
    """A number as a regulator reads it: ``digits`` significant digits (6 for readings as received, 4 for
    means), no trailing zeros."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return format(float(x), f".{digits}g")


def _qty(x: float, factor: str, medium: str, digits: int = 6) -> str:
    return f"{_num(x, digits)} {_unit(factor, medium)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except Exception:
        return timezone.utc


def _local(t: datetime, tz: str) -> datetime:
    return t.astimezone(_zone(tz))


def _span(start: datetime, end: datetime, tz: str) -> str:
    """``"from 2024-03-01 08:00 to 2024-03-01 13:00 (UTC+08:00)"`` in the point's zone."""
    a, b = _local(start, tz), _local(end, tz)
    off = a.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    zone = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"from {a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} ({zone})"


def _duration(seconds: float) -> str:
    """``"5 h"``, ``"3 h 59 min"``, ``"240 h (10 days)"``."""
    seconds = int(round(seconds))
    h, rest = divmod(seconds, _HOUR_S)
    m = rest // 60
    text = f"{h} h" if not m else (f"{h} h {m} min" if h else f"{m} min")
    if h >= 48:
        text += f" ({_num(seconds / 86400, 3)} days)"
    return text


def _dt(t: np.datetime64) -> datetime:
    return to_datetime(t)


def _secs(t: np.datetime64 | np.ndarray) -> Any:
    """``datetime64`` → integer seconds since the epoch (array or scalar)."""
    return np.asarray(t).astype("datetime64[s]").astype(np.int64)


def _step_s(s: Series, default: int) -> int:
    """The series' spacing [s] (HJ 212 MinInterval for minute data); ``default`` with < 2 records."""
    step = s.step_seconds()
    return int(step) if step > 0 else default


def _default_step(resolution: str) -> int:
    return _HOUR_S if resolution == "hourly" else 60


def _segments(mask: np.ndarray, times: np.ndarray, step_s: int) -> list[tuple[int, int]]:
    """Runs of True records that are also consecutive in time (gap ≤ 1.5 steps), as ``(first, last)``."""
    m = np.asarray(mask, dtype=bool)
    n = len(m)
    if n == 0 or not m.any():
        return []
    joined = np.zeros(n, dtype=bool)
    if n > 1:
        gap = np.diff(_secs(times))
        joined[1:] = m[1:] & m[:-1] & (gap <= 1.5 * step_s)
    continues = np.zeros(n, dtype=bool)
    continues[:-1] = joined[1:]
    starts = np.flatnonzero(m & ~joined)
    ends = np.flatnonzero(m & ~continues)
    return list(zip(starts.tolist(), ends.tolist()))


def _flagged_at(s: Series, times: np.ndarray, flag: str) -> np.ndarray:
    """Whether ``s`` has a record flagged ``flag`` at exactly each of ``times`` (its flag tested once per
    distinct flag, :meth:`Series.flag_mask`)."""
    if not len(s) or not len(times):
        return np.zeros(len(times), dtype=bool)
    if _same_clock(s, times):
        return s.flag_mask(flag).copy()
    idx = np.clip(np.searchsorted(s.times, times), 0, len(s) - 1)
    return (s.times[idx] == times) & s.flag_mask(flag)[idx]


def _same_clock(s: Series, times: np.ndarray) -> bool:
    """Whether ``times`` are the times of ``s`` (a point's minute clock is mostly each factor's own): each
    record is then found at its own place, without a search."""
    return _equal_times(times, s.times)


def _equal_times(a: np.ndarray, b: np.ndarray) -> bool:
    """``numpy.array_equal`` of two clocks, compared as whole seconds when they are both ``datetime64[s]``
    (the same answer; calendar units compare slower)."""
    if a is b:
        return True
    if len(a) != len(b):
        return False
    if a.dtype == b.dtype == np.dtype("datetime64[s]"):
        seconds = a.view(np.int64)
        # NaT is unequal even to itself
        return bool(np.array_equal(seconds, b.view(np.int64))) and not (len(a) and seconds.min() == _NAT)
    return bool(np.array_equal(a, b))


def _aligned_usable(s: Series | None, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``s`` at exactly ``times`` (NaN where ``s`` has no record) and whether each is usable: finite,
    flagged N, S or F (the cross-parameter rules test the F claim itself). The flags tested once per distinct
    flag (:meth:`Series.flag_mask`), not as an object array per record."""
    values = np.full(len(times), np.nan)
    if s is None or not len(s) or not len(times):
        return values, np.zeros(len(times), dtype=bool)
    if _same_clock(s, times):
        values[:] = s.values
        return values, np.isfinite(values) & s.flag_mask(_LOGIC_FLAGS)
    idx = np.clip(np.searchsorted(s.times, times), 0, len(s) - 1)
    hit = s.times[idx] == times
    values[hit] = s.values[idx[hit]]
    return values, hit & np.isfinite(values) & s.flag_mask(_LOGIC_FLAGS)[idx]


def _running(data: PointData, times: np.ndarray, cfg: DetectorSettings) -> tuple[np.ndarray, bool]:
    """Normal production at ``times`` and whether it is known (unknown → all running, notes §5.6).

    Minute instants are judged by the hourly parameters of their hour; a point with parameters only at
    minute resolution is judged on those.
    """
    if not len(times):
        return np.ones(0, dtype=bool), True
    hours = hour_floor(times)
    run = running_mask(data, hours, cfg)
    if run is None and data.minutes:
        proxy = PointData(point=data.point, medium=data.medium, tz=data.tz, hours=dict(data.minutes))
        run = running_mask(proxy, times, cfg)
    if run is None:
        return np.ones(len(times), dtype=bool), False
    return np.asarray(run, dtype=bool), True


def _running_by_o2(data: PointData, times: np.ndarray, cfg: DetectorSettings) -> tuple[np.ndarray, bool]:
    """Production judged by O2 alone, for rules on flow or velocity themselves (a negative flow cannot
    say whether the flue runs). Unknown without O2 (wastewater) → all running."""
    o2 = (data.by_role("o2") or data.by_role("o2", hourly=False)) if data.medium == "gas" else None
    if o2 is None or not len(times):
        return np.ones(len(times), dtype=bool), False
    at = hour_floor(times) if o2 is data.by_role("o2") else times
    v, _ = _aligned_usable(o2, at)
    return ~(np.nan_to_num(v, nan=100.0) >= cfg.o2_stopped_pct), True


def _primary(data: PointData, factor: str) -> tuple[str, Series] | None:
    """The series a per-factor rule reads: hourly when present, else minute (module notes)."""
    s = data.hours.get(factor)
    if s is not None and len(s):
        return "hourly", s
    s = data.minutes.get(factor)
    if s is not None and len(s):
        return "minute", s
    return None


def _source(data: PointData) -> tuple[str, dict[str, Series]]:
    """The resolution the cross-parameter rules read: hourly if the point has any, else minute."""
    if any(len(s) for s in data.hours.values()):
        return "hourly", data.hours
    return "minute", data.minutes


def _by_role(series: dict[str, Series], role: str) -> Series | None:
    for factor in sorted(series):
        if role_of(factor) == role and role != "concentration" and len(series[factor]):
            return series[factor]
    return None


def _mark_mask(marks: Sequence[Mark], types: Sequence[str], starts: np.ndarray, step_s: int,
               factor: str | None = None, *, whole: bool = False) -> np.ndarray:
    """Intervals ``[start, start + step)`` overlapping a mark of one of ``types`` (for ``factor``); with
    ``whole``, only intervals that one such mark covers from start to end."""
    out = np.zeros(len(starts), dtype=bool)
    if not len(starts):
        return out
    s0 = _secs(starts)
    for mark in marks:
        if mark.type not in types:
            continue
        if factor is not None and mark.factors is not None and factor not in mark.factors:
            continue
        a, b = _secs(to_datetime64(mark.start)), _secs(to_datetime64(mark.end))
        out |= ((s0 >= a) & (s0 + step_s <= b)) if whole else ((s0 < b) & (s0 + step_s > a))
    return out


def _severity(code: str) -> Any:
    return get(code).severity


def _finding(code: str, data: PointData, factors: Sequence[str], start: datetime, end: datetime,
             explanation: str, evidence: dict[str, Any]) -> Finding:
    return Finding(code=code, severity=_severity(code), point=data.point, factors=tuple(factors),
                   start=start, end=end, explanation=explanation, evidence=evidence)


def _running_phrase(known: bool) -> str:
    return ("while the unit was running" if known
            else "with no flow or O2 data to tell whether the unit was running (treated as running)")


def _records(times: np.ndarray, values: np.ndarray, first: int, last: int) -> list[dict[str, Any]]:
    """Per-record evidence ``[{"time", "value"}]`` of ``first..last`` (capped at :data:`_EVIDENCE_MAX`)."""
    stop = min(last + 1, first + _EVIDENCE_MAX)
    return [{"time": _dt(times[i]), "value": float(values[i])} for i in range(first, stop)]


# ---------------------------------------------------------------------------------------------- hour grid

def _floor_hour(t: np.datetime64) -> np.datetime64:
    return np.datetime64(t, "h").astype("datetime64[s]")


def _ceil_hour(t: np.datetime64) -> np.datetime64:
    f = _floor_hour(t)
    return f if f == t else f + np.timedelta64(_HOUR_S, "s")


def _all_times(data: PointData) -> list[np.ndarray]:
    return [s.times for s in (*data.hours.values(), *data.minutes.values()) if len(s)]


def _hour_grid(data: PointData) -> np.ndarray | None:
    """Hour starts expected to carry data: the window (start ceiled, end floored, exclusive) or, when a bound
    is not given, the point's first and last record (any factor, any resolution)."""
    times = _all_times(data)
    if data.window_start is not None:
        start = _ceil_hour(to_datetime64(data.window_start))
    elif times:
        start = _floor_hour(min(t[0] for t in times))
    else:
        return None
    if data.window_end is not None:
        end = _floor_hour(to_datetime64(data.window_end))
    elif times:
        end = _floor_hour(max(t[-1] for t in times)) + np.timedelta64(_HOUR_S, "s")
    else:
        return None
    if end <= start:
        return np.zeros(0, dtype="datetime64[s]")
    return np.arange(start, end, np.timedelta64(_HOUR_S, "s"))


def _hour_index(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the grid hour holding each time (−1 outside the grid)."""
    if not len(grid):
        return np.full(len(times), -1)
    k = (_secs(times) - _secs(grid[0])) // _HOUR_S
    return np.where((k >= 0) & (k < len(grid)), k, -1)


def _hours_present(data: PointData, factor: str, grid: np.ndarray) -> np.ndarray:
    """Grid hours with a received hourly record of ``factor`` (minute records when it has no hourly series)."""
    present = np.zeros(len(grid), dtype=bool)
    s = data.hours.get(factor)
    if s is None or not len(s):
        s = data.minutes.get(factor)
    if s is not None and len(s):
        k = _hour_index(s.times, grid)
        present[k[k >= 0]] = True
    return present


def _group(items: list[tuple[datetime, datetime, str, dict[str, Any]]]
           ) -> list[tuple[datetime, datetime, list[str], dict[str, dict[str, Any]]]]:
    """One group per identical ``(start, end)`` across factors: a logger outage is one finding."""
    groups: dict[tuple[datetime, datetime], tuple[list[str], dict[str, dict[str, Any]]]] = {}
    for start, end, factor, detail in items:
        factors, details = groups.setdefault((start, end), ([], {}))
        factors.append(factor)
        details[factor] = detail
    return [(a, b, sorted(f), d) for (a, b), (f, d) in sorted(groups.items())]


def _names(factors: Sequence[str]) -> str:
    labels = [_label(f) for f in factors]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


# ---------------------------------------------------------------------------------------------- 1 missing minutes

@detector("national_missing_minutes", codes=["DET-MISSING-MINUTES"])
def detect_missing_minutes(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Flue-gas hours with fewer than 45 minutes of minute records (电子督办 数据缺失).

    Coverage of an hour = number of minute records × MinInterval Δ [min], Δ the series' median spacing
    (HJ 212-2017 MinInterval; notes §2.1, ours). Records count whatever their value or flag: the rule is
    about data received, validity is judged elsewhere (``CN-HOUR-45MIN``). Hours without any hourly record
    are left to :func:`detect_missing_hours`; hours under a ``missing_exempt_marks`` mark are skipped;
    without ``window_end`` the last hour is not judged (it may still be arriving).
    Wastewater is exempt: its analyser cycle is the hour (HJ 355/356-2019).

    Parameters
    ----------
    data : PointData
        ``minutes`` per factor; ``window_start``/``window_end`` bound the hours (else first/last record).
    cfg : DetectorSettings
        ``national.min_minutes_per_hour`` [min], ``national.missing_exempt_marks``.

    Returns
    -------
    list of Finding
        ``DET-MISSING-MINUTES``, one per run of consecutive short hours (factors with the same run merged).

    References
    ----------
    .. [1] 电子督办 数据缺失: "any factor with < 45 minute records in an hour" (china-vietnam-rules.md §5.2 [S]).
    .. [2] HJ 76-2017 App. B: 小时数据应包含本小时内至少45min的分钟有效数据 (§2.1 [S]).
    """
    nat = cfg.national
    if data.medium == "water" or not data.minutes:
        return []
    grid = _hour_grid(data)
    if grid is None or not len(grid):
        return []
    items = []
    clock: tuple[np.ndarray, int, np.ndarray] | None = None  # the last factor's times, interval and coverage
    for factor in sorted(data.minutes):
        s = data.minutes[factor]
        interval_min = max(1, int(round(_step_s(s, 60) / 60))) if len(s) > 1 else 1
        if clock is not None and clock[1] == interval_min and _same_clock(s, clock[0]):
            coverage = clock[2]  # a logger's factors share their minutes: the same coverage
        else:
            k = _hour_index(s.times, grid)
            inside = k >= 0
            coverage = np.minimum(
                np.bincount(k[inside], minlength=len(grid)).astype(float) * interval_min, 60.0)
            clock = (s.times, interval_min, coverage)
        has_hour = _hours_present(data, factor, grid) if factor in data.hours else coverage > 0
        exempt = _mark_mask(data.marks, nat.missing_exempt_marks, grid, _HOUR_S, factor)
        short = (coverage < nat.min_minutes_per_hour) & has_hour & ~exempt
        if data.window_end is None:
            short[-1] = False  # the last hour of an open window may still be arriving
        for a, b in _segments(short, grid, _HOUR_S):
            detail = {
                "min_interval_min": interval_min,
                "least_minutes": float(coverage[a:b + 1].min()),
                "hours": [{"hour": _dt(grid[i]), "minutes": float(coverage[i])}
                          for i in range(a, min(b + 1, a + _EVIDENCE_MAX))],
            }
            items.append((_dt(grid[a]), _dt(grid[b]) + timedelta(hours=1), factor, detail))
    findings = []
    for start, end, factors, details in _group(items):
        n_hours = int(round((end - start).total_seconds() / _HOUR_S))
        least = min(d["least_minutes"] for d in details.values())
        text = (f"At point {data.point}, {_names(factors)} had fewer than "
                f"{_num(nat.min_minutes_per_hour)} minutes of minute records "
                f"{'in 1 hour' if n_hours == 1 else f'in each of {n_hours} hours'} "
                f"{_span(start, end, data.tz)} (as few as {_num(least)} min in an hour); the national rule "
                f"flags any hour with < {_num(nat.min_minutes_per_hour)} min.")
        evidence = {"factors": details, "min_minutes_per_hour": nat.min_minutes_per_hour, "hours": n_hours}
        findings.append(_finding("DET-MISSING-MINUTES", data, factors, start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 2, 3 missing hours

def _missing_hour_runs(data: PointData, cfg: DetectorSettings
                       ) -> list[tuple[datetime, datetime, str, dict[str, Any]]]:
    """Runs of grid hours without a record, per factor: ``(start, end, factor, detail)``."""
    nat = cfg.national
    factors = data.factors()
    if not factors or not _all_times(data):
        return []  # nothing at all: 联网异常 (detect_no_data)
    grid = _hour_grid(data)
    if grid is None or not len(grid):
        return []
    out = []
    for factor in factors:
        missing = ~_hours_present(data, factor, grid)
        missing &= ~_mark_mask(data.marks, nat.missing_exempt_marks, grid, _HOUR_S, factor)
        for a, b in _segments(missing, grid, _HOUR_S):
            start, end = _dt(grid[a]), _dt(grid[b]) + timedelta(hours=1)
            out.append((start, end, factor, {"hours": b - a + 1}))
    return out


def _missing_evidence(data: PointData, cfg: DetectorSettings, n_hours: int) -> dict[str, Any]:
    return {
        "hours": n_hours,
        "backfill_hours": cfg.national.backfill_hours,
        "window_start": data.window_start,
        "window_end": data.window_end,
        "exempt_marks": list(cfg.national.missing_exempt_marks),
    }


@detector("national_missing_hours", codes=["DET-MISSING-HOUR"])
def detect_missing_hours(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Hours without an hourly record of a factor (电子督办 数据缺失), gaps up to ``backfill_hours``.

    The expected hours run from ``window_start`` (ceiled to the hour) to ``window_end`` (exclusive),
    or from the point's first to last record of any factor, so a factor that stops while the others go on
    is seen. A factor without an hourly series is present in an hour with any minute record. Records
    count whatever their value or flag. Hours under a ``missing_exempt_marks`` mark (停运) are not expected.
    Longer gaps are reported once, as ``DET-MISSING-168H`` (:func:`detect_missing_unfilled`).

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.backfill_hours`` [h], ``national.missing_exempt_marks``.

    Returns
    -------
    list of Finding
        ``DET-MISSING-HOUR`` per run of missing hours (factors with the same run in one finding).

    References
    ----------
    .. [1] 电子督办 数据缺失: "a missing hourly record" (china-vietnam-rules.md §5.2 [S], §5.6).
    """
    findings = []
    limit = cfg.national.backfill_hours
    for start, end, factors, details in _group(_missing_hour_runs(data, cfg)):
        n = int(round((end - start).total_seconds() / _HOUR_S))
        if n > limit:
            continue
        text = (f"At point {data.point}, {_names(factors)} sent no hourly record for {_plural(n, 'hour')} "
                f"{_span(start, end, data.tz)}; the national rule flags every missing hour.")
        findings.append(_finding("DET-MISSING-HOUR", data, factors, start, end, text,
                                 _missing_evidence(data, cfg, n)))
    return findings


@detector("national_missing_unfilled", codes=["DET-MISSING-168H"])
def detect_missing_unfilled(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Hourly data of a factor missing for more than 168 h without back-fill (电子督办 数据缺失).

    Same gaps as :func:`detect_missing_hours` (back-filled records, once received, fill them); a gap
    longer than ``backfill_hours`` is reported here instead, as critical.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.backfill_hours`` [h] (default 168).

    Returns
    -------
    list of Finding
        ``DET-MISSING-168H`` per gap.

    References
    ----------
    .. [1] 电子督办 数据缺失: "any factor's hourly data missing > 168 h (7 days) without back-fill"
       (china-vietnam-rules.md §5.2 [S]).
    """
    findings = []
    limit = cfg.national.backfill_hours
    for start, end, factors, details in _group(_missing_hour_runs(data, cfg)):
        n = int(round((end - start).total_seconds() / _HOUR_S))
        if n <= limit:
            continue
        text = (f"At point {data.point}, {_names(factors)} sent no hourly data for {_duration(n * _HOUR_S)} "
                f"{_span(start, end, data.tz)} and nothing was back-filled; the national rule flags gaps "
                f"> {_num(limit)} h.")
        findings.append(_finding("DET-MISSING-168H", data, factors, start, end, text,
                                 _missing_evidence(data, cfg, n)))
    return findings


# ---------------------------------------------------------------------------------------------- 4 no data

@detector("national_no_data", codes=["DET-NO-DATA"])
def detect_no_data(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """No record of any factor in ``[window_start, window_end)`` (电子督办 联网异常).

    Needs both window bounds (without them "no data" has no period). A window entirely under a
    ``missing_exempt_marks`` mark (停运) is not flagged.

    Parameters
    ----------
    data : PointData
        ``window_start``, ``window_end``; factors known from the series and the master data (ranges,
        limits) are named in the finding.
    cfg : DetectorSettings

    Returns
    -------
    list of Finding
        At most one ``DET-NO-DATA``.

    References
    ----------
    .. [1] 电子督办 联网异常: "no data at all for any factor during the statistics window"
       (china-vietnam-rules.md §5.2 [S]).
    """
    if data.window_start is None or data.window_end is None or data.window_end <= data.window_start:
        return []
    lo, hi = to_datetime64(data.window_start), to_datetime64(data.window_end)
    for times in _all_times(data):
        if np.any((times >= lo) & (times < hi)):
            return []
    exempt = cfg.national.missing_exempt_marks
    if any(m.type in exempt and m.factors is None and m.start <= data.window_start and m.end >= data.window_end
           for m in data.marks):
        return []
    factors = sorted(set(data.factors()) | set(data.ranges) | set(data.limits) | set(data.day_limits))
    seconds = (data.window_end - data.window_start).total_seconds()
    text = (f"Point {data.point} sent no data for any factor for {_duration(seconds)} "
            f"{_span(data.window_start, data.window_end, data.tz)}; the national rule flags this as 联网异常 "
            f"(network anomaly).")
    evidence = {"window_start": data.window_start, "window_end": data.window_end, "hours": seconds / _HOUR_S,
                "known_factors": factors}
    return [_finding("DET-NO-DATA", data, factors, data.window_start, data.window_end, text, evidence)]


# ---------------------------------------------------------------------------------------------- 5 constant

@dataclass(frozen=True)
class _Run:
    """A run of identical values found at one resolution on one quantity (measured or 折算)."""

    start: datetime
    end: datetime
    value: float
    records: int
    resolution: str
    quantity: str

    def evidence(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "value": self.value, "records": self.records,
                "resolution": self.resolution, "quantity": self.quantity}


def _constant_runs(times: np.ndarray, values: np.ndarray, good: np.ndarray, step_s: int, tolerance: float,
                   min_seconds: float, resolution: str, quantity: str) -> list[_Run]:
    """Runs of consecutive good records with the same value (successive |Δ| ≤ tolerance) lasting
    ``min_seconds`` or more (duration = last − first + one step). O(n)."""
    n = len(values)
    if n < 2 or not _may_hold(values, step_s, tolerance, min_seconds):
        return []
    ok = good & np.isfinite(values) & (values >= 0)  # national: "the same value ≥ 0"
    same = np.zeros(n, dtype=bool)  # same[i]: record i continues the run of record i − 1
    with np.errstate(invalid="ignore"):
        same[1:] = ok[1:] & ok[:-1] & (np.diff(_secs(times)) <= 1.5 * step_s) & (
            np.abs(np.diff(values)) <= tolerance)
    out = []
    segments = _segments(same, times, step_s)
    if not segments:
        return out
    # every run's duration at once; only the long ones become runs (quantised data have many short ones)
    t = _secs(times)
    bounds = np.array(segments, dtype=np.int64)
    seconds = (t[bounds[:, 1]] - t[bounds[:, 0] - 1] + step_s).astype(float)
    for a, b in bounds[seconds >= min_seconds].tolist():
        first = a - 1
        out.append(_Run(_dt(times[first]), _dt(times[b]) + timedelta(seconds=step_s),
                        float(values[first]), b - first + 1, resolution, quantity))
    return out


def _may_hold(values: np.ndarray, step_s: int, tolerance: float, min_seconds: float) -> bool:
    """Whether ``values`` change by at most ``tolerance`` from record to record often enough in a row for a run
    of :func:`_constant_runs` to last ``min_seconds``: a cheap test that is False only when no run can.

    A run of k + 1 records continues k times, each across a gap of at most 1.5 steps, so it lasts at most
    1.5 · step · k + step: one of ``min_seconds`` needs k ≥ (min_seconds − step) / (1.5 · step) successive
    small changes, whatever the flags, the running state and the signs of the values.
    """
    need = int(np.floor((min_seconds - step_s) / (1.5 * step_s)))
    if need <= 0:
        return True
    with np.errstate(invalid="ignore"):
        # |Δ| ≤ 0 is Δ = 0 (±0; NaN is neither): one comparison for the national rule's tolerance of none
        still = np.diff(values) == 0 if tolerance == 0 else np.abs(np.diff(values)) <= tolerance
    if np.count_nonzero(still) < need:
        return False
    in_a_row = np.concatenate(([0], np.cumsum(still, dtype=np.int64)))
    return bool((in_a_row[need:] - in_a_row[:-need] == need).any())


@dataclass(frozen=True)
class _Readings:
    """How a factor's analyser reports: resolution, measuring cycle and how often a reading repeats."""

    resolution: float  # [factor unit]; NaN when the values have no fixed resolution
    cycle_s: float  # median duration of one reading (a held value lasts one measuring cycle) [s]
    repeat_share: float  # share of successive readings equal to the previous one
    readings: float  # readings in the window (duration / cycle)

    def chance(self, seconds: float, step_s: float | None = None) -> float:
        """Expected number of runs of as many equal readings as a run of ``seconds`` holds somewhere in the
        window, for an honest series whose successive readings repeat independently with
        :attr:`repeat_share` (a union bound). A run that starts with a reading and lasts one record
        (``step_s``, default one cycle) beyond k whole cycles has held k + 1 readings: the analyser read
        again at the start of the last, partial cycle and got the same value (issue 13: 21:07–02:29 of
        hourly analyses at :07 is six readings, not five)."""
        step = self.cycle_s if step_s is None else min(step_s, self.cycle_s)
        k = max(1 + int((seconds - step) // self.cycle_s), 1)
        return self.readings * self.repeat_share ** (k - 1)


def _readings(times: np.ndarray, values: np.ndarray, good: np.ndarray, step_s: int) -> _Readings | None:
    """:class:`_Readings` of the good records: runs of equal consecutive values are one reading each
    (an online water analyser holds one value per measuring cycle, e.g. 60 min).

    The cycle is the median run length over the runs at least a quarter of the *time-weighted* median run
    (the run length in which the analyser spends half its time; repeats make that one cycle or two, the
    plain median of the runs around it tells which). A stretch of the factor that moves every minute (a
    replaced or tampered signal, a calibration) yields many short runs; counted one by one they would
    outvote the hourly readings that fill most of the window and make the cycle one minute, and every
    honest repeat of an hourly reading would then look like 60 held values (issue 13). The repeat share is measured on the readings sampled
    once a cycle (the first record of each cycle-long slot, consecutive slots compared), so a stretch of
    fast changes counts as many slot transitions as it has cycles, not as many as it has records. ``None``
    with too few readings."""
    idx = np.flatnonzero(good & np.isfinite(values))
    if len(idx) < 3:
        return None
    t, v = _secs(times[idx]), values[idx]
    joined = np.diff(t) <= 1.5 * step_s
    same = joined & (v[1:] == v[:-1])
    new_reading = np.r_[True, ~same]
    starts = np.flatnonzero(new_reading)
    lengths = np.diff(np.r_[starts, len(v)]) * step_s
    order = np.argsort(lengths, kind="stable")
    cum = np.cumsum(lengths[order])
    typical = float(lengths[order][np.searchsorted(cum, 0.5 * cum[-1])])
    cycle = float(np.median(lengths[lengths * 4 >= typical]))
    # one sample per cycle-long slot; a transition is two consecutive slots with a record each
    slot = (t - t[0]) // max(int(cycle), 1)
    first = np.flatnonzero(np.r_[True, np.diff(slot) > 0])
    consecutive = np.diff(slot[first]) == 1
    if consecutive.sum() < 2:
        return None
    repeat = float(np.mean(v[first][1:][consecutive] == v[first][:-1][consecutive]))
    return _Readings(resolution_step(v), cycle, repeat, float(len(first)))


def _quantisation_explains(run: _Run, times: np.ndarray, values: np.ndarray, good: np.ndarray, step_s: int,
                           floor: float, nat: NationalSettings) -> _Readings | None:
    """The reading statistics that explain ``run`` as quantised low readings (issue 13), else ``None``:
    the value is within ``constant_quantised_steps`` resolution steps of ``floor`` (detection limit or 0)
    and the factor's own readings outside the run repeat often enough that a run as long is expected
    (:meth:`_Readings.chance` ≥ ``constant_chance_min``)."""
    t = _secs(times)
    outside = good & ~((t >= _secs(to_datetime64(run.start))) & (t < _secs(to_datetime64(run.end))))
    st = _readings(times, values, outside, step_s)
    if st is None or not np.isfinite(st.resolution):
        return None
    if run.value > floor + nat.constant_quantised_steps * st.resolution:
        return None
    seconds = (run.end - run.start).total_seconds()
    return st if st.chance(seconds, step_s) >= nat.constant_chance_min else None


def _merge_runs(found: list[_Run]) -> list[list[_Run]]:
    """Overlapping or touching runs (hourly/minute, measured/折算) → one group each."""
    groups: list[list[_Run]] = []
    end: datetime | None = None
    for r in sorted(found, key=lambda r: (r.start, r.end)):
        if groups and end is not None and r.start <= end:
            groups[-1].append(r)
            end = max(end, r.end)
        else:
            groups.append([r])
            end = r.end
    return groups


@detector("national_constant_value", codes=["DET-CONST-4H"])
def detect_constant_value(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """The same value ≥ 0 for ≥ 4 consecutive hours during normal production (电子督办 恒值).

    Checked on concentration (measured and 折算), velocity and O2; on the hourly series, and on the minute
    series (all factors without hourly data; all factors when ``constant_on_minutes``). Only valid records
    (flags N/S, hour validity) during normal production count, and they must be consecutive in time: a
    missing hour breaks the run. Runs overlapping at both resolutions or on both quantities are one finding.

    Quantised low readings are a property of the measurement, not 恒值 (issue 13; the national text is silent
    on the detection limit and the resolution, so this is ours and a setting): a run whose value is within
    ``constant_quantised_steps`` resolution steps of the detection limit (or 0) is dropped when the factor's
    own readings outside it repeat so often that a run as long is expected by chance
    (``constant_chance_min``). Readings are counted per measuring cycle — an online water analyser holds one
    value for its cycle (e.g. 60 min), and a value held within one cycle is one reading, not a run. Worked
    example: NH3-N at 0.01 mg/L resolution around 0.10 mg/L, one analysis an hour, repeating the previous
    reading one time in four: 4 equal readings somewhere in 120 are expected 120 × 0.25³ ≈ 1.9 times, so 4 h
    at 0.09 mg/L is no sign; NOx at 0.1 mg/m³ around 30 mg/m³ read every minute repeats 1 time in 20, and
    240 equal readings are never expected.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.constant_hours`` [h], ``national.constant_tolerance`` [factor unit],
        ``national.constant_on_minutes``, ``national.constant_roles``, ``national.constant_quantised_steps``,
        ``national.constant_chance_min``; running from
        ``running_flow_min``, ``o2_stopped_pct``.

    Returns
    -------
    list of Finding
        ``DET-CONST-4H`` per factor and merged run.

    References
    ----------
    .. [1] 电子督办 恒值: "under normal production, concentration (incl. 折算), velocity or O2 shows the same
       value ≥ 0 for 4 consecutive hours" (china-vietnam-rules.md §5.2 [S], §5.6).
    """
    nat = cfg.national
    min_seconds = nat.constant_hours * _HOUR_S
    findings = []
    for factor in data.factors():
        role = role_of(factor)
        if role not in nat.constant_roles:
            continue
        sources: list[tuple[str, Series]] = []
        hourly = data.hours.get(factor)
        if hourly is not None and len(hourly):
            sources.append(("hourly", hourly))
        minute = data.minutes.get(factor)
        if minute is not None and len(minute) and (nat.constant_on_minutes or not sources):
            sources.append(("minute", minute))
        found: list[_Run] = []
        known_all = True
        # the analyser's readings: the finest series received (minute when present) tells its resolution,
        # measuring cycle and repeat rate; every run of the factor is judged against them
        native_res, native = sources[-1] if sources else ("", None)
        for resolution, s in sources:
            step = _step_s(s, _default_step(resolution))
            quantities = [("measured", s.values)]
            if role == "concentration" and s.zs is not None:
                quantities.append(("zs", s.zs))
            # only a quantity whose values hold still long enough can have a run: the running state and the
            # validity of the records are asked for it alone (whether the running state is known does not
            # depend on the times asked: the first is enough)
            quantities = [(q, v) for q, v in quantities if _may_hold(v, step, nat.constant_tolerance, min_seconds)]
            if not quantities:
                known_all &= _running(data, s.times[:1], cfg)[1]
                continue
            run, known = _running(data, s.times, cfg)
            known_all &= known
            good = valid_mask(s) & run
            for quantity, values in quantities:
                runs = _constant_runs(s.times, values, good, step, nat.constant_tolerance, min_seconds,
                                      resolution, quantity)
                if runs and native is not None and nat.constant_quantised_steps > 0:
                    n_step = _step_s(native, _default_step(native_res))
                    n_good = valid_mask(native) & _running(data, native.times, cfg)[0]
                    n_values = native.zs if quantity == "zs" and native.zs is not None else native.values
                    floor = float(data.detection_limits.get(factor) or 0.0)
                    kept = [r for r in runs if _quantisation_explains(r, native.times, n_values, n_good, n_step,
                                                                      floor, nat) is None]
                    runs = kept
                found += runs
        for group in _merge_runs(found):
            main = max(group, key=lambda r: (r.end - r.start, r.resolution == "hourly"))
            start, end = min(r.start for r in group), max(r.end for r in group)
            seconds = (main.end - main.start).total_seconds()
            what = "折算 value" if main.quantity == "zs" else "value"
            also = f" ({len(group)} overlapping runs at {', '.join(sorted({r.resolution for r in group}))} " \
                   f"resolution)" if len(group) > 1 else ""
            text = (f"{_cap(_label(factor))} at point {data.point} kept the same {main.resolution} {what} "
                    f"{_qty(main.value, factor, data.medium)} for {_duration(seconds)} "
                    f"{_span(main.start, main.end, data.tz)}{also} {_running_phrase(known_all)}; the national "
                    f"rule flags ≥ {_num(nat.constant_hours)} h.")
            evidence = {
                "value": main.value,
                "hours": seconds / _HOUR_S,
                "runs": [r.evidence() for r in group],
                "constant_hours": nat.constant_hours,
                "constant_tolerance": nat.constant_tolerance,
                "running_known": known_all,
            }
            findings.append(_finding("DET-CONST-4H", data, [factor], start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 6 half-month range

def _half_months(t0: datetime, t1: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """Local calendar half-months (1st–15th, 16th–end) overlapping ``[t0, t1]``, as aware datetimes."""
    zone = _zone(tz)
    local = t0.astimezone(zone)
    y, m = local.year, local.month
    out = []
    while True:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        first, mid, nxt = (datetime(y, m, 1, tzinfo=zone), datetime(y, m, 16, tzinfo=zone),
                           datetime(ny, nm, 1, tzinfo=zone))
        for a, b in ((first, mid), (mid, nxt)):
            if b > t0 and a <= t1:
                out.append((a.astimezone(timezone.utc), b.astimezone(timezone.utc)))
        if nxt > t1:
            return out
        y, m = ny, nm


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime
    hours: int
    low: float
    high: float
    mean: float
    denominator: float

    @property
    def pct(self) -> float:
        return (self.high - self.low) / self.denominator * 100.0

    def evidence(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "hours": self.hours, "min": self.low, "max": self.high,
                "mean": self.mean, "denominator": self.denominator, "range_pct": self.pct}


def _denominator(values: np.ndarray, mean: float, kind: str) -> float:
    if kind == "median":
        return float(np.median(values))
    if kind == "max":
        return float(np.max(values))
    return mean


def _calendar_windows(t: np.ndarray, v: np.ndarray, nat: NationalSettings, tz: str) -> list[_Window]:
    out = []
    for a, b in _half_months(_dt(t[0]), _dt(t[-1]), tz):
        i, j = np.searchsorted(t, [to_datetime64(a), to_datetime64(b)])
        if j - i < nat.range_min_hours:
            continue
        w = v[i:j]
        mean = float(w.mean())
        out.append(_Window(a, b, int(j - i), float(w.min()), float(w.max()), mean,
                           _denominator(w, mean, nat.range_denominator)))
    return out


def _rolling_windows(t: np.ndarray, v: np.ndarray, nat: NationalSettings, span_end: np.datetime64
                     ) -> list[_Window]:
    """Flagged windows ``[t_i, t_i + W)`` anchored at a valid hour and lying inside the data.

    The valid hourly means are laid on an hourly grid (NaN elsewhere) and each window is a row of a sliding
    view, reduced in chunks: O(n·w) vectorised work for n hours and a window of w hours.
    """
    width_h = int(round(nat.range_window_days * 24))
    if width_h < 1 or not len(t):
        return []
    base = _secs(t[0])
    k = (_secs(t) - base) // _HOUR_S
    grid = np.full(int(k[-1]) + 1 + width_h, np.nan)
    grid[k] = v
    last_anchor = (_secs(span_end) - base) // _HOUR_S - width_h  # window must end by span_end
    anchors = k[k <= last_anchor]
    if not len(anchors):
        return []
    view = np.lib.stride_tricks.sliding_window_view(grid, width_h)
    out = []
    chunk = 2048
    for c in range(0, len(anchors), chunk):
        rows = view[anchors[c:c + chunk]]
        have = np.isfinite(rows)
        count = have.sum(axis=1)
        keep = count >= nat.range_min_hours
        if not keep.any():
            continue
        rows, count, idx = rows[keep], count[keep], anchors[c:c + chunk][keep]
        low, high = np.nanmin(rows, axis=1), np.nanmax(rows, axis=1)
        mean = np.nansum(rows, axis=1) / count
        if nat.range_denominator == "median":
            den = np.nanmedian(rows, axis=1)
        elif nat.range_denominator == "max":
            den = high
        else:
            den = mean
        with np.errstate(divide="ignore", invalid="ignore"):
            flagged = (den > 0) & ((high - low) / den * 100.0 < nat.range_max_pct)
        for i in np.flatnonzero(flagged):  # only flagged windows are kept (they are all the caller uses)
            start = t[0] + np.timedelta64(int(idx[i]) * _HOUR_S, "s")
            out.append(_Window(_dt(start), _dt(start + np.timedelta64(width_h * _HOUR_S, "s")), int(count[i]),
                               float(low[i]), float(high[i]), float(mean[i]), float(den[i])))
    return out


@detector("national_half_month_range", codes=["DET-RANGE-HALFMONTH"])
def detect_half_month_range(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Range of valid hourly concentration means over a half-month < 5 % during normal production (恒值).

    .. math::

        \\frac{\\max_h C_h - \\min_h C_h}{D} \\times 100 < 5\\ \\%

    over the valid (flags N/S, hour validity) hourly means :math:`C_h` [mg/m³ or mg/L] of running hours
    in the window, with :math:`D` the mean (default; median or max by setting — the national text does not
    name the reference value). Windows are local calendar half-months or rolling ``range_window_days``
    windows (setting); a window needs ``range_min_hours`` such hours; windows with :math:`D \\le 0` are left
    to the constant-value rule. Flagged windows that overlap or touch are one finding (the worst window's
    numbers are quoted). Measured values only (折算 follows them through O2).

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.range_window``, ``range_window_days`` [day], ``range_max_pct`` [%], ``range_denominator``,
        ``range_min_hours`` [h].

    Returns
    -------
    list of Finding
        ``DET-RANGE-HALFMONTH`` per concentration factor and merged span.

    References
    ----------
    .. [1] 电子督办 恒值: "over a half-month window the range of hourly concentration means is < 5 % during
       normal production" (china-vietnam-rules.md §5.2 [S], reference value UNCONFIRMED; §5.6).
    """
    nat = cfg.national
    findings = []
    for factor in sorted(data.hours):
        s = data.hours[factor]
        if role_of(factor) != "concentration" or len(s) < nat.range_min_hours:
            continue
        run, known = _running(data, s.times, cfg)
        good = valid_mask(s) & run
        if good.sum() < nat.range_min_hours:
            continue
        t, v = s.times[good], s.values[good]
        if nat.range_window == "calendar":
            windows = _calendar_windows(t, v, nat, data.tz)
        else:
            span_end = (to_datetime64(data.window_end) if data.window_end is not None
                        else s.times[-1] + np.timedelta64(_HOUR_S, "s"))
            windows = _rolling_windows(t, v, nat, span_end)
        flagged = [w for w in windows if w.denominator > 0 and w.pct < nat.range_max_pct]
        spans: list[list[_Window]] = []
        for w in flagged:
            if spans and w.start <= spans[-1][-1].end:
                spans[-1].append(w)
            else:
                spans.append([w])
        for group in spans:
            worst = min(group, key=lambda w: w.pct)
            start, end = group[0].start, max(w.end for w in group)
            unit = _unit(factor, data.medium)
            text = (f"{_cap(_label(factor))} at point {data.point}: over the half-month "
                    f"{_span(worst.start, worst.end, data.tz)} its {worst.hours} valid hourly means "
                    f"{_running_phrase(known)} stayed between {_num(worst.low)} and {_num(worst.high)} {unit}, "
                    f"a range of {_num(worst.high - worst.low)} {unit} = {worst.pct:.2f} % of the "
                    f"{nat.range_denominator} {_num(worst.denominator)} {unit}; the national rule flags "
                    f"< {_num(nat.range_max_pct)} %.")
            if len(group) > 1:
                text = text[:-1] + f" ({len(group)} flagged windows {_span(start, end, data.tz)})."
            evidence = {
                "worst": worst.evidence(),
                "windows": [w.evidence() for w in group[:_EVIDENCE_MAX]],
                "window": nat.range_window,
                "window_days": nat.range_window_days,
                "range_max_pct": nat.range_max_pct,
                "denominator": nat.range_denominator,
                "range_min_hours": nat.range_min_hours,
                "running_known": known,
            }
            findings.append(_finding("DET-RANGE-HALFMONTH", data, [factor], start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 7 negative

@detector("national_negative_values", codes=["DET-NEGATIVE"])
def detect_negative_values(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Negative concentration (measured or 折算), velocity, O2 or flow during normal production (负值).

    Valid records (flags N/S) of the factor's **minute** series, and of its hourly series for the hours
    before the first minute record (the minute window of the continuous pass is shorter than the hourly
    one); consecutive negative records are one finding. The minute records are read first because the rule
    is about individual values: one negative minute is averaged away in its hourly mean (issue 11: a
    negative SO2 minute from the pipeline raised only a statistical spike). A negative hourly mean inside
    the minute window has negative minutes and is found there. Production for flow and velocity themselves
    is judged by O2 alone (a negative flow would otherwise say "stopped" and hide itself).

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.negative_tolerance`` [factor unit], ``national.negative_roles``.

    Returns
    -------
    list of Finding
        ``DET-NEGATIVE`` per factor, resolution and run.

    References
    ----------
    .. [1] 电子督办 负值: "under normal production, emission amount, concentration (incl. 折算), velocity or O2
       < 0" (china-vietnam-rules.md §5.2 [S], §5.6).
    """
    nat = cfg.national
    findings = []
    for factor in data.factors():
        if role_of(factor) not in nat.negative_roles:
            continue
        minutes, hours = data.minutes.get(factor), data.hours.get(factor)
        parts: list[tuple[str, Series]] = []
        if minutes is not None and len(minutes):
            parts.append(("minute", minutes))
        if hours is not None and len(hours):
            if parts:  # only the hours that ended before the first minute record
                before = hours.times + np.timedelta64(3600, "s") <= minutes.times[0]
                if before.any():
                    parts.append(("hourly", _subset(hours, before)))
            else:
                parts.append(("hourly", hours))
        for resolution, s in parts:
            findings += _negative_runs(data, factor, resolution, s, cfg)
    return findings


def _subset(s: Series, mask: np.ndarray) -> Series:
    idx = np.flatnonzero(mask)
    return Series(s.factor, s.times[idx], s.values[idx], tuple(s.flags[i] for i in idx) if s.flags else (),
                  s.zs[idx] if s.zs is not None else None, s.valid[idx] if s.valid is not None else None)


def _negative_runs(data: PointData, factor: str, resolution: str, s: Series, cfg: DetectorSettings) -> list[Finding]:
    nat = cfg.national
    findings: list[Finding] = []
    with np.errstate(invalid="ignore"):
        below = s.values < -nat.negative_tolerance
        below_zs = s.zs < -nat.negative_tolerance if s.zs is not None and is_concentration(factor) else None
    if not below.any() and (below_zs is None or not below_zs.any()):
        return findings  # no value below 0: nothing to judge, running or not
    step = _step_s(s, _default_step(resolution))
    if role_of(factor) in ("flow", "velocity"):
        run, known = _running_by_o2(data, s.times, cfg)
    else:
        run, known = _running(data, s.times, cfg)
    good = valid_mask(s) & run
    with np.errstate(invalid="ignore"):
        neg = good & below
        neg_zs = good & np.isfinite(s.zs) & below_zs if below_zs is not None else np.zeros(len(s), dtype=bool)
    for a, b in _segments(neg | neg_zs, s.times, step):
        start, end = _dt(s.times[a]), _dt(s.times[b]) + timedelta(seconds=step)
        both = np.concatenate((s.values[a:b + 1][neg[a:b + 1]], (s.zs[a:b + 1][neg_zs[a:b + 1]]
                                                                  if s.zs is not None else [])))
        lowest = float(np.min(both))
        n = b - a + 1
        on_zs = " (折算)" if neg_zs[a:b + 1].any() and not neg[a:b + 1].any() else ""
        text = (f"{_cap(_label(factor))} at point {data.point} read negative values{on_zs} in "
                f"{_plural(n, resolution + ' record')} {_span(start, end, data.tz)} "
                f"(lowest {_qty(lowest, factor, data.medium)}) "
                f"{_running_phrase(known)}; the national rule flags any value < 0.")
        evidence = {
            "lowest": lowest,
            "records": _records(s.times, s.values, a, b),
            "zs_records": (_records(s.times, s.zs, a, b) if s.zs is not None and neg_zs[a:b + 1].any()
                           else []),
            "resolution": resolution,
            "negative_tolerance": nat.negative_tolerance,
            "running_known": known,
        }
        findings.append(_finding("DET-NEGATIVE", data, [factor], start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 8 over range

@detector("national_over_range", codes=["DET-OVER-RANGE"])
def detect_over_range(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Values above the analyser range during normal production, and records flagged T (超量程).

    The range is the instrument master data (``data.ranges[factor]`` upper bound). A valid (N/S) measured
    value above it during normal production is flagged; a record flagged ``T`` (HJ 212-2017 §6.6.4: sample
    above the measuring range) is flagged whatever the production state, since the analyser says so itself.
    Measured values only: the range is the analyser's, not the 折算 value's.

    Parameters
    ----------
    data : PointData
        ``ranges``, hourly series (minute series for factors without hourly data).
    cfg : DetectorSettings

    Returns
    -------
    list of Finding
        ``DET-OVER-RANGE`` per factor and run of consecutive offending records.

    References
    ----------
    .. [1] 电子督办 超量程: "under normal production, measured dry-standard concentration above the analyser
       range" (china-vietnam-rules.md §5.2 [S], §5.6).
    .. [2] HJ 212-2017 §6.6.4 Table 8, flag T 超量程上限 (§0.2 [C]).
    """
    findings = []
    for factor in data.factors():
        picked = _primary(data, factor)
        if picked is None:
            continue
        resolution, s = picked
        high = (data.ranges.get(factor) or (None, None))[1]
        flagged_t = s.flag_mask("T")
        if high is None and not flagged_t.any():
            continue
        step = _step_s(s, _default_step(resolution))
        run, known = _running(data, s.times, cfg)
        with np.errstate(invalid="ignore"):
            above = (valid_mask(s) & run & (s.values > high)) if high is not None else np.zeros(len(s), bool)
        for a, b in _segments(above | flagged_t, s.times, step):
            flags = s.flag_array()
            start, end = _dt(s.times[a]), _dt(s.times[b]) + timedelta(seconds=step)
            seg = s.values[a:b + 1]
            highest = float(np.nanmax(seg)) if np.isfinite(seg).any() else float("nan")
            n_t = int(flagged_t[a:b + 1].sum())
            n_above = int(above[a:b + 1].sum())
            low = (data.ranges.get(factor) or (None, None))[0]
            rng = (f"the analyser range {_num(low if low is not None else 0)}–{_qty(high, factor, data.medium)}"
                   if high is not None else "its analyser range")
            top = f", highest {_qty(highest, factor, data.medium)}" if math.isfinite(highest) else ""
            parts = []
            if n_above:
                parts.append(f"{_plural(n_above, 'valid ' + resolution + ' record')} above it {_running_phrase(known)}")
            if n_t:
                parts.append(f"{_plural(n_t, 'record')} flagged T (over range) by the analyser")
            text = (f"{_cap(_label(factor))} at point {data.point} exceeded {rng} {_span(start, end, data.tz)}: "
                    f"{' and '.join(parts)}{top}; the national rule "
                    f"flags values above the analyser range.")
            evidence = {
                "range": [low, high],
                "highest": highest,
                "records_above": n_above,
                "records_flag_t": n_t,
                "records": [{"time": _dt(s.times[i]), "value": float(s.values[i]), "flag": flags[i]}
                            for i in range(a, min(b + 1, a + _EVIDENCE_MAX))],
                "resolution": resolution,
                "running_known": known,
            }
            findings.append(_finding("DET-OVER-RANGE", data, [factor], start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 9 stopped

def _declared_stopped(data: PointData, series: dict[str, Series], grid: np.ndarray, step: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid intervals declared stopped *as a whole* (every record flagged F, or covered by a ``stopped``
    mark from its start to its end), those declared stopped only in part (a stop begins or ends inside
    the interval), and the F mask.

    A stop begins and ends at any minute: the hourly value of the hour it begins in mixes running and
    stopped minutes, so that hour is no evidence of data while stopped (issue 13); it is judged on the
    minutes the declaration covers, when the point has them (:func:`_declared_minutes`).
    """
    flag_f = np.zeros(len(grid), dtype=bool)
    for s in series.values():
        if s.flags:
            flag_f |= _flagged_at(s, grid, "F")
    whole = _mark_mask(data.marks, ("stopped",), grid, step, whole=True)
    part = _mark_mask(data.marks, ("stopped",), grid, step) & ~whole
    return flag_f | whole, part, flag_f


def _minute_clock(minutes: Sequence[Series]) -> np.ndarray:
    """The distinct times of ``minutes`` in order (``numpy.unique`` of them all); when every series has the
    same increasing times (a logger's minutes: one clock for all factors), those times, without the sort."""
    first = minutes[0].times
    if bool(np.all(first[1:] > first[:-1])) and all(_equal_times(s.times, first) for s in minutes[1:]):
        return first
    return np.unique(np.concatenate([s.times for s in minutes]))


def _declared_minutes(data: PointData, grid: np.ndarray, step: int, factors: Sequence[str]
                      ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
    """Per grid interval: the share of its minute records declared stopped (flag F on any factor, or
    inside a ``stopped`` mark), whether any is, and per factor of ``factors`` the mean of its usable minute
    values over the declared minutes only (``NaN`` where none). ``None`` when the point has no minute data.
    """
    minutes = [s for s in data.minutes.values() if len(s)]
    if not minutes or not len(grid):
        return None
    mt = _minute_clock(minutes)
    mstep = int(np.median(np.diff(_secs(mt)))) if len(mt) > 1 else 60
    declared = _mark_mask(data.marks, ("stopped",), mt, mstep, whole=True)
    for s in minutes:
        if s.flags:
            declared |= _flagged_at(s, mt, "F")
    if not declared.any():
        # no minute declared stopped: no share, and no declared minute to take a mean over (the numbers below
        # without aligning every factor's minutes; most points of a day are never declared stopped)
        return (np.zeros(len(grid)), np.zeros(len(grid), dtype=bool),
                {f: np.full(len(grid), np.nan) for f in factors if f in data.minutes and len(data.minutes[f])})
    k = np.searchsorted(grid, mt, side="right") - 1
    inside = (k >= 0) & (_secs(mt) < _secs(grid[np.clip(k, 0, None)]) + step)
    k = np.where(inside, k, -1)
    pick = inside & declared
    total = np.bincount(k[inside], minlength=len(grid)).astype(float)
    n_decl = np.bincount(k[pick], minlength=len(grid)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, n_decl / total, 0.0)
    means: dict[str, np.ndarray] = {}
    for factor in factors:
        s = data.minutes.get(factor)
        if s is None or not len(s):
            continue
        v, usable = _aligned_usable(s, mt)
        use = pick & usable
        n = np.bincount(k[use], minlength=len(grid)).astype(float)
        total_v = np.bincount(k[use], weights=v[use], minlength=len(grid))
        with np.errstate(invalid="ignore", divide="ignore"):
            means[factor] = np.where(n > 0, total_v / n, np.nan)
    return share, n_decl > 0, means


def _reference(values: np.ndarray, usable: np.ndarray, mask: np.ndarray, min_records: float) -> float:
    """Median of usable positive values in ``mask`` (NaN with fewer than ``min_records``)."""
    pick = usable & mask & (values > 0)
    if pick.sum() < max(min_records, 1):
        return float("nan")
    return float(np.median(values[pick]))


@detector("national_data_while_stopped", codes=["DET-STOPPED-DATA"])
def detect_data_while_stopped(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Point declared stopped while its data say it is producing (电子督办 停运期间数据异常, category 13).

    Declared stopped: any factor's record flagged ``F`` (HJ 212-2017 §6.6.4) or a ``stopped`` (停运) mark.
    Looks like running: every parameter that can tell says so — flow (or velocity) above
    ``running_flow_min`` × its median over the hours *not* declared stopped, and (flue gas) O2 below
    ``o2_stopped_pct``. Without flow/O2, a concentration above ``stopped_concentration_fraction`` × its
    normal-running median is the signal. A real stop (flow ≈ 0, O2 ≈ 21 %) is not flagged; without enough
    normal-running hours to take a reference (``stopped_reference_min_hours``) flow and concentration
    cannot tell, and nothing is flagged on them.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``running_flow_min``, ``o2_stopped_pct`` [%], ``national.stopped_reference_min_hours`` [h],
        ``national.stopped_concentration_fraction``.

    Returns
    -------
    list of Finding
        ``DET-STOPPED-DATA`` per run of such hours.

    References
    ----------
    .. [1] 电子督办 category 13 停运期间数据异常 (china-vietnam-rules.md §5.2 [S], no threshold found).
    .. [2] §5.4 [S]: "if all parameters show stopped characteristics, this is a real stop; if the other
       parameters look like normal operation, it is a fault or tampering".
    """
    nat = cfg.national
    resolution, series = _source(data)
    if not series:
        return []
    present = [s for s in series.values() if len(s)]
    # the distinct times of all series (one clock shared by all: those times, without the sort)
    grid = _minute_clock(present) if present else np.zeros(0, "datetime64[s]")
    if not len(grid):
        return []
    step = int(np.median(np.diff(_secs(grid)))) if len(grid) > 1 else _default_step(resolution)
    whole, part, flag_f = _declared_stopped(data, series, grid, step)
    concentrations = [s for k, s in sorted(series.items()) if role_of(k) == "concentration" and len(s)]
    flow = _by_role(series, "flow") or _by_role(series, "velocity")
    o2 = _by_role(series, "o2") if data.medium == "gas" else None
    by_minutes = None
    if resolution == "hourly":
        by_minutes = _declared_minutes(data, grid, step, [s.factor for s in (flow, o2, *concentrations)
                                                          if s is not None])
    if by_minutes is not None:  # the minutes tell which part of each hour was declared stopped
        share, any_declared, minute_means = by_minutes
        whole = share >= 1.0
        part = any_declared & ~whole
        flag_f = flag_f & whole
    stopped = whole | part
    if not whole.any():
        return []
    min_records = nat.stopped_reference_min_hours * _HOUR_S / step

    def declared_values(s: Series) -> tuple[np.ndarray, np.ndarray]:
        """Values judged in declared intervals: the mean over the declared minutes when the point has
        them, else the interval's own value; a partly declared interval without minutes is no evidence."""
        v, use = _aligned_usable(s, grid)
        if by_minutes is not None and s.factor in minute_means:
            m = minute_means[s.factor]
            v = np.where(stopped, m, v)
            use = np.where(stopped, np.isfinite(m), use)
        else:
            use &= ~part
        return v, use

    signals: list[tuple[str, np.ndarray, np.ndarray, float, np.ndarray]] = []  # factor, known, says, ref, v
    if flow is not None:
        v0, usable0 = _aligned_usable(flow, grid)
        ref = _reference(v0, usable0, ~stopped, min_records)
        if np.isfinite(ref):
            v, use = declared_values(flow)
            signals.append((flow.factor, use, use & (v > cfg.running_flow_min * ref), ref, v))
    if o2 is not None:
        v, use = declared_values(o2)
        signals.append((o2.factor, use, use & (v < cfg.o2_stopped_pct), cfg.o2_stopped_pct, v))
    if not signals:
        for s in concentrations:
            v0, usable0 = _aligned_usable(s, grid)
            ref = _reference(v0, usable0, ~stopped, min_records)
            if np.isfinite(ref):
                v, use = declared_values(s)
                signals.append((s.factor, use, use & (v > nat.stopped_concentration_fraction * ref), ref, v))
        conc_mode = True
    else:
        conc_mode = False
    if not signals:
        return []
    if conc_mode:  # any concentration at production level
        looks = np.zeros(len(grid), dtype=bool)
        for _, _, says, _, _ in signals:
            looks |= says
    else:  # every parameter that can tell says running
        any_known = np.zeros(len(grid), dtype=bool)
        looks = np.ones(len(grid), dtype=bool)
        for _, known, says, _, _ in signals:
            any_known |= known
            looks &= says | ~known
        looks &= any_known
    findings = []
    for a, b in _segments(stopped & looks, grid, step):
        if not whole[a:b + 1].any():  # only the boundary of a stop: no evidence on its own
            continue
        start, end = _dt(grid[a]), _dt(grid[b]) + timedelta(seconds=step)
        sl = slice(a, b + 1)
        shown, details = [], {}
        for factor, known, says, ref, v in signals:
            if not says[sl].any():
                continue
            mean = float(np.nanmean(v[sl][says[sl]]))
            shown.append(factor)
            details[factor] = {"mean": mean, "reference": ref, "records": int(says[sl].sum())}
        mark_ids = [m.mark_id for m in data.marks
                    if m.type == "stopped" and m.mark_id is not None and m.start < end and m.end > start]
        how = []
        if flag_f[sl].any():
            how.append(f"flag F on {_plural(int(flag_f[sl].sum()), resolution + ' record')}")
        if _mark_mask(data.marks, ("stopped",), grid[sl], step).any():
            how.append("a 停运 mark")
        boundary = int(part[sl].sum())
        parts = []
        for factor in shown:
            d = details[factor]
            role = role_of(factor)
            if role == "o2":
                parts.append(f"O2 ({factor}) averaged {_num(d['mean'], 4)} % (< {_num(cfg.o2_stopped_pct)} %)")
            else:
                parts.append(f"{_label(factor)} averaged {_qty(d['mean'], factor, data.medium, 4)} "
                             f"(normal-running median {_qty(d['reference'], factor, data.medium, 4)})")
        text = (f"Point {data.point} was declared stopped ({' and '.join(how)}) "
                f"{_span(start, end, data.tz)} ({_duration((end - start).total_seconds())}), yet "
                f"{'; '.join(parts)}, so the unit looks like it was running; the national rule 停运期间数据异常 "
                f"flags data like this."
                + (f" {_cap(_plural(boundary, resolution + ' interval'))} only partly declared stopped "
                   f"{'was' if boundary == 1 else 'were'} judged on the declared minutes alone." if boundary else ""))
        evidence = {
            "declared_by": {"flag_f_records": int(flag_f[sl].sum()), "stopped_mark_ids": mark_ids},
            "partly_declared_intervals": boundary,
            "judged_on_declared_minutes": by_minutes is not None,
            "signals": details,
            "signal_kind": "concentration" if conc_mode else "parameters",
            "running_flow_min": cfg.running_flow_min,
            "o2_stopped_pct": cfg.o2_stopped_pct,
            "stopped_reference_min_hours": nat.stopped_reference_min_hours,
            "stopped_concentration_fraction": nat.stopped_concentration_fraction,
            "resolution": resolution,
        }
        findings.append(_finding("DET-STOPPED-DATA", data, shown, start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 10 O2 logic

@detector("national_o2_logic", codes=["DET-O2-SAYS-STOPPED", "DET-O2-SAYS-RUNNING"])
def detect_o2_logic(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """O2 disagreeing with flow and flue temperature (电子督办 category 16, and its reverse).

    * ``DET-O2-SAYS-STOPPED``: O2 ≥ ``o2_stopped_pct`` while flow (or velocity) is above
      ``running_flow_min`` × its running median and, when measured, the flue temperature is above
      ``ambient_temperature_max_c``.
    * ``DET-O2-SAYS-RUNNING``: O2 < ``o2_stopped_pct`` while flow is at or below that threshold and, when
      measured, the temperature is ambient.

    The running median of flow is taken over the hours whose O2 says running (falls back to all hours),
    as in :func:`.model.running_mask`. Flue gas only; a flow (or velocity) series is required, values flagged
    M/C/D/B/T are not used; runs shorter than ``o2_logic_min_hours`` and hours under an
    ``o2_logic_exempt_marks`` mark (start-up/shut-down) are skipped. A real stop (O2 high, flow ≈ 0,
    temperature ambient) agrees and is not flagged.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``o2_stopped_pct`` [%], ``running_flow_min``, ``national.ambient_temperature_max_c`` [°C],
        ``national.o2_logic_min_hours`` [h], ``national.o2_logic_exempt_marks``.

    Returns
    -------
    list of Finding

    References
    ----------
    .. [1] 电子督办 category 16 氧含量显示停运但其他参数不符 (china-vietnam-rules.md §5.2 [S]); §5.4 [S] "O2 says
       stopped (≈ 21 % or above the stop threshold) while flow, temperature and moisture indicate
       operation, or the reverse"; §5.6 O2 ≥ 19 % (ours).
    """
    nat = cfg.national
    if data.medium != "gas":
        return []
    resolution, series = _source(data)
    o2 = _by_role(series, "o2")
    flow = _by_role(series, "flow") or _by_role(series, "velocity")
    if o2 is None or flow is None:
        return []
    temp = _by_role(series, "temperature")
    grid = o2.times
    step = _step_s(o2, _default_step(resolution))
    ov, o2_ok = _aligned_usable(o2, grid)
    fv, flow_ok = _aligned_usable(flow, grid)
    o2_running = o2_ok & (ov < cfg.o2_stopped_pct)
    ref = _reference(fv, flow_ok, o2_running, 1)
    if not np.isfinite(ref):
        ref = _reference(fv, flow_ok, np.ones(len(grid), dtype=bool), 1)
    threshold = cfg.running_flow_min * ref if np.isfinite(ref) else 0.0
    flow_run = flow_ok & (fv > threshold)
    flow_stop = flow_ok & (fv <= threshold)
    if temp is not None:
        tv, temp_ok = _aligned_usable(temp, grid)
        temp_hot = temp_ok & (tv > nat.ambient_temperature_max_c)
        temp_ambient = temp_ok & (tv <= nat.ambient_temperature_max_c)
    else:
        tv = np.full(len(grid), np.nan)
        temp_hot = temp_ambient = np.ones(len(grid), dtype=bool)
    exempt = _mark_mask(data.marks, nat.o2_logic_exempt_marks, grid, step)
    cases = (
        ("DET-O2-SAYS-STOPPED", o2_ok & (ov >= cfg.o2_stopped_pct) & flow_run & temp_hot & ~exempt),
        ("DET-O2-SAYS-RUNNING", o2_running & flow_stop & temp_ambient & ~exempt),
    )
    findings = []
    for code, mask in cases:
        for a, b in _segments(mask, grid, step):
            seconds = float(_secs(grid[b]) - _secs(grid[a]) + step)
            if seconds < nat.o2_logic_min_hours * _HOUR_S:
                continue
            start, end = _dt(grid[a]), _dt(grid[b]) + timedelta(seconds=step)
            sl = slice(a, b + 1)
            o2_mean, flow_mean = float(np.mean(ov[sl])), float(np.mean(fv[sl]))
            temp_mean = float(np.nanmean(tv[sl])) if temp is not None else float("nan")
            flow_text = (f"{_label(flow.factor)} averaged {_qty(flow_mean, flow.factor, data.medium, 4)} "
                         f"(running threshold {_qty(threshold, flow.factor, data.medium, 4)} = "
                         f"{_num(cfg.running_flow_min)} × median {_qty(ref, flow.factor, data.medium, 4)})")
            if code == "DET-O2-SAYS-STOPPED":
                temp_text = (f" and flue temperature {_num(temp_mean, 4)} °C (> {_num(nat.ambient_temperature_max_c)}"
                             f" °C)" if temp is not None else "")
                text = (f"At point {data.point}, O2 ({o2.factor}) averaged {_num(o2_mean, 4)} % "
                        f"(≥ {_num(cfg.o2_stopped_pct)} %, which says stopped) for {_duration(seconds)} "
                        f"{_span(start, end, data.tz)}, while {flow_text}{temp_text} say the unit was running.")
            else:
                temp_text = (f" and flue temperature {_num(temp_mean, 4)} °C (≤ {_num(nat.ambient_temperature_max_c)}"
                             f" °C, ambient)" if temp is not None else "")
                text = (f"At point {data.point}, O2 ({o2.factor}) averaged {_num(o2_mean, 4)} % "
                        f"(< {_num(cfg.o2_stopped_pct)} %, which says running) for {_duration(seconds)} "
                        f"{_span(start, end, data.tz)}, while {flow_text}{temp_text} say the unit was stopped.")
            factors = [o2.factor, flow.factor] + ([temp.factor] if temp is not None else [])
            evidence = {
                "o2_mean": o2_mean,
                "flow_mean": flow_mean,
                "flow_factor": flow.factor,
                "flow_reference_median": ref,
                "flow_threshold": threshold,
                "temperature_mean": temp_mean if temp is not None else None,
                "temperature_measured": temp is not None,
                "hours": seconds / _HOUR_S,
                "o2_stopped_pct": cfg.o2_stopped_pct,
                "running_flow_min": cfg.running_flow_min,
                "ambient_temperature_max_c": nat.ambient_temperature_max_c,
                "o2_logic_min_hours": nat.o2_logic_min_hours,
                "resolution": resolution,
            }
            findings.append(_finding(code, data, factors, start, end, text, evidence))
    return findings


# ---------------------------------------------------------------------------------------------- 11 zero

@detector("national_zero_while_running", codes=["DET-ZERO-RUNNING"])
def detect_zero_while_running(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Concentration at zero (0 ≤ C ≤ ``zero_epsilon``) while flow and O2 say normal production.

    Production is :func:`.model.running_mask` (flow above ``running_flow_min`` × median, O2 below
    ``o2_stopped_pct``); a point without flow/O2 cannot be judged and is skipped. Valid (N/S) measured
    values of the hourly series (minute series without hourly data); runs shorter than ``zero_min_hours``
    are not flagged. Negative values are :func:`detect_negative_values`'s.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
        ``national.zero_epsilon`` [factor unit], ``national.zero_min_hours`` [h], ``running_flow_min``,
        ``o2_stopped_pct`` [%].

    Returns
    -------
    list of Finding
        ``DET-ZERO-RUNNING`` per factor and run.

    References
    ----------
    .. [1] china-vietnam-rules.md §5.4 [S]: "concentration 0 while flow and temperature show operation";
       §5.6 "zero while running — ours".
    """
    nat = cfg.national
    findings = []
    for factor in data.factors():
        picked = _primary(data, factor)
        if picked is None or role_of(factor) != "concentration":
            continue
        resolution, s = picked
        with np.errstate(invalid="ignore"):
            at_zero = (s.values >= 0) & (s.values <= nat.zero_epsilon)
        if not at_zero.any():
            continue  # no value at zero: nothing to judge, running or not
        run, known = _running(data, s.times, cfg)
        if not known:
            continue
        step = _step_s(s, _default_step(resolution))
        zero = valid_mask(s) & run & at_zero
        for a, b in _segments(zero, s.times, step):
            seconds = float(_secs(s.times[b]) - _secs(s.times[a]) + step)
            if seconds < nat.zero_min_hours * _HOUR_S:
                continue
            start, end = _dt(s.times[a]), _dt(s.times[b]) + timedelta(seconds=step)
            hours = hour_floor(s.times[a:b + 1])
            context, ctx_ev = [], {}
            for role in ("flow", "velocity", "o2"):
                if role == "velocity" and "flow" in ctx_ev:
                    continue
                p, at = data.by_role(role), hours
                if p is None:
                    p, at = data.by_role(role, hourly=False), s.times[a:b + 1]
                if p is None:
                    continue
                v, _ = _aligned_usable(p, at)
                if np.isfinite(v).any():
                    mean = float(np.nanmean(v))
                    ctx_ev[role] = {"factor": p.factor, "mean": mean}
                    context.append(f"{'O2' if role == 'o2' else _label(p.factor)} averaged "
                                   f"{_qty(mean, p.factor, data.medium, 4)}")
            eps = f"≤ {_num(nat.zero_epsilon)}" if nat.zero_epsilon > 0 else "exactly 0"
            o2_rule = f", O2 < {_num(cfg.o2_stopped_pct)} %" if "o2" in ctx_ev else ""
            running = f"the unit was running ({'; '.join(context)}"
            text = (f"{_cap(_label(factor))} at point {data.point} read {eps} {_unit(factor, data.medium)} for "
                    f"{_duration(seconds)} {_span(start, end, data.tz)} while {running}: flow > "
                    f"{_num(cfg.running_flow_min)} × its median{o2_rule}); a concentration of zero is expected "
                    f"only when the unit is stopped.")
            evidence = {
                "records": _records(s.times, s.values, a, b),
                "context": ctx_ev,
                "zero_epsilon": nat.zero_epsilon,
                "zero_min_hours": nat.zero_min_hours,
                "running_flow_min": cfg.running_flow_min,
                "o2_stopped_pct": cfg.o2_stopped_pct,
                "resolution": resolution,
            }
            findings.append(_finding("DET-ZERO-RUNNING", data, [factor], start, end, text, evidence))
    return findings
