"""The statistical detector's fifth-round speed paths (issue 13 item 3) against their definitions.

* alarms only (``score_stream(..., all_scores=False)``): the same alarms, numbers and records as scoring every
  row, on noise, level shifts, spikes, variance bursts, constant stretches, with and without times and the
  novelty rule;
* the past maxima by doubling (:func:`past_max`, :func:`past_max_at`), the window extremes, the refractory
  rule by search, and the alarms' exact σ in one call per window length, against loops;
* the load check stopping at the first load channel that explains a shift: the same verdict.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import statistical
from ecosentry.subsystems.monitoring.detect.statistical import (
    StatisticalSettings,
    load_explains_shift,
    past_max,
    past_max_at,
    score_stream,
)

T0 = np.datetime64("2026-10-01T00:00:00", "s")


def _times(n, step_s):
    return T0 + (np.arange(n, dtype=np.int64) * step_s).astype("timedelta64[s]")


def _loop_past_max(a, window):
    a = np.where(np.isfinite(a), a, 0.0)
    out = np.zeros(len(a))
    for i in range(1, len(a)):
        out[i] = max(0.0, float(a[max(0, i - window) : i].max()))
    return out


@pytest.mark.parametrize("n, window", [(0, 5), (1, 5), (2, 1), (50, 200), (300, 7), (300, 64), (1000, 100)])
def test_past_max_and_past_max_at_are_the_loop(n, window):
    rng = np.random.default_rng(n + window)
    a = np.abs(rng.standard_normal(n)) * 3
    if n > 10:
        a[rng.integers(0, n, 5)] = np.nan
        a[3:8] = 0.0
    want = _loop_past_max(a, window)
    np.testing.assert_array_equal(past_max(a, window), want)
    clean = np.where(np.isfinite(a), a, 0.0)
    for rows in (np.arange(n), np.unique(rng.integers(0, max(n, 1), 3)) if n else np.arange(0)):
        np.testing.assert_array_equal(past_max_at(clean, rows, window), want[rows])


@pytest.mark.parametrize("k", [1, 2, 5, 6, 24, 33])
def test_window_extremes_are_the_sliding_max_and_min(k):
    x = np.random.default_rng(k).normal(size=400).round(1)
    hi, lo = statistical._window_extremes(x, k)
    w = np.lib.stride_tricks.sliding_window_view(x, k)
    np.testing.assert_array_equal(hi, w.max(axis=1))
    np.testing.assert_array_equal(lo, w.min(axis=1))


def _loop_refractory(candidates, samples, secs, quiet_s):
    fired, last, last_j = [], None, None
    for j, i in enumerate(candidates):
        if last is not None and i - last < samples and (secs is None or secs[j] - secs[last_j] < quiet_s):
            continue
        fired.append(int(i))
        last, last_j = int(i), j
    return fired


@pytest.mark.parametrize("seed", range(6))
def test_refractory_by_search_is_the_loop(seed):
    rng = np.random.default_rng(seed)
    candidates = np.unique(rng.integers(0, 5000, rng.integers(0, 600)))
    secs = np.cumsum(rng.integers(30, 400, 5000))[candidates]
    for samples, with_secs, quiet in ((200, False, None), (200, True, 16 * 3600.0), (5, True, 60.0), (1, False, None)):
        s = secs if with_secs else None
        assert statistical._refractory(candidates, samples, s, quiet) == _loop_refractory(candidates, samples, s, quiet)


def _series(kind, n=6000, seed=0):
    rng = np.random.default_rng(seed)
    x = 20 + rng.normal(0, 1, n).round(2)
    if kind == "shifts":
        for at in range(1500, n, 900):
            x[at:] += rng.choice([-6, 6])
    elif kind == "spikes":
        x[rng.integers(300, n, 25)] += rng.choice([-40, 40, 15], 25)
    elif kind == "variance":
        x[3000:3300] += rng.normal(0, 12, 300)
    elif kind == "flat":
        x[2000:2600] = 20.0
        x[4000:] = 0.0
    elif kind == "nan":
        x[rng.integers(0, n, 300)] = np.nan
        x[2500:] += 8
    return x


def _same(a, b):
    """Alarms equal field by field (a record of NaN, the novelty rule off, equals NaN)."""
    def key(alarms):
        return [tuple("nan" if isinstance(v, float) and np.isnan(v) else v for v in vars(x).values()) for x in alarms]

    return key(a) == key(b)


@pytest.mark.parametrize("kind", ["shifts", "spikes", "variance", "flat", "nan"])
@pytest.mark.parametrize("step_s", [None, 60, 300])
@pytest.mark.parametrize("novelty", [True, False])
def test_alarms_only_gives_the_same_alarms_as_every_score(kind, step_s, novelty):
    x = _series(kind, seed=len(kind))
    cfg = StatisticalSettings(window=1000, min_history=48, refractory=100)
    if not novelty:
        cfg = cfg.model_copy(update={"spike_novelty": None, "shift_novelty": None, "seasonal_novelty": None})
    times = None if step_s is None else _times(len(x), step_s)
    full = score_stream(x, cfg, times=times)
    fast = score_stream(x, cfg, times=times, all_scores=False)
    assert fast.scores is None
    assert _same(fast.alarms, full.alarms)
    if kind in ("shifts", "spikes", "variance"):
        assert full.alarms  # the comparison compares something


def test_alarms_only_with_a_week_of_minute_data_and_the_seasonal_test():
    n = 8 * 1440
    t = _times(n, 60)
    day = np.sin(np.arange(n) * 2 * np.pi / 1440)
    x = 30 + 10 * day + np.random.default_rng(4).normal(0, 0.5, n)
    x[7 * 1440 + 600 : 7 * 1440 + 900] = 30.0  # the daily peak missing on the last day
    cfg = StatisticalSettings()
    full = score_stream(x, cfg, times=t)
    assert _same(full.alarms, score_stream(x, cfg, times=t, all_scores=False).alarms)


def test_exact_sigma_in_one_call_is_each_window_partitioned():
    rng = np.random.default_rng(9)
    x = (rng.normal(0, 3, 5000) + 40).round(1)
    rows = np.unique(rng.integers(1, 5000, 120))
    for stride, window in ((6, 2016), (30, 2016), (1, 50)):
        got = statistical._exact_sigma(x, rows, window, stride)
        for r, g in zip(rows.tolist(), got.tolist()):
            j = stride * (r // stride)
            if j == 0:
                continue
            assert g == statistical._window_stats(x[None, max(0, j - window) : j])[1][0]


@pytest.mark.parametrize("seed", range(8))
def test_load_check_stopping_at_the_first_load_channel_gives_the_same_verdict(seed):
    rng = np.random.default_rng(seed)
    n, n_base = 400, 300
    load = np.r_[np.full(n_base, 50.0), np.full(n - n_base, 50.0 + rng.choice([0.0, 30.0]))] + rng.normal(0, 1, n)
    y = 0.4 * load + rng.normal(0, 0.5, n) + np.r_[np.zeros(n_base), np.full(n - n_base, rng.choice([0.0, 8.0]))]
    channels = {"flow": load * 100, "velocity": load / 5 + rng.normal(0, 0.2, n), "o2": 21 - load / 10,
                "temperature": 120 + rng.normal(0, 1, n)}
    cfg = StatisticalSettings()
    full = load_explains_shift(y, channels, n_base, cfg)
    first = load_explains_shift(y, channels, n_base, cfg, first_load=True)
    assert first.explained == full.explained
    if not full.explained:
        assert first == full  # an unexplained shift's evidence is complete


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 7, 8, 9, 24])
def test_recent_median_is_numpy_median_of_each_window(k):
    rng = np.random.default_rng(k)
    for x in (rng.normal(size=500), rng.integers(0, 4, 500).astype(float), np.r_[rng.normal(size=50), -0.0, 0.0, -0.0],
              np.full(20, 3.5), rng.normal(size=k)):
        got = statistical._recent_median(x, k)
        want = np.full(len(x), np.nan)
        for i in range(k - 1, len(x)):
            want[i] = np.median(x[i - k + 1 : i + 1])
        np.testing.assert_array_equal(got, want)
        if k > len(x):
            continue
        # bit for bit the sort of each window it replaced (the sign of a zero median included)
        before = statistical._sorted_median(np.sort(np.lib.stride_tricks.sliding_window_view(x, k), axis=1))
        assert np.array_equal(got[k - 1 :].view(np.int64), before.view(np.int64))


def test_the_sorting_network_sorts_every_order_of_six():
    from itertools import permutations

    perms = np.array(list(permutations(range(6))), dtype=float)
    flat = np.concatenate([np.r_[p, np.zeros(0)] for p in perms])  # windows at every 6th start are the perms
    cols = statistical._window_columns_sorted(flat, 6)
    starts = np.arange(0, len(flat) - 5, 6)
    for r in range(6):
        assert (cols[r][starts] == r).all()
