"""Falsification signs judged against the physics of the process: what an honest plant cannot produce.

Statistical tests say "unusual for this series"; an honest plant is unusual every time it starts up,
follows the grid or runs a night shift (issue 13). The signs here ask instead whether the data could
have come from a real analyser measuring a real process:

* :func:`detect_channel_copy` (``DET-CLONE-MINUTE``): two pollutant channels whose **record-to-record
  changes** are the same. Two analysers (or two measuring principles in one analyser) share the plant's
  load, which moves slowly (ramp-rate limits, thermal inertia), but each has its own measurement noise,
  so their minute-to-minute changes are nearly independent (r ≈ 0 … 0.4). A channel copied, with a gain,
  from another one carries the other's noise too: its changes correlate at r ≈ 1, minute by minute.
  Reference notes §5.4 (identical trends between unrelated factors), §5.6 (cross-channel clone);
  the hourly, load-removed test is ``DET-CLONE`` (:mod:`ecosentry.subsystems.monitoring.detect.patterns`).
* :func:`detect_selective_gap` (``DET-FACTOR-GAP``): one pollutant stops reporting while the point's
  other pollutants and process parameters keep reporting valid data, no flag says the analyser failed
  and no mark covers it. An analyser fault is reported (HJ 212-2017 Table 8 flag ``D``, maintenance
  ``M``, calibration ``C``) or marked (reference notes §1.2, §4.2); a communication loss takes every
  channel of the data logger at once. Silence of one channel alone is what deleting its records looks
  like: 环发〔2015〕175号 Art. 4(11) (not transmitting raw data), reference notes §5.2 数据缺失.
  Values near the limit just before or after the gap are reported as corroboration.
* :func:`detect_night_load` (``DET-NIGHT-LOAD``): on wastewater, the **pollutant load** (concentration ×
  flow) of several pollutants rises at night against the same night's own evening and morning. The
  effluent of a treatment plant is set by its treatment: its concentration follows the influent only
  after the hydraulic retention time (hours) and smoothly, and honest night shifts raise the flow, not
  the treated concentration. Several pollutants' concentrations *and* the flow rising together for the
  night hours, night after night, is the discharge of untreated (or less treated) water at night.
  Reference notes §5.2 category 14 (昼夜差异明显), §5.4 ("night discharge, or treatment switched off at
  night"); load as concentration × flow: HJ 212-2017 Appendix D (排放量 = 浓度 × 流量).
* :func:`detect_limit_cap` (``DET-LIMIT-CAP``): a pollutant that reaches the band just under its limit and
  stops moving there, while elsewhere it moves as much as its load and its analyser's noise move it: peaks
  cut off at a ceiling (reference notes §5.4 clipping or capping at the limit, §5.5 设限值).
* :func:`detect_collapse` (``DET-NEAR-ZERO``): a pollutant at a few per cent of its own usual level for
  hours of normal production: a sample diluted with clean air or a back-flushed probe (reference notes §5.3
  hardware items, §5.4 zero values while running).
* :func:`detect_fleet_copies` (``DET-CLONE-MINUTE`` across points): the copy test between the points of
  one run, a fleet detector (:func:`~ecosentry.subsystems.monitoring.detect.registry.run_fleet_detectors`).

Everything is numpy over whole series (cumulative sums for sliding windows); no per-record Python.
Thresholds are :class:`~ecosentry.subsystems.monitoring.detect.settings.SignSettings` (``cfg.signs``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

import numpy as np

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.monitoring.detect.model import (
    Finding,
    PointData,
    Series,
    detector,
    hour_floor,
    is_concentration,
    resolution_step,
    running_mask,
    runs,
    to_datetime,
    to_datetime64,
    valid_mask,
)
from ecosentry.subsystems.monitoring.detect.registry import fleet_detector
from ecosentry.subsystems.monitoring.detect.patterns import _finding, _local, _local_clock, _num, _unit
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

__all__ = [
    "RULE_COPY",
    "RULE_FACTOR_GAP",
    "RULE_NIGHT_LOAD",
    "RULE_LIMIT_CAP",
    "RULE_COLLAPSE",
    "detect_collapse",
    "detect_limit_cap",
    "detect_channel_copy",
    "detect_fleet_copies",
    "CopyFeed",
    "copy_feed",
    "detect_selective_gap",
    "detect_night_load",
]

_MOD = "ecosentry.subsystems.monitoring.detect.signs"
_REF = "china-vietnam-rules.md"
_HOUR = 3600

RULE_COPY = register(Rule(
    "DET-CLONE-MINUTE", "critical",
    "Two pollutant channels, of one point or of two points, change together record by record (minute-to-minute "
    "changes correlated at r ≈ 1, or one a scaled copy of the other up to the rounding of its digits): real "
    "analysers each have their own noise, so one is a copy.",
    f"{_REF} §5.4 (identical trends between unrelated factors), §5.6 cross-channel clone (ours)", _MOD, "S/ours",
    kind="falsification"))
RULE_FACTOR_GAP = register(Rule(
    "DET-FACTOR-GAP", "warning",
    "One pollutant stopped reporting while the point's other channels kept reporting valid data, with no "
    "fault flag and no mark: an analyser fault is flagged or marked, so this is how deleted records look.",
    f"环发〔2015〕175号 Art. 4(11); HJ 212-2017 Table 8 (flags D, M, C); {_REF} §5.2 数据缺失, §1.2 marks",
    _MOD, "S/ours", kind="falsification"))
RULE_LIMIT_CAP = register(Rule(
    "DET-LIMIT-CAP", "warning",
    "For hours a pollutant sat just under its limit and stopped moving there, while elsewhere it moves with "
    "the load as analysers do: the peaks were cut off at a ceiling (设限值).",
    f"{_REF} §5.4 (clipping or capping at the limit), §5.5 设限值, §5.6; 环境自动监控数据异常 category 12",
    _MOD, "S/ours", kind="falsification"))
RULE_COLLAPSE = register(Rule(
    "DET-NEAR-ZERO", "warning",
    "For hours of normal production a pollutant read a few per cent of its own usual level while the plant's "
    "load stayed normal: what a diluted or back-flushed sample gives, not the process.",
    f"{_REF} §5.3 hardware items (稀释, 反吹), §5.4 zero or near-zero values while running (ours)", _MOD, "S/ours",
    kind="falsification"))
RULE_NIGHT_LOAD = register(Rule(
    "DET-NIGHT-LOAD", "warning",
    "Night after night the wastewater's pollutant load (concentration × flow) rose against the same night's "
    "evening and morning, in more than one pollutant: treated effluent does not do that, untreated discharge does.",
    f"环境自动监控数据异常 category 14; {_REF} §5.2, §5.4 (night discharge); HJ 212-2017 App. D (load = "
    "concentration × flow)", _MOD, "S/ours", kind="falsification"))


# ---------------------------------------------------------------------------------------------- helpers


def _step_s(data: PointData, factors: Sequence[str]) -> int:
    steps = [data.minutes[f].step_seconds() for f in factors if len(data.minutes[f]) >= 2]
    return int(min(steps)) if steps else 0


def _grid(data: PointData, factors: Sequence[str], step: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A regular grid of ``step`` seconds over ``factors``' minute series, and each record's slot on it."""
    t0 = min(int(data.minutes[f].times[0].astype(np.int64)) for f in factors)
    t1 = max(int(data.minutes[f].times[-1].astype(np.int64)) for f in factors)
    n = (t1 - t0) // step + 1
    grid = (t0 + step * np.arange(n, dtype=np.int64)).astype("datetime64[s]")
    slot = {f: (data.minutes[f].times.astype(np.int64) - t0) // step for f in factors}
    return grid, slot


def _on_grid(s: Series, slot: np.ndarray, n: int, ok: np.ndarray) -> np.ndarray:
    out = np.full(n, np.nan)
    out[slot[ok]] = s.values[ok]
    return out


def _running_at(data: PointData, grid: np.ndarray, cfg: Any) -> np.ndarray:
    """Running state of each grid slot from its hour (all True when unknown)."""
    hours = hour_floor(grid)
    if len(hours) and (hours[1:] >= hours[:-1]).all():  # in time order (a grid, a series' times): no sort
        new = np.concatenate(([True], hours[1:] != hours[:-1]))
        uniq, inv = hours[new], np.cumsum(new) - 1
    else:
        uniq, inv = np.unique(hours, return_inverse=True)
    run = running_mask(data, uniq, cfg)
    return np.ones(len(grid), dtype=bool) if run is None else run[inv.reshape(-1)]


def _windowed(v: np.ndarray, w: int, at: np.ndarray) -> np.ndarray:
    """Sums of each row of ``v`` over the windows of ``w`` slots starting at the slots ``at`` (cumulative sums
    along the rows; NaN counts as 0, ±inf as the largest float, as :func:`numpy.nan_to_num`, which only finite
    values skip). All rows in one cumulative sum: each row's sums are added in its order, the same numbers as
    the row's own cumulative sum, and the window test of a pair of channels takes five at once (issue 13
    item 3: one numpy call instead of five, ~280 window tests on seed 47)."""
    if not np.isfinite(v).all():
        v = np.nan_to_num(v, nan=0.0)
    c = np.empty(v.shape[:-1] + (v.shape[-1] + 1,))
    c[..., 0] = 0.0
    np.cumsum(v, axis=-1, out=c[..., 1:])
    return c[..., at + w] - c[..., at]


def _counted(m: np.ndarray, w: int, at: np.ndarray) -> np.ndarray:
    """:func:`_windowed` of masks (how many of its slots each window holds, a row for each mask), in whole
    numbers: sums of ones are exact in any order, so the same float64 numbers as the cumulative sum of the mask
    as floats."""
    c = np.empty(m.shape[:-1] + (m.shape[-1] + 1,), dtype=np.int64)
    c[..., 0] = 0
    np.cumsum(m, axis=-1, out=c[..., 1:])
    return (c[..., at + w] - c[..., at]).astype(np.float64)


def _window_moments(a: np.ndarray, b: np.ndarray, m: np.ndarray, n: np.ndarray, w: int, at: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variances and covariance of ``a`` and ``b`` over the slots ``m`` of the windows of ``w`` slots starting
    at ``at``, ``n`` the slots of ``m`` each holds (population moments; a variance below 0 by rounding is 0)."""
    rows = np.zeros((5, len(a)))  # a, b, a², b², ab, each 0 outside m
    np.copyto(rows[0], a, where=m)
    np.copyto(rows[1], b, where=m)
    np.multiply(rows[:2], rows[:2], out=rows[2:4])
    np.multiply(rows[0], rows[1], out=rows[4])
    sa, sb, saa, sbb, sab = _windowed(rows, w, at)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = sa / n, sb / n
        va = np.maximum(saa / n - ma * ma, 0.0)
        vb = np.maximum(sbb / n - mb * mb, 0.0)
        cov = sab / n - ma * mb
    return va, vb, cov


def _correlation(va: np.ndarray, vb: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Pearson r from the moments of :func:`_window_moments`, NaN where either variance is (nearly) 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(va * vb)
    r[~((va > 1e-12) & (vb > 1e-12))] = np.nan
    return r


#: Changes beyond this many robust standard deviations of a channel's changes are clipped to it.
_CLIP_SIGMAS = 4.0


def _clipped(d: np.ndarray) -> np.ndarray:
    """``d`` clipped at ±:data:`_CLIP_SIGMAS` robust standard deviations of its non-zero finite values."""
    nz = d[np.isfinite(d) & (d != 0)]
    if len(nz) < 3:
        return d
    scale = 1.4826 * _median(np.abs(nz - _median(nz)))
    if not scale > 0:
        return d
    return np.clip(d, -_CLIP_SIGMAS * scale, _CLIP_SIGMAS * scale)


def _median(a: np.ndarray) -> float:
    """``numpy.median`` of a non-empty 1-D float array without NaN, taken as it takes it (the same partition, the
    mean of the middle value or the middle two, a sum that starts at +0.0 as numpy's does: -0.0 gives 0.0) without
    its generic path: the fleet test takes two for each of ~140 channels in the calling process after the
    workers (issue 13 item 3)."""
    half = len(a) // 2
    if len(a) % 2:
        return float(0.0 + np.partition(a, [half, -1])[half])
    part = np.partition(a, [half - 1, half, -1])
    with np.errstate(over="ignore"):
        return float((0.0 + part[half - 1] + part[half]) / 2)


def _episodes(starts: np.ndarray, w: int) -> list[tuple[int, int]]:
    """Union of the windows ``[s, s + w)`` as ``(first, end)`` slot pairs (end exclusive)."""
    if len(starts) == 0:
        return []
    ends = starts + w
    brk = np.flatnonzero(starts[1:] > ends[:-1]) + 1
    firsts = np.r_[0, brk]
    lasts = np.r_[brk - 1, len(starts) - 1]
    return [(int(starts[a]), int(ends[b])) for a, b in zip(firsts, lasts)]


def _seen(f: Finding, at: np.datetime64 | datetime) -> Finding:
    """``f`` with ``detected_at``: the first moment the data then available showed it (causal time)."""
    t = to_datetime(at) if isinstance(at, np.datetime64) else at.astimezone(timezone.utc)
    return replace(f, detected_at=min(max(t, f.start), f.end))


def _pollutants(data: PointData, source: dict[str, Series]) -> list[str]:
    return [f for f in sorted(source) if is_concentration(f) and len(source[f])]


# ---------------------------------------------------------------------------------------------- copies


@dataclass(frozen=True)
class _Copy:
    """One episode of two channels changing together: grid slots ``[first, end)`` and its statistics."""

    first: int
    end: int
    windows: int
    window: int
    r_changes_min: float
    r_changes_median: float
    r_levels_min: float
    gain: float
    changes: tuple[float, float]
    #: Largest residual RMS of the affine fit in units of the rounding error (None: not all windows judged).
    rounding: float | None = None
    #: End slot of the first counted window (when the data first showed the copy).
    seen: int = 0


def _interval(x: np.ndarray) -> float:
    """Mean number of slots between changes of ``x`` (inf when it never changes)."""
    d = np.diff(x)
    fin = np.isfinite(d)
    moved = int(np.count_nonzero(d[fin]))
    return fin.sum() / moved if moved else np.inf


#: A channel changing on average less often than every this many grid slots holds each measurement (an online
#: water analyser's cycle): it is compared measurement by measurement (:func:`_copies_held`).
_HELD_MIN_INTERVAL = 3.0


def _copies(x: np.ndarray, y: np.ndarray, step: int, p: Any, every: float,
            res: tuple[float, float] = (float("nan"), float("nan")), *, window: int | None = None,
            stride: int | None = None, changes: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
            intervals: tuple[float, float] | None = None) -> list[_Copy]:
    """Episodes in which ``x`` and ``y`` (one grid, NaN = no valid record) change together (see
    :func:`detect_channel_copy`); ``every`` is the slower channel's mean interval between changes, ``res``
    the two channels' reported resolutions. ``window`` and ``stride`` (in slots) replace the windows the
    grid gives (:func:`_copies_held` judges its measurements with them). ``changes`` gives
    ``_clipped(numpy.diff)`` of ``x`` and ``y`` when asked, when the caller keeps them (a channel's are the same
    in each pair it is in); ``intervals`` the two channels' :func:`_interval` when the caller has them."""
    n = len(x)
    if not np.isfinite(every):
        return []
    if window is None and every >= _HELD_MIN_INTERVAL:
        return _copies_held(x, y, step, p, every, res, intervals)
    w = window or max(int(p.copy_window_min * 60 // step), 4, int(np.ceil((p.copy_min_changes + 1) * every)))
    if w >= n:
        return []
    dx, dy = np.diff(x), np.diff(y)
    lx, ly = x[1:], y[1:]
    m = np.isfinite(dx) & np.isfinite(dy) & np.isfinite(lx) & np.isfinite(ly)
    # the windows judged: one every w // 16 slots (only they are computed; the same numbers as all of them)
    k = np.arange(0, n - w, stride or max(w // 16, 1))
    # the windows that cover enough and in which both channels move enough; only they can count
    cnt, moves_x, moves_y = _counted(np.stack([m, m & (dx != 0), m & (dy != 0)]), w, k)
    eligible = (cnt >= p.copy_min_cover * w) & (moves_x >= p.copy_min_changes) & (moves_y >= p.copy_min_changes)
    if not eligible.any():
        return []
    vx, vy, cov = _window_moments(lx, ly, m, cnt, w, k)
    r_l = _correlation(vx, vy, cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the affine fit of one channel on the other leaves the rounding of the reported values and nothing
        # else when one is a copy: residual RMS against the RMS rounding error of the two resolutions
        qx, qy = res
        quant = np.full(len(cnt), np.inf)
        if np.isfinite(qx) and np.isfinite(qy):
            for v_dep, v_ind, q_dep, q_ind in ((vy, vx, qy, qx), (vx, vy, qx, qy)):
                gain = cov / v_ind
                floor2 = (q_dep ** 2 + (gain * q_ind) ** 2) / 12.0
                resid2 = np.maximum(v_dep - cov * cov / v_ind, 0.0)
                moves = v_dep >= p.copy_min_spread ** 2 * floor2
                quant = np.minimum(quant, np.where(moves, np.sqrt(resid2 / floor2), np.inf))
    with np.errstate(invalid="ignore"):
        rounded = quant <= p.copy_rounding_ratio
        # a window counts when its changes and levels correlate, or when it is rounded: without the levels
        # correlating nor the rounding, none can, and the changes are not needed
        if not (eligible & ((r_l >= p.copy_level_r_min) | rounded)).any():
            return []
    # changes clipped at a few robust standard deviations of the channel's own changes: a handful of large
    # steps at the same clock time (two plants switching something at 23:00) must not make a correlation
    # that the ordinary record-to-record noise does not have; a copy keeps r ≈ 1 after clipping
    cx, cy = (_clipped(dx), _clipped(dy)) if changes is None else changes()
    r_d = _correlation(*_window_moments(cx, cy, m, cnt, w, k))
    with np.errstate(invalid="ignore"):
        together = (r_d >= p.copy_change_r_min) & (r_l >= p.copy_level_r_min)
        hit = eligible & (together | rounded)
    found = []
    for a, b in _episodes(k[hit], w):
        inside = (k >= a) & (k < b) & hit
        sel = k[inside]
        seg = m[a:b]
        sx, sy = dx[a:b][seg], dy[a:b][seg]
        gain = float(np.std(sx) / np.std(sy)) if np.std(sy) > 0 else float("nan")
        found.append(_Copy(a, b, int(len(sel)), w, float(np.nanmin(r_d[inside])),
                           float(np.nanmedian(r_d[inside])), float(np.nanmin(r_l[inside])), gain,
                           (float(np.median(moves_x[inside])), float(np.median(moves_y[inside]))),
                           float(np.max(quant[inside])) if np.isfinite(quant[inside]).all() else None,
                           int(sel[0]) + w))
    return found


def _with_breaks(a: np.ndarray, before: np.ndarray, fill: Any) -> np.ndarray:
    """``numpy.insert(a, before, fill)`` for increasing distinct positions ``before``: ``fill`` (one value, or
    one for each) put before each of them, in ``a``'s type."""
    out = np.empty(len(a) + len(before), dtype=a.dtype)
    put = before + np.arange(len(before))
    kept = np.ones(len(out), dtype=bool)
    kept[put] = False
    out[kept] = a
    out[put] = fill
    return out


def _copies_held(x: np.ndarray, y: np.ndarray, step: int, p: Any, every: float,
                 res: tuple[float, float], intervals: tuple[float, float] | None = None) -> list[_Copy]:
    """:func:`_copies` for channels that hold each measurement (a water analyser's cycle), judged measurement by
    measurement: both channels read at each new measurement of the slower one, windows of
    ``copy_min_changes`` + 1 measurements starting at each of them.

    Why: the evidence of a copy is the number of changes that match, not the minutes they span. On the grid a
    window had to last ``copy_min_changes`` + 1 *mean* intervals (stops and repeated values lengthen the mean),
    so a copy of 13 hours on an hourly analyser (13 matching changes) fitted no window (issue 13, seed 17 W030).
    A silence longer than three mean intervals (a stop, an outage) starts afresh: no change is counted across it.
    ``intervals``: :func:`_interval` of ``x`` and ``y`` when the caller has them.
    """
    interval_x, interval_y = intervals or (_interval(x), _interval(y))
    slow = y if interval_y >= interval_x else x
    idx = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(idx) < p.copy_min_changes + 2:
        return []
    at = idx[np.concatenate(([True], np.diff(slow[idx]) != 0))]  # the slower channel's measurements
    gaps = np.flatnonzero(np.diff(at) > 3.0 * every) + 1
    xe, ye = _with_breaks(x[at], gaps, np.nan), _with_breaks(y[at], gaps, np.nan)
    slots = _with_breaks(at, gaps, at[gaps])
    w = max(p.copy_min_changes + 1, 4)
    last = len(slots) - 1
    return [replace(c, first=int(slots[c.first]), end=int(slots[min(c.end, last)]),
                    seen=int(slots[min(c.seen, last)]), window=int(np.ceil(w * every)))
            for c in _copies(xe, ye, step, p, 1.0, res, window=w, stride=1)]


def _copy_evidence(c: _Copy, step: int, p: Any, **extra: Any) -> dict[str, Any]:
    return {"step_s": step, "window_min": c.window * step // 60, "windows": c.windows,
            "r_changes_min": c.r_changes_min, "r_changes_median": c.r_changes_median,
            "r_levels_min": c.r_levels_min, "gain": c.gain, "changes_per_window": list(c.changes),
            "residual_in_rounding_errors": c.rounding, **extra,
            "settings": {k: getattr(p, k) for k in ("copy_change_r_min", "copy_level_r_min", "copy_min_changes",
                                                    "copy_window_min", "copy_rounding_ratio", "copy_min_spread")}}


def _copy_text(c: _Copy, step: int) -> str:
    unit = f"{step // 60}-minute" if step >= 60 else f"{step}-second"
    text = f"r of the {unit} changes ≥ {c.r_changes_min:.3f}, of the levels ≥ {c.r_levels_min:.3f}"
    if c.rounding is not None:
        text += (f"; one is an affine function of the other up to {c.rounding:.1f} times the rounding error of "
                 f"their reported digits")
    return text


class _ClippedChanges(dict):
    """Each channel's clipped changes (``_clipped(numpy.diff(x))``), taken when first asked for: a channel is
    in a pair with each other pollutant of its point, and its changes are the same in each."""

    def __init__(self, series: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.series = series

    def __missing__(self, factor: str) -> np.ndarray:
        self[factor] = changes = _clipped(np.diff(self.series[factor]))
        return changes


@detector("channel_copy", codes=[RULE_COPY.code])
def detect_channel_copy(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Two pollutant channels of one point whose record-to-record changes are the same (a copy with gain).

    Minute (or finer, up to ``copy_max_step_s``) series only; valid records of running hours. For each
    pair of pollutants, sliding windows (a sixteenth of a window apart) of ``copy_window_min`` minutes, or
    longer for a channel that changes less often (``copy_min_changes`` + 1 of its mean intervals between
    changes: an online water analyser gives one value a measuring cycle). A window counts when both
    channels cover ``copy_min_cover`` of it, each changes ``copy_min_changes`` times, and either both the
    changes and the levels correlate at ``copy_change_r_min`` / ``copy_level_r_min``, or one channel is an
    affine function of the other up to ``copy_rounding_ratio`` times the rounding error of the reported
    digits while moving ``copy_min_spread`` rounding errors (a copy with a small gain loses its changes to
    rounding, not its exactness; two analysers' own noise leaves residuals many rounding errors wide).
    Overlapping counted windows make one finding. Channels that hold each measurement (a change less often
    than every three records: a water analyser's cycle) are compared measurement by measurement, windows of
    ``copy_min_changes`` + 1 measurements (:func:`_copies_held`): the evidence is the matching changes counted. :func:`detect_fleet_copies` applies the same test across points.

    Why changes: honest channels share the plant's load (levels correlate), not their analysers' noise
    (changes do not); process parameters are not judged (velocity, flow, pressure are one measurement).
    """
    p = cfg.signs
    pol = _pollutants(data, data.minutes)
    if len(pol) < 2:
        return []
    step = _step_s(data, pol)
    if step <= 0 or step > p.copy_max_step_s:
        return []
    grid, slot = _grid(data, pol, step)
    n = len(grid)
    run = _running_at(data, grid, cfg)
    series = {f: np.where(run, _on_grid(data.minutes[f], slot[f], n, valid_mask(data.minutes[f])), np.nan)
              for f in pol}
    interval = {f: _interval(x) for f, x in series.items()}
    res = {f: resolution_step(data.minutes[f]) for f in pol}
    clipped = _ClippedChanges(series)
    out: list[Finding] = []
    for i, f in enumerate(pol):
        for g in pol[i + 1:]:
            for c in _copies(series[f], series[g], step, p, max(interval[f], interval[g]), (res[f], res[g]),
                             changes=lambda f=f, g=g: (clipped[f], clipped[g]), intervals=(interval[f], interval[g])):
                start, end = grid[c.first], grid[min(c.end, n - 1)]
                expl = (f"At point {data.point}, from {_local(start, data.tz)} to {_local(end, data.tz)} "
                        f"({data.tz}) every change of {f} was matched by a change of {g} in the same record "
                        f"({_copy_text(c, step)}; {f} ≈ {_num(c.gain)} × {g}): two analysers share the plant's "
                        f"load but not their noise, so one channel is a copy of the other.")
                out.append(_seen(_finding(RULE_COPY, data, (f, g), start, end, expl, _copy_evidence(c, step, p)),
                                 grid[min(c.seen, n - 1)]))
    return out


def _blockwise_picks(V: np.ndarray, step: int, p: Any, changes: list[np.ndarray] | None = None) -> np.ndarray:
    """Pairs of channels (rows of ``V``, one grid) whose clipped changes correlate beyond chance
    (``r ≥ 4 / √n``) within some block of two copy windows, a boolean matrix.

    The whole-window screen misses a copy that lasts a fraction of the window while the copied channel
    makes larger changes of its own elsewhere: seed 67 of the honest set, half a day of G003's SO2 copied
    from G008's at a gain of 0.24, r = 0.96 inside the copy, 0.23 over its day, 0.03 over five days
    (floor 0.047; issue 13). Blocks of ``2 × copy_window_min`` hold a whole window of any copy at least
    that long. An honest pair passes a block by chance about once in 30,000; the window test decides.
    ``changes``: each row's clipped changes (``_clipped(numpy.diff(row))``) when the caller has them."""
    nch, m = V.shape[0], V.shape[1] - 1
    blk = max(2 * int(p.copy_window_min * 60 // step), 16)
    nb = -(-m // blk)
    if nb < 2:
        return np.zeros((nch, nch), dtype=bool)
    Z = np.zeros((nch, nb * blk), dtype=np.float32)
    fin = np.zeros((nch, nb * blk), dtype=bool)
    for i in range(nch):  # one row per channel, numpy inside
        d = _clipped(np.diff(V[i])) if changes is None else changes[i]
        ok = np.isfinite(d)
        Z[i, :m][ok] = d[ok]
        fin[i, :m] = ok
    Zb, Fb = Z.reshape(nch, nb, blk), fin.reshape(nch, nb, blk)
    cnt = Fb.sum(axis=2)
    Zb -= np.where(Fb, (Zb.sum(axis=2) / np.maximum(cnt, 1))[:, :, None], 0).astype(np.float32)
    picked = np.zeros((nch, nch), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for b in range(nb):  # one matrix product a block
            zb = Zb[:, b, :]
            norm = np.sqrt(np.einsum("ij,ij->i", zb, zb, dtype=np.float64))
            C = (zb @ zb.T).astype(np.float64) / np.outer(norm, norm)
            on = Fb[:, b, :].astype(np.float32)
            common = (on @ on.T).astype(np.float64)
            picked |= (C >= 4.0 / np.sqrt(np.maximum(common, 1.0))) & (common >= 0.5 * blk)
    return picked


@dataclass(frozen=True)
class _FeedChannel:
    """One pollutant channel of a :class:`CopyFeed`: its valid records, placed as on any grid of its step.

    ``values`` are the valid values (NaN elsewhere) on the slots ``first + step × k`` when every record falls on
    one of them (a logger's clock; ``times`` is ``None``), else the valid records' values with their ``times``.
    """

    factor: str
    step: float
    first: int
    last: int
    values: np.ndarray
    times: np.ndarray | None
    resolution: float


@dataclass(frozen=True)
class CopyFeed:
    """What the copy test across points (:func:`detect_fleet_copies`) needs of one point: its minute pollutants'
    valid records and its running state by hour (:func:`copy_feed`).

    Taken where the point is built (a worker of :mod:`~ecosentry.subsystems.monitoring.detect.fanout`), so the
    calling process receives these instead of the point's series (times, flags, 折算 values: 8 of 24 MB on
    seed 47) and does not place each channel on a grid again (issue 13 item 3).

    ``step`` is the point's finest pollutant step (0 when it has none at most ``copy_max_step_s``: the point
    takes no part); ``pollutants`` how many minute pollutants it has; ``running`` the running state of the
    hours from ``first_hour`` on (``None``: unknown, every hour runs).
    """

    point: str
    tz: str
    step: int
    pollutants: int
    channels: tuple[_FeedChannel, ...]
    first_hour: int = 0
    running: np.ndarray | None = None


def copy_feed(data: PointData, cfg: DetectorSettings) -> CopyFeed:
    """The :class:`CopyFeed` of one point."""
    p = cfg.signs
    pol = _pollutants(data, data.minutes)
    st = _step_s(data, pol) if pol else 0
    if not 0 < st <= p.copy_max_step_s:
        return CopyFeed(data.point, data.tz, 0, len(pol), ())
    channels = []
    for f in pol:
        s = data.minutes[f]
        step = s.step_seconds()
        if not (step > 0 and step == int(step)):  # no grid of whole seconds can hold it: the test never takes it
            continue
        times = s.times.astype(np.int64)
        first, last, ok, k = int(times[0]), int(times[-1]), valid_mask(s), int(step)
        since = times - first
        slot = since // k
        if (slot * k == since).all():
            values, at = _on_grid(s, slot, (last - first) // k + 1, ok), None
        else:
            values, at = s.values[ok], times[ok]
        channels.append(_FeedChannel(f, step, first, last, values, at, resolution_step(s)))
    if not channels:
        return CopyFeed(data.point, data.tz, st, len(pol), ())
    # the hours any slot of a grid of the channels' steps holding one of their records can fall in
    first_hour = (min(c.first for c in channels) - int(max(c.step for c in channels))) // _HOUR * _HOUR
    hours = np.arange(first_hour, max(c.last for c in channels) + 1, _HOUR, dtype=np.int64)
    running = running_mask(data, hours.astype("datetime64[s]"), cfg)
    return CopyFeed(data.point, data.tz, st, len(pol), tuple(channels), first_hour, running)


def _fleet_grid(feeds: Sequence[CopyFeed]
                ) -> tuple[list[tuple[CopyFeed, _FeedChannel]], int, np.ndarray, np.ndarray] | None:
    """The channels of the copy test across points, its step, its grid and each channel's valid records of
    running hours on it (NaN elsewhere), one row each; ``None`` when fewer than two points take part."""
    taking = [feed for feed in feeds if feed.step]
    if sum(feed.pollutants for feed in taking) < 2 or len({feed.point for feed in taking}) < 2:
        return None
    step = min(feed.step for feed in taking)
    chans = [(feed, c) for feed in taking for c in feed.channels if c.step == step]
    t0 = min(c.first for _, c in chans)
    t1 = max(c.last for _, c in chans)
    n = (t1 - t0) // step + 1
    if n < 3:
        return None
    grid = (t0 + step * np.arange(n, dtype=np.int64)).astype("datetime64[s]")
    hour = hour_floor(grid).view(np.int64)
    V = np.full((len(chans), n), np.nan)
    runs_of: dict[str, np.ndarray] = {}
    for i, (feed, c) in enumerate(chans):
        if c.times is None:  # on a grid of its step: the same slots shifted by its first record's
            at = (c.first - t0) // step
            V[i, at:at + len(c.values)] = c.values
        else:
            V[i, (c.times - t0) // step] = c.values
        if feed.point not in runs_of:
            runs_of[feed.point] = (np.ones(n, dtype=bool) if feed.running is None else
                                   feed.running[np.clip((hour - feed.first_hour) // _HOUR, 0, len(feed.running) - 1)])
        V[i, ~runs_of[feed.point]] = np.nan
    return chans, step, grid, V


@fleet_detector("fleet_copy", codes=[RULE_COPY.code], digest=copy_feed)
def detect_fleet_copies(feeds: Sequence[CopyFeed], cfg: DetectorSettings) -> list[Finding]:
    """Pollutant channels of *different* points that change together record by record (a copied feed).

    All points' minute pollutant series at the finest common step (≤ ``copy_max_step_s``) on one grid
    (valid records of running hours), from each point's :func:`copy_feed`. A first pass keeps the pairs of
    channels of different points whose clipped changes correlate over the whole window beyond chance
    (``r ≥ 4 / √n``, n the common records; one matrix product in float32); the window test of
    :func:`detect_channel_copy` then finds the episodes. Each episode gives one finding on each of the two
    points (which one is the copy the data cannot say), naming the other. Honest plants share weather and grid
    dispatch at most, never their analysers' noise.
    """
    p = cfg.signs
    laid = _fleet_grid(feeds)
    if laid is None:
        return []
    chans, step, grid, V = laid
    n = len(grid)
    # first pass: one matrix product of every channel's clipped, centred changes (float32: it only picks pairs)
    Z = np.zeros((len(chans), n - 1), dtype=np.float32)
    fin = np.zeros((len(chans), n - 1), dtype=bool)
    changes = []
    for i in range(len(chans)):  # one row per channel, numpy inside
        d = _clipped(np.diff(V[i]))
        changes.append(d)
        ok = np.isfinite(d)
        if ok.any():
            moved = d[ok]
            Z[i, ok] = moved - moved.mean()
        fin[i] = ok
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.sqrt(np.einsum("ij,ij->i", Z, Z, dtype=np.float64))
        C = (Z @ Z.T).astype(np.float64) / np.outer(norm, norm)
        on = fin.astype(np.float32)
        common = (on @ on.T).astype(np.float64)
        floor = 4.0 / np.sqrt(np.maximum(common, 1.0))
    picked = C >= floor
    del Z, on
    picked |= _blockwise_picks(V, step, p, changes)  # the same clipped changes (taken once)
    del changes
    owner = np.array([feed.point for feed, _ in chans])
    ii, jj = np.nonzero(np.triu(picked & (owner[:, None] != owner[None, :]), k=1))
    out: list[Finding] = []
    # a channel's interval between changes, once per channel (it meets several others)
    interval = {i: _interval(V[i]) for i in {*ii.tolist(), *jj.tolist()}}
    for i, j in zip(ii.tolist(), jj.tolist()):
        (di, ci), (dj, cj) = chans[i], chans[j]
        fi, fj = ci.factor, cj.factor
        intervals = (interval[i], interval[j])
        for c in _copies(V[i], V[j], step, p, max(intervals), (ci.resolution, cj.resolution), intervals=intervals):
            start, end = grid[c.first], grid[min(c.end, n - 1)]
            for (d, f), (o, g) in (((di, fi), (dj, fj)), ((dj, fj), (di, fi))):
                expl = (f"From {_local(start, d.tz)} to {_local(end, d.tz)} ({d.tz}) every change of {f} at point "
                        f"{d.point} was matched by a change of {g} at point {o.point} in the same record "
                        f"({_copy_text(c, step)}): two plants' analysers do not share their noise, so one "
                        f"channel is a copy of the other.")
                ev = _copy_evidence(c, step, p, other_point=o.point, other_factor=g, global_r=float(C[i, j]))
                found = _finding(RULE_COPY, PointData(point=d.point, tz=d.tz), (f,), start, end, expl, ev)
                out.append(_seen(found, grid[min(c.seen, n - 1)]))
    return out


# ---------------------------------------------------------------------------------------------- selective gap


#: Mark types that explain a channel's silence (rules.cn.marks types).
_EXPLAINING_MARKS = frozenset({"maintenance", "calibration", "fault", "stopped", "comm_interruption",
                               "startup_shutdown"})


def _limit_of(data: PointData, factor: str) -> float | None:
    lim = data.limits.get(factor) or data.day_limits.get(factor)
    return float(lim) if lim else None


@detector("selective_gap", codes=[RULE_FACTOR_GAP.code])
def detect_selective_gap(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """A pollutant without any record for ``gap_min_minutes`` while the point's other channels report.

    On the point's record grid (minute series; hourly when the source is hourly): slots where the
    pollutant has no record at all (a record flagged ``D``/``M``/``C`` is a declared fault, not this),
    at least ``gap_others_share`` of the other channels have a valid record, the point runs, no mark of
    :data:`_EXPLAINING_MARKS` covers the pollutant, and the pollutant reported before. Runs of such slots
    at least ``gap_min_minutes`` long (and two records) are findings. The evidence gives the values just
    before and after as a share of the limit: a gap that hides high values corroborates deletion.
    """
    p = cfg.signs
    source = data.minutes if data.minutes else data.hours
    factors = [f for f in sorted(source) if len(source[f])]
    pol = [f for f in factors if is_concentration(f)]
    if not pol or len(factors) < 2:
        return []
    steps = [source[f].step_seconds() for f in factors if len(source[f]) >= 2]
    step = int(min(steps)) if steps else 0
    if step <= 0:
        return []
    t0 = min(int(source[f].times[0].astype(np.int64)) for f in factors)
    t1 = max(int(source[f].times[-1].astype(np.int64)) for f in factors)
    n = (t1 - t0) // step + 1
    grid = (t0 + step * np.arange(n, dtype=np.int64)).astype("datetime64[s]")
    slots = {f: (source[f].times.astype(np.int64) - t0) // step for f in factors}  # in time order
    min_slots = max(int(np.ceil(p.gap_min_minutes * 60 / step)), 2)
    # a silence is slots without a record: a pollutant with fewer such slots than a finding needs has none
    judged = [i for i, f in enumerate(factors)
              if is_concentration(f) and n - 1 - np.count_nonzero(np.diff(slots[f])) >= min_slots]
    if not judged:
        return []
    present = np.zeros((len(factors), n), dtype=bool)
    valid = np.zeros((len(factors), n), dtype=bool)
    for i, f in enumerate(factors):
        slot = slots[f]
        present[i, slot] = True
        valid[i, slot[valid_mask(source[f])]] = True
    run = _running_at(data, grid, cfg)
    n_valid = valid.sum(axis=0)
    out: list[Finding] = []
    for i in judged:
        f = factors[i]
        others = n_valid - valid[i]
        others_ok = others >= p.gap_others_share * (len(factors) - 1)
        first = int(np.argmax(present[i]))
        silent = ~present[i] & others_ok & run
        silent[:first + 1] = False
        marked = np.zeros(n, dtype=bool)
        for mk in data.marks:
            if mk.type in _EXPLAINING_MARKS and (mk.factors is None or f in mk.factors):
                a, b = to_datetime64(mk.start), to_datetime64(mk.end)
                marked |= (grid >= a - np.timedelta64(step, "s")) & (grid < b)
        silent &= ~marked
        s = source[f]
        vals = _on_grid(s, (s.times.astype(np.int64) - t0) // step, n, valid_mask(s))
        level = vals
        if s.zs is not None:
            level = _on_grid(Series(f, s.times, s.zs), (s.times.astype(np.int64) - t0) // step, n, valid_mask(s))
        limit = _limit_of(data, f)
        for a, b in runs(silent):
            if b - a + 1 < min_slots:
                continue
            hour = max(int(_HOUR // step), 1)
            before = level[max(a - hour, 0):a]
            after = level[b + 1:b + 1 + hour]
            pre = float(np.nanmean(before)) if np.isfinite(before).any() else float("nan")
            post = float(np.nanmean(after)) if np.isfinite(after).any() else float("nan")
            share = {k: (v / limit if limit and np.isfinite(v) else None) for k, v in (("before", pre), ("after", post))}
            high = [k for k, v in share.items() if v is not None and v >= 0.8]
            minutes = (b - a + 1) * step // 60
            unit = _unit(f, data.medium)
            tail = (f"; the hour {' and '.join(high)} it averaged ≥ 80 % of the limit {_num(limit)} {unit}, so the gap "
                    f"may hide an exceedance" if high and limit else "")
            expl = (f"At point {data.point}, {f} sent no record for {minutes} min (from {_local(grid[a], data.tz)} "
                    f"{data.tz}) while {int(np.median(n_valid[a:b + 1] - valid[i, a:b + 1]))} of the point's "
                    f"{len(factors) - 1} other channels kept reporting valid data, with no fault flag and no mark"
                    f"{tail}.")
            ev = {"minutes": minutes, "step_s": step, "other_channels": len(factors) - 1,
                  "mean_before": pre, "mean_after": post, "limit": limit,
                  "share_of_limit_before": share["before"], "share_of_limit_after": share["after"],
                  "near_limit": high,
                  "settings": {"gap_min_minutes": p.gap_min_minutes, "gap_others_share": p.gap_others_share}}
            end = grid[b] + np.timedelta64(step, "s")
            out.append(_seen(_finding(RULE_FACTOR_GAP, data, (f,), grid[a], end, expl, ev),
                             grid[a] + np.timedelta64(min_slots * step, "s")))
    return out


# ---------------------------------------------------------------------------------------------- capped peaks


@detector("limit_cap", codes=[RULE_LIMIT_CAP.code])
def detect_limit_cap(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """A plateau just under the limit: consecutive valid running hours in ``[cap_band_low · L, L)`` whose
    median hour-to-hour change is at most ``cap_change_ratio`` of the series' own median change ``u``, with
    at least ``cap_min_hours`` changes each that small. An honest series makes a change below ``0.2 u``
    about one hour in nine (Gaussian changes: P(|Δ| ≤ 0.2 · 0.674 σ) ≈ 0.11), so six of them in one stretch
    at the limit are not its noise.

    Judged values (flue gas: 折算, as exceedance is judged, reference notes §4.1; water: measured) against
    the hourly limit (gas) or the daily limit (water, the level its hourly values are held under). An
    honest plant close to its limit keeps moving there as it moves everywhere (load, fuel, its analyser's
    noise); a value that reaches the band and then stops changing is held at a ceiling.

    On minute data a second test needs no still hours in a row (:func:`_ceilings`): records piled within half
    a noise width under one ceiling in the band, a fifth of a window's records or more, where noise puts about
    1 %. It finds a cap that bites only at the load's peaks. An episode both tests find is one finding.
    """
    p = cfg.signs
    out: list[Finding] = []
    for f in _pollutants(data, data.hours):
        limit = _limit_of(data, f)
        if not limit:
            continue
        s = data.hours[f]
        ok = valid_mask(s)
        x = s.zs if s.zs is not None else s.values
        ok &= np.isfinite(x)
        run = running_mask(data, s.times, cfg)
        if run is not None:
            ok &= run
        t, x = s.times[ok], x[ok]
        if len(t) < 2 * p.cap_min_hours:
            continue
        secs = t.astype(np.int64)
        joined = np.diff(secs) == _HOUR
        dx = np.abs(np.diff(x))
        if not joined.any():
            continue
        usual = float(np.median(dx[joined]))
        if not usual > 0:
            continue
        band = (x >= p.cap_band_low * limit) & (x < limit)
        # consecutive hours both in the band
        pair = joined & band[1:] & band[:-1]
        for a, b in runs(pair):
            hours = b - a + 2
            if hours < p.cap_min_hours:
                continue
            held = float(np.median(dx[a:b + 1]))
            still = int(np.count_nonzero(dx[a:b + 1] <= p.cap_change_ratio * usual))
            if held > p.cap_change_ratio * usual or still < p.cap_min_hours:
                continue
            seg = x[a:b + 2]
            unit = _unit(f, data.medium)
            what = f"{f} 折算" if s.zs is not None else f
            expl = (f"For {hours} hours from {_local(t[a], data.tz)} ({data.tz}), hourly {what} at point "
                    f"{data.point} stayed between {_num(float(seg.min()))} and {_num(float(seg.max()))} {unit}, just "
                    f"under its limit {_num(limit)} {unit}, changing by {_num(held)} {unit} an hour (median) where it "
                    f"otherwise changes by {_num(usual)}: the peaks were cut off at a ceiling.")
            ev = {"hours": hours, "still_hours": still, "limit": limit, "min": float(seg.min()),
                  "max": float(seg.max()),
                  "median_change": held, "usual_median_change": usual, "unit": unit,
                  "zs_used": s.zs is not None,
                  "settings": {k: getattr(p, k) for k in ("cap_band_low", "cap_min_hours", "cap_change_ratio")}}
            nth = a + int(np.flatnonzero(dx[a:b + 1] <= p.cap_change_ratio * usual)[p.cap_min_hours - 1]) + 1
            out.append(_seen(_finding(RULE_LIMIT_CAP, data, (f,), t[a], t[b + 1] + np.timedelta64(_HOUR, "s"), expl,
                                      ev), t[nth] + np.timedelta64(_HOUR, "s")))
    hourly = list(out)
    for f in _pollutants(data, data.minutes):
        limit = _limit_of(data, f)
        if limit:
            out += [c for c in _ceilings(data, f, limit, cfg)
                    if not any(h.factor == c.factor and h.start < c.end and c.start < h.end for h in hourly)]
    return out


def _ceilings(data: PointData, f: str, limit: float, cfg: DetectorSettings) -> list[Finding]:
    """Minute records piled against one ceiling just under the limit (the minute part of :func:`detect_limit_cap`).

    Records: valid records of running hours, judged values (gas: 折算), a value held until the next
    measurement counted once (consecutive repeats collapsed). ``σ``: the series' own record-to-record scatter
    on a typical day (1.4826 · MAD of a day's changes / √2, median over the days). Windows of ``cap_min_hours`` starting every hour; a window whose highest
    record ``c`` lies in ``[cap_band_low · L, L)`` is held at a ceiling when at least ``cap_ceiling_share`` of its
    records, and ``cap_ceiling_min_records`` of them, lie in ``[c − cap_ceiling_width · σ, c]``. Overlapping
    windows make one finding. Not judged when that band is narrower than two steps of the reported resolution
    (rounding alone makes ties at the highest value).

    Why: a measurement's noise spreads its records on both sides of its level, so few records come close to a
    window's highest one (Gaussian noise: of 360 records the highest lies ≈ 2.9 σ above the level and ≈ 1 %
    of them within 0.5 σ under it; a level moving with the load leaves fewer). Peaks cut off at a ceiling put
    every record that would have been above it *at* it: the share at the ceiling is the share of the time the
    true value was over it (reference notes §5.4 clipping, §5.5 设限值). Unlike the hourly test this needs no
    still hours in a row: a cap that bites only at the load's peaks, half of the time, piles half the records
    (issue 13: seed 7 G020, a cap holding 48 % of the window).
    """
    p = cfg.signs
    s = data.minutes[f]
    step = int(s.step_seconds()) if len(s) >= 2 else 0
    if not 0 < step < _HOUR:
        return []
    x = s.zs if s.zs is not None else s.values
    ok = valid_mask(s) & np.isfinite(x)
    t, x = s.times[ok], np.asarray(x[ok], dtype=np.float64)
    if len(x) < 2 * p.cap_ceiling_min_records or not (x >= p.cap_band_low * limit).any():
        return []  # as below: the running hours are among these records
    if len(t):
        run = _running_at(data, t, cfg)
        t, x = t[run], x[run]
    if len(x) < 2 * p.cap_ceiling_min_records or not (x >= p.cap_band_low * limit).any():
        return []
    keep = np.r_[True, np.diff(x) != 0]
    t, x = t[keep], x[keep]
    secs = t.astype("datetime64[s]").astype(np.int64)
    # σ of a typical day: the median over the days of each day's robust scatter, so that a day whose records
    # were written by the ceiling itself (many records, tiny changes) does not set the noise it is judged by
    d = np.diff(x)
    day = secs[1:] // 86400
    per_day = [1.4826 * float(np.median(np.abs(v - np.median(v)))) / np.sqrt(2.0)
               for v in np.split(d, np.flatnonzero(np.diff(day)) + 1) if len(v) >= 10]
    sigma = float(np.median(per_day)) if per_day else 0.0
    # the band must hold more than the ties of one reported digit: with a coarse resolution an honest level
    # repeats its highest value by rounding alone
    res = resolution_step(x)
    if not sigma > 0 or (np.isfinite(res) and p.cap_ceiling_width * sigma < 2.0 * res):
        return []
    w = p.cap_min_hours * _HOUR
    starts = np.arange(secs[0] // _HOUR * _HOUR, secs[-1] - w + 2 * _HOUR, _HOUR)
    lo, hi = np.searchsorted(secs, starts), np.searchsorted(secs, starts + w)
    flagged = []
    for k in np.flatnonzero(hi - lo >= p.cap_ceiling_min_records):  # a few dozen windows a day
        seg = x[lo[k]:hi[k]]
        c = float(seg.max())
        if not p.cap_band_low * limit <= c < limit:
            continue
        at = int(np.count_nonzero(seg >= c - p.cap_ceiling_width * sigma))
        if at >= p.cap_ceiling_min_records and at >= p.cap_ceiling_share * len(seg):
            flagged.append((int(k), c, at, len(seg)))
    out: list[Finding] = []
    unit = _unit(f, data.medium)
    what = f"{f} 折算" if s.zs is not None else f
    i = 0
    while i < len(flagged):
        j = i
        while j + 1 < len(flagged) and flagged[j + 1][0] - flagged[j][0] < p.cap_min_hours:
            j += 1
        ks = [g[0] for g in flagged[i:j + 1]]
        a, b = int(lo[ks[0]]), int(hi[ks[-1]])
        seg = x[a:b]
        c = max(g[1] for g in flagged[i:j + 1])
        on = np.flatnonzero(seg >= c - p.cap_ceiling_width * sigma)
        seg = seg[on[0]:on[-1] + 1]
        at = len(on)
        # the episode: from the first record at the ceiling to the last one (the windows reach hours beyond)
        start = t[a + on[0]].astype("datetime64[s]")
        end = t[a + on[-1]].astype("datetime64[s]") + np.timedelta64(step, "s")
        expl = (f"From {_local(start, data.tz)} to {_local(end, data.tz)} ({data.tz}), {at} of the {len(seg)} "
                f"records of {what} at point {data.point} ({at / len(seg):.0%}) sat within "
                f"{_num(p.cap_ceiling_width * sigma)} {unit} under the same ceiling {_num(c)} {unit}, just under its "
                f"limit {_num(limit)} {unit}, and none above it; the series' own scatter from record to record "
                f"({_num(sigma)} {unit}) puts about 1 % of a window's records that close under its highest: the "
                f"peaks were cut off at a ceiling.")
        ev = {"records": len(seg), "at_ceiling": at, "share_at_ceiling": at / len(seg), "ceiling": c,
              "limit": limit, "sigma": sigma, "band": p.cap_ceiling_width * sigma, "unit": unit,
              "zs_used": s.zs is not None, "windows": len(ks),
              "window_share_max": max(g[2] / g[3] for g in flagged[i:j + 1]),
              "settings": {k_: getattr(p, k_) for k_ in ("cap_band_low", "cap_min_hours", "cap_ceiling_width",
                                                        "cap_ceiling_share", "cap_ceiling_min_records")}}
        out.append(_seen(_finding(RULE_LIMIT_CAP, data, (f,), start, end, expl, ev),
                         np.datetime64(int(starts[ks[0]] + w), "s")))  # the end of the first window that showed it
        i = j + 1
    return out


# ---------------------------------------------------------------------------------------------- collapse


@detector("collapse", codes=[RULE_COLLAPSE.code])
def detect_collapse(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """A pollutant at a few per cent of its own usual level for hours while the plant runs normally.

    Hourly measured values of valid running hours (the running state from flow, velocity and O2, so a stop
    or a low-load start is not judged); the pollutant's usual level is its median over them (at least
    ``collapse_min_steps`` resolution steps). ``collapse_min_hours`` consecutive hours at or below
    ``collapse_share`` of it, outside marks, are a finding. A process makes a pollutant fall with the
    load or a fuel change; a sample line diluted with clean air or a probe back-flushed makes one
    analyser read near zero while everything else at the point carries on.
    """
    p = cfg.signs
    out: list[Finding] = []
    for f in _pollutants(data, data.hours):
        s = data.hours[f]
        ok = valid_mask(s)
        run = running_mask(data, s.times, cfg)
        if run is None:
            continue  # without a running state a stop cannot be told from a collapse
        ok &= run
        t, x = s.times[ok], s.values[ok]
        if len(t) < 24:
            continue
        usual = float(np.median(x))
        if np.count_nonzero(x <= p.collapse_share * usual) < p.collapse_min_hours:
            continue  # too few low hours for a collapse, marked or not
        src = data.minutes.get(f)
        step = resolution_step(src if src is not None and len(src) else x)
        if not np.isfinite(step):
            step = 0.0
        if not usual > 0 or usual < p.collapse_min_steps * step:
            continue
        marked = np.zeros(len(t), dtype=bool)
        for mk in data.marks:
            if mk.factors is None or f in mk.factors:
                marked |= (t >= to_datetime64(mk.start) - np.timedelta64(_HOUR, "s")) & (t < to_datetime64(mk.end))
        low = (x <= p.collapse_share * usual) & ~marked
        joined = np.r_[False, np.diff(t.astype(np.int64)) <= 2 * _HOUR]
        starts = low & ~(np.r_[False, low[:-1]] & joined)
        group = np.cumsum(starts)
        for g in np.unique(group[low]):
            idx = np.flatnonzero(low & (group == g))
            if len(idx) < p.collapse_min_hours:
                continue
            a, b = int(idx[0]), int(idx[-1])
            seg = x[a:b + 1]
            unit = _unit(f, data.medium)
            level = float(np.median(seg))
            expl = (f"For {len(idx)} hours of normal production from {_local(t[a], data.tz)} ({data.tz}), {f} at "
                    f"point {data.point} read {_num(level)} {unit} (median), {level / usual:.0%} of its usual "
                    f"{_num(usual)} {unit}, while the plant kept running: a diluted or back-flushed sample reads "
                    f"this way.")
            ev = {"hours": len(idx), "median": level, "usual": usual, "share": level / usual, "unit": unit,
                  "resolution": step,
                  "settings": {k: getattr(p, k) for k in ("collapse_share", "collapse_min_hours",
                                                         "collapse_min_steps")}}
            out.append(_seen(_finding(RULE_COLLAPSE, data, (f,), t[a], t[b] + np.timedelta64(_HOUR, "s"), expl, ev),
                             t[idx[p.collapse_min_hours - 1]] + np.timedelta64(_HOUR, "s")))
    return out


# ---------------------------------------------------------------------------------------------- night load


@dataclass(frozen=True)
class _Nights:
    """The per-night ratios of :func:`detect_night_load` (one entry per local night of the data)."""

    days: np.ndarray
    #: Night-to-flank flow ratio (NaN: night not judged), and the same against the plant's usual night.
    r_q: np.ndarray
    q_rel: np.ndarray
    #: Per pollutant: night-to-flank concentration ratio (NaN: not judged), and the nights it rose on.
    ratios: dict[str, np.ndarray]
    rises: dict[str, np.ndarray]
    #: Per pollutant: the night's rise (night median − flank median) in robust standard deviations of the
    #: pollutant's own hour-to-hour changes (NaN: not judged, no scatter, or rose on too few nights to ask).
    rise_z: dict[str, np.ndarray]
    flow: str
    start_h: int
    end_h: int
    flank: int


def _sorted_medians(vs: np.ndarray, first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``numpy.median(vs[a:a + n])`` of each segment (``n ≥ 1``) of ``vs``, whose segments are each sorted: the
    middle value, or the mean of the middle two, taken in place. A zero in the middle goes to ``numpy.median``
    itself (which of ``-0.0`` and ``0.0`` its partition puts there is its own)."""
    lo, hi = vs[first + (size - 1) // 2], vs[first + size // 2]
    with np.errstate(over="ignore"):
        out = np.where(size % 2 == 1, lo, (lo + hi) / 2)
    for k in np.flatnonzero((lo == 0) | (hi == 0)).tolist():
        out[k] = float(np.median(vs[first[k]:first[k] + size[k]]))
    return out


def _nights(data: PointData, cfg: DetectorSettings) -> _Nights | None:
    """The night-by-night ratios of :func:`detect_night_load` (``None``: nothing to judge)."""
    if data.medium != "water":
        return None
    flow = data.by_role("flow")
    if flow is None or len(flow) == 0:
        return None
    p, pt = cfg.signs, cfg.patterns
    ok_q = valid_mask(flow) & (flow.values > 0)
    t = flow.times[ok_q]
    q = flow.values[ok_q]
    if len(t) < 24:
        return None
    run = running_mask(data, t, cfg)
    if run is not None:
        t, q = t[run], q[run]
    # night number: a night belongs to the local day on which it starts
    _, hour = _local_clock(t, data.tz)
    start_h, end_h, flank = pt.night_start_hour, pt.night_end_hour, p.night_flank_hours
    shifted = t - np.timedelta64((end_h + flank) * _HOUR, "s")
    nday, _ = _local_clock(shifted, data.tz)
    if start_h > end_h:
        night = (hour >= start_h) | (hour < end_h)
    else:
        night = (hour >= start_h) & (hour < end_h)
    evening = (hour >= (start_h - flank) % 24) & (hour < start_h) if start_h >= flank else \
        ((hour >= (start_h - flank) % 24) | (hour < start_h))
    morning = (hour >= end_h) & (hour < end_h + flank)
    side = (evening | morning) & ~night
    days, inv = np.unique(nday, return_inverse=True)
    inv = inv.reshape(-1)
    nd = len(days)

    def medians(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = np.full(nd, np.nan)
        m = mask & np.isfinite(v)
        if not m.any():
            return out
        order = np.lexsort((v[m], inv[m]))
        d, vs = inv[m][order], v[m][order]
        bounds = np.r_[0, np.flatnonzero(np.diff(d)) + 1, len(d)]
        a, size = bounds[:-1], np.diff(bounds)
        enough = size >= p.night_min_hours
        a, size = a[enough], size[enough]
        out[d[a]] = _sorted_medians(vs, a, size)
        return out

    # a night is judged against both of its flanks: one seen only against its morning (the first night of the
    # data) or only its evening (a stop after it) has no "before and after", and its ratio is a day's drift
    per_night = lambda mask: np.bincount(inv[mask], minlength=nd)  # noqa: E731
    flanked = (per_night(evening & ~night) >= max(p.night_min_hours // 2, 1)) & (
        per_night(morning & ~night) >= max(p.night_min_hours // 2, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r_q_any = medians(q, night) / medians(q, side)
    r_q = np.where(flanked, r_q_any, np.nan)
    if not np.isfinite(r_q).any():
        return None
    # the plant's usual night-to-flank flow ratio is its own normal (a night shift has a heavier night every night);
    # every night with data tells it, judged or not
    q_rel = r_q / float(np.nanmedian(r_q_any))
    rises: dict[str, np.ndarray] = {}
    ratios: dict[str, np.ndarray] = {}
    rise_z: dict[str, np.ndarray] = {}
    secs = t.astype("datetime64[s]").astype(np.int64)
    for f in _pollutants(data, data.hours):
        s = data.hours[f]
        okc = valid_mask(s)
        idx = np.searchsorted(s.times[okc], t)
        idx = np.clip(idx, 0, max(int(okc.sum()) - 1, 0))
        c = np.full(len(t), np.nan)
        if okc.any():
            hit = s.times[okc][idx] == t
            c[hit] = s.values[okc][idx[hit]]
        c_night, c_side = medians(c, night), medians(c, side)
        with np.errstate(invalid="ignore", divide="ignore"):
            r_c_any = c_night / c_side
        r_c = np.where(flanked, r_c_any, np.nan)
        ratios[f] = r_c
        rises[f] = (r_c >= p.night_conc_ratio) & (r_c * q_rel >= p.night_load_ratio)
        # a plant whose usual night is leaner than its flanks (effluent following a day-shift influent hours
        # later) rises against that usual night, as the flow does against its usual night; a usual night above
        # the flanks is not taken as normal (that is what is judged)
        usual_c = float(np.nanmedian(r_c_any)) if np.isfinite(r_c_any).any() else 1.0
        if usual_c < 1.0:
            r_rel = r_c / usual_c
            rises[f] |= (r_rel >= p.night_conc_ratio) & (r_rel * q_rel >= p.night_load_ratio)
        # the rise in the pollutant's own scatter from hour to hour (its analyser's noise and its load's wander);
        # only asked of a pollutant that rose on enough nights
        rise_z[f] = np.full(nd, np.nan)
        if rises[f].sum() >= p.night_min_nights:
            dc = np.diff(c)[(np.diff(secs) == _HOUR) & np.isfinite(np.diff(c))]
            sigma = 1.4826 * float(np.median(np.abs(dc - np.median(dc)))) / np.sqrt(2.0) if len(dc) >= 24 else 0.0
            if sigma > 0:
                rise_z[f] = np.where(flanked, (c_night - c_side) / sigma, np.nan)
    return _Nights(days, r_q, q_rel, ratios, rises, rise_z, flow.factor, start_h, end_h, flank)


@detector("night_load", codes=[RULE_NIGHT_LOAD.code])
def detect_night_load(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Wastewater: several pollutants' night load above the same night's evening and morning, night after night.

    Hourly valid values of running hours, local time. The night is ``night_start_hour`` to
    ``night_end_hour`` of ``cfg.patterns``; its *flanks* are the ``night_flank_hours`` before and after
    it. For each night and pollutant: ``r_c`` = median night concentration / median flank concentration,
    ``r_q`` the same for the flow, and the load ratio ``r_c · r_q / median(r_q)``: the flow ratio is taken
    against the plant's usual one over its nights (a plant whose night shift is heavier has a high ``r_q``
    every night; that is its normal). A pollutant rises on a night when ``r_c ≥ night_conc_ratio`` and the
    load ratio ``≥ night_load_ratio``; on a plant whose usual night concentration is *below* its flanks
    (median ``r_c`` over the nights < 1: effluent following a day-shift influent hours later, night after
    night) ``r_c`` is also taken against that usual night, as the flow is: a night at the flanks' level is a
    rise for that plant (issue 13: a ×1.42 discharge on a batch-stop plant read ×1.24 against the flanks). Only
    nights with both flanks are judged (``night_min_hours // 2`` hours each): the first night of the data
    has no evening, a night before a stop no morning, and a ratio against one flank is the day's drift;
    every night with data still tells the usual ratios. A finding when some pollutant rises on ``night_min_nights`` nights
    and, on at least one of them, ``night_min_pollutants`` pollutants rise together (the same rise night
    after night, and more than one analyser seeing it), or when one pollutant rises on ``night_min_nights``
    nights by at least ``night_single_z`` robust σ of its own hour-to-hour changes on each (a rise far beyond
    its analyser's wander; the other pollutants may sit near their detection limit, too coarse to show it);
    it names the pollutants that qualify and the nights on which they rose.

    Honest plants: municipal night flow is low (load ratio < 1); a night shift raises the flow but the
    treated concentration stays (r_c ≈ 1); one analyser's wander (a pollutant near its detection limit)
    moves one pollutant, not several on several nights.
    """
    nt = _nights(data, cfg)
    if nt is None or not nt.rises:
        return []
    p = cfg.signs
    days, r_q, q_rel, ratios, rises = nt.days, nt.r_q, nt.q_rel, nt.ratios, nt.rises
    start_h, end_h, flank = nt.start_h, nt.end_h, nt.flank
    count = np.sum([v for v in rises.values()], axis=0)
    several = count >= p.night_min_pollutants
    # a pollutant whose load rose on several nights, on one of them with others beside it: the same rise
    # night after night, and more than one analyser seeing it; or one whose rise stood far outside its own
    # analyser's scatter on each of those nights (a pollutant near its detection limit, the second witness,
    # cannot resolve a rise that a well-resolved one shows plainly)
    strong = {f: v & (np.nan_to_num(nt.rise_z[f], nan=-np.inf) >= p.night_single_z) for f, v in rises.items()}
    risen = sorted(f for f, v in rises.items() if v.sum() >= p.night_min_nights
                   and ((v & several).any() or strong[f].sum() >= p.night_min_nights))
    if not risen:
        return []
    marked = np.flatnonzero(np.any([rises[f] for f in risen], axis=0))
    night_start = [_night_start(days[k], start_h, data.tz) for k in marked]
    start = night_start[0]
    end = _night_start(days[marked[-1]], start_h, data.tz) + timedelta(hours=(end_h - start_h) % 24)
    flow_name = nt.flow
    per = "; ".join(
        f"{_local(night_start[j], data.tz)[:10]}: flow ×{_num(float(r_q[k]))}, "
        + ", ".join(f"{f} ×{_num(float(ratios[f][k]))}" for f in risen if rises[f][k])
        for j, k in enumerate(marked))
    expl = (f"At point {data.point}, on {len(marked)} nights ({start_h:02d}:00–{end_h:02d}:00 {data.tz}) the "
            f"concentrations of {', '.join(risen)} and the flow rose together against the same night's evening "
            f"and morning ({per}): the pollutant load discharged at night rose, which treated effluent does not "
            f"do (its concentration follows the influent hours later and smoothly); untreated discharge at "
            f"night shows this way.")
    alone = [f for f in risen if not (rises[f] & several).any()]
    if alone:
        low = min(float(nt.rise_z[f][k]) for f in alone for k in marked if strong[f][k])
        expl += (f" {', '.join(alone)} rose alone, by at least {low:.0f} times its own hour-to-hour scatter on "
                 f"each of these nights: more than an analyser's wander.")
    ev = {"nights": [str(days[k]) for k in marked], "flow_ratio": [float(r_q[k]) for k in marked],
          "flow_ratio_to_usual_night": [float(q_rel[k]) for k in marked],
          "concentration_ratio": {f: [float(ratios[f][k]) for k in marked] for f in risen},
          "rise_sigmas": {f: [float(nt.rise_z[f][k]) for k in marked] for f in risen},
          "alone": alone,
          "unit": _unit(risen[0], data.medium),
          "settings": {k_: getattr(p, k_) for k_ in ("night_conc_ratio", "night_load_ratio",
                                                    "night_min_pollutants", "night_min_nights",
                                                    "night_flank_hours", "night_single_z")},
          "night_hours": [start_h, end_h]}
    # seen when the morning after the night that completed the evidence had passed
    completing = night_start[min(p.night_min_nights, len(marked)) - 1]
    seen = completing + timedelta(hours=(end_h - start_h) % 24 + flank)
    return [_seen(_finding(RULE_NIGHT_LOAD, data, (*risen, flow_name), start, end, expl, ev), seen)]


def _night_start(day: np.datetime64, start_h: int, tz: str):
    """Aware start of the night that begins on local ``day`` at ``start_h``."""
    from zoneinfo import ZoneInfo

    d = day.astype("datetime64[D]").item()
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)) + timedelta(hours=start_h)
