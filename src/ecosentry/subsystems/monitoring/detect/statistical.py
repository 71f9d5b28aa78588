"""Statistical detector for generic abnormal data: causal robust tests on one series (ours).

Every observation is judged only from the values before it (streaming, no look-ahead), against a
robust baseline of the past ``window`` samples:

* **spike** (``DET-STAT-SPIKE``): the value lies more than ``spike_z`` robust standard deviations from
  the rolling median (and the load does not explain it, as for a level shift below);
* **level shift** (``DET-STAT-SHIFT``): the median of the last ``shift_samples`` values lies more than
  ``shift_z`` robust standard deviations from the median of the baseline that ended before them;
* **variance shift** (``DET-STAT-VARIANCE``): the spread of the last ``variance_samples`` values is more
  than ``variance_ratio`` times the baseline spread;
* **seasonal departure** (``DET-STAT-SEASONAL``, when the row times are known): over the last
  ``seasonal_samples`` values, the value departs from the same time yesterday *and* from the same time last
  week, in the same direction, by more than ``seasonal_z`` robust σ of the past departures (a daily or
  weekly pattern that broke: a missing peak, a night that looks like a day).

A level shift (and a spike) is judged against the plant's own load before it is reported (``load_check``). Clean plants
move their pollutant levels whenever they start up, shut down, follow the grid's load or change shifts, and
their flow, velocity, O2 and flue temperature move with them; such a shift is a *process change*, not an
anomaly (issue 13). The rule (:func:`load_explains_shift`): over the baseline and the recent samples of
the shift, the factor is regressed (ordinary least squares with an intercept) on the point's other channels
(the load channels — flow, velocity, O2, temperature, pressure, moisture — and the other concentrations:
what a change of load moves together), and the shift test is repeated on the residual; the shift stands
only when the residual still shifted by ``shift_z`` robust σ **and** no load channel (flow, velocity, O2,
temperature) moved by ``load_shift_z`` of its own robust σ in the same window. Testing for a structural
change on the residual of a regression rather than on the raw series is the standard way to separate a
change of the relation from a change of the regressors (Chow 1960, Econometrica 28:591, "Tests of
equality between sets of coefficients in two linear regressions"; Bai & Perron 1998, Econometrica 66:47);
the second clause is the operator's reading of a chart (reference notes §5.4: cross-parameter consistency
— concentrations and flue-gas parameters of a running plant move together). A shift the load explains is
dropped, or reported as ``DET-LOAD-SHIFT`` (kind process change, info) with ``report_process_changes``.

The robust standard deviation is the larger of ``1.4826 · MAD`` and ``√(π/2) · mean |x - median|``
(both consistent with σ for Gaussian noise; the second stays positive on series that are mostly one
value, e.g. zeros with bursts), floored at ``min_sigma_fraction`` of ``|median|``. After an alarm, the
series stays silent for ``refractory`` samples or ``refractory_hours``, whichever ends first, so one event
gives one alarm (in samples alone, 200 hourly samples would silence an hourly series for 8 days).

**Novelty rule.** Each test's threshold (``spike_z``, ``shift_z``, ``seasonal_z``, ``variance_ratio``) is a
floor: with ``<test>_novelty`` set, the test alarms only when its statistic also reaches that multiple of the
largest value the same statistic took over the past ``window`` samples (:func:`past_max`, from the past
only). What the series has done in the last week is not news: a tweet count whose robust z reaches 10 every
day is not alarmed by the next 10, a machine temperature that never moved beyond 3 σ is alarmed by a 7. This
is the "new record" form of the surprise test (a value outside the range of the recent past; cf. the
windowed extreme-value tests of Siffer et al. 2017, KDD, "Anomaly detection in streams with extreme value
theory", which also set the threshold from the series' own past extremes), re-derived here without the fitted
tail: the past maximum itself is the reference. On NAB it took the standard-profile score from 56.1 to 66.8
(docs/benchmarks.md).

The robust z-score / MAD outlier rule is Hampel's (Hampel 1974; Iglewicz & Hoaglin 1993, "How to Detect
and Handle Outliers"); the sustained-shift and spread tests follow the level-shift and volatility-shift
detectors of the time-series anomaly literature (anchors.md §6.3, ADTK's LevelShiftAD/VolatilityShiftAD
ideas, re-derived here). Defaults were tuned once on the whole NAB corpus (docs/benchmarks.md, "Anomaly
detection: NAB"), never per series; the detector does not read labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ecosentry.subsystems.monitoring.detect.model import (
    Finding,
    PointData,
    Series,
    detector,
    is_concentration,
    role_of,
    to_datetime,
    valid_mask,
)
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows, sigma_from_center, window_center, window_sigma
from ecosentry.subsystems.monitoring.detect.settings import StatisticalSettings
from ecosentry.contracts.catalogue import Rule, register

__all__ = [
    "StatisticalSettings",
    "Alarm",
    "StreamScores",
    "robust_baseline",
    "past_max",
    "past_max_at",
    "seasonal_departure",
    "score_stream",
    "detect_statistical",
    "load_explains_shift",
    "LoadCheck",
    "CODES",
    "LOAD_SHIFT_CODE",
]

#: √(π/2): mean absolute deviation → σ for Gaussian noise; 1.4826: MAD → σ (1 / Φ⁻¹(3/4)).
_MEAN_AD_TO_SIGMA = float(np.sqrt(np.pi / 2.0))
_MAD_TO_SIGMA = 1.4826


CODES = {
    "spike": "DET-STAT-SPIKE",
    "level_shift": "DET-STAT-SHIFT",
    "variance": "DET-STAT-VARIANCE",
    "seasonal": "DET-STAT-SEASONAL",
}
LOAD_SHIFT_CODE = "DET-LOAD-SHIFT"
_SEVERITY = {"spike": "warning", "level_shift": "warning", "variance": "info", "seasonal": "info"}
_SOURCE = ("Hampel robust z (MAD) outlier rule; level/volatility shift tests; anchors.md §6.2–6.3; "
           "defaults tuned on NAB (docs/benchmarks.md)")
_MOD = "ecosentry.subsystems.monitoring.detect.statistical"
_LOAD_SOURCE = ("regression residual test of a structural change (Chow 1960; Bai & Perron 1998); "
                "china-vietnam-rules.md §5.4 cross-parameter consistency; issue 13")
register(Rule(CODES["spike"], "warning",
              "A value far from the rolling median of the past values (robust z-score above spike_z)",
              _SOURCE, _MOD, "ours", kind="statistical"))
register(Rule(CODES["level_shift"], "warning",
              "The level moved and stayed, and the plant's own load (flow, velocity, O2, other channels) "
              "does not explain it",
              f"{_SOURCE}; {_LOAD_SOURCE}", _MOD, "ours", kind="statistical"))
register(Rule(CODES["variance"], "info",
              "The series became much noisier: recent spread above variance_ratio × the past spread",
              _SOURCE, _MOD, "ours", kind="statistical"))
register(Rule(LOAD_SHIFT_CODE, "info",
              "The level moved with the plant's load (start-up, shut-down, load following): a process change",
              _LOAD_SOURCE, _MOD, "ours", kind="process_change"))
register(Rule(CODES["seasonal"], "info",
              "The daily or weekly pattern broke: recent values far from the same time yesterday and last week",
              _SOURCE, _MOD, "ours", kind="statistical"))


@dataclass(frozen=True)
class Alarm:
    """One alarm of :func:`score_stream`.

    Attributes
    ----------
    index : int
        Row of the decision (the observation that completed the evidence).
    start : int
        First row of the evidence (``index`` for a spike, the first of the recent samples otherwise).
    kind : {"spike", "level_shift", "variance", "seasonal"}
    score : float
        Anomaly score (≥ 1: the test statistic over its threshold).
    statistic : float
        Robust z (spike, level shift) or spread ratio (variance).
    value : float
        The value (spike, seasonal), the recent median (level shift) or the recent spread (variance).
    baseline : float
        Median of the baseline window; for a seasonal departure the value at the same time yesterday.
    sigma : float
        Robust σ of the baseline window.
    baseline_samples : int
        How many past values the baseline used.
    record : float
        Largest value of the test's statistic over the past ``window`` rows, which the novelty rule made the
        alarm beat (``NaN`` when the rule is off for the test).
    """

    index: int
    start: int
    kind: str
    score: float
    statistic: float
    value: float
    baseline: float
    sigma: float
    baseline_samples: int
    record: float = float("nan")

    def reason(self, span: str = "") -> str:
        """One sentence with the numbers (``span`` names the baseline duration, e.g. ``"24 h"``)."""
        text = self._finding(span)
        if np.isfinite(self.record) and self.record > 0:
            unit = "×" if self.kind == "variance" else " robust σ"
            text += f"; the most this test had seen in the baseline window was {self.record:.1f}{unit}"
        return text

    def _finding(self, span: str) -> str:
        past = f"the past {span} ({self.baseline_samples} values)" if span else f"the past {self.baseline_samples} values"
        if self.kind == "spike":
            side = "above" if self.statistic > 0 else "below"
            return (f"value {self.value:.4g} is {abs(self.statistic):.1f} robust σ {side} the median "
                    f"{self.baseline:.4g} of {past} (σ {self.sigma:.3g})")
        if self.kind == "level_shift":
            n = self.index - self.start + 1
            rel = (self.value - self.baseline) / abs(self.baseline) * 100.0 if self.baseline else float("nan")
            pct = f" ({rel:+.0f} %)" if np.isfinite(rel) else ""
            return (f"level shift: median {self.value:.4g} of the last {n} samples{pct} is {abs(self.statistic):.1f} "
                    f"robust σ from the median {self.baseline:.4g} of {past}")
        n = self.index - self.start + 1
        if self.kind == "seasonal":
            return (f"the last {n} samples depart from the same time yesterday and last week by {self.statistic:.1f} "
                    f"robust σ of the past departures (value {self.value:.4g}, yesterday {self.baseline:.4g})")
        return (f"spread of the last {n} samples is {self.statistic:.1f}× the spread σ {self.sigma:.3g} "
                f"of {past}")


@dataclass(frozen=True)
class StreamScores:
    """Per-row anomaly scores (``NaN`` before ``min_history``; ``None`` when not asked) and the alarms (after
    the refractory rule)."""

    scores: np.ndarray | None
    alarms: list[Alarm]
    #: From :meth:`_SeriesStatistics.alarms` with ``inexact`` slots: the inexact slots an alarm's novelty record
    #: may have come from (the caller finishes their σ and scores again; empty: the record of every alarm is exact).
    unsure: np.ndarray | None = None


def _row_medians(rows: np.ndarray, in_place: bool = False) -> np.ndarray:
    """``numpy.median(rows, axis=1)`` (rows of one length ≥ 1): the same middle order statistics by one
    partition of the rows, the same mean of the two for an even length, ``NaN`` for a row with a ``NaN``
    (partitioned last, as numpy checks it), without numpy's generic reduction. ``in_place``: ``rows`` is the
    caller's to reorder."""
    n = rows.shape[1]
    h = n // 2
    kth = (h, n - 1) if n % 2 else (h - 1, h, n - 1)
    if in_place:
        rows.partition(kth, axis=1)
        part = rows
    else:
        part = np.partition(rows, kth, axis=1)
    med = part[:, h] if n % 2 else (part[:, h - 1] + part[:, h]) / 2.0
    return np.where(np.isnan(part[:, -1]), np.nan, med)


def _window_stats(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust σ of each row of ``windows``, one partition per row (the definition)."""
    med = _row_medians(windows)
    dev = np.abs(windows - med[:, None])
    mean_ad = dev.mean(axis=1)
    # dev is ours: partition it in place once its mean is taken (the median is the same order statistic)
    sigma = np.maximum(_MAD_TO_SIGMA * _row_medians(dev, in_place=True), _MEAN_AD_TO_SIGMA * mean_ad)
    return med, sigma


def _baseline_at(x: np.ndarray, window: int, min_history: int,
                 stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The recomputation rows of :func:`robust_baseline` and the median, robust σ and count at each."""
    (got,) = _stream_stats([x], window, min_history, stride, ())
    at = np.arange(0, len(x), stride)
    return at, got[0], got[1], got[2]


class _PendingSigma:
    """The σ of baseline windows not yet finished (:func:`_stream_stats` with ``lazy``): each holds the lower
    bound ``mean_ad_scale`` × its mean absolute deviation; :meth:`resolve` finishes the σ of the asked
    recomputation slots of every series in one batch (the same numbers as the eager computation)."""

    def __init__(self, x: np.ndarray, rw: RankWindows, qa: np.ndarray, qb: np.ndarray, med: np.ndarray,
                 c: np.ndarray, mean_ad: np.ndarray, first: list[int], known: list[np.ndarray]) -> None:
        self.x, self.rw, self.qa, self.qb, self.med, self.c, self.mean_ad = x, rw, qa, qb, med, c, mean_ad
        self.first, self.known = first, known

    def floored(self, s_i: int, slots: np.ndarray, med: np.ndarray, fraction: float) -> np.ndarray:
        """Which of series ``s_i``'s ``slots`` (with a baseline) have a σ that cannot exceed the detector's
        floor ``fraction · |median|``: there the floored σ is the floor, exact or not. The MAD is at most twice
        the mean absolute deviation (more than half of the deviations above 2 × their mean would sum to more
        than all of them), so σ ≤ 2 · ``mad_scale`` · mean absolute deviation (with a margin for rounding)."""
        known = self.known[s_i]
        pos = np.searchsorted(known, slots)
        mean_ad = self.mean_ad[self.first[s_i] + pos]
        with np.errstate(invalid="ignore", over="ignore"):
            bound = np.maximum(2.0 * _MAD_TO_SIGMA, _MEAN_AD_TO_SIGMA) * mean_ad * (1.0 + 1e-9)
            return (bound < fraction * np.abs(med[slots])) & (bound >= 0)

    def resolve(self, slots: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each series, its asked slots (indices of its recomputation rows) that have a baseline, and
        their finished σ."""
        picked, at = [], []
        for s_i, want in enumerate(slots):
            known = self.known[s_i]
            pos = np.searchsorted(known, np.asarray(want, dtype=np.int64))
            ok = pos < len(known)
            ok[ok] = known[pos[ok]] == np.asarray(want, dtype=np.int64)[ok]
            at.append(known[pos[ok]])
            picked.append(self.first[s_i] + pos[ok])
        q = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        sig = sigma_from_center(self.rw, self.qa[q], self.qb[q], self.med[q], self.c[q], self.mean_ad[q],
                                _MAD_TO_SIGMA, _MEAN_AD_TO_SIGMA)
        out, used = [], 0
        for slot in at:
            out.append((slot, sig[used : used + len(slot)]))
            used += len(slot)
        return out


def _stream_stats(xs: list[np.ndarray], window: int, min_history: int, stride: int,
                  recent: tuple[int, ...], lazy: bool = False):
    """For each series: the baseline median, robust σ and count at its recomputation rows, then the median
    of the last ``k`` values at each row for each ``k`` of ``recent`` (NaN for the first ``k - 1`` rows).

    All series and windows at once by :func:`~ecosentry.subsystems.monitoring.detect.rankwindow.window_stats`
    (``O(log n)`` a window; the series laid end to end, each from its own median): the medians and MADs are
    numpy's bit for bit, the mean absolute deviation to rounding (:func:`_exact_sigma` gives numpy's own where
    a number is reported).

    ``lazy``: the σ given is the lower bound ``mean_ad_scale`` × mean absolute deviation of each window (its
    MAD, the costly part, not searched), and a :class:`_PendingSigma` that finishes any of them comes with
    the list: ``(stats, pending)``.
    """
    lengths = [len(x) for x in xs]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    xcat = np.concatenate([np.asarray(x, dtype=np.float64) for x in xs]) if xs else np.zeros(0)
    if not len(xcat):
        empty = [tuple([np.zeros(0)] * (3 + len(recent))) for _ in xs]
        return (empty, None) if lazy else empty
    centers = np.repeat([_median(x) if len(x) else 0.0 for x in xs], lengths)
    rw = RankWindows(xcat, centers)
    # baseline windows
    qa, qb, where = [], [], []
    for o, n in zip(offsets[:-1].tolist(), lengths):
        at = np.arange(0, n, stride)
        known = np.flatnonzero(at >= max(min_history, 1))
        where.append(known)
        qa.append(o + np.maximum(at[known] - window, 0))
        qb.append(o + at[known])
    qa_all, qb_all = np.concatenate(qa), np.concatenate(qb)
    pending = None
    if lazy:
        med, c, mean_ad = window_center(xcat, qa_all, qb_all, rw)
        sig = _MEAN_AD_TO_SIGMA * mean_ad  # σ where the MAD is not the larger term, a lower bound elsewhere
        first = np.concatenate([[0], np.cumsum([len(k) for k in where])]).astype(np.int64).tolist()
        pending = _PendingSigma(xcat, rw, qa_all, qb_all, med, c, mean_ad, first[:-1], where)
    else:
        med, sig = window_sigma(xcat, qa_all, qb_all, _MAD_TO_SIGMA, _MEAN_AD_TO_SIGMA, rw)
    out = []
    at_q = 0
    for s_i, n in enumerate(lengths):
        at = np.arange(0, n, stride)
        med_at = np.full(len(at), np.nan)
        sig_at = np.full(len(at), np.nan)
        known = where[s_i]
        med_at[known] = med[at_q : at_q + len(known)]
        sig_at[known] = sig[at_q : at_q + len(known)]
        at_q += len(known)
        out.append([med_at, sig_at, np.minimum(at, window)])
    for k in recent:
        # every series' windows in one pass over the series laid end to end (a window's median is its own
        # values' order statistics: those across two series are not read)
        laid = _recent_median(xcat, k)
        for s_i, (o, n) in enumerate(zip(offsets[:-1].tolist(), lengths)):
            m = np.full(n, np.nan)
            m[k - 1 :] = laid[o + k - 1 : o + n]
            out[s_i].append(m)
    stats = [tuple(o) for o in out]
    return (stats, pending) if lazy else stats


def _sorted_median(w: np.ndarray) -> np.ndarray:
    """``numpy.median`` of each row of ``w``, its rows sorted (the two middle values, or the middle one)."""
    k = w.shape[1]
    return w[:, k // 2] if k % 2 else (w[:, k // 2 - 1] + w[:, k // 2]) / 2.0


def _merge_network(n: int) -> list[tuple[int, int]]:
    """Comparators of Batcher's odd-even merge sort of ``n`` values (a power of two), in order: ``(i, j)``,
    ``i < j``, puts the smaller of positions ``i`` and ``j`` at ``i`` (Knuth, TAOCP vol. 3, §5.3.4, Algorithm M)."""
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


def _window_columns_sorted(x: np.ndarray, k: int) -> list[np.ndarray]:
    """The ``k`` order statistics of every window ``x[i:i+k]``, as ``k`` columns, by a sorting network of
    element-wise minima and maxima (12 comparators for ``k = 6``: ~2.5× ``numpy.sort`` of the windows' rows;
    the same numbers: a minimum or maximum is one of its operands). The network of the next power of two with
    the comparators that touch a position ≥ ``k`` left out (those positions stand for +∞: no-ops)."""
    size = 1
    while size < k:
        size *= 2
    m = len(x) - k + 1
    cols = [x[i : i + m] for i in range(k)]
    # Each comparator writes into arrays of ours (the maximum over its own operand, the minimum into one a
    # previous comparator freed): no new array after the first k, ~10 % less time on seed 47's 36,000 rows.
    own = [False] * k
    spare: list[np.ndarray] = []
    for i, j in _merge_network(size):
        if j < k:
            low = np.minimum(cols[i], cols[j], out=spare.pop() if spare else None)
            if own[j]:
                np.maximum(cols[i], cols[j], out=cols[j])
            else:
                cols[j], own[j] = np.maximum(cols[i], cols[j]), True
            if own[i]:
                spare.append(cols[i])
            cols[i], own[i] = low, True
    return cols


def _recent_median(x: np.ndarray, k: int) -> np.ndarray:
    """Median of the last ``k`` values at each row (NaN for the first ``k - 1`` rows): ``numpy.median`` of
    each window, bit for bit. Up to 8 values by a sorting network (:func:`_window_columns_sorted`), longer
    windows sorted whole (``numpy.partition`` is slower on such short rows)."""
    m = np.full(len(x), np.nan)
    x = np.asarray(x, dtype=np.float64)
    if k > len(x):
        return m
    # the network may order -0.0 and 0.0 otherwise than the sort; a series with a signed zero is sorted
    if k <= 8 and np.isfinite(x).all() and not (np.signbit(x) & (x == 0)).any():
        cols = _window_columns_sorted(x, k)
        m[k - 1 :] = cols[k // 2] if k % 2 else (cols[k // 2 - 1] + cols[k // 2]) / 2.0
    else:
        m[k - 1 :] = _sorted_median(np.sort(sliding_window_view(x, k), axis=1))
    return m


def _exact_sigma(x: np.ndarray, rows: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Robust σ of the baseline of each of ``rows`` by the definition (:func:`_window_stats`, each window
    partitioned on its own): the number a finding reports, bit for bit the per-window computation. Windows
    of one length go through one call (a row of a 2-D array is reduced as the array of one row is)."""
    rows = np.asarray(rows, dtype=np.int64)
    j = stride * (rows // stride)
    a = np.maximum(0, j - window)
    size = j - a
    out = np.empty(len(rows))
    for length in np.unique(size).tolist():
        sel = np.flatnonzero(size == length)
        out[sel] = _window_stats(x[a[sel, None] + np.arange(length)])[1]
    return out


def robust_baseline(x: np.ndarray, window: int, min_history: int, stride: int = 1,
                    chunk: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Causal rolling median and robust σ: row ``i`` uses values strictly before it only.

    The baseline is recomputed every ``stride`` rows, at rows ``j = stride · ⌊i / stride⌋ ≤ i``, from
    ``x[max(0, j - window):j]``, and held until the next recomputation (as a streaming detector that
    refreshes its baseline every ``stride`` samples would).

    Parameters
    ----------
    x : numpy.ndarray
        Values (finite).
    window : int
        Baseline length [samples].
    min_history : int
        Rows with fewer past values get ``NaN`` [samples].
    stride : int
        Recompute the baseline every ``stride`` rows [samples].
    chunk : int
        Unused (kept for callers of the earlier, per-window computation).

    Returns
    -------
    median, sigma, count : numpy.ndarray
        Baseline median, robust σ (before flooring) and the number of past values used, per row. The
        median (and the MAD inside σ) are the numbers ``numpy.median`` gives each window, bit for bit; the
        mean absolute deviation inside σ is exact to rounding (a relative 1e-12), see
        :func:`~ecosentry.subsystems.monitoring.detect.rankwindow.window_stats`.
    """
    del chunk
    n = len(x)
    stride = max(int(stride), 1)
    _, med_at, sig_at, count_at = _baseline_at(np.asarray(x, dtype=np.float64), window, min_history, stride)
    slot = np.arange(n) // stride
    med, sigma, count = med_at[slot], sig_at[slot], count_at[slot]
    sigma[count < min_history] = np.nan
    med[count < min_history] = np.nan
    return med, sigma, count


def _lagged(a: np.ndarray, lag: int) -> np.ndarray:
    """``a`` shifted ``lag`` rows later (``out[i] = a[i - lag]``, NaN where undefined)."""
    out = np.full(len(a), np.nan)
    if lag < len(a):
        out[lag:] = a[: len(a) - lag]
    return out


def _recent(x: np.ndarray, k: int, fn) -> np.ndarray:
    """``fn`` over the last ``k`` values ending at each row (NaN for the first ``k - 1`` rows)."""
    out = np.full(len(x), np.nan)
    if k <= len(x):
        out[k - 1 :] = fn(sliding_window_view(x, k))
    return out


def past_max(a: np.ndarray, window: int) -> np.ndarray:
    """Largest value of ``a`` over the ``window`` rows before each row: ``out[i] = max(a[i-window:i])``.

    Causal (row ``i`` itself is not included), growing at the start (``out[0] = 0``); ``NaN`` counts as 0
    (the statistics it is used on are ≥ 0). Exact, by doubling: the maxima of windows of 1, 2, 4, ... rows,
    each level from two windows of the previous one, then a window of ``window`` rows as two overlapping
    windows of the largest power of two in it (the sparse-table range maximum; ``O(n log window)`` in ~11
    array operations for a week of 5-minute data, ~10× the block prefix/suffix scheme of van Herk 1992 in
    numpy, whose short-row accumulations are slow; a maximum is the same number in any order).
    """
    a = np.where(np.isfinite(a), a, 0.0) if np.issubdtype(np.asarray(a).dtype, np.floating) else a
    n = len(a)
    out = np.zeros(n)
    w = max(int(window), 1)
    if n < 2:
        return out
    # padded with w-1 zeros in front: the window ending at row j (inclusive) is padded rows j .. j+w-1
    hi = _windows_of(np.concatenate([np.zeros(w - 1), np.asarray(a, dtype=np.float64)]), w, np.maximum)
    out[1:] = hi[: n - 1]
    return out


def _windows_of(x: np.ndarray, w: int, pick) -> np.ndarray:
    """``pick`` (``np.maximum``, ``np.minimum``) over every run of ``w`` consecutive values of ``x``:
    ``out[j] = pick(x[j : j + w])``, ``len(x) - w + 1`` of them, by doubling (the sparse-table range query
    of :func:`past_max`; the same number in any order)."""
    span = 1
    while 2 * span <= w:
        x = pick(x[:-span], x[span:])
        span *= 2
    rest = w - span
    if rest:
        x = pick(x[: len(x) - rest], x[rest:])
    return x


def past_max_at(a: np.ndarray, rows: np.ndarray, window: int) -> np.ndarray:
    """:func:`past_max` of ``a`` (values ≥ 0, finite) at ``rows`` only: ``max(a[i-window:i])`` (0 for row 0).

    Each row's own window is reduced (``numpy.maximum.reduceat``), ``O(window)`` a row: cheaper than the
    whole series' ``O(n)`` when the rows are few (a maximum is exact in any order: the same numbers)."""
    w = max(int(window), 1)
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) * w > len(a):  # many rows: the whole series' maxima cost less
        return past_max(a, window)[rows]
    out = np.zeros(len(rows))
    some = rows > 0
    r = rows[some]
    if len(r):
        idx = np.empty(2 * len(r), dtype=np.int64)
        idx[0::2] = np.maximum(r - w, 0)
        idx[1::2] = r
        got = np.maximum.reduceat(a, idx)[0::2]
        # rows within the first window: past_max pads with zeros in front
        out[some] = np.where(r < w, np.maximum(got, 0.0), got)
    return out


def _novel(stat: np.ndarray, floor: float, novelty: float | None, window: int) -> tuple[np.ndarray, np.ndarray]:
    """``stat`` over its threshold: ``floor``, raised to ``novelty`` × its own largest value over the past
    ``window`` rows (:func:`past_max`) when ``novelty`` is set. Returns the part (≥ 1 = alarm) and the
    largest past value (``NaN`` without the rule)."""
    if novelty is None:
        return stat / floor, np.full(len(stat), np.nan)
    record = past_max(stat, window)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return stat / np.maximum(floor, novelty * record), record


def _window_extremes(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest and smallest of each ``k`` consecutive values ``x[i:i+k]`` (``len(x) - k + 1`` windows, ``k ≥ 1``).

    Doubling: the extremes of windows of 1, 2, 4, ... values, each level from two of the previous one, then a
    window of ``k`` as two overlapping windows of the largest power of two ≤ ``k`` (``O(n log k)``, exact)."""
    hi, lo, span = np.asarray(x, dtype=np.float64), np.asarray(x, dtype=np.float64), 1
    while 2 * span <= k:
        hi = np.maximum(hi[:-span], hi[span:])
        lo = np.minimum(lo[:-span], lo[span:])
        span *= 2
    rest = k - span
    if rest:
        hi = np.maximum(hi[: len(hi) - rest], hi[rest:])
        lo = np.minimum(lo[: len(lo) - rest], lo[rest:])
    return hi, lo


def _spread(windows: np.ndarray) -> np.ndarray:
    med = np.median(windows, axis=1)
    return _MEAN_AD_TO_SIGMA * np.abs(windows - med[:, None]).mean(axis=1)


def seasonal_departure(times: np.ndarray, x: np.ndarray, level: np.ndarray,
                       cfg: StatisticalSettings) -> tuple[np.ndarray, np.ndarray]:
    """Sustained departure from the same time yesterday and last week, in robust σ, each row from the past.

    For each lag (1 day, 7 days) the departure ``d[i] = x[i] - x[j]`` from the row ``j`` at ``t[i] - lag``
    (within half a median step; irregular series are looked up by time, not by row count) is judged against
    the robust baseline of the past departures (:func:`robust_baseline`, σ floored at ``min_sigma_fraction``
    of the series level). The statistic is the median over the last ``seasonal_samples`` rows of the smaller
    of the two |z| when both lags agree in sign (0 when they disagree): a row that only one of "yesterday" and
    "last week" finds odd (a holiday, a changed shift) is not a departure.

    Parameters
    ----------
    times : numpy.ndarray
        ``datetime64`` row times, increasing.
    x : numpy.ndarray
        Finite values [unit of the factor].
    level : numpy.ndarray
        Causal baseline median of ``x`` per row (σ floor).
    cfg : StatisticalSettings

    Returns
    -------
    statistic, yesterday : numpy.ndarray
        Per row (``NaN`` where undefined: less than 7 days of history).
    """
    n = len(x)
    nan = np.full(n, np.nan)
    ts = times.astype("datetime64[s]").astype(np.int64)
    k = max(int(cfg.seasonal_samples), 1)
    if n < max(k, 2) or ts[-1] - ts[0] < 7 * 86400:
        return nan, nan
    step = float(np.median(np.diff(ts)))
    z: list[np.ndarray] = []
    yesterday = nan
    for lag in (86400, 7 * 86400):
        target = ts - lag
        j = np.clip(np.searchsorted(ts, target), 0, n - 1)
        d = np.where(np.abs(ts[j] - target) <= step / 2.0, x - x[j], np.nan)
        rows = np.flatnonzero(np.isfinite(d))
        zl = np.full(n, np.nan)
        if len(rows) > cfg.min_history:
            med, sig, _ = robust_baseline(d[rows], cfg.window, cfg.min_history, cfg.baseline_stride)
            sig = np.maximum(sig, cfg.min_sigma_fraction * np.abs(level[rows]))
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                zl[rows] = (d[rows] - med) / np.where(sig == 0, np.finfo(float).tiny, sig)
        z.append(zl)
        if lag == 86400:
            yesterday = np.where(np.isfinite(d), x[j], np.nan)
    zd, zw = z
    with np.errstate(invalid="ignore"):
        agree = np.where(np.sign(zd) == np.sign(zw), np.minimum(np.abs(zd), np.abs(zw)), 0.0)
    agree = np.where(np.isfinite(zd) & np.isfinite(zw), agree, np.nan)
    return _recent(agree, k, lambda w: np.median(w, axis=1)), yesterday


def score_stream(values: np.ndarray, cfg: StatisticalSettings | None = None,
                 times: np.ndarray | None = None, *, stats: tuple[np.ndarray, ...] | None = None,
                 all_scores: bool = True) -> StreamScores:
    """Anomaly scores and alarms of one series, each row judged from the past only.

    Parameters
    ----------
    values : numpy.ndarray
        The series in time order [unit of the factor]; ``NaN`` rows are skipped (neither scored nor used
        in baselines).
    cfg : StatisticalSettings or None
    times : numpy.ndarray or None
        ``datetime64`` time of each row; with them (and ``seasonal_z`` set) the seasonal test runs too.
    stats : tuple or None
        The baselines and recent medians of the finite values, as :func:`_stream_stats` gives them with
        ``recent=(shift_samples, variance_samples)`` or ``recent=(shift_samples,)`` (several
        series at once); ``None`` = computed here.
    all_scores : bool
        Score every row. ``False``: only the alarms are wanted (``scores`` is ``None``); a row is scored only
        where some test's statistic reaches its threshold's floor (no other row can reach a score of 1), and
        the novelty rule's past maxima are taken at those rows only. The alarms are the same.

    Returns
    -------
    StreamScores
        ``scores[i] = max(|z_spike| / spike_z', |z_shift| / shift_z', ratio / variance_ratio'[, seasonal / seasonal_z'])``
        where each threshold' is the larger of the setting and ``<test>_novelty`` × the statistic's largest value over
        the past ``window`` rows (the novelty rule); an alarm where the score reaches 1, at least ``refractory``
        samples or ``refractory_hours`` (times known), whichever is shorter, after the previous alarm.
    """
    cfg = cfg or StatisticalSettings()
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    rows = np.flatnonzero(ok)
    x = values[ok]
    n = len(x)
    scores_full = np.full(len(values), np.nan)
    if n <= cfg.min_history:
        return StreamScores(scores_full, [])
    stride = max(int(cfg.baseline_stride), 1)
    k = max(int(cfg.shift_samples), 1)
    v = max(int(cfg.variance_samples), 2)
    if stats is None:
        (stats,) = _stream_stats([x], cfg.window, cfg.min_history, stride, (k, v))
    med_at, sig_at, count_at, recent_med = stats[:4]
    # the median of the variance test's window: given, or taken below where the test needs it
    recent_med_v = stats[4] if len(stats) > 4 else None
    # the baseline of each row: the one of its recomputation row (robust_baseline)
    slot = np.arange(n) // stride
    med, sig_raw, count = med_at[slot], sig_at[slot], count_at[slot]
    sig_raw[count < cfg.min_history] = np.nan
    med[count < cfg.min_history] = np.nan
    # What does not depend on σ: the recent medians and spreads, the seasonal statistic.
    spread = np.full(n, np.nan)
    if v <= n:
        w = sliding_window_view(x, v)
        if all_scores or cfg.variance_novelty is not None or not cfg.variance_ratio > 0:
            if recent_med_v is None:
                recent_med_v = _recent_median(x, v)
            spread[v - 1 :] = _MEAN_AD_TO_SIGMA * np.abs(w - recent_med_v[v - 1 :, None]).mean(axis=1)
        else:
            # Only the alarms are wanted: the spread is taken where it may reach the variance test's floor.
            # mean |w - median| ≤ (max - min) / 2, so rows whose window range is below the floor × the
            # baseline σ (with a factor 2 to spare, and σ before its exact recomputation) cannot alarm.
            hi, lo = _window_extremes(x, v)
            base = _lagged(np.maximum(sig_raw, cfg.min_sigma_fraction * np.abs(med)), v - 1)[v - 1 :]
            with np.errstate(invalid="ignore"):
                may = np.flatnonzero(~(_MEAN_AD_TO_SIGMA * (hi - lo) < 0.5 * cfg.variance_ratio * base))
            m_v = recent_med_v[v - 1 + may] if recent_med_v is not None else _sorted_median(np.sort(w[may], axis=1))
            spread[v - 1 + may] = _MEAN_AD_TO_SIGMA * np.abs(w[may] - m_v[:, None]).mean(axis=1)
    seasonal = yesterday = None
    if times is not None and cfg.seasonal_z:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            seasonal, yesterday = seasonal_departure(np.asarray(times)[ok], x, med, cfg)
    # σ of the baselines an alarm reports is recomputed by the definition (bit for bit the per-window
    # numbers; the fast baseline's mean absolute deviation may differ in its last bits), then the scores
    # are taken again; a second round only when an alarm moved onto another baseline (never seen).
    # Refractory: ``refractory`` samples or ``refractory_hours``, whichever ends first (times known).
    secs = (np.asarray(times)[ok].astype("datetime64[s]").astype(np.int64)
            if times is not None and cfg.refractory_hours is not None else None)
    quiet_s = None if secs is None else float(cfg.refractory_hours) * 3600.0
    exact_slots: set[int] = set()
    for _ in range(8):
        sigma = np.maximum(sig_raw, cfg.min_sigma_fraction * np.abs(med))
        sigma = np.where(sigma == 0, np.finfo(float).tiny, sigma)  # a constant baseline: any change is news
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            z_spike = (x - med) / sigma
            base_med_k, base_sig_k = _lagged(med, k - 1), _lagged(sigma, k - 1)
            z_shift = (recent_med - base_med_k) / base_sig_k
            base_med_v, base_sig_v = _lagged(med, v - 1), _lagged(sigma, v - 1)
            ratio = spread / base_sig_v
            tests = [(np.abs(z_spike), cfg.spike_z, cfg.spike_novelty),
                     (np.abs(z_shift), cfg.shift_z, cfg.shift_novelty),
                     (ratio, cfg.variance_ratio, cfg.variance_novelty)]
            if seasonal is not None:
                tests.append((seasonal, cfg.seasonal_z, cfg.seasonal_novelty))
        clean = [np.where(np.isfinite(stat), stat, 0.0) for stat, _, _ in tests]
        if all_scores or not all(floor > 0 for _, floor, _ in tests):
            judged = [_novel(stat, floor, novelty, cfg.window) for stat, (_, floor, novelty) in zip(clean, tests)]
            parts = np.vstack([part for part, _ in judged])
            records = [record for _, record in judged]
            parts = np.where(np.isfinite(parts), parts, 0.0)
            score = parts.max(axis=0)
            score[: cfg.min_history] = np.nan
            kinds = parts.argmax(axis=0)
            candidates = np.flatnonzero(score >= 1.0)
        else:
            # a part is stat / max(floor, novelty · record) ≤ stat / floor: only rows where some statistic
            # reaches its floor can score 1; there, every test's part as above (the same numbers)
            hit = np.zeros(n, dtype=bool)
            for stat, (_, floor, _) in zip(clean, tests):
                hit |= stat >= floor
            hit[: cfg.min_history] = False
            at = np.flatnonzero(hit)
            score, kinds = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
            records = [np.full(n, np.nan) for _ in tests]
            if len(at):
                cols = []
                for t_i, (stat, (_, floor, novelty)) in enumerate(zip(clean, tests)):
                    if novelty is None:
                        cols.append(stat[at] / floor)
                        continue
                    rec = past_max_at(stat, at, cfg.window) if stat.any() else np.zeros(len(at))
                    records[t_i][at] = rec
                    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                        cols.append(stat[at] / np.maximum(floor, novelty * rec))
                parts = np.vstack(cols)
                parts = np.where(np.isfinite(parts), parts, 0.0)
                score[at] = parts.max(axis=0)
                kinds[at] = parts.argmax(axis=0)
            candidates = at[score[at] >= 1.0]
        fired = [(i, ("spike", "level_shift", "variance", "seasonal")[int(kinds[i])])
                 for i in _refractory(candidates, cfg.refractory, None if secs is None else secs[candidates], quiet_s)]
        # the baseline rows each alarm reads σ from
        need = {i - (k - 1 if kind == "level_shift" else v - 1 if kind == "variance" else 0) for i, kind in fired}
        need = {r // stride for r in need if r >= 0 and np.isfinite(sig_raw[r])} - exact_slots
        if not need:
            break
        slots = np.array(sorted(need))
        exact = _exact_sigma(x, slots * stride, cfg.window, stride)
        exact_slots |= need
        if np.array_equal(exact, sig_raw[slots * stride]):
            break  # the fast σ was already the definition's, bit for bit: the scores would come out the same
        for slot, value in zip(slots.tolist(), exact.tolist()):
            sig_raw[slot * stride : (slot + 1) * stride] = value
    alarms: list[Alarm] = []
    for i, kind in fired:
        if kind == "spike":
            a = Alarm(int(i), int(i), kind, float(score[i]), float(z_spike[i]), float(x[i]), float(med[i]),
                      float(sigma[i]), int(count[i]))
        elif kind == "level_shift":
            s = i - k + 1
            a = Alarm(int(i), int(s), kind, float(score[i]), float(z_shift[i]), float(recent_med[i]),
                      float(base_med_k[i]), float(base_sig_k[i]), int(count[s]))
        elif kind == "variance":
            s = i - v + 1
            a = Alarm(int(i), int(s), kind, float(score[i]), float(ratio[i]), float(ratio[i] * base_sig_v[i]),
                      float(base_med_v[i]), float(base_sig_v[i]), int(count[s]))
        else:
            s = max(i - int(cfg.seasonal_samples) + 1, 0)
            a = Alarm(int(i), int(s), kind, float(score[i]), float(seasonal[i]), float(x[i]), float(yesterday[i]),
                      float(sigma[i]), int(count[i]))
        alarms.append(replace(a, record=float(records[int(kinds[i])][i])))
    scores_full[rows] = score
    # Alarm indices refer to the compressed (finite) rows: map them back to the input rows.
    alarms = [replace(a, index=int(rows[a.index]), start=int(rows[a.start])) for a in alarms]
    return StreamScores(scores_full if all_scores else None, alarms)


_KINDS = ("spike", "level_shift", "variance", "seasonal")


def _lags(k: int, v: int) -> tuple[int, int, int]:
    """Rows back from a row to the baseline row each test reads σ at (spike, level shift, variance)."""
    return 0, k - 1, v - 1


def _alarm_slots(clean: list[np.ndarray], tests: list[tuple], k: int, v: int, stride: int,
                 window: int) -> np.ndarray:
    """The recomputation slots whose exact σ the alarms may depend on, from statistics taken with σ's lower
    bounds (each statistic is σ's floor-divided into a number: it can only be larger, so the rows found
    here include every row whose statistic reaches ``θ = min(floor, floor / novelty)``).

    The σ a test reads at a row where it reaches its θ is among them (and the row's own σ where the seasonal
    test, which reads none, reaches its θ: a seasonal alarm reports it). Why the others need no exact σ: where
    a test stays below its θ with the lower bound, it stays below with the exact σ too (θ ≤ floor), so it
    makes no row a candidate, its part there is below 1 (a candidate's largest part is at least 1, from a
    test whose σ is exact, so the candidate's score and kind do not change), and it cannot raise its novelty
    threshold above the floor (novelty × statistic < floor). Only the record an alarm reports may come from
    such a row; :func:`_record_slots` checks it. So that it need not, the rows that may hold the record of a
    row where the test may alarm are finished too: a finished σ is at most ``2 · 1.4826 / 1.2533`` times its
    lower bound (the MAD is at most twice the mean absolute deviation; a floor only narrows the ratio), so each
    statistic is at least :data:`_RECORD_RATIO` of its value here, the record at least that fraction of the
    largest value here before the row, and a row below that fraction of it cannot hold it.
    """
    lags = (*_lags(k, v), 0)  # the seasonal test: the row's own σ (reported, not read)
    back = []
    for stat, (_, floor, novelty), lag in zip(clean, tests, lags):
        theta = floor if novelty is None else min(floor, floor / novelty)
        reach = np.flatnonzero(stat >= theta)
        back.append(reach - lag)
        if novelty is not None:
            alarm_rows = reach if theta == floor else np.flatnonzero(stat >= floor)
            if len(alarm_rows):
                # each row against the smallest bound record of the possible alarms within window rows after it
                record = np.full(len(stat), np.inf)
                record[alarm_rows] = past_max_at(stat, alarm_rows, window)
                held = np.flatnonzero((stat > 0) & (stat >= _RECORD_RATIO * _next_min(record, window)))
                back.append(held - lag)
    rows = np.concatenate(back)
    return np.unique(rows[rows >= 0] // stride)


#: The least ratio of a statistic with a finished σ to the statistic with σ's lower bound (σ at most
#: 2 · 1.4826 mean absolute deviations, at least 1.2533), less 1e-9 for rounding.
_RECORD_RATIO = _MEAN_AD_TO_SIGMA / (2.0 * _MAD_TO_SIGMA) * (1.0 - 1e-9)


def _next_min(a: np.ndarray, window: int) -> np.ndarray:
    """Smallest value of ``a`` over the ``window`` rows after each row: ``out[i] = min(a[i+1 : i+1+window])``
    (``inf`` past the end), by doubling as :func:`past_max`."""
    w = max(int(window), 1)
    low = np.concatenate([np.asarray(a, dtype=np.float64)[1:], np.full(w, np.inf)])
    return _windows_of(low, w, np.minimum)[: len(a)]


def _record_slots(fired: list[tuple[int, str]], clean: list[np.ndarray], tests: list[tuple],
                  records: list[np.ndarray], inexact: np.ndarray, k: int, v: int, stride: int,
                  window: int) -> np.ndarray:
    """The inexact slots whose exact σ an alarm's novelty record needs (empty when every record is exact).

    The record of an alarm is the largest past value of its statistic. Over the rows whose σ is exact it is
    exact; the other rows hold at most their lower-bound values. When the largest over the exact rows is the
    record, the record is exact; otherwise the rows whose lower-bound value beats the exact rows' largest
    are the ones to finish."""
    n = len(clean[0])
    out = []
    for t_i, lag in enumerate(_lags(k, v)):
        if tests[t_i][2] is None:
            continue
        at = np.array([i for i, kind in fired if kind == _KINDS[t_i]], dtype=np.int64)
        if not len(at):
            continue
        rows = np.arange(n) - lag
        loose = np.zeros(n, dtype=bool)
        loose[rows >= 0] = inexact[rows[rows >= 0] // stride]
        if not loose.any():
            continue
        exact_max = past_max_at(np.where(loose, 0.0, clean[t_i]), at, window)
        for i, best in zip(at[exact_max != records[t_i][at]].tolist(), exact_max[exact_max != records[t_i][at]]):
            j = np.arange(max(i - window, 0), i)
            j = j[loose[j] & (clean[t_i][j] > best)]
            out.append((j - lag) // stride)
    return np.unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _refractory(candidates: np.ndarray, samples: int, secs: np.ndarray | None, quiet_s: float | None) -> list[int]:
    """The candidate rows (increasing) that alarm: the first, then each first candidate at least ``samples``
    rows or (``secs`` given: the candidates' times [s], non-decreasing) ``quiet_s`` seconds after the last
    alarm, whichever comes first. One search per alarm instead of a test per candidate row."""
    fired: list[int] = []
    j, n = 0, len(candidates)
    while j < n:
        last = int(candidates[j])
        fired.append(last)
        nxt = int(np.searchsorted(candidates, last + samples, side="left"))
        if secs is not None:
            nxt = min(nxt, int(np.searchsorted(secs, secs[j] + quiet_s, side="left")))
        j = max(nxt, j + 1)
    return fired


def _span(times: np.ndarray, samples: int) -> str:
    """Human duration of ``samples`` rows of ``times`` (median step × samples)."""
    if len(times) < 2:
        return ""
    step = float(np.median(np.diff(times).astype("timedelta64[s]").astype(np.int64)))
    sec = step * samples
    if sec >= 86400 and sec % 3600 == 0:
        return f"{sec / 86400:.3g} d" if sec % 86400 == 0 else f"{sec / 3600:.0f} h"
    if sec >= 3600:
        return f"{sec / 3600:.3g} h"
    return f"{sec / 60:.0f} min"


def _series_for(data: PointData, factor: str) -> Series | None:
    s = data.minutes.get(factor)
    if s is not None and len(s):
        return s
    return data.hours.get(factor)


#: Roles whose own shift says the plant changed its operating state (the load channels).
LOAD_ROLES = frozenset({"flow", "velocity", "o2", "temperature"})
#: Roles that move with the load and may explain a shift by regression (with the other concentrations).
_REGRESSOR_ROLES = LOAD_ROLES | {"pressure", "moisture"}


@dataclass(frozen=True)
class LoadCheck:
    """What :func:`load_explains_shift` found for one level shift.

    Attributes
    ----------
    explained : bool
        The load explains the shift (process change).
    residual_z : float or None
        Shift of the regression residual in robust σ (``None``: no regressor usable).
    load_z : dict
        Load channel → its own shift in robust σ over the same window.
    regressors : tuple of str
        The channels the factor was regressed on.
    """

    explained: bool
    residual_z: float | None
    load_z: dict[str, float]
    regressors: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {"load_explained": self.explained, "residual_z": self.residual_z,
                "load_shift_z": {k: round(v, 3) for k, v in self.load_z.items()},
                "regressors": list(self.regressors)}


def _median(x: np.ndarray) -> float:
    """``numpy.median`` of a 1-D array, without its generic reduction (~8 µs a call, thousands of calls in the
    load check): the same middle order statistics by one partition and the same mean of the two for an even
    count, ``NaN`` when a value is ``NaN`` (partitioned last, as numpy checks it)."""
    n = len(x)
    if not n:
        return float("nan")
    h = n // 2
    part = np.partition(x, (h, -1) if n % 2 else (h - 1, h, -1))
    if np.isnan(part[-1]):
        return float("nan")
    return float(part[h]) if n % 2 else float((part[h - 1] + part[h]) / 2.0)


def _robust_sigma(x: np.ndarray, floor_of: float, fraction: float, med: float | None = None) -> float:
    """Robust σ of ``x`` (floored at ``fraction`` of ``|floor_of|``); ``med``: its median when known."""
    med = _median(x) if med is None else med
    dev = np.abs(x - med)
    sigma = max(_MAD_TO_SIGMA * _median(dev), _MEAN_AD_TO_SIGMA * float(dev.mean()))
    return max(sigma, fraction * abs(floor_of), np.finfo(float).tiny)


def _shift_z(base: np.ndarray, recent: np.ndarray, fraction: float) -> float:
    """(median of ``recent`` − median of ``base``) in robust σ of ``base`` (σ floored as the detector's)."""
    m0 = _median(base)
    return (_median(recent) - m0) / _robust_sigma(base, m0, fraction, m0)


def load_explains_shift(y: np.ndarray, channels: dict[str, np.ndarray], n_base: int,
                        cfg: StatisticalSettings, threshold: float | None = None, *,
                        first_load: bool = False) -> LoadCheck:
    """Does the plant's own load explain a level shift of ``y``? (the rule of the module docstring).

    Parameters
    ----------
    y : numpy.ndarray
        The factor over the baseline (first ``n_base`` rows) then the recent samples of the shift
        [unit of the factor]; finite.
    channels : dict
        Other channel → its values at the same instants (``NaN`` where missing) [its unit].
    n_base : int
        Baseline rows [samples].
    cfg : StatisticalSettings
        ``shift_z``, ``load_shift_z``, ``min_sigma_fraction``.
    threshold : float or None
        The residual test's threshold [σ]; ``None`` = ``cfg.shift_z`` (a spike is tested with ``spike_z``).
    first_load : bool
        Stop at the first load channel that explains the shift (``load_z`` then holds the channels judged so
        far): for a caller that drops explained shifts and reports only the others' evidence.

    Returns
    -------
    LoadCheck
        ``explained`` when a load channel shifted by ``load_shift_z`` robust σ, or when the residual of
        ``y`` regressed on the usable channels shifted by less than ``threshold`` robust σ.
    """
    n = len(y)
    load_z: dict[str, float] = {}
    # each channel's present rows, taken once (the load test, the regressors and their rows all read them)
    finite = {name: np.isfinite(v) for name, v in channels.items()}
    for name, v in channels.items():
        if role_of(name) not in LOAD_ROLES:
            continue
        ok = finite[name]
        b, r = v[:n_base][ok[:n_base]], v[n_base:][ok[n_base:]]
        if len(b) >= max(n_base // 2, 3) and len(r) >= max((n - n_base) // 2, 1):
            load_z[name] = _shift_z(b, r, cfg.min_sigma_fraction)
            if first_load and abs(load_z[name]) >= cfg.load_shift_z:
                return LoadCheck(True, None, load_z, ())
    if any(abs(z) >= cfg.load_shift_z for z in load_z.values()):
        return LoadCheck(True, None, load_z, ())
    # Regressors: channels present on ≥ 90 % of the rows (the share as numpy's mean of the mask gives it: an
    # exact count over the length, one rounding); rows where all of them are present.
    names = [k for k, ok in finite.items() if (is_concentration(k) or role_of(k) in _REGRESSOR_ROLES)
             and len(ok) and np.count_nonzero(ok) / len(ok) >= 0.9]
    if not names:
        return LoadCheck(False, None, load_z, ())
    rows = finite[names[0]].copy()
    for k in names[1:]:
        rows &= finite[k]
    k = len(names) + 1
    if np.count_nonzero(rows[:n_base]) < max(2 * k, 8) or not rows[n_base:].any():
        return LoadCheck(False, None, load_z, tuple(names))
    Xr = np.column_stack([channels[k][rows] for k in names])
    scale = Xr.std(axis=0)
    keep = scale > 0
    if not keep.any():
        return LoadCheck(False, None, load_z, tuple(names))
    names = [k for k, ok in zip(names, keep) if ok]
    # (the kept columns as a column selection gives them: an F-ordered copy, whose means numpy sums pairwise)
    kept = Xr[:, keep]
    A = np.column_stack([np.ones(len(Xr)), (kept - kept.mean(axis=0)) / scale[keep]])
    coef, *_ = np.linalg.lstsq(A, y[rows], rcond=None)
    resid = y[rows] - A @ coef
    nb = int(np.count_nonzero(rows[:n_base]))
    # σ floor as the shift test's: a fraction of the factor's own baseline level, not of the residual's.
    m0 = _median(y[:n_base])
    m_resid = _median(resid[:nb])
    sigma = max(_robust_sigma(resid[:nb], 0.0, 0.0, m_resid), cfg.min_sigma_fraction * abs(m0), np.finfo(float).tiny)
    z = (_median(resid[nb:]) - m_resid) / sigma
    return LoadCheck(abs(z) < (cfg.shift_z if threshold is None else threshold), round(z, 3), load_z, tuple(names))


class _SeriesStatistics:
    """One series' test statistics at every row, kept through the rounds of the lazy path (:func:`_alarms_of`).

    The statistics are taken once over the whole series from the baselines' σ as :func:`_stream_stats` gives
    them with ``lazy`` (lower bounds); each later change of some slots' σ (:meth:`finish`, and the σ by the
    definition that :meth:`alarms` puts under an alarm) re-derives only the rows that read those slots: each
    row's numbers are those :func:`score_stream` takes over the whole series from the same σ, and the alarms
    those it gives (its loop over the σ by the definition, then the rounds of :func:`_alarms_of`).

    Parameters
    ----------
    values : numpy.ndarray
        The series [unit of the factor]; ``NaN`` rows skipped as :func:`score_stream` does.
    times : numpy.ndarray or None
        ``datetime64`` time of each row.
    cfg : StatisticalSettings
        Every floor and novelty factor positive (:func:`_lazy_sigma_ok`).
    stats : tuple
        This series' ``(median, σ, count, recent median)`` from :func:`_stream_stats` with ``lazy``.
    """

    def __init__(self, values: np.ndarray, times: np.ndarray | None, cfg: StatisticalSettings,
                 stats: tuple[np.ndarray, ...]) -> None:
        values = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(values)
        self.rows = np.flatnonzero(ok)
        self.x = x = values[ok]
        self.cfg = cfg
        self.n = n = len(x)
        self.stride = stride = max(int(cfg.baseline_stride), 1)
        self.k = k = max(int(cfg.shift_samples), 1)
        self.v = v = max(int(cfg.variance_samples), 2)
        self.lags = (*_lags(k, v), 0)
        med_at, sig_at, count_at, self.recent_med = stats[:4]
        short = count_at < cfg.min_history
        #: per recomputation slot: the baseline median and count; σ before the floor as given (``base``) and as
        #: this scoring reads it (``raw``: with the definition's σ under its alarms), then floored (``sigma``)
        self.med_at = np.where(short, np.nan, med_at)
        self.count_at = count_at
        self.base = np.where(short, np.nan, sig_at)
        self.raw = self.base.copy()
        self.sigma = self._floored(self.raw, self.med_at)
        #: slots whose σ this scoring took by the definition (:meth:`alarms`)
        self.defined: np.ndarray = np.zeros(0, dtype=np.int64)
        self.secs = (np.asarray(times)[ok].astype("datetime64[s]").astype(np.int64)
                     if times is not None and cfg.refractory_hours is not None else None)
        if n <= cfg.min_history:
            self.tests: list[tuple[np.ndarray, float, float | None]] = []
            return
        level = np.repeat(self.med_at, stride)[:n]
        self.spread = self._spread(level, np.repeat(self.raw, stride)[:n])
        self.seasonal = self.yesterday = None
        if times is not None and cfg.seasonal_z:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                self.seasonal, self.yesterday = seasonal_departure(np.asarray(times)[ok], x, level, cfg)
        sigma = np.repeat(self.sigma, stride)[:n]
        tops = (x, self.recent_med, self.spread)
        self.tests = [(self._statistic_rows(t_i, tops[t_i], level, sigma), floor, novelty)
                      for t_i, floor, novelty in ((0, cfg.spike_z, cfg.spike_novelty),
                                                  (1, cfg.shift_z, cfg.shift_novelty),
                                                  (2, cfg.variance_ratio, cfg.variance_novelty))]
        if self.seasonal is not None and np.isfinite(self.seasonal).any():
            # (a seasonal statistic without a value, under 7 days of history, makes no candidate: left out)
            self.tests.append((np.where(np.isfinite(self.seasonal), self.seasonal, 0.0), cfg.seasonal_z,
                               cfg.seasonal_novelty))

    def _floored(self, raw: np.ndarray, med: np.ndarray) -> np.ndarray:
        """σ as the tests read it: floored at ``min_sigma_fraction`` of ``|median|``; a constant baseline's 0
        the smallest positive number (any change is news)."""
        sigma = np.maximum(raw, self.cfg.min_sigma_fraction * np.abs(med))
        return np.where(sigma == 0, np.finfo(float).tiny, sigma)

    def _spread(self, level: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """The variance test's spread of the last ``variance_samples`` values at each row where the test may
        reach its floor with σ's lower bounds (then with any finished σ too: the statistic only falls), as
        :func:`score_stream` takes it. Elsewhere ``NaN``: the test's part is below 1 there, so it makes no row a
        candidate and changes no candidate's score or test (its novelty record is read only with
        ``variance_novelty``, and then every row's spread is taken).

        A window's mean absolute deviation from its median is at most half its range (at most half of its values
        lie on either side of the median: Σ|w - m| ≤ n/2 · (max - m) + n/2 · (m - min)), so rows where
        ``√(π/2) · range / 2`` (with 1e-9 to spare for rounding) stays below ``variance_ratio`` × the baseline σ
        cannot reach the floor (9 % of the rows :func:`score_stream`'s looser screen keeps on seed 47)."""
        cfg, x, v, n = self.cfg, self.x, self.v, self.n
        spread = np.full(n, np.nan)
        if v > n:
            return spread
        w = sliding_window_view(x, v)
        if cfg.variance_novelty is not None:
            spread[v - 1 :] = _MEAN_AD_TO_SIGMA * np.abs(w - _recent_median(x, v)[v - 1 :, None]).mean(axis=1)
            return spread
        hi, lo = _window_extremes(x, v)
        base = _lagged(np.maximum(raw, cfg.min_sigma_fraction * np.abs(level)), v - 1)[v - 1 :]
        with np.errstate(invalid="ignore"):
            may = np.flatnonzero(~(_MEAN_AD_TO_SIGMA * (hi - lo) * (0.5 * (1.0 + 1e-9)) < cfg.variance_ratio * base))
        m_v = _sorted_median(np.sort(w[may], axis=1))
        spread[v - 1 + may] = _MEAN_AD_TO_SIGMA * np.abs(w[may] - m_v[:, None]).mean(axis=1)
        return spread

    def _statistic_rows(self, t_i: int, top: np.ndarray, level: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Test ``t_i``'s statistic at every row from the row-wise baseline ``level`` and ``sigma`` (each row
        reading the row ``lag`` before it: :meth:`_statistic`'s numbers)."""
        lag, n = self.lags[t_i], self.n
        out = np.zeros(n)
        if lag >= n:
            return out
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if t_i == 2:
                stat = top[lag:] / sigma[: n - lag]
            else:
                stat = np.abs((top[lag:] - level[: n - lag]) / sigma[: n - lag])
        out[lag:] = np.where(np.isfinite(stat), stat, 0.0)
        return out

    def _statistic(self, t_i: int, rows: np.ndarray) -> np.ndarray:
        """Test ``t_i``'s statistic (spike, level shift, variance) at ``rows`` from the σ of the slot it reads,
        ``NaN`` → 0 (the numbers :func:`score_stream` takes: the same operations on the same operands)."""
        src = rows - self.lags[t_i]
        has = src >= 0
        slot = np.where(has, src, 0) // self.stride
        sigma = np.where(has, self.sigma[slot], np.nan)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if t_i == 2:
                stat = self.spread[rows] / sigma
            else:
                top = self.x[rows] if t_i == 0 else self.recent_med[rows]
                stat = np.abs((top - np.where(has, self.med_at[slot], np.nan)) / sigma)
        return np.where(np.isfinite(stat), stat, 0.0)

    def _refresh(self, slots: np.ndarray) -> None:
        """Re-derive σ at ``slots`` from ``raw`` and the statistics at the rows that read them."""
        if not len(slots) or not self.tests:
            return
        self.sigma[slots] = self._floored(self.raw[slots], self.med_at[slots])
        span = (slots[:, None] * self.stride + np.arange(self.stride)).ravel()
        for t_i in range(3):
            rows = span + self.lags[t_i]
            rows = rows[rows < self.n]
            self.tests[t_i][0][rows] = self._statistic(t_i, rows)

    def alarm_slots(self) -> np.ndarray:
        """The slots whose exact σ the alarms may depend on (:func:`_alarm_slots`), from the σ as given."""
        if not self.tests:
            return np.zeros(0, dtype=np.int64)
        return _alarm_slots([stat for stat, _, _ in self.tests], self.tests, self.k, self.v, self.stride,
                            self.cfg.window)

    def finish(self, slots: np.ndarray, sigma: np.ndarray) -> None:
        """Slots whose σ is now finished (the MAD term searched): their σ and the rows reading them."""
        slots = np.asarray(slots, dtype=np.int64)
        self.base[slots] = sigma
        self.raw[slots] = sigma
        self._refresh(slots)

    def _candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The rows whose score reaches 1, their score and test, and each test's novelty record per row.

        A test's part at a row is its statistic over ``max(floor, novelty × record)``; it reaches 1 only where
        the statistic reaches the floor (floors positive), so each test's part and record are taken at those
        rows only. At a row that some test makes a candidate, the others' parts are below 1: the row's score
        and test are those of all parts (:func:`score_stream`)."""
        cfg, n = self.cfg, self.n
        hits, parts = [], []
        records = [np.full(n, np.nan) for _ in self.tests]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for t_i, (stat, floor, novelty) in enumerate(self.tests):
                rows = np.flatnonzero(stat >= floor)
                rows = rows[rows >= cfg.min_history]
                if not len(rows):
                    continue
                if novelty is None:
                    part = stat[rows] / floor
                else:
                    rec = past_max_at(stat, rows, cfg.window)
                    records[t_i][rows] = rec
                    part = stat[rows] / np.maximum(floor, novelty * rec)
                hits.append((t_i, rows))
                parts.append(np.where(np.isfinite(part), part, 0.0))
        if not hits:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64), records
        at = hits[0][1] if len(hits) == 1 else np.unique(np.concatenate([rows for _, rows in hits]))
        table = np.zeros((len(self.tests), len(at)))
        for (t_i, rows), part in zip(hits, parts):
            table[t_i, np.searchsorted(at, rows)] = part
        score, kinds = table.max(axis=0), table.argmax(axis=0)
        top = score >= 1.0
        return at[top], score[top], kinds[top], records

    def _fired(self) -> tuple[list[tuple[int, str]], dict[int, float], list[np.ndarray]]:
        """The alarms after the refractory rule: ``(row, kind)``, each one's score, and the tests' records."""
        cfg = self.cfg
        candidates, score, kinds, records = self._candidates()
        quiet_s = None if self.secs is None else float(cfg.refractory_hours) * 3600.0
        rows = _refractory(candidates, cfg.refractory, None if self.secs is None else self.secs[candidates], quiet_s)
        pick = np.searchsorted(candidates, rows)
        fired = [(i, _KINDS[int(kinds[p])]) for i, p in zip(rows, pick.tolist())]
        return fired, dict(zip(rows, score[pick].tolist())), records

    def alarms(self, inexact: np.ndarray | None) -> StreamScores:
        """The alarms of :func:`score_stream` from the σ as they are now (``scores`` not taken): the σ under
        an alarm by the definition (:func:`_exact_sigma`), the scoring repeated until no alarm moves onto
        another baseline; with ``inexact`` slots, ``unsure`` as :func:`_record_slots` gives it."""
        cfg, stride = self.cfg, self.stride
        if not self.tests:
            return StreamScores(None, [])
        # each scoring starts from the σ as given (the previous one's σ by the definition taken back)
        back = self.defined
        self.raw[back] = self.base[back]
        self._refresh(back)
        self.defined = np.zeros(0, dtype=np.int64)
        for _ in range(8):
            fired, score, records = self._fired()
            need = {i - self.lags[_KINDS.index(kind)] for i, kind in fired}
            need = {r // stride for r in need if r >= 0 and np.isfinite(self.raw[r // stride])}
            need -= set(self.defined.tolist())
            if not need:
                break
            slots = np.array(sorted(need), dtype=np.int64)
            exact = _exact_sigma(self.x, slots * stride, cfg.window, stride)
            self.defined = np.union1d(self.defined, slots)
            if np.array_equal(exact, self.raw[slots]):
                break  # the fast σ was already the definition's, bit for bit: the scores would come out the same
            self.raw[slots] = exact
            if np.array_equal(self._floored(exact, self.med_at[slots]), self.sigma[slots]):
                break  # both at the floor (or equal once floored): every statistic, hence every alarm, the same
            self._refresh(slots)
        alarms = [replace(self._alarm(i, kind, score[i]), record=float(records[_KINDS.index(kind)][i]))
                  for i, kind in fired]
        unsure = (None if inexact is None or not fired else
                  _record_slots(fired, [stat for stat, _, _ in self.tests], self.tests, records, inexact, self.k,
                                self.v, stride, cfg.window))
        # alarm indices refer to the compressed (finite) rows: map them back to the input rows
        alarms = [replace(a, index=int(self.rows[a.index]), start=int(self.rows[a.start])) for a in alarms]
        return StreamScores(None, alarms, unsure)

    def _alarm(self, i: int, kind: str, score: float) -> Alarm:
        """The alarm at row ``i`` with :func:`score_stream`'s numbers (the same operations at that row)."""
        stride, x = self.stride, self.x
        s = i - self.lags[_KINDS.index(kind)] if kind != "seasonal" else max(i - int(self.cfg.seasonal_samples) + 1, 0)
        own, base = i // stride, (i - self.lags[_KINDS.index(kind)]) // stride
        med, sigma, count = self.med_at[base], self.sigma[base], int(self.count_at[s // stride])
        if kind == "spike":
            return Alarm(i, i, kind, score, float((x[i] - med) / sigma), float(x[i]), float(med), float(sigma), count)
        if kind == "level_shift":
            return Alarm(i, s, kind, score, float((self.recent_med[i] - med) / sigma), float(self.recent_med[i]),
                         float(med), float(sigma), count)
        if kind == "variance":
            ratio = self.spread[i] / sigma
            return Alarm(i, s, kind, score, float(ratio), float(ratio * sigma), float(med), float(sigma), count)
        return Alarm(i, s, kind, score, float(self.seasonal[i]), float(x[i]), float(self.yesterday[i]),
                     float(self.sigma[own]), int(self.count_at[own]))


def _lazy_sigma_ok(st: StatisticalSettings) -> bool:
    """Whether the baselines' σ may be finished only where an alarm can depend on them (:func:`_alarm_slots`:
    every test's floor and novelty factor positive)."""
    floors = [st.spike_z, st.shift_z, st.variance_ratio] + ([st.seasonal_z] if st.seasonal_z else [])
    novelties = [st.spike_novelty, st.shift_novelty, st.variance_novelty, st.seasonal_novelty]
    return all(f > 0 for f in floors) and all(nv is None or nv > 0 for nv in novelties)


def _alarms_of(analysed: list[tuple[str, Series, np.ndarray, np.ndarray]], finite: list[np.ndarray],
               st: StatisticalSettings) -> list[StreamScores]:
    """:func:`score_stream` of every analysed series of a point, their baselines taken together.

    The σ of a baseline window is the larger of two terms; the MAD term (a search over the window's order
    statistics) is the costly one, and most baselines can raise no alarm. So the σ are first the lower bound
    (the mean absolute deviation term), the slots whose exact σ an alarm (or its novelty record) may read are
    found from it (:func:`_alarm_slots`), only those are finished, and the series are scored: the same alarms
    as with every σ finished. Each series' statistics are taken once (:class:`_SeriesStatistics`) and re-derived
    only where a σ changes. Where an alarm's novelty record may still come from a σ left inexact (none on the
    honest sets), those σ are finished and the series scored again."""
    stride = max(int(st.baseline_stride), 1)
    recent = (max(int(st.shift_samples), 1),)
    if not _lazy_sigma_ok(st):
        stats = _stream_stats(finite, st.window, st.min_history, stride, recent)
        return [score_stream(x, st, times=times, stats=pre, all_scores=False)
                for (_, _, times, x), pre in zip(analysed, stats)]
    stats, pending = _stream_stats(finite, st.window, st.min_history, stride, recent, lazy=True)
    if pending is None:
        return [score_stream(x, st, times=times, stats=pre, all_scores=False)
                for (_, _, times, x), pre in zip(analysed, stats)]
    series = [_SeriesStatistics(x, times, st, pre) for (_, _, times, x), pre in zip(analysed, stats)]
    asked = []
    for s_i, (pre, one) in enumerate(zip(stats, series)):
        # slots without a baseline (NaN) stay as they are; where σ cannot pass the floor, none is needed
        slots = one.alarm_slots()
        slots = slots[slots < len(pre[1])]
        slots = slots[np.isfinite(pre[1][slots])]
        asked.append(slots[~pending.floored(s_i, slots, pre[0], st.min_sigma_fraction)])
    inexact = []
    for s_i, (pre, one, (slots, sig)) in enumerate(zip(stats, series, pending.resolve(asked))):
        one.finish(slots, sig)
        loose = np.isfinite(pre[1])
        loose[slots] = False
        # a floored σ is the floor whatever the MAD: exact as it is
        cand = np.flatnonzero(loose)
        loose[cand[pending.floored(s_i, cand, pre[0], st.min_sigma_fraction)]] = False
        inexact.append(loose)
    results = [one.alarms(loose) for one, loose in zip(series, inexact)]
    # an alarm whose novelty record may come from an inexact σ: those σ finished, the series scored again
    # (the alarms stay the same; a record can only come closer to the exact one each round)
    for _ in range(4):
        again = [i for i, r in enumerate(results) if r.unsure is not None and len(r.unsure)]
        if not again:
            return results
        finished = pending.resolve([results[i].unsure if i in again else np.zeros(0, dtype=np.int64)
                                    for i in range(len(stats))])
        for i in again:
            slots, sig = finished[i]
            series[i].finish(slots, sig)
            inexact[i][slots] = False
            results[i] = series[i].alarms(inexact[i])
    # still unsure after the rounds (never seen): every σ of those series finished
    again = [i for i, r in enumerate(results) if r.unsure is not None and len(r.unsure)]
    if again:
        finished = pending.resolve([np.flatnonzero(inexact[i]) if i in again else np.zeros(0, dtype=np.int64)
                                    for i in range(len(stats))])
        for i in again:
            series[i].finish(*finished[i])
            results[i] = series[i].alarms(None)
    return results


def _valid_channels(data: PointData) -> dict[str, tuple[np.ndarray, np.ndarray, bool, int]]:
    """Each channel's valid times and values, whether its times strictly increase and its clock (channels with
    the same strictly increasing times share one: the first such channel's place; ``-1`` for times that do not
    increase): taken once per point for :func:`_aligned` (every analysed factor with a load-checked alarm reads
    the other channels; one comparison of times per channel here instead of one per channel and factor)."""
    out: dict[str, tuple[np.ndarray, np.ndarray, bool, int]] = {}
    clocks: list[tuple[int, np.ndarray]] = []
    for factor in data.factors():
        s = _series_for(data, factor)
        if s is None or not len(s):
            continue
        ok = valid_mask(s)
        t = s.times[ok]
        increasing = bool((t[1:] > t[:-1]).all())
        clock = -1
        if increasing:
            clock = next((c for c, times in clocks if len(times) == len(t) and np.array_equal(times, t)), len(out))
            if clock == len(out):
                clocks.append((clock, t))
        out[factor] = (t, np.asarray(s.values[ok], dtype=np.float64), increasing, clock)
    return out


def _aligned(channels: dict[str, tuple[np.ndarray, np.ndarray, bool, int]], factor: str,
             times: np.ndarray) -> dict[str, np.ndarray]:
    """Every other channel's valid values at ``times`` (``NaN`` where it has no valid record); ``channels``
    from :func:`_valid_channels` (read, not written). When ``times`` are the factor's own valid times (as the
    detector asks), a channel on the factor's clock has them too: no comparison."""
    own = channels.get(factor)
    clock = (own[3] if own is not None and own[3] >= 0 and len(own[0]) == len(times) and np.array_equal(own[0], times)
             else -1)
    out = {}
    for other, (t, v, increasing, other_clock) in channels.items():
        if other == factor:
            continue
        if (other_clock == clock if clock >= 0 else
                len(t) == len(times) and increasing and np.array_equal(t, times)):
            # the same clock, strictly increasing (the usual case): each row is its own match, no lookup
            out[other] = v
            continue
        idx = np.clip(np.searchsorted(t, times), 0, max(len(t) - 1, 0))
        vals = np.full(len(times), np.nan)
        if len(t):
            hit = t[idx] == times
            vals[hit] = v[idx[hit]]
        out[other] = vals
    return out


@detector("statistical", codes=[*CODES.values(), LOAD_SHIFT_CODE])
def detect_statistical(data: PointData, cfg: Any) -> list[Finding]:
    """Spikes, level shifts and variance shifts in each factor's minute series (hourly when no minutes).

    Only valid records (:func:`~ecosentry.subsystems.monitoring.detect.model.valid_mask`: a value and flag N/S) of
    the pollutants, the flow and O2 are analysed (``unscored_roles``: the flue gas's state is the load's);
    each finding names the factor, the rows of evidence, the numbers and the settings used. A level shift
    the point's own load explains (:func:`load_explains_shift`) is not an anomaly: it is dropped, or
    reported as ``DET-LOAD-SHIFT`` (process change) when ``report_process_changes`` is set.
    """
    st: StatisticalSettings = getattr(cfg, "statistical", None) or StatisticalSettings()
    findings: list[Finding] = []
    analysed: list[tuple[str, Series, np.ndarray, np.ndarray]] = []
    for factor in data.factors():
        if role_of(factor) in st.unscored_roles:  # a state of the flue gas: the load's, not the emissions'
            continue
        s = _series_for(data, factor)
        if s is None:
            continue
        ok = valid_mask(s)
        if int(ok.sum()) < st.min_values:
            continue
        analysed.append((factor, s, s.times[ok], s.values[ok]))
    # the baselines of every factor of the point in one pass (the order statistics of all their windows)
    finite = [x[np.isfinite(x)] for _, _, _, x in analysed]
    # (the variance test's recent medians are taken by score_stream where that test may alarm)
    results = _alarms_of(analysed, finite, st)
    channels: dict[str, tuple[np.ndarray, np.ndarray, bool, int]] | None = None
    for (factor, s, times, x), result in zip(analysed, results):
        resolution = "minute" if factor in data.minutes and len(data.minutes[factor]) else "hour"
        others: dict[str, np.ndarray] | None = None
        for a in result.alarms:
            code = CODES[a.kind]
            check: LoadCheck | None = None
            if a.kind in ("level_shift", "spike") and st.load_check:
                if others is None:
                    if channels is None:
                        channels = _valid_channels(data)
                    others = _aligned(channels, factor, times)
                lo = max(0, a.start - st.window)
                rows = slice(lo, a.index + 1)
                check = load_explains_shift(x[rows], {k: v[rows] for k, v in others.items()}, a.start - lo, st,
                                            st.spike_z if a.kind == "spike" else st.shift_z,
                                            first_load=not st.report_process_changes)
                if check.explained:
                    if not st.report_process_changes:
                        continue
                    code = LOAD_SHIFT_CODE
            span = _span(times[: a.baseline_samples + 1], a.baseline_samples)
            explanation = f"{factor}: {a.reason(span)}"
            if check is not None:
                explanation += ("; the plant's load moved with it (a process change)" if check.explained else
                                "; the plant's load does not explain it" if check.regressors or check.load_z
                                else "; no load channel to check it against")
            evidence = {
                "kind": a.kind,
                "resolution": resolution,
                "statistic": round(a.statistic, 3),
                "score": round(a.score, 3),
                "value": a.value,
                "baseline_median": a.baseline,
                "baseline_sigma": a.sigma,
                "baseline_samples": a.baseline_samples,
                "settings": st.model_dump(),
            }
            if check is not None:
                evidence["load_check"] = check.evidence()
            findings.append(Finding(
                code=code,
                severity="info" if code == LOAD_SHIFT_CODE else _SEVERITY[a.kind],  # type: ignore[arg-type]
                point=data.point,
                factors=(factor,),
                start=to_datetime(times[a.start]),
                end=to_datetime(times[a.index]),
                explanation=explanation,
                detected_at=to_datetime(times[a.index]),  # the row that completed the evidence (causal)
                evidence=evidence,
            ))
    return findings
