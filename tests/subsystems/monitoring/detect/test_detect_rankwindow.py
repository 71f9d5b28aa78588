"""The fast order statistics of the statistical baseline = their definitions (issue 13 item 3, speed).

:func:`window_stats` against ``numpy.median`` / ``mean`` window by window (ties, constant series, windows of
one and two values, prefixes), and :func:`score_stream` with the fast baseline against the same stream scored
with the per-window baseline (NaN rows, short series, ties): the same alarms, bit for bit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import statistical
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows, window_stats
from ecosentry.subsystems.monitoring.detect.statistical import StatisticalSettings, score_stream


def _definition(x, a, b):
    med, mad, mean_ad = [], [], []
    for i, j in zip(a.tolist(), b.tolist()):
        w = x[i:j]
        m = np.median(w)
        d = np.abs(w - m)
        med.append(m)
        mad.append(np.median(d))
        mean_ad.append(d.mean())
    return np.array(med), np.array(mad), np.array(mean_ad)


def _series(rng, kind, n):
    if kind == 0:
        return rng.normal(size=n) * 10 ** rng.uniform(-3, 4)
    if kind == 1:
        return rng.integers(0, 4, size=n).astype(float)  # many ties
    if kind == 2:
        return np.round(rng.exponential(size=n), 1)  # ties, skewed
    if kind == 3:
        return np.zeros(n)  # constant: MAD and mean deviation 0
    x = np.zeros(n)
    x[rng.integers(0, n, size=max(n // 10, 1))] = rng.uniform(1, 100)  # mostly zeros with bursts
    return x


@pytest.mark.parametrize("kind", range(5))
def test_window_stats_are_numpys_order_statistics(kind):
    rng = np.random.default_rng(40 + kind)
    for _ in range(60):
        n = int(rng.integers(1, 80))
        x = _series(rng, kind, n)
        a = rng.integers(0, n, size=40)
        b = np.minimum(n, a + rng.integers(1, n + 1, size=40))
        med, mad, mean_ad = window_stats(x, a, b)
        ref_med, ref_mad, ref_mean = _definition(x, a, b)
        assert np.array_equal(med, ref_med)
        assert np.array_equal(mad, ref_mad)
        np.testing.assert_allclose(mean_ad, ref_mean, rtol=1e-12, atol=1e-12 * max(np.abs(x).max(), 1.0))


def test_windows_of_one_and_two_values_and_prefixes():
    x = np.array([3.0, -1.0, 2.0, 2.0, 7.5, -4.0, 0.0])
    n = len(x)
    a = np.array([i for i in range(n)] + [i for i in range(n - 1)] + [0] * n)
    b = np.array([i + 1 for i in range(n)] + [i + 2 for i in range(n - 1)] + list(range(1, n + 1)))
    for got, ref in zip(window_stats(x, a, b)[:2], _definition(x, a, b)[:2]):
        assert np.array_equal(got, ref)


def test_select_gives_every_order_statistic():
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=50), 1)
    rw = RankWindows(x)
    for a, b in ((0, 50), (10, 11), (7, 33)):
        ks = np.arange(b - a)
        got = rw.select(np.full(len(ks), a), np.full(len(ks), b), ks)
        assert np.array_equal(got, np.sort(x[a:b]))


def _slow_baseline(x, window, min_history, stride=1, chunk=2048):
    """The baseline by its definition: every window partitioned on its own."""
    n = len(x)
    stride = max(int(stride), 1)
    at = np.arange(0, n, stride)
    med_at, sig_at = np.full(len(at), np.nan), np.full(len(at), np.nan)
    for k, j in enumerate(at.tolist()):
        if j >= max(min_history, 1):
            m, s = statistical._window_stats(x[None, max(0, j - window) : j])
            med_at[k], sig_at[k] = m[0], s[0]
    count_at = np.minimum(at, window)
    slot = np.arange(n) // stride
    med, sigma, count = med_at[slot], sig_at[slot], count_at[slot]
    return med, sigma, count


def _slow_stream_stats(xs, window, min_history, stride, recent):
    """:func:`statistical._stream_stats` by its definition: each window partitioned on its own."""
    out = []
    for x in xs:
        med, sigma, count = _slow_baseline(x, window, min_history, stride)
        at = np.arange(0, len(x), stride)
        got = [med[at], sigma[at], count[at]]
        for k in recent:
            m = np.full(len(x), np.nan)
            for i in range(k - 1, len(x)):
                m[i] = np.median(x[i - k + 1 : i + 1])
            got.append(m)
        out.append(tuple(got))
    return out


def _assert_same_alarms(fast, slow):
    """The same alarms; the novelty rule's ``record`` (the statistic's past maximum, from the fast σ) and the
    score it divides to 1e-12."""
    assert [replace(a, record=None, score=0.0) for a in fast] == [replace(a, record=None, score=0.0) for a in slow]
    for field in ("record", "score"):
        np.testing.assert_allclose([getattr(a, field) for a in fast], [getattr(a, field) for a in slow], rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_score_stream_alarms_equal_those_of_the_per_window_baseline(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    cfg = StatisticalSettings(window=200, min_history=24, baseline_stride=3, refractory=40, min_values=10)
    n = int(rng.integers(30, 1500))
    x = _series(rng, seed % 5, n) + rng.normal(size=n) * (seed % 2)
    x[rng.integers(0, n, size=n // 20)] = np.nan  # rows without a value are skipped
    if n > 600:
        x[500:] += 8.0  # a level shift
        x[300] += 40.0  # a spike
    times = np.datetime64("2026-01-01T00:00:00") + np.arange(n) * np.timedelta64(60, "s")
    fast = score_stream(x, cfg, times=times)
    monkeypatch.setattr(statistical, "_stream_stats", _slow_stream_stats)
    slow = score_stream(x, cfg, times=times)
    _assert_same_alarms(fast.alarms, slow.alarms)
    np.testing.assert_allclose(fast.scores, slow.scores, rtol=1e-12)


def test_short_series_have_no_scores():
    cfg = StatisticalSettings(min_history=48)
    for n in (0, 1, 2, 48):
        assert score_stream(np.arange(n, dtype=float), cfg).alarms == []


def test_the_comparison_has_alarms_of_every_kind_to_compare(monkeypatch):
    rng = np.random.default_rng(11)
    # the novelty rule off: after the spike, the level shift would not be news (test_detect_novelty.py)
    cfg = StatisticalSettings(window=200, min_history=24, baseline_stride=3, refractory=40, min_values=10,
                              spike_novelty=None, shift_novelty=None, variance_novelty=None, seasonal_novelty=None)
    x = rng.normal(size=1500)
    x[300] += 40.0
    x[600:] += 8.0
    x[1000:1100] += rng.normal(size=100) * 30.0
    x[rng.integers(0, 1500, size=60)] = np.nan
    fast = score_stream(x, cfg)
    monkeypatch.setattr(statistical, "_stream_stats", _slow_stream_stats)
    slow = score_stream(x, cfg)
    assert {a.kind for a in fast.alarms} >= {"spike", "level_shift", "variance"}
    _assert_same_alarms(fast.alarms, slow.alarms)


@pytest.mark.parametrize("kind", range(5))
def test_window_sigma_is_the_larger_of_the_two_spreads(kind):
    from ecosentry.subsystems.monitoring.detect.rankwindow import window_sigma

    rng = np.random.default_rng(70 + kind)
    for _ in range(40):
        n = int(rng.integers(1, 120))
        x = _series(rng, kind, n)
        if kind == 0 and n > 10:
            x[: n // 2] *= 5.0  # two spreads in one window: either term may win
        a = rng.integers(0, n, size=40)
        b = np.minimum(n, a + rng.integers(1, n + 1, size=40))
        med, sigma = window_sigma(x, a, b, statistical._MAD_TO_SIGMA, statistical._MEAN_AD_TO_SIGMA)
        ref_med, ref_mad, ref_mean = _definition(x, a, b)
        ref = np.maximum(statistical._MAD_TO_SIGMA * ref_mad, statistical._MEAN_AD_TO_SIGMA * ref_mean)
        assert np.array_equal(med, ref_med)
        np.testing.assert_allclose(sigma, ref, rtol=1e-12, atol=1e-12 * max(np.abs(x).max(), 1.0))
