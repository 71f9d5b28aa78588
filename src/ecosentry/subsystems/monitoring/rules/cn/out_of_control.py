"""Out-of-control (失控) periods and the hourly value, pure: the minutes measured while the analyser was out of
control are invalid data.

A zero or span check whose drift exceeds the allowed drift puts the analyser out of control until every kind
that failed has passed again (the periods are given by another subsystem through the contract
``Subsystem.invalid_periods``; this module only takes them as arguments, no database, no clock).

What the periods do (rule ``CN-HOUR-OOC``):

* **Category: invalid data, not excluded time.** Out-of-control data are invalid data: reference notes §2.1
  "Which minutes are valid: produced while the CEMS is in normal operation, with flag N and **not inside a
  maintenance, calibration, fault or out-of-control (失控) period**", and "Invalid periods (HJ 75-2017 §12
  数据审核和处理): … failed periodic checks … until the next passing check" [R]. The source was emitting, so the
  hours stay in the rates' statistics period (应收 M and 实收 D unchanged) and an hour that loses its validity
  lowers 有效组 S, hence 有效率 and 有效传输率 — like the hours under a 校准 or 故障 mark (§1.2 [S], "become
  invalid groups, which lowers 有效率"). Invalid hours are not judged for exceedance (§4.2) and their emissions
  are substituted with the out-of-control cause (HJ 75-2017 §12, §2.2).
* **Unit: the minute.** The minute records whose interval ``[start, start + Δ)`` overlaps a period become
  invalid; the hour keeps its other minutes and is valid with at least 45 valid minutes left (HJ 76-2017 App. B;
  HJ 212-2017 eq. (24)), its mean is that of the valid minutes left. A period from 03:00 to 11:30 leaves the
  11:00 hour 30 valid minutes: invalid; a period of ten minutes leaves an hour of complete data 50: valid.
* **The logger's own hourly record** (wastewater, one analysis cycle a hour) is invalid when any part of its hour
  is out of control (the cycle ran in it).
* **Flag.** HJ 212-2017 Table 8 has no out-of-control flag: the hour keeps the flag rolled up from its packets
  (reference notes §2.4 step 1, "keep HJ 212's packet flag as received; independently recompute validity");
  the reason says why (``CN-HOUR-OOC: out of control 30 min``), said in the reader's language by
  :mod:`~ecosentry.subsystems.monitoring.rules.cn.reason_words`.
* An hour without any record stays "no data"; the period changes nothing there.

References
----------
.. [1] HJ 75-2017 §11, §12 (calibration, 失控 data) — recalled, not read [R].
.. [2] HJ 76-2017 Appendix B; HJ 212-2017 Table 8, Appendix D.2 eq. (24).
.. [3] shared/reference/china-vietnam-rules.md §1.2, §1.4, §2.1, §2.4.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.monitoring.rules.cn.hourly import (MIN_VALID_MINUTES, MINUTES_PER_HOUR, HourlyValue,
                                                             MinuteRecord, hourly_from_minutes)

__all__ = ["RULE", "out_of_control_minutes", "apply_out_of_control", "outside_minutes"]

RULE = "CN-HOUR-OOC"
register(Rule(RULE, None, "Minutes measured while the analyser was out of control (a failed zero/span check until "
                          "the next pass) are invalid; the hour needs 45 valid minutes without them.",
              "HJ 75-2017 §12 [R]; HJ 76-2017 App. B; china-vietnam-rules.md §2.1, §1.2",
              "ecosentry.subsystems.monitoring.rules.cn.out_of_control", "R/S"))

HOUR = timedelta(hours=1)


def _overlaps(a: datetime, b: datetime, periods: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(p0 < b and p1 > a for p0, p1 in periods)


def out_of_control_minutes(hour_start: datetime, periods: Sequence[tuple[datetime, datetime]]) -> float:
    """Minutes of the clock hour ``[hour_start, hour_start + 1 h)`` inside the periods (overlaps merged). [min]"""
    end = hour_start + HOUR
    spans = sorted((max(hour_start, a), min(end, b)) for a, b in periods if a < end and b > hour_start)
    total, cur = timedelta(0), None
    for a, b in spans:
        if cur is None or a > cur[1]:
            if cur is not None:
                total += cur[1] - cur[0]
            cur = [a, b]
        else:
            cur[1] = max(cur[1], b)
    if cur is not None:
        total += cur[1] - cur[0]
    return total / timedelta(minutes=1)


def outside_minutes(minutes: Sequence[MinuteRecord], periods: Sequence[tuple[datetime, datetime]],
                    interval_minutes: int = 1) -> list[MinuteRecord]:
    """The records whose interval ``[start, start + Δ)`` lies outside every period (the ones still valid data)."""
    step = timedelta(minutes=interval_minutes)
    return [m for m in minutes if not _overlaps(m.start, m.start + step, periods)]


def apply_out_of_control(hv: HourlyValue, minutes: Sequence[MinuteRecord], hour_start: datetime,
                         periods: Sequence[tuple[datetime, datetime]], *, medium: str,
                         interval_minutes: int = 1, min_valid_minutes: int = MIN_VALID_MINUTES) -> HourlyValue:
    """The hour once its out-of-control minutes are invalid (see the module's doc).

    Parameters
    ----------
    hv : HourlyValue
        The hour as rolled up from its records (:func:`~.hourly.hourly_from_minutes`, or the logger's hour).
    minutes : sequence of MinuteRecord
        The hour's minute records; empty when ``hv`` is the logger's own hourly record (or no data).
    hour_start : datetime
        Start of the clock hour, aware.
    periods : sequence of (datetime, datetime)
        The factor's out-of-control stretches ``[start, end)`` (any that overlap the hour), aware.
    medium : {"gas", "water"}
    interval_minutes : int
        The logger's MinInterval; a record covers ``[start, start + Δ)``. [min]
    min_valid_minutes : int
        Valid minutes an hour needs (HJ 76-2017 App. B: 45). [min]

    Returns
    -------
    HourlyValue
        ``hv`` itself when no period touches a record of the hour; otherwise the hour with the minutes inside the
        periods invalid: value, 折算 value, minimum and maximum of the valid minutes left, valid minutes counted
        without them, validity by ``min_valid_minutes``, and ``"CN-HOUR-OOC: out of control N min"`` (N = the
        received minutes inside) in the reason. Flag, ``-Cou`` sum, received minutes and record count are kept.
    """
    end = hour_start + HOUR
    if hv.n_records == 0 or not _overlaps(hour_start, end, periods):
        return hv
    step = timedelta(minutes=interval_minutes)
    if not minutes:   # the logger's hourly record: one analysis cycle over the hour
        ooc = round(out_of_control_minutes(hour_start, periods))
        fragment = f"{RULE}: out of control {ooc} min"
        return dataclasses.replace(hv, valid=False, valid_minutes=0,
                                   reason="; ".join(x for x in (hv.reason, fragment) if x))
    inside = [m for m in minutes if _overlaps(m.start, m.start + step, periods)]
    if not inside:   # the period lies in minutes that never arrived: already counted as missing
        return hv
    outside = outside_minutes(minutes, periods, interval_minutes)
    rest = hourly_from_minutes(outside, medium="water" if medium == "water" else "gas",
                               interval_minutes=interval_minutes, min_valid_minutes=min_valid_minutes)
    ooc = min(len({m.start for m in inside}) * interval_minutes, MINUTES_PER_HOUR)
    valid = hv.valid and rest.valid_minutes >= min_valid_minutes
    before = hv.reason.split("; ") if hv.reason else []
    counted = [f for f in before if f.startswith("valid minutes ")]
    fragments = [f"valid minutes {rest.valid_minutes} < {min_valid_minutes}"] if not valid and (hv.valid or counted) \
        else []
    fragments.append(f"{RULE}: out of control {ooc} min")
    fragments.extend(f for f in before if f not in counted)
    return dataclasses.replace(hv, value=rest.value, zs_value=rest.zs_value, min=rest.min, max=rest.max, valid=valid,
                               valid_minutes=rest.valid_minutes, manual_minutes=rest.manual_minutes,
                               reason="; ".join(fragments))
