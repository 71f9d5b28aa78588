"""Hourly values from minute data (HJ 212-2017 CN 2051 → CN 2061), pure.

The hour is the regulator's unit of validity: one hourly group per point and factor (reference notes
§1.1). This module turns one clock hour of minute records of one factor into an :class:`HourlyValue`
carrying the mean, the rolled-up flag, the validity and the reason, with the counts that explain them.

Rules implemented
-----------------
* **Valid minute** (reference notes §0.2, §2.1): flag ``N`` (or absent) or ``S`` and a value present.
  ``F M D C T B`` and any flag not in HJ 212-2017 Table 8 (the table is extensible) are invalid; unknown
  flags are kept verbatim and never raise.
* **Coverage** = valid intervals × ``interval_minutes`` (an interval Δ > 1 min counts Δ minutes; this
  interpretation is the reference notes' §2.1, not a text of the standard), capped at 60.
* **Hour valid** iff coverage ≥ 45 min: HJ 76-2017 Appendix B "小时数据应包含本小时内至少45min的分钟有效
  数据" (reference notes §2.1, [S]); HJ 212-2017 eq. (24) for the mean.
* **Flag roll-up**, HJ 212-2017 Appendix C, notes to Tables C.16–C.18 (reference notes §0.3, [C]):
  flue gas → ``N`` when more than 75 % of the received sub-interval records are ``N``, otherwise ``D``;
  wastewater → abnormal when any sub-interval is abnormal, otherwise ``N``.

Choices this module makes (documented, tested)
----------------------------------------------
* ``S`` (manually set value) counts as **valid** for coverage, as in vendor practice ([V] in the
  reference notes §0.2), but is **kept visible**: :attr:`HourlyValue.manual_minutes` counts it and the
  reason carries ``"manual S minutes k"`` even for a valid hour. In the flag roll-up ``S`` is not ``N``:
  gas hours whose ``N`` share is ≤ 75 % but whose ``N``+``S`` share is > 75 % are flagged ``S`` (not the
  ``D`` a strict reading of Appendix C gives: the data are valid, only manual); water hours whose only
  abnormal flag is ``S`` are flagged ``S``.
* Water abnormal flag: the **first invalidating flag in time order** (``F M D C T B`` or unknown); ``S``
  only when no invalidating flag occurs.
* **All records F** (source stopped for the whole received hour) → flag ``F``, invalid, reason
  ``"stopped (all F)"``, for both media. A partly stopped hour follows the ordinary rules.
* Flag denominator for the 75 % rule: the records **received** (after de-duplication), not the records
  expected; missing records are reported through coverage and the reason.
* ``cou``: sum of ``-Cou`` over **all received records** whatever their flag (the amount physically
  emitted or discharged); substitution for invalid periods (HJ 75-2017 §12) is a separate step. ``None``
  when no record carries ``-Cou``.
* ``zs_value``: mean of the ``-ZsAvg`` of the valid minutes that carry one (default method of reference
  notes §3.1: mean of minute 折算 values). ``None`` when none does.
* ``value``: arithmetic mean for both media. The flow-weighted wastewater concentration of HJ 212-2017
  Appendix D.1 needs the flow series and is not computed here.
* Flags are compared after stripping surrounding blanks; an empty flag is treated as absent (``N``).
* Duplicate ``start`` values: the first record in input order is kept, later ones are ignored.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准: §6.6.4 Table 8 (flags), Table 9 (CN 2051/2061),
   Appendix C notes to Tables C.16–C.18 (flag roll-up), Appendix D.2 eq. (24) (hourly mean).
.. [2] HJ 76-2017 固定污染源烟气排放连续监测系统技术要求及检测方法, Appendix B (45 valid minutes per hour).
.. [3] shared/reference/china-vietnam-rules.md §0.2, §0.3, §2.1, §2.4, §3.1.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal, Sequence
from zoneinfo import ZoneInfo

__all__ = [
    "MinuteRecord",
    "HourlyValue",
    "hourly_from_minutes",
    "expected_minutes_in_hour",
    "group_by_hour",
    "VALID_FLAGS",
    "KNOWN_FLAGS",
    "MIN_VALID_MINUTES",
]

#: Flags of HJ 212-2017 Table 8.
KNOWN_FLAGS = frozenset("NFMSDCTB")
#: Flags whose values count as valid: N (normal) and S (manually set, valid but manual).
VALID_FLAGS = frozenset("NS")
#: Valid minutes an hour needs, HJ 76-2017 Appendix B. [min]
MIN_VALID_MINUTES = 45
#: Allowed MinInterval values of HJ 212-2017 (reference notes §0.1); all divide 60. [min]
ALLOWED_MIN_INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)

MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class MinuteRecord:
    """One minute-data record (CN 2051) of one factor.

    Attributes
    ----------
    start : datetime
        Interval start (HJ 212 DataTime of CN 2051 is the start of the interval). Naive or tz-aware,
        consistently within one call.
    value : float or None
        ``-Avg``. [factor unit]
    flag : str or None
        ``-Flag`` as received; ``None`` means absent, i.e. ``N``.
    zs_value : float or None
        ``-ZsAvg`` (折算 value) when sent. [factor unit]
    min, max : float or None
        ``-Min`` / ``-Max`` when sent. [factor unit]
    cou : float or None
        ``-Cou`` (emission amount or volume over the interval) when sent. [cou unit]
    """

    start: datetime
    value: float | None
    flag: str | None
    zs_value: float | None = None
    min: float | None = None
    max: float | None = None
    cou: float | None = None


@dataclass(frozen=True)
class HourlyValue:
    """Hourly value of one factor, with the counts and reason that explain it.

    Attributes
    ----------
    value : float or None
        Arithmetic mean of the valid minute values; ``None`` if no valid minute.
    zs_value : float or None
        Mean of the valid minutes' 折算 values (reference notes §3.1 default).
    min, max : float or None
        Over valid minutes, using ``-Min``/``-Max`` when present, else the values.
    cou : float or None
        Sum of ``-Cou`` over all received records (whatever their flag).
    flag : str or None
        Rolled-up flag (HJ 212-2017 Appendix C notes; see module docstring). ``None`` only when no
        record was received.
    valid : bool
        Valid coverage ≥ ``min_valid_minutes``.
    valid_minutes : int
        Valid intervals × interval length, at most 60. [min]
    received_minutes : int
        Received intervals × interval length, at most 60. [min]
    n_records : int
        Records counted (after de-duplication).
    reason : str or None
        ``None`` for a valid, fully automatic hour. Otherwise ``"; "``-joined fragments, the first one
        stable and machine-readable: ``"no data"``, ``"stopped (all F)"``,
        ``"valid minutes 44 < 45"``; then details such as ``"M 20 min"``, ``"no value 2 min"``,
        ``"missing 16 min"``; and ``"manual S minutes 5"`` whenever S minutes exist (also on valid hours).
    manual_minutes : int
        Valid minutes that come from S (manually set) records. [min]
    """

    value: float | None
    zs_value: float | None
    min: float | None
    max: float | None
    cou: float | None
    flag: str | None
    valid: bool
    valid_minutes: int
    received_minutes: int
    n_records: int
    reason: str | None
    manual_minutes: int = 0


def expected_minutes_in_hour(interval_minutes: int) -> int:
    """
    Number of minute-data records (CN 2051) expected in one clock hour.

    Parameters
    ----------
    interval_minutes : int
        MinInterval of the data logger; one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30. [min]

    Returns
    -------
    int
        ``60 // interval_minutes`` records (60 for 1-min gas data, 6 for 10-min wastewater data).

    Raises
    ------
    ValueError
        If the interval is not an allowed MinInterval.

    References
    ----------
    .. [1] HJ 212-2017 (MinInterval values), reference notes §0.1.
    """
    _check_interval(interval_minutes)
    return MINUTES_PER_HOUR // interval_minutes


def hourly_from_minutes(
    records: Sequence[MinuteRecord],
    *,
    medium: Literal["gas", "water"],
    interval_minutes: int = 1,
    min_valid_minutes: int = MIN_VALID_MINUTES,
) -> HourlyValue:
    """
    Roll one clock hour of minute records of one factor up to an hourly value.

    Parameters
    ----------
    records : sequence of MinuteRecord
        The hour's minute records, in any order. All starts must lie in one clock hour.
    medium : {"gas", "water"}
        Selects the flag roll-up of HJ 212-2017 Appendix C (flue gas: 75 % rule; wastewater: any
        abnormal sub-interval makes the hour abnormal).
    interval_minutes : int, default 1
        MinInterval; each record covers this many minutes. [min]
    min_valid_minutes : int, default 45
        Valid coverage an hour needs (HJ 76-2017 Appendix B). [min]

    Returns
    -------
    HourlyValue

    Raises
    ------
    ValueError
        If records span more than one clock hour, mix naive and aware datetimes, if ``medium`` is
        unknown or the interval is not an allowed MinInterval.

    Notes
    -----
    The hourly mean is eq. (24) of HJ 212-2017 Appendix D.2: :math:`C_h = \\sum_{j=1}^{k} C_j / k`
    over the k valid minute values. See the module docstring for every choice made where the standards
    are silent.

    References
    ----------
    .. [1] HJ 212-2017, Appendix C notes to Tables C.16–C.18; Appendix D.2 eq. (24).
    .. [2] HJ 76-2017, Appendix B.
    """
    if medium not in ("gas", "water"):
        raise ValueError(f"medium must be 'gas' or 'water', not {medium!r}")
    _check_interval(interval_minutes)

    unique = _deduplicate(records)
    if not unique:
        return HourlyValue(
            value=None, zs_value=None, min=None, max=None, cou=None, flag=None, valid=False,
            valid_minutes=0, received_minutes=0, n_records=0, reason="no data",
        )
    _check_one_clock_hour(unique)

    flags = [_normalise_flag(r.flag) for r in unique]
    valid = [f in VALID_FLAGS and _is_number(r.value) for r, f in zip(unique, flags)]
    valid_records = [r for r, ok in zip(unique, valid) if ok]

    n = len(unique)
    n_valid = len(valid_records)
    n_manual = sum(1 for f, ok in zip(flags, valid) if ok and f == "S")
    valid_minutes = min(n_valid * interval_minutes, MINUTES_PER_HOUR)
    received_minutes = min(n * interval_minutes, MINUTES_PER_HOUR)
    manual_minutes = min(n_manual * interval_minutes, MINUTES_PER_HOUR)

    all_stopped = all(f == "F" for f in flags)
    flag = "F" if all_stopped else (_gas_flag(flags) if medium == "gas" else _water_flag(flags))
    is_valid = (not all_stopped) and valid_minutes >= min_valid_minutes

    reason = _reason(
        unique, flags, valid,
        all_stopped=all_stopped, is_valid=is_valid, valid_minutes=valid_minutes,
        received_minutes=received_minutes, manual_minutes=manual_minutes,
        interval_minutes=interval_minutes, min_valid_minutes=min_valid_minutes,
    )

    values = [float(r.value) for r in valid_records]
    lows = [float(r.min) if _is_number(r.min) else float(r.value) for r in valid_records]
    highs = [float(r.max) if _is_number(r.max) else float(r.value) for r in valid_records]
    zs = [float(r.zs_value) for r in valid_records if _is_number(r.zs_value)]
    cous = [float(r.cou) for r in unique if _is_number(r.cou)]

    return HourlyValue(
        value=_mean(values),
        zs_value=_mean(zs),
        min=min(lows) if lows else None,
        max=max(highs) if highs else None,
        cou=math.fsum(cous) if cous else None,
        flag=flag,
        valid=is_valid,
        valid_minutes=valid_minutes,
        received_minutes=received_minutes,
        n_records=n,
        reason=reason,
        manual_minutes=manual_minutes,
    )


def group_by_hour(
    records: Sequence[MinuteRecord], tz: tzinfo | str | None = None
) -> dict[datetime, list[MinuteRecord]]:
    """
    Group minute records by the clock hour of their start.

    Parameters
    ----------
    records : sequence of MinuteRecord
    tz : tzinfo or str or None
        Time zone whose clock hours are meant (the point's zone; HJ 212 DataTime is local time).
        Aware starts are converted to it and naive starts are taken to be in it; the returned records
        carry the converted start. ``None`` groups the starts as they are.

    Returns
    -------
    dict
        Hour start → records of that hour in ascending start order; keys ascending.

    Notes
    -----
    Pure helper for callers that hold a stretch of minute data; each group can be passed to
    :func:`hourly_from_minutes`. Grouping in the point's zone matters where the UTC offset is not a
    whole number of hours.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    groups: dict[datetime, list[MinuteRecord]] = defaultdict(list)
    for record in records:
        start = record.start
        if zone is not None:
            start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
            record = dataclasses.replace(record, start=start)
        groups[_hour_of(start)].append(record)
    return {hour: sorted(groups[hour], key=lambda r: r.start) for hour in sorted(groups)}


# --------------------------------------------------------------------------- helpers


def _check_interval(interval_minutes: int) -> None:
    if interval_minutes not in ALLOWED_MIN_INTERVALS:
        raise ValueError(
            f"interval_minutes must be one of {ALLOWED_MIN_INTERVALS} (HJ 212-2017 MinInterval), "
            f"not {interval_minutes!r}"
        )


def _deduplicate(records: Sequence[MinuteRecord]) -> list[MinuteRecord]:
    """Keep the first record of each start (input order), return them sorted by start."""
    seen: dict[datetime, MinuteRecord] = {}
    aware = None
    for record in records:
        is_aware = record.start.tzinfo is not None and record.start.utcoffset() is not None
        if aware is None:
            aware = is_aware
        elif aware != is_aware:
            raise ValueError("records mix naive and tz-aware start times")
        seen.setdefault(record.start, record)
    return sorted(seen.values(), key=lambda r: r.start)


def _hour_of(start: datetime) -> datetime:
    return start.replace(minute=0, second=0, microsecond=0)


def _check_one_clock_hour(records: Sequence[MinuteRecord]) -> None:
    hours = {_hour_of(r.start) for r in records}
    if len(hours) > 1:
        first, last = min(hours), max(hours)
        raise ValueError(f"records span more than one clock hour ({first.isoformat()} … {last.isoformat()})")


def _normalise_flag(flag: str | None) -> str:
    if flag is None:
        return "N"
    stripped = str(flag).strip()
    return stripped if stripped else "N"


def _is_number(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _gas_flag(flags: list[str]) -> str:
    """HJ 212-2017 Appendix C: N when more than 75 % of sub-interval values are N, else D.

    Extension (module docstring): S when N alone is not > 75 % but N and S together are.
    """
    n = len(flags)
    n_normal = sum(1 for f in flags if f == "N")
    n_manual = sum(1 for f in flags if f == "S")
    if 4 * n_normal > 3 * n:
        return "N"
    if n_manual and 4 * (n_normal + n_manual) > 3 * n:
        return "S"
    return "D"


def _water_flag(flags: list[str]) -> str:
    """HJ 212-2017 Appendix C: abnormal when any sub-interval is abnormal.

    Returns the first invalidating flag in time order, else S if any, else N.
    """
    for f in flags:
        if f not in VALID_FLAGS:
            return f
    return "S" if "S" in flags else "N"


def _reason(
    records: Sequence[MinuteRecord],
    flags: list[str],
    valid: list[bool],
    *,
    all_stopped: bool,
    is_valid: bool,
    valid_minutes: int,
    received_minutes: int,
    manual_minutes: int,
    interval_minutes: int,
    min_valid_minutes: int,
) -> str | None:
    fragments: list[str] = []
    if all_stopped:
        fragments.append("stopped (all F)")
    elif not is_valid:
        fragments.append(f"valid minutes {valid_minutes} < {min_valid_minutes}")
        invalid_by_flag: dict[str, int] = {}
        no_value = 0
        for record, f, ok in zip(records, flags, valid):
            if ok:
                continue
            if f in VALID_FLAGS:
                no_value += interval_minutes
            else:
                invalid_by_flag[f] = invalid_by_flag.get(f, 0) + interval_minutes
        fragments.extend(f"{f} {m} min" for f, m in invalid_by_flag.items())
        if no_value:
            fragments.append(f"no value {no_value} min")
        missing = MINUTES_PER_HOUR - received_minutes
        if missing > 0:
            fragments.append(f"missing {missing} min")
    if manual_minutes:
        fragments.append(f"manual S minutes {manual_minutes}")
    return "; ".join(fragments) if fragments else None
