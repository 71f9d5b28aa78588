"""Substitute (修约) values for invalid or missing hours, as revisions, pure.

The raw series is never modified: every function returns :class:`Revision` records (index, original,
substitute, rule code, explanation), mirroring the national model's ``avg_revised`` / ``cou_revised`` /
``revise_flag`` (reference notes §2.2 [C]).

Rules implemented
-----------------
* **Quarterly valid-data capture rate** (HJ 75-2017 §12 as recalled, reference notes §2.2 [R]/[V]):
  :math:`\\alpha = (Q - Q_{stop} - Q_{invalid}) / (Q - Q_{stop})`.
* **Flue gas, hourly emission amounts** of SO2, NOx and particulate (reference notes §2.2 table [R], the
  180/720/2160 structure corroborated by a vendor implementation [V]). For a gap of ``N`` consecutive
  invalid hours:

  ======================  ===================  =========  ==============================================
  cause                   α                    N          substitute
  ======================  ===================  =========  ==============================================
  out of control (失控)    α ≥ 90 %             N ≤ 24     max of the 180 valid hours before the last
                                                          calibration
  out of control          α ≥ 90 %             N > 24     max of the 720 valid hours before it
  out of control          75 % ≤ α < 90 %      any        max of the 2160 valid hours before it
  maintenance / missing   α ≥ 90 %             N ≤ 24     setting: ``"max_180"`` (vendor, default): max of
                                                          the 180 valid hours before the gap;
                                                          ``"mean_before_after"``: mean of the valid hours
                                                          just before and just after (UNCONFIRMED)
  maintenance / missing   α ≥ 90 %             N > 24     max of the 720 valid hours before the gap
  maintenance / missing   75 % ≤ α < 90 %      any        max of the 2160 valid hours before the gap
  any                     α < 75 %             any        none (substitute ``None``, rule
                                                          ``CN-SUB-GAS-NONE``)
  ======================  ===================  =========  ==============================================

* **Wastewater** (HJ 356-2019 §8 as recalled, reference notes §2.3 [R]/[V]): COD, NH3-N, TP, TN and
  flow → mean of the valid values of the immediately preceding period of equal length; pH → median.

Choices this module makes (documented, tested)
----------------------------------------------
* A **gap** is a maximal run of consecutive invalid hours **with the same cause**; a change of cause
  starts a new gap (and a new ``N``). An hour with ``valid=True`` but no value counts as invalid,
  cause ``"missing"``; an invalid hour with no cause given is ``"missing"``.
* Windows use **original valid values only**; substitutes never feed later windows.
* When fewer valid hours exist before the gap than the window asks (180/720/2160), the available ones
  are used and the explanation says how many; with none, the substitute is ``None``
  (``CN-SUB-GAS-NODATA``).
* Out of control: the window ends before ``last_calibration_index`` (the hour of the last passing
  calibration before the gap); if it is not given, or lies after the gap start, the window ends at the
  gap start and the explanation says so.
* ``"mean_before_after"`` needs a valid hour on both sides; otherwise ``None`` (``CN-SUB-GAS-NODATA``).
* α is a fraction; the comparisons are ``α ≥ 0.90`` and ``α ≥ 0.75`` exactly as given (no rounding of
  α to a displayed percentage first).
* Wastewater preceding period: the ``N`` hours immediately before the gap, clipped at the start of the
  series; the median of an even count is the mean of the two middle values.

References
----------
.. [1] HJ 75-2017 固定污染源烟气排放连续监测技术规范, §12 (数据审核和处理), as recalled in reference notes
   §2.2 [R]; vendor ``DataRounding`` controller (180/720/2160) [V].
.. [2] HJ 356-2019 水污染源在线监测系统数据有效性判别技术规范, §8, as recalled in reference notes §2.3 [R].
.. [3] 企业回流自动监控数据接口说明 V1.6 §2.1.3 (revised values kept beside raw ones), reference notes §2.2.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from itertools import groupby
from typing import Literal, Sequence

import numpy as np

__all__ = [
    "Revision",
    "ValidHistory",
    "SubstitutionSettings",
    "quarterly_capture_rate",
    "find_gaps",
    "substitute_gas_emissions",
    "substitute_water_values",
    "WATER_MEAN_FACTORS",
    "WATER_MEDIAN_FACTORS",
]

Cause = Literal["out_of_control", "maintenance", "missing"]
CAUSES = ("out_of_control", "maintenance", "missing")

#: Wastewater factors substituted by the preceding-period mean: COD, NH3-N, TP, TN, flow.
WATER_MEAN_FACTORS = frozenset({"w01018", "w21003", "w21011", "w21001", "w00000"})
#: Wastewater factors substituted by the preceding-period median: pH.
WATER_MEDIAN_FACTORS = frozenset({"w01001"})


@dataclass(frozen=True)
class Revision:
    """One substituted hour; the raw value stays where it was.

    Attributes
    ----------
    index : int
        Position in the input series.
    original : float or None
        The raw value (``None`` if missing).
    substitute : float or None
        The substitute; ``None`` when no rule gives one (reason in ``explanation``).
    rule_code : str
        Catalogue code (``ecosentry.contracts.catalogue``).
    explanation : str
    """

    index: int
    original: float | None
    substitute: float | None
    rule_code: str
    explanation: str


@dataclass(frozen=True)
class SubstitutionSettings:
    """Settings for flue-gas substitution.

    Attributes
    ----------
    maintenance_short_gap : {"max_180", "mean_before_after"}
        Maintenance/missing gap with N ≤ 24 and α ≥ 90 %: vendor practice (max of 180 valid hours
        before) or the recollection of HJ 75 (mean of the hours just before and after). UNCONFIRMED.
    """

    maintenance_short_gap: Literal["max_180", "mean_before_after"] = "max_180"

    def __post_init__(self) -> None:
        if self.maintenance_short_gap not in ("max_180", "mean_before_after"):
            raise ValueError(f"unknown maintenance_short_gap {self.maintenance_short_gap!r}")


#: α thresholds (fractions) and the short-gap length of the HJ 75-2017 §12 table [R].
ALPHA_HIGH = 0.90
ALPHA_LOW = 0.75
SHORT_GAP_HOURS = 24


def quarterly_capture_rate(quarter_hours: int, stopped_hours: int, invalid_hours: int) -> float | None:
    """
    Quarterly valid-data capture rate α of a flue-gas CEMS.

    Parameters
    ----------
    quarter_hours : int
        Hours in the quarter. [h]
    stopped_hours : int
        Hours the source was stopped. [h]
    invalid_hours : int
        Invalid or missing hours while operating. [h]

    Returns
    -------
    float or None
        α as a fraction; ``None`` if the source never operated (``Q − stop = 0``).

    Raises
    ------
    ValueError
        On negative counts or counts that exceed the quarter.

    Notes
    -----
    .. math:: \\alpha = \\frac{Q - Q_{stop} - Q_{invalid}}{Q - Q_{stop}}

    References
    ----------
    .. [1] HJ 75-2017 §12 [R]; vendor ``DataRounding`` [V]; reference notes §2.2.
    """
    if min(quarter_hours, stopped_hours, invalid_hours) < 0:
        raise ValueError("hours must be ≥ 0")
    if stopped_hours + invalid_hours > quarter_hours:
        raise ValueError("stopped + invalid hours exceed the quarter")
    operating = quarter_hours - stopped_hours
    if operating == 0:
        return None
    return (operating - invalid_hours) / operating


@dataclass(frozen=True)
class ValidHistory:
    """
    The valid hours of a series (valid and with a finite value), in index order.

    The windows of HJ 75 §12 are the last 180, 720 or 2160 valid hours before a gap: over this index each
    is one slice (``last_before``) and its maximum one array reduction, instead of a walk back over the
    series per gap (the bulk recompute substitutes a month of days over a 120-day look-back).

    Attributes
    ----------
    positions : ndarray of int64
        Indices of the valid hours, ascending.
    values : ndarray of float64
        Their values. [kg]
    """

    positions: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, values: Sequence[float | None], valid: Sequence[bool]) -> ValidHistory:
        ok = [i for i, (x, v) in enumerate(zip(values, valid)) if _is_valid(x, v)]
        return cls(np.array(ok, dtype=np.int64), np.array([float(values[i]) for i in ok], dtype=np.float64))

    def last_before(self, end: int, k: int, first: int = 0) -> np.ndarray:
        """The values of the last ``k`` valid hours with ``first <= index < end``, oldest first."""
        c = int(np.searchsorted(self.positions, end))
        c0 = int(np.searchsorted(self.positions, first))
        return self.values[max(c0, c - k):c]


def find_gaps(
    values: Sequence[float | None],
    valid: Sequence[bool],
    causes: Sequence[str | None] | None = None,
) -> list[tuple[int, int, str]]:
    """
    Runs of consecutive invalid hours.

    Parameters
    ----------
    values : sequence of float or None
    valid : sequence of bool
        Same length as ``values``.
    causes : sequence of str or None, optional
        Cause of each invalid hour (``"out_of_control"``, ``"maintenance"``, ``"missing"``); ``None``
        means ``"missing"``. Ignored for valid hours. Omitted: all ``"missing"``.

    Returns
    -------
    list of (start, stop, cause)
        ``values[start:stop]`` is one gap of ``stop − start`` hours of one cause.
    """
    n = len(values)
    if len(valid) != n or (causes is not None and len(causes) != n):
        raise ValueError("values, valid and causes must have the same length")
    isfinite = math.isfinite
    # each hour's key: None when valid, else the cause of its gap (a "valid" hour without a value is missing
    # data whatever cause it carries); runs of one key are the gaps
    if causes is None:
        keys = [None if ok and v is not None and isfinite(float(v)) else "missing" for v, ok in zip(values, valid)]
    else:
        keys = [None if ok and v is not None and isfinite(float(v)) else (c if not ok and c is not None else "missing")
                for v, ok, c in zip(values, valid, causes)]
    unknown = set(keys) - _KEYS
    if unknown:
        i = next(i for i, k in enumerate(keys) if k in unknown)
        raise ValueError(f"unknown cause {keys[i]!r} at index {i}")
    gaps: list[tuple[int, int, str]] = []
    i = 0
    for key, run in groupby(keys):
        stop = i + len(list(run))
        if key is not None:
            gaps.append((i, stop, key))
        i = stop
    return gaps


_KEYS = frozenset((None, *CAUSES))


def substitute_gas_emissions(
    hourly_emissions: Sequence[float | None],
    valid: Sequence[bool],
    causes: Sequence[str | None],
    alpha: float,
    *,
    last_calibration_index: int | None = None,
    settings: SubstitutionSettings = SubstitutionSettings(),
    gaps: Sequence[tuple[int, int, str]] | None = None,
    history: ValidHistory | None = None,
    offset: int = 0,
    emit_from: int = 0,
) -> list[Revision]:
    """
    Substitute hourly emission amounts of invalid flue-gas hours (HJ 75-2017 §12 table).

    Parameters
    ----------
    hourly_emissions : sequence of float or None
        Hourly emission amounts of one factor (SO2, NOx or particulate), in time order, consecutive
        operating hours. [kg]
    valid : sequence of bool
        Hour valid.
    causes : sequence of str or None
        Cause of each invalid hour: ``"out_of_control"``, ``"maintenance"`` or ``"missing"``.
    alpha : float
        Quarterly capture rate α (:func:`quarterly_capture_rate`), a fraction.
    last_calibration_index : int or None
        Index of the last passing calibration before an out-of-control gap.
    settings : SubstitutionSettings
    gaps : sequence of (start, stop, cause), optional
        The gaps to substitute, as :func:`find_gaps` gives them (all of them when omitted); a caller that
        needs the revisions of a few gaps of a long series passes those.
    history : ValidHistory, optional
        The valid hours of a longer series of which ``hourly_emissions`` is the slice starting at index
        ``offset`` (:meth:`ValidHistory.of` on the same values and validity): the look-back windows are
        then slices of it instead of walks back hour by hour. Same result.
    offset : int
    emit_from : int
        Index of the first hour whose revision is returned: a gap that begins earlier is judged whole (its
        length N and the window before it are unchanged) and only its hours from ``emit_from`` on are returned.
        A caller that needs one day of a long look-back passes the day's first index.

    Returns
    -------
    list of Revision
        One per invalid hour, in index order; the input is not modified.

    References
    ----------
    .. [1] HJ 75-2017 §12 [R]; reference notes §2.2 (table and vendor corroboration).
    """
    if not (0.0 <= alpha <= 1.0) or math.isnan(alpha):
        raise ValueError(f"alpha must be a fraction in [0, 1], not {alpha!r}")
    revisions: list[Revision] = []
    for start, stop, cause in (find_gaps(hourly_emissions, valid, causes) if gaps is None else gaps):
        n = stop - start
        if stop <= emit_from:
            continue
        substitute, code, why = _gas_rule(
            hourly_emissions, valid, start, stop, cause, alpha, last_calibration_index, settings, history, offset,
        )
        explanation = f"{_CAUSE_ZH[cause]} gap of N = {n} h at [{start}, {stop}), α = {alpha:.4g}: {why}"
        for i in range(max(start, emit_from), stop):
            revisions.append(Revision(index=i, original=hourly_emissions[i], substitute=substitute, rule_code=code,
                                      explanation=explanation))
    return revisions


def substitute_water_values(
    values: Sequence[float | None],
    valid: Sequence[bool],
    factor_code: str,
    gaps: Sequence[tuple[int, int, str]] | None = None,
    emit_from: int = 0,
) -> list[Revision]:
    """
    Substitute invalid or missing wastewater hours from the preceding period of equal length.

    Parameters
    ----------
    values : sequence of float or None
        Hourly values of one factor, in time order. [mg/L, L/s or pH]
    valid : sequence of bool
    factor_code : str
        HJ 212 code: COD ``w01018``, NH3-N ``w21003``, TP ``w21011``, TN ``w21001``, flow ``w00000``
        (mean) or pH ``w01001`` (median).
    gaps : sequence of (start, stop, cause), optional
        The gaps to substitute, as :func:`find_gaps` gives them without causes (all when omitted).
    emit_from : int
        Index of the first hour whose revision is returned (as in :func:`substitute_gas_emissions`).

    Returns
    -------
    list of Revision
        One per invalid hour; substitute ``None`` (``CN-SUB-WATER-NODATA``) when the preceding period
        holds no valid value.

    Raises
    ------
    ValueError
        For a factor without a substitution rule.

    References
    ----------
    .. [1] HJ 356-2019 §8 [R]; reference notes §2.3.
    """
    if factor_code in WATER_MEDIAN_FACTORS:
        code, name, stat = "CN-SUB-WATER-PH-MEDIAN", "median", statistics.median
    elif factor_code in WATER_MEAN_FACTORS:
        code, name, stat = "CN-SUB-WATER-MEAN", "mean", lambda xs: math.fsum(xs) / len(xs)
    else:
        raise ValueError(f"no HJ 356 substitution rule for factor {factor_code!r}")
    revisions: list[Revision] = []
    for start, stop, _ in (_merged_gaps(values, valid) if gaps is None else gaps):
        if stop <= emit_from:
            continue
        n = stop - start
        lo = max(0, start - n)
        window = [float(values[j]) for j in range(lo, start) if _is_valid(values[j], valid[j])]
        clipped = " (clipped at series start)" if start - n < 0 else ""
        if window:
            substitute, rule = stat(window), code
            why = f"{name} of {len(window)} valid values in the preceding {n} h [{lo}, {start}){clipped}"
        else:
            substitute, rule = None, "CN-SUB-WATER-NODATA"
            why = f"no valid value in the preceding {n} h [{lo}, {start}){clipped}"
        explanation = f"gap of N = {n} h: {why}"
        for i in range(max(start, emit_from), stop):
            revisions.append(Revision(i, values[i], substitute, rule, explanation))
    return revisions


# --------------------------------------------------------------------------- helpers

_CAUSE_ZH = {"out_of_control": "失控 (out of control)", "maintenance": "维护 (maintenance)", "missing": "缺失 (missing)"}


def _is_valid(value: float | None, ok: bool) -> bool:
    return bool(ok) and value is not None and math.isfinite(float(value))


def _merged_gaps(values: Sequence[float | None], valid: Sequence[bool]) -> list[tuple[int, int, str]]:
    """Gaps regardless of cause (wastewater)."""
    return find_gaps(values, valid, None)


def _gas_rule(values, valid, start, stop, cause, alpha, last_cal, settings, history=None,
              offset=0) -> tuple[float | None, str, str]:
    n = stop - start
    family = "OOC" if cause == "out_of_control" else "GAP"
    if alpha < ALPHA_LOW:
        return None, "CN-SUB-GAS-NONE", f"α < {ALPHA_LOW:.0%}: HJ 75 gives no substitution; manual/permit rules apply"
    if alpha >= ALPHA_HIGH:
        hours = 180 if n <= SHORT_GAP_HOURS else 720
    else:
        hours = 2160

    if cause == "out_of_control":
        if last_cal is None or last_cal > start:
            end, anchor = start, "gap start (last calibration index not given or after the gap)"
        else:
            end, anchor = last_cal, f"last calibration at index {last_cal}"
    else:
        end, anchor = start, "gap start"

    if family == "GAP" and hours == 180 and settings.maintenance_short_gap == "mean_before_after":
        before = next((values[j] for j in range(start - 1, -1, -1) if _is_valid(values[j], valid[j])), None)
        after = next((values[j] for j in range(stop, len(values)) if _is_valid(values[j], valid[j])), None)
        if before is None or after is None:
            return None, "CN-SUB-GAS-NODATA", "mean before/after needs a valid hour on both sides"
        return (float(before) + float(after)) / 2, "CN-SUB-GAS-GAP-MEAN", (
            f"mean of the valid hours just before ({float(before):g}) and after ({float(after):g}) "
            "(setting mean_before_after, UNCONFIRMED)"
        )

    if history is not None:
        last = history.last_before(offset + end, hours, offset)
        window_max, found = (float(last.max()) if last.size else None), int(last.size)
    else:
        window: list[float] = []
        for j in range(end - 1, -1, -1):
            if _is_valid(values[j], valid[j]):
                window.append(float(values[j]))
                if len(window) == hours:
                    break
        window_max, found = (max(window) if window else None), len(window)
    if not found:
        return None, "CN-SUB-GAS-NODATA", f"no valid hour before {anchor}"
    short = "" if found == hours else f" (only {found} available)"
    return window_max, f"CN-SUB-GAS-{family}-{hours}", (
        f"max of the {hours} valid hours before {anchor}{short}"
    )
