"""Vectorised (numpy) forms of the per-period rules, for recomputing many series at once.

The per-period functions of :mod:`~ecosentry.subsystems.monitoring.rules.cn.hourly`, :mod:`~ecosentry.subsystems.monitoring.rules.cn.aggregates`,
:mod:`~ecosentry.subsystems.monitoring.rules.cn.rates` and :mod:`~ecosentry.subsystems.monitoring.rules.cn.exceedance` are the reference: they cite
the clauses and explain every choice. Each function here is the *vectorised form* of one of them, applied
to a regular block (series × periods × sub-periods) and giving the **same** validity decisions, the same
counts and the same means (up to floating-point summation order: numpy's pairwise sum instead of
``math.fsum``; the tests require ``rtol=1e-12``).

Conventions
-----------
* A missing value is ``nan``; a missing record is ``nan`` with its ``valid`` flag false. As in the
  reference, a sub-period counts as valid only when its flag says so **and** its value is finite.
* Means of periods with no valid sub-period are ``nan`` (the reference's ``None``). Like the reference,
  the mean of an **invalid** period is still the mean of its valid sub-periods: check ``valid``.
* Clock hours, days and months are local (China has no daylight saving time), so a year of hourly data
  is a ``(series, days, 24)`` reshape.

What is not vectorised (use the reference functions)
---------------------------------------------------
Flag roll-up and reasons (:func:`~ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes`), 折算 means and
``cou``, the all-``F`` hour (its minutes are invalid anyway, so the hour is invalid whenever
``min_valid_minutes > 0``), 即时 mode and 标样核查 exemptions of the rates, dated/seasonal limit
selection (pass the limit in force as ``upper``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ecosentry.subsystems.monitoring.rules.cn.aggregates import MIN_VALID_DAYS, MIN_VALID_DAYS_FEBRUARY, MIN_VALID_HOURS
from ecosentry.subsystems.monitoring.rules.cn.hourly import ALLOWED_MIN_INTERVALS, MIN_VALID_MINUTES, MINUTES_PER_HOUR

__all__ = [
    "PeriodBlock",
    "MonthBlock",
    "RateCountBlock",
    "RateBlock",
    "ExceedBlock",
    "hours_from_minutes",
    "days_from_hours",
    "months_from_days",
    "rate_counts",
    "rates",
    "exceed",
]


class PeriodBlock(NamedTuple):
    """Result of a roll-up over the last axis.

    Attributes
    ----------
    mean : ndarray of float
        Mean of the valid sub-periods; ``nan`` where none is valid.
    valid : ndarray of bool
        The period meets its completeness rule.
    n_valid : ndarray of int
        Valid sub-periods (for hours: valid **minutes** of coverage, capped at 60).
    """

    mean: np.ndarray
    valid: np.ndarray
    n_valid: np.ndarray


class MonthBlock(NamedTuple):
    """Result of :func:`months_from_days`: arrays ``(..., n_months)`` and the months (``datetime64[M]``)."""

    mean: np.ndarray
    valid: np.ndarray
    n_valid: np.ndarray
    months: np.ndarray


class RateCountBlock(NamedTuple):
    """Counts of :class:`~ecosentry.subsystems.monitoring.rules.cn.rates.RateCounts` (``M``, ``D``, ``S``), one per series.

    ``expected_groups == expected`` and ``excluded_groups == 0`` (hourly slots, no exemptions).
    """

    expected: np.ndarray
    received: np.ndarray
    valid_groups: np.ndarray

    def sum(self, axis=None) -> "RateCountBlock":
        """Counts added over ``axis`` (vectorised form of :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.sum_counts`)."""
        return RateCountBlock(*(np.sum(a, axis=axis) for a in self))


class RateBlock(NamedTuple):
    """Rates as fractions; ``nan`` where the reference returns ``None`` (zero denominator)."""

    trans_rate: np.ndarray
    effe_rate: np.ndarray
    effe_trans_rate: np.ndarray


class ExceedBlock(NamedTuple):
    """Result of :func:`exceed`.

    Attributes
    ----------
    exceeded : ndarray of bool
        True where judged and exceeded; False where judged and within the limit **and where not judged**.
    judged : ndarray of bool
        False where the reference returns ``exceeded=None`` (invalid period, no value, no limit).
    multiple : ndarray of float
        :math:`(C - C_0)/C_0` for an upper exceedance with :math:`C_0 > 0`, else ``nan`` (reference ``None``).
    """

    exceeded: np.ndarray
    judged: np.ndarray
    multiple: np.ndarray


def _masked_mean(values: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` over the last axis where ``ok``; ``nan`` where no entry is ok. Returns (mean, n)."""
    n = np.count_nonzero(ok, axis=-1)
    total = np.where(ok, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
    return np.where(n > 0, mean, np.nan), n


def _ok(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=float)
    flags = np.asarray(valid, dtype=bool)
    if flags.shape != v.shape:
        raise ValueError(f"valid has shape {flags.shape}, values has {v.shape}")
    return v, flags & np.isfinite(v)


def hours_from_minutes(
    values,
    valid_mask,
    interval: int = 1,
    min_valid_minutes: int = MIN_VALID_MINUTES,
) -> PeriodBlock:
    """
    Hourly means from a block of minute data: vectorised form of
    :func:`~ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes` (value, validity, valid minutes).

    Parameters
    ----------
    values : array_like, shape (..., 60 // interval)
        ``-Avg`` of each record of each clock hour, in time order; ``nan`` for a missing record or value.
    valid_mask : array_like of bool, same shape
        Record received with a valid flag (``N``, absent, or ``S``). A record flagged ``F M D C T B``
        (or unknown), or not received, is False.
    interval : int, default 1
        MinInterval [min]; each record covers this many minutes.
    min_valid_minutes : int, default 45
        Valid coverage an hour needs (HJ 76-2017 Appendix B). [min]

    Returns
    -------
    PeriodBlock
        ``mean`` (..., HJ 212-2017 eq. (24) over the valid records), ``valid`` (coverage ≥
        ``min_valid_minutes``), ``n_valid`` = valid minutes = min(valid records × interval, 60).

    Raises
    ------
    ValueError
        If the interval is not an allowed MinInterval or the last axis is not ``60 // interval`` long.
    """
    if interval not in ALLOWED_MIN_INTERVALS:
        raise ValueError(f"interval must be one of {ALLOWED_MIN_INTERVALS}, not {interval!r}")
    v, ok = _ok(values, valid_mask)
    if v.shape[-1] != MINUTES_PER_HOUR // interval:
        raise ValueError(f"last axis must hold {MINUTES_PER_HOUR // interval} records, not {v.shape[-1]}")
    mean, n = _masked_mean(v, ok)
    minutes = np.minimum(n * interval, MINUTES_PER_HOUR)
    return PeriodBlock(mean, minutes >= min_valid_minutes, minutes)


def days_from_hours(values, valid, min_valid_hours: int = MIN_VALID_HOURS) -> PeriodBlock:
    """
    Daily flue-gas means: vectorised form of :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.daily_from_hours`
    (value, validity, valid hours).

    Parameters
    ----------
    values : array_like, shape (..., 24)
        Hourly means of each day in clock order; ``nan`` for a missing hour. [mg/m³]
    valid : array_like of bool, same shape
        Hour valid (≥ 45 valid minutes); a missing hour is False.
    min_valid_hours : int, default 20
        HJ 76-2017 Appendix B.

    Returns
    -------
    PeriodBlock
        ``mean`` over the valid finite hours (HJ 212-2017 eq. (25)), ``valid`` = ``n_valid ≥
        min_valid_hours``, ``n_valid``.
    """
    v, ok = _ok(values, valid)
    if v.shape[-1] > 24:
        raise ValueError(f"{v.shape[-1]} hours per day, more than 24")
    mean, n = _masked_mean(v, ok)
    return PeriodBlock(mean, n >= min_valid_hours, n)


def months_from_days(
    day_values,
    day_valid,
    day_dates,
    min_valid_days: int = MIN_VALID_DAYS,
    february: int = MIN_VALID_DAYS_FEBRUARY,
) -> MonthBlock:
    """
    Monthly flue-gas means: vectorised form of :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.monthly_from_days`
    (value, validity, valid days), for every calendar month the dates touch.

    Parameters
    ----------
    day_values : array_like, shape (..., D)
        Daily means. [mg/m³]
    day_valid : array_like of bool, same shape
        Day valid (≥ 20 valid hours).
    day_dates : array_like, shape (D,)
        Local date of each column (``datetime64`` or ``datetime.date``); unique, any order.
    min_valid_days : int, default 25
    february : int, default 23
        Valid days February needs (common and leap years).

    Returns
    -------
    MonthBlock
        ``mean``, ``valid``, ``n_valid`` of shape (..., M) and ``months`` (``datetime64[M]``, ascending).

    Raises
    ------
    ValueError
        On duplicate dates or a date axis that does not match ``day_values``.
    """
    v, ok = _ok(day_values, day_valid)
    dates = np.asarray(day_dates, dtype="datetime64[D]")
    if dates.ndim != 1 or dates.shape[0] != v.shape[-1]:
        raise ValueError(f"day_dates has shape {dates.shape}, day_values has {v.shape[-1]} days")
    if np.unique(dates).size != dates.size:
        raise ValueError("day_dates has duplicate dates")
    month_of = dates.astype("datetime64[M]")
    months = np.unique(month_of)
    shape = v.shape[:-1] + (months.size,)
    mean = np.empty(shape)
    n_valid = np.empty(shape, dtype=np.int64)
    sorted_days = bool(np.all(dates[1:] > dates[:-1]))
    for i, m in enumerate(months):
        if sorted_days:  # contiguous columns: a view, no copy
            lo, hi = np.searchsorted(month_of, [m, m + 1])
            cols = slice(int(lo), int(hi))
        else:
            cols = month_of == m
        mean[..., i], n_valid[..., i] = _masked_mean(v[..., cols], ok[..., cols])
    month_number = months.astype(int) % 12 + 1
    required = np.where(month_number == 2, february, min_valid_days)
    return MonthBlock(mean, n_valid >= required, n_valid, months)


def rate_counts(received, valid, stopped=None) -> RateCountBlock:
    """
    ``M``, ``D``, ``S`` per series: vectorised form of :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.count_slots`
    with ``mode="backfilled"``, default :class:`~ecosentry.subsystems.monitoring.rules.cn.rates.RateSettings` and no
    non-attributable or 标样核查 slots.

    Parameters
    ----------
    received : array_like of bool, shape (..., H)
        An hourly record exists for the slot.
    valid : array_like of bool, same shape
        The hourly record is valid (requires ``received``).
    stopped : array_like of bool or None, same shape
        Slot under a 工况 停运 mark (leaves the period). ``None`` → none.

    Returns
    -------
    RateCountBlock
        ``expected`` = slots not stopped (``M``), ``received`` = received among them (``D``),
        ``valid_groups`` = valid among them (``S``); shape ``(...)``. Sum with :meth:`RateCountBlock.sum`.

    Raises
    ------
    ValueError
        If a slot is valid but not received (as the reference does).
    """
    rec = np.asarray(received, dtype=bool)
    val = np.asarray(valid, dtype=bool)
    if val.shape != rec.shape:
        raise ValueError(f"valid has shape {val.shape}, received has {rec.shape}")
    if np.any(val & ~rec):
        raise ValueError("a slot is valid but not received")
    if stopped is None:
        inside = np.ones_like(rec)
        expected = np.full(rec.shape[:-1], rec.shape[-1], dtype=np.int64)
    else:
        inside = ~np.asarray(stopped, dtype=bool)
        if inside.shape != rec.shape:
            raise ValueError(f"stopped has shape {inside.shape}, received has {rec.shape}")
        expected = np.count_nonzero(inside, axis=-1)
    return RateCountBlock(
        expected=np.asarray(expected, dtype=np.int64),
        received=np.count_nonzero(rec & inside, axis=-1),
        valid_groups=np.count_nonzero(val & inside, axis=-1),
    )


def rates(counts: RateCountBlock) -> RateBlock:
    """
    Rates from counts (per series or summed): vectorised form of
    :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.rates_from_counts` with the default settings and no exemptions.

    ``transRate = D / M``, ``effeRate = S / (M − NOS)`` with ``NOS = 0``, ``effeTransRate`` = product;
    ``nan`` where the denominator is 0 (the reference's ``None``).
    """
    m = np.asarray(counts.expected)
    d = np.asarray(counts.received)
    s = np.asarray(counts.valid_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        trans = np.where(m > 0, d / np.where(m > 0, m, 1), np.nan)
        effe = np.where(m > 0, s / np.where(m > 0, m, 1), np.nan)
    return RateBlock(trans, effe, trans * effe)


def exceed(values, valid, upper, lower=None) -> ExceedBlock:
    """
    Exceedance of period means: vectorised form of :func:`~ecosentry.subsystems.monitoring.rules.cn.exceedance.judge`.

    Parameters
    ----------
    values : array_like of float
        Period means (gas: hourly 折算 means). [limit unit]
    valid : array_like of bool
        Period valid; invalid periods are **not judged** (reference notes §4.2).
    upper : array_like of float
        Upper limit in force, broadcastable to ``values``; ``nan`` = no upper bound.
    lower : array_like of float or None
        Lower limit (pH); ``None``/``nan`` = none. Where both bounds are ``nan`` there is no limit and
        the period is not judged.

    Returns
    -------
    ExceedBlock
        ``C > upper`` exceeds (``C == upper`` complies); else ``C < lower`` exceeds. ``multiple`` =
        :math:`(C - C_0)/C_0` for an upper exceedance with :math:`C_0 > 0`, else ``nan``.
    """
    c = np.asarray(values, dtype=float)
    up = np.broadcast_to(np.asarray(upper, dtype=float), c.shape)
    low = np.broadcast_to(np.asarray(np.nan if lower is None else lower, dtype=float), c.shape)
    has_limit = ~(np.isnan(up) & np.isnan(low))
    judged = np.asarray(valid, dtype=bool) & np.isfinite(c) & has_limit
    above = judged & (c > up)  # comparisons with nan are False
    below = judged & ~above & (c < low)
    with np.errstate(invalid="ignore", divide="ignore"):
        multiple = np.where(above & (up > 0), (c - up) / up, np.nan)
    return ExceedBlock(above | below, judged, multiple)
