"""Daily and monthly values (flue gas) and flow-weighted wastewater values, pure.

The hour is built by :mod:`ecosentry.subsystems.monitoring.rules.cn.hourly`; this module rolls valid hours up to a day and
valid days up to a month, always returning a :class:`PeriodValue` that carries the counts and the
reason that explain its validity (reference notes §2, "derived periods keep their counts and reasons").

Rules implemented
-----------------
* **Flue-gas day** (reference notes §2.1): arithmetic mean of the valid hourly means, HJ 212-2017
  Appendix D.2 eq. (25); the day is valid iff it has ≥ 20 valid hours (HJ 76-2017 Appendix B, [S]).
  Emission amount :math:`G_d = \\sum G_h` over the valid hours, eq. (34) (HJ 212 prints an extra
  :math:`10^{-6}` there: a typo, :math:`G_h` is already in kg).
* **Flue-gas month** (reference notes §2.1, [S] HJ 76-2017 Appendix B): mean of the valid daily means;
  valid iff ≥ 25 valid days, February ≥ 23 (also in a leap year).
* **Wastewater** (HJ 212-2017 Appendix D.1, [C]): slice volume :math:`D_i = Q T 10^{-3}`, load
  :math:`G = D C 10^{-3}`, flow-weighted concentration :math:`C = \\sum G / \\sum D \\cdot 10^3`.
  An hour needs ≥ 1 valid 10-min value (":math:`1 \\le m \\le 6`"); a day needs valid hours ≥ 75 % of
  the expected hours (HJ 356-2019 §7, **[R] UNCONFIRMED**: a parameter). pH is an arithmetic mean.

Choices this module makes (documented, tested)
----------------------------------------------
* An input hour (or day) counts as valid when its ``valid`` attribute is true **and** its ``value`` is a
  finite number. The ``flag`` attribute is not re-examined: validity was decided one level below.
* ``value`` / ``zs_value`` of an **invalid** period are still the means of its valid sub-periods (as
  :class:`~ecosentry.subsystems.monitoring.rules.cn.hourly.HourlyValue` does for hours), so a reviewer sees the number; use
  ``valid`` before comparing with a limit. ``None`` when no sub-period is valid.
* Day ``cou``: sum of the valid hours' ``cou`` (eq. (34)), whether or not the day itself is valid.
  Month ``cou``: sum of the days' ``cou`` over **all** days received (each already a sum over valid
  hours), so the month total equals the sum over every valid hour of the month. Substitution for
  invalid hours (HJ 75-2017 §12) is a separate step.
* Day ``zs_value``: arithmetic mean of the valid hours' 折算 values (the same k hours as ``value``,
  those that carry one).
* Duplicate ``start`` values: the first in input order is kept. Inputs without ``start`` (e.g.
  :class:`~ecosentry.subsystems.monitoring.rules.cn.hourly.HourlyValue`) are all kept.
* Wastewater load ``cou`` covers the valid slices only; ``volume`` is the total volume of every slice
  that has one (the flow is measured independently of the analyser). With a valid concentration but a
  zero discharged volume the flow-weighted mean is undefined: ``value`` is ``None`` and the period is
  invalid with reason ``"zero volume"``.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, Appendix D.1 (wastewater), Appendix D.2
   eq. (25) and (34).
.. [2] HJ 76-2017 固定污染源烟气排放连续监测系统技术要求及检测方法, Appendix B.
.. [3] HJ 356-2019 水污染源在线监测系统数据有效性判别技术规范, §7 (75 % rule, [R] UNCONFIRMED).
.. [4] shared/reference/china-vietnam-rules.md §2.1, §2.3, §3.1.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Sequence

import numpy as np

__all__ = [
    "HourValue",
    "PeriodValue",
    "daily_from_hours",
    "monthly_from_days",
    "water_volume",
    "water_load",
    "flow_weighted_concentration",
    "water_hourly_from_cycles",
    "water_daily_from_hours",
    "MIN_VALID_HOURS",
    "MIN_VALID_DAYS",
    "MIN_VALID_DAYS_FEBRUARY",
    "WATER_MIN_COMPLETENESS",
]

#: Valid hours a flue-gas day needs, HJ 76-2017 Appendix B (HJ 212-2017 eq. (25): m ≥ 20).
MIN_VALID_HOURS = 20
#: Valid days a flue-gas month needs, HJ 76-2017 Appendix B ([S]).
MIN_VALID_DAYS = 25
#: Valid days a flue-gas February needs, HJ 76-2017 Appendix B ([S]).
MIN_VALID_DAYS_FEBRUARY = 23
#: Share of expected wastewater values a day needs, HJ 356-2019 §7. [R] UNCONFIRMED. [-]
WATER_MIN_COMPLETENESS = 0.75
#: Hours expected in a day (China has no daylight saving time).
HOURS_PER_DAY = 24
#: 10-min values expected in a wastewater hour (HJ 212-2017 Appendix D.1: 1 ≤ m ≤ 6).
CYCLES_PER_HOUR = 6


@dataclass(frozen=True)
class HourValue:
    """Minimal hourly input for :func:`daily_from_hours`.

    Any object with ``value`` and ``valid`` attributes is accepted (``start``, ``zs_value``, ``cou`` and
    ``flag`` are optional), e.g. :class:`~ecosentry.subsystems.monitoring.rules.cn.hourly.HourlyValue`.

    Attributes
    ----------
    start : datetime or None
        Start of the hour (HJ 212 DataTime of CN 2061).
    value : float or None
        Hourly mean, dry standard. [mg/m³]
    valid : bool
        Hour valid (≥ 45 valid minutes).
    zs_value : float or None
        Hourly 折算 value. [mg/m³]
    cou : float or None
        Hourly emission amount :math:`G_h` (eq. (33)). [kg]
    flag : str or None
        Rolled-up flag, kept for the caller; not used for validity.
    """

    start: datetime | None
    value: float | None
    valid: bool
    zs_value: float | None = None
    cou: float | None = None
    flag: str | None = None


@dataclass(frozen=True)
class PeriodValue:
    """Value of one factor over a day, a month or a wastewater hour, with its counts and reason.

    Attributes
    ----------
    value : float or None
        Mean over the valid sub-periods (arithmetic for gas and pH, flow-weighted for wastewater).
    zs_value : float or None
        Mean of the valid sub-periods' 折算 values (gas only).
    cou : float or None
        Total: emission amount [kg] for gas, pollutant load [kg] for wastewater; ``None`` when no
        sub-period carries one.
    valid : bool
        The period meets its completeness rule.
    n_valid : int
        Valid sub-periods.
    n_received : int
        Sub-periods received (after de-duplication).
    n_expected : int
        Sub-periods expected (24 hours, days in the month, 6 ten-minute values …).
    reason : str or None
        ``None`` for a valid period. Otherwise ``"; "``-joined fragments, the first stable and
        machine-readable (``"no data"``, ``"valid hours 19 < 20"``, ``"valid days 22 < 23"``,
        ``"zero volume"``), then details (``"invalid 3 h"``, ``"missing 2 h"``).
    kind : str
        ``"hour"``, ``"day"`` or ``"month"``.
    start : date or datetime or None
        Start of the period when known.
    volume : float or None
        Wastewater only: discharged volume over the period. [m³]
    """

    value: float | None
    zs_value: float | None
    cou: float | None
    valid: bool
    n_valid: int
    n_received: int
    n_expected: int
    reason: str | None
    kind: Literal["hour", "day", "month"]
    start: date | datetime | None = None
    volume: float | None = None


# --------------------------------------------------------------------------- flue gas


def daily_from_hours(
    hours: Sequence[Any],
    *,
    min_valid_hours: int = MIN_VALID_HOURS,
    n_expected: int = HOURS_PER_DAY,
) -> PeriodValue:
    r"""
    Daily flue-gas value from the day's hourly values, HJ 212-2017 eq. (25) and (34).

    .. math::

        C_{Qd} = \frac{1}{m}\sum_{l=1}^{m} C_{Qh,l},\qquad G_d = \sum_{l=1}^{m} G_{h,l}

    over the m valid hours; the day is valid iff :math:`m \ge 20`.

    Parameters
    ----------
    hours : sequence of HourValue-like
        The day's hourly values: objects with ``value`` [mg/m³] and ``valid``; optional ``start``,
        ``zs_value`` [mg/m³], ``cou`` [kg], ``flag``.
    min_valid_hours : int, default 20
        Valid hours a day needs (HJ 76-2017 Appendix B).
    n_expected : int, default 24
        Hours expected in the day.

    Returns
    -------
    PeriodValue
        ``kind="day"``; ``start`` is midnight of the hours' day when the hours carry ``start``.

    Raises
    ------
    ValueError
        If the hours' starts span more than one calendar day or more than ``n_expected`` hours are given.

    Notes
    -----
    HJ 212-2017 prints eq. (34) as :math:`G_d = \sum G_h \cdot 10^{-6}`; the factor is a typo because
    :math:`G_h` (eq. (33)) is already in kg, so it is not applied.

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (25) and (34).
    .. [2] HJ 76-2017, Appendix B (≥ 20 valid hours).
    """
    unique = _deduplicate(hours)
    if len(unique) > n_expected:
        raise ValueError(f"{len(unique)} hours given, more than the {n_expected} expected in a day")
    starts = [s for s in (getattr(h, "start", None) for h in unique) if s is not None]
    day_start = None
    if starts:
        days = {s.date() for s in starts}
        if len(days) > 1:
            raise ValueError(f"hours span more than one day ({min(days)} … {max(days)})")
        day_start = min(starts).replace(hour=0, minute=0, second=0, microsecond=0)
    return _roll_up(
        unique, kind="day", unit="h", label="hours", min_valid=min_valid_hours,
        n_expected=n_expected, start=day_start,
    )


def monthly_from_days(
    days: Sequence[Any],
    *,
    year: int,
    month: int,
    min_valid_days: int = MIN_VALID_DAYS,
    min_valid_days_february: int = MIN_VALID_DAYS_FEBRUARY,
) -> PeriodValue:
    r"""
    Monthly flue-gas value from the month's daily values, HJ 76-2017 Appendix B.

    .. math::

        C_{Qm} = \frac{1}{d}\sum_{i=1}^{d} C_{Qd,i}

    over the d valid days; the month is valid iff :math:`d \ge 25` (February: :math:`d \ge 23`).

    Parameters
    ----------
    days : sequence of PeriodValue-like
        The month's daily values (:func:`daily_from_hours` results or objects with ``value`` [mg/m³]
        and ``valid``; optional ``start``, ``zs_value`` [mg/m³], ``cou`` [kg]).
    year, month : int
        Calendar month; fixes the expected days (28/29/30/31).
    min_valid_days : int, default 25
        Valid days a month other than February needs.
    min_valid_days_february : int, default 23
        Valid days February needs, in common and leap years alike.

    Returns
    -------
    PeriodValue
        ``kind="month"``, ``start`` = first day of the month, ``n_expected`` = days in the month.

    Raises
    ------
    ValueError
        If ``month`` is not 1–12, a day's ``start`` lies outside the month, or more days than the
        month has are given.

    References
    ----------
    .. [1] HJ 76-2017, Appendix B (monthly mean: ≥ 25 valid days, February ≥ 23), via reference
       notes §2.1 [S].
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, not {month!r}")
    n_expected = calendar.monthrange(year, month)[1]
    unique = _deduplicate(days)
    for d in unique:
        s = getattr(d, "start", None)
        if s is not None and (s.year, s.month) != (year, month):
            raise ValueError(f"day starting {s.isoformat()} is not in {year:04d}-{month:02d}")
    if len(unique) > n_expected:
        raise ValueError(f"{len(unique)} days given, more than the {n_expected} of {year:04d}-{month:02d}")
    required = min_valid_days_february if month == 2 else min_valid_days
    return _roll_up(
        unique, kind="month", unit="d", label="days", min_valid=required, n_expected=n_expected,
        start=date(year, month, 1), cou_from_all=True,
    )


# --------------------------------------------------------------------------- wastewater


def water_volume(q_l_per_s, seconds):
    r"""
    Wastewater volume discharged over a time slice, HJ 212-2017 Appendix D.1.

    .. math::

        D_i = Q_i \cdot T_i \cdot 10^{-3}

    Parameters
    ----------
    q_l_per_s : numeric
        Flow over the slice :math:`Q_i` (w00000). [L/s]
    seconds : numeric
        Slice length :math:`T_i`. [s]

    Returns
    -------
    numeric
        Volume :math:`D_i`. [m³]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.1.

    Examples
    --------
    >>> float(water_volume(10.0, 600.0))
    6.0
    """
    return (np.asarray(q_l_per_s, dtype=float) * np.asarray(seconds, dtype=float) * 1e-3)[()]


def water_load(conc_mg_per_l, volume_m3):
    r"""
    Pollutant load discharged with a volume of wastewater, HJ 212-2017 Appendix D.1.

    .. math::

        G_i = D_i \cdot C_i \cdot 10^{-3}

    Parameters
    ----------
    conc_mg_per_l : numeric
        Concentration :math:`C_i`. [mg/L]
    volume_m3 : numeric
        Volume :math:`D_i`. [m³]

    Returns
    -------
    numeric
        Load :math:`G_i`. [kg]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.1.

    Examples
    --------
    >>> float(water_load(50.0, 6.0))
    0.3
    """
    return (np.asarray(volume_m3, dtype=float) * np.asarray(conc_mg_per_l, dtype=float) * 1e-3)[()]


def flow_weighted_concentration(concs, volumes):
    r"""
    Flow-weighted (加权平均法) concentration of several slices, HJ 212-2017 Appendix D.1.

    .. math::

        C = \frac{\sum G_i}{\sum D_i} \cdot 10^3 = \frac{\sum C_i D_i}{\sum D_i}

    Parameters
    ----------
    concs : array_like
        Slice concentrations :math:`C_i`; the last axis runs over the slices. [mg/L]
    volumes : array_like
        Slice volumes :math:`D_i`, broadcastable to ``concs``. [m³]

    Returns
    -------
    numeric
        Flow-weighted concentration; ``nan`` where :math:`\sum D_i = 0` or an input is ``nan``. [mg/L]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.1 (:math:`C_m = G_m/D_m \cdot 10^3`, :math:`C_h = G_h/D_h \cdot 10^3`,
       :math:`C_d = G_d/D_d \cdot 10^3`).

    Examples
    --------
    >>> float(flow_weighted_concentration([10.0, 40.0], [3.0, 1.0]))
    17.5
    """
    c, d = np.broadcast_arrays(np.asarray(concs, dtype=float), np.asarray(volumes, dtype=float))
    total_load = np.sum(water_load(c, d), axis=-1)
    total_volume = np.sum(d, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(total_volume != 0.0, total_load / total_volume * 1e3, np.nan)
    return result[()]


def water_hourly_from_cycles(
    values: Sequence[float | None],
    volumes: Sequence[float | None],
    valid: Sequence[bool] | None = None,
    *,
    n_expected: int = CYCLES_PER_HOUR,
    min_valid_cycles: int = 1,
    ph: bool = False,
) -> PeriodValue:
    r"""
    Hourly wastewater value from the hour's 10-min (or analyser-cycle) values, HJ 212-2017 App. D.1.

    .. math::

        C_h = \frac{G_h}{D_h}\cdot 10^3,\quad G_h = \sum_{m} C_m D_m 10^{-3},\quad D_h = \sum_m D_m

    over the valid values m (:math:`1 \le m \le 6`); pH: :math:`\mathrm{pH}_h = \sum \mathrm{pH}_m / m`.

    Parameters
    ----------
    values : sequence of float or None
        Concentrations :math:`C_m` [mg/L] (or pH values [-] with ``ph=True``).
    volumes : sequence of float or None
        Volume discharged in each slice :math:`D_m` (:func:`water_volume`), aligned with ``values``. [m³]
    valid : sequence of bool or None
        Validity of each value (flag N/S and no invalidating mark); ``None`` → all valid. A value that
        is ``None``/``nan``, or whose volume is (unless ``ph``), is invalid whatever ``valid`` says.
    n_expected : int, default 6
        Values expected in the hour (six 10-min values).
    min_valid_cycles : int, default 1
        Valid values an hour needs (HJ 212-2017 Appendix D.1: :math:`1 \le m`).
    ph : bool, default False
        ``True`` → arithmetic mean, no load.

    Returns
    -------
    PeriodValue
        ``kind="hour"``, ``cou`` = load of the valid slices [kg], ``volume`` = total volume [m³].

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.1.
    """
    return _water_period(
        values, volumes, valid, n_expected=n_expected, min_valid=min_valid_cycles, ph=ph, kind="hour",
        unit="cycles", note="",
    )


def water_daily_from_hours(
    values: Sequence[float | None],
    volumes: Sequence[float | None],
    valid: Sequence[bool] | None = None,
    *,
    min_completeness: float = WATER_MIN_COMPLETENESS,
    n_expected: int = HOURS_PER_DAY,
    ph: bool = False,
) -> PeriodValue:
    r"""
    Daily wastewater value, flow-weighted over the valid hours, HJ 212-2017 App. D.1 / HJ 356-2019 §7.

    .. math::

        C_d = \frac{G_d}{D_d}\cdot 10^3 = \frac{\sum_h C_h D_h}{\sum_h D_h}

    over the valid hours h; valid iff :math:`h \ge \lceil 0.75 \cdot 24 \rceil = 18`.
    pH: arithmetic mean of the valid hourly values.

    Parameters
    ----------
    values : sequence of float or None
        Hourly concentrations :math:`C_h` [mg/L] (or pH [-] with ``ph=True``).
    volumes : sequence of float or None
        Hourly volumes :math:`D_h` (w00000 ``-Cou``), aligned with ``values``. [m³]
    valid : sequence of bool or None
        Validity of each hourly value; ``None`` → all valid (a missing value or volume is invalid).
    min_completeness : float, default 0.75
        Share of ``n_expected`` that must be valid. **[R] UNCONFIRMED** recollection of HJ 356-2019 §7
        (reference notes §2.3); a parameter so that the confirmed figure can be set. [-]
    n_expected : int, default 24
        Hourly values expected in the day (lower it for a day partly stopped or exempted).
    ph : bool, default False
        ``True`` → arithmetic mean, no load.

    Returns
    -------
    PeriodValue
        ``kind="day"``, ``cou`` = load of the valid hours [kg], ``volume`` = total volume [m³].

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.1 (:math:`C_d = G_d/D_d \cdot 10^3`).
    .. [2] HJ 356-2019, §7, [R] UNCONFIRMED (75 % completeness; pH arithmetic mean).
    """
    if not 0.0 <= min_completeness <= 1.0:
        raise ValueError(f"min_completeness must be in [0, 1], not {min_completeness!r}")
    # The small tolerance keeps 0.75 × 24 = 18 at 18 despite binary fractions of other shares.
    required = math.ceil(min_completeness * n_expected - 1e-9)
    return _water_period(
        values, volumes, valid, n_expected=n_expected, min_valid=required, ph=ph, kind="day",
        unit="hours", note=f" ({min_completeness * 100:g} % of {n_expected})",
    )


# --------------------------------------------------------------------------- helpers


def _is_number(x: Any) -> bool:
    if x is None:
        return False
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _deduplicate(items: Sequence[Any]) -> list[Any]:
    """Keep the first item of each non-None ``start``; items without a start are all kept."""
    seen: set = set()
    kept = []
    for item in items:
        s = getattr(item, "start", None)
        if s is not None:
            if s in seen:
                continue
            seen.add(s)
        kept.append(item)
    return kept


def _roll_up(
    items: list[Any],
    *,
    kind: Literal["day", "month"],
    unit: str,
    label: str,
    min_valid: int,
    n_expected: int,
    start: date | datetime | None,
    cou_from_all: bool = False,
) -> PeriodValue:
    ok = [bool(getattr(i, "valid", False)) and _is_number(getattr(i, "value", None)) for i in items]
    good = [i for i, k in zip(items, ok) if k]
    values = [float(i.value) for i in good]
    zs = [float(z) for z in (getattr(i, "zs_value", None) for i in good) if _is_number(z)]
    cou_source = items if cou_from_all else good
    cous = [float(c) for c in (getattr(i, "cou", None) for i in cou_source) if _is_number(c)]
    n_valid, n_received = len(good), len(items)
    is_valid = n_valid >= min_valid
    reason = None
    if not is_valid:
        fragments = ["no data"] if not items else [f"valid {label} {n_valid} < {min_valid}"]
        if n_received - n_valid:
            fragments.append(f"invalid {n_received - n_valid} {unit}")
        if n_expected - n_received > 0 and items:
            fragments.append(f"missing {n_expected - n_received} {unit}")
        reason = "; ".join(fragments)
    return PeriodValue(
        value=_mean(values), zs_value=_mean(zs), cou=math.fsum(cous) if cous else None,
        valid=is_valid, n_valid=n_valid, n_received=n_received, n_expected=n_expected,
        reason=reason, kind=kind, start=start,
    )


def _as_float_array(xs: Sequence[float | None] | None, n: int, name: str) -> np.ndarray:
    arr = np.array([np.nan if x is None else float(x) for x in xs], dtype=float)
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries, values has {n}")
    return arr


def _water_period(
    values, volumes, valid, *, n_expected: int, min_valid: int, ph: bool, kind, unit: str, note: str
) -> PeriodValue:
    c = np.array([np.nan if x is None else float(x) for x in values], dtype=float)
    n = int(c.size)
    d = _as_float_array(volumes, n, "volumes")
    flags = np.ones(n, dtype=bool) if valid is None else np.array([bool(v) for v in valid], dtype=bool)
    if flags.size != n:
        raise ValueError(f"valid has {flags.size} entries, values has {n}")
    if n > n_expected:
        raise ValueError(f"{n} values given, more than the {n_expected} expected")
    ok = flags & np.isfinite(c)
    if not ph:
        ok &= np.isfinite(d)
    n_valid = int(ok.sum())
    volume_all = math.fsum(d[np.isfinite(d)]) if np.isfinite(d).any() else None

    value: float | None
    cou: float | None = None
    zero_volume = False
    if ph:
        value = _mean(list(c[ok]))
    elif n_valid:
        volume_valid = math.fsum(d[ok])
        loads = water_load(c[ok], d[ok])
        cou = math.fsum(np.atleast_1d(loads))
        if volume_valid > 0.0:
            value = cou / volume_valid * 1e3  # C = G / D · 10³
        else:
            value, zero_volume = None, True
    else:
        value = None

    is_valid = n_valid >= min_valid and not zero_volume
    reason = None
    if not is_valid:
        if n == 0:
            fragments = ["no data"]
        elif n_valid < min_valid:
            fragments = [f"valid {unit} {n_valid} < {min_valid}{note}"]
        else:
            fragments = ["zero volume"]
        if n - n_valid:
            fragments.append(f"invalid {n - n_valid} {unit}")
        if n_expected - n > 0 and n:
            fragments.append(f"missing {n_expected - n} {unit}")
        reason = "; ".join(fragments)
    return PeriodValue(
        value=None if value is None else float(value), zs_value=None, cou=cou, valid=is_valid,
        n_valid=n_valid, n_received=n, n_expected=n_expected, reason=reason, kind=kind,
        volume=volume_all,
    )
