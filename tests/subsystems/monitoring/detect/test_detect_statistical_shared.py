"""The seventh round's paths of the statistical detector (issue 13 item 3) against their definitions.

* the median's walk gives the count and sum below it (``RankWindows.select_below``; ``_median_below``): the
  numbers of ``median_of`` then ``count_below``, bit for bit, on ties, signed zeros, one value, even and odd
  windows;
* ``_median`` and ``_row_medians`` (the definition of a reported σ): ``numpy.median``'s numbers (``NaN`` with a
  ``NaN``), by one partition;
* the variance test's screen: a window's mean absolute deviation from its median is at most half its range;
* the other channels' values for the load check taken once per point: those of the per-factor lookup, on
  one clock and on clocks that differ;
* the lazy path keeps each series' statistics between its rounds (``_SeriesStatistics``) and finishes in its first
  batch every row that may hold an alarm's novelty record (``_next_min``): the alarms of the
  eager path on settings that make the σ by the definition floor to the same σ, and on short series.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import statistical
from ecosentry.subsystems.monitoring.detect.model import PointData, Series
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows, _median_below, median_of
from ecosentry.subsystems.monitoring.detect.statistical import StatisticalSettings

T0 = np.datetime64("2026-10-01T00:00:00", "s")


def _values(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(50.0, 3.0, n)
    if kind == "ties":
        return rng.integers(0, 7, n).astype(float) / 4.0
    if kind == "signed-zeros":
        return rng.choice([-0.0, 0.0, 1.5, -2.0], n)
    if kind == "zeros-and-bursts":
        x = np.zeros(n)
        x[rng.integers(0, n, n // 10)] = rng.uniform(1, 100, n // 10)
        return x
    return rng.normal(size=n) * 10.0 ** rng.uniform(-3, 4, n)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.longdouble:
        return bool(np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b)))
    return bool(np.array_equal(a.astype(np.float64).view(np.int64), b.astype(np.float64).view(np.int64)))


@pytest.mark.parametrize("kind", ["normal", "ties", "signed-zeros", "zeros-and-bursts", "wide-scales"])
def test_median_walk_gives_median_of_and_count_below_bit_for_bit(kind):
    rng = np.random.default_rng(len(kind))
    n = 2500
    x = _values(kind, n, rng)
    centers = np.repeat([float(np.median(x[:1200])), float(np.median(x[1200:]))], [1200, n - 1200])
    rw = RankWindows(x, centers)
    a = rng.integers(0, n - 1, 600)
    b = np.minimum(n, a + rng.integers(1, 900, 600))
    a[:5], b[:5] = [0, 3, 7, 0, n - 1], [1, 4, 9, n, n]  # one value, two, the whole series
    med, c, below = _median_below(rw, a, b)
    want_med = median_of(rw, a, b)
    want_c, want_below = rw.count_below(a, b, want_med)
    assert _same_bits(med, want_med)
    assert np.array_equal(c, want_c)
    assert _same_bits(below, want_below)
    assert np.array_equal(med, [np.median(x[i:j]) for i, j in zip(a, b)])  # (a signed zero may differ)


def test_select_below_is_select_and_count_below_at_its_answer():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 40, 3000).astype(float) / 8.0
    rw = RankWindows(x)
    a = rng.integers(0, 2000, 500)
    b = a + rng.integers(1, 1000, 500)
    k = (rng.random(500) * (b - a)).astype(np.int64)
    value, symbol, count, total, after = rw.select_below(a, b, k)
    assert _same_bits(value, rw.select(a, b, k))
    assert np.array_equal(rw.distinct[symbol], value)
    want_count, want_total = rw.count_below(a, b, value)
    assert np.array_equal(count, want_count)
    assert _same_bits(total, want_total)
    # the values equal to the answer that rank after it
    for i, j, kk, got in zip(a[:60], b[:60], k[:60], after[:60]):
        w = np.sort(x[i:j])
        assert got == int((w[kk + 1 :] == w[kk]).sum())


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, 7, 2016, 2017])
def test_median_is_numpy_median(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        x = np.round(rng.normal(size=n), int(rng.integers(0, 3)))
        want = np.median(x) if n else np.nan
        got = statistical._median(x)
        assert got == want or (np.isnan(got) and np.isnan(want))
        if n:
            x[rng.integers(0, n)] = np.nan
            assert np.isnan(statistical._median(x))


def test_mean_absolute_deviation_from_the_median_is_at_most_half_the_range():
    """The variance test's screen: rows it leaves out cannot reach the floor."""
    rng = np.random.default_rng(9)
    for v in (2, 3, 24, 25):
        w = np.round(rng.normal(size=(5000, v)) * rng.uniform(0.01, 100, (5000, 1)), int(rng.integers(0, 4)))
        spread = np.abs(w - np.median(w, axis=1)[:, None]).mean(axis=1)
        half_range = (w.max(axis=1) - w.min(axis=1)) / 2.0
        assert np.all(spread <= half_range * (1.0 + 1e-9))


def _old_aligned(data, factor, times):
    """The per-factor lookup the load check read before (each channel's valid values taken again)."""
    out = {}
    for other in data.factors():
        if other == factor:
            continue
        s = statistical._series_for(data, other)
        if s is None or not len(s):
            continue
        ok = statistical.valid_mask(s)
        t, v = s.times[ok], s.values[ok]
        if len(t) == len(times) and np.array_equal(t, times) and bool((t[1:] > t[:-1]).all()):
            out[other] = v.astype(np.float64, copy=True)
            continue
        idx = np.clip(np.searchsorted(t, times), 0, max(len(t) - 1, 0))
        vals = np.full(len(times), np.nan)
        if len(t):
            hit = t[idx] == times
            vals[hit] = v[idx[hit]]
        out[other] = vals
    return out


def test_channels_taken_once_per_point_are_the_per_factor_lookup():
    rng = np.random.default_rng(2)
    n = 500
    t = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    late = t + np.timedelta64(30, "s")
    gappy = np.delete(t, rng.choice(n, 40, replace=False))
    values = {"a21026": rng.normal(30, 1, n), "a19001": rng.normal(8, 0.2, n),
              "a00000": rng.normal(100, 5, len(gappy)), "a01011": rng.normal(10, 1, n)}
    values["a21026"][rng.choice(n, 20, replace=False)] = np.nan
    minutes = {"a21026": Series("a21026", t, values["a21026"]), "a19001": Series("a19001", late, values["a19001"]),
               "a00000": Series("a00000", gappy, values["a00000"]), "a01011": Series("a01011", t, values["a01011"]),
               "a34013": Series("a34013", t[:0], np.zeros(0))}
    data = PointData(point="P1", medium="gas", minutes=minutes)
    channels = statistical._valid_channels(data)
    for factor in ("a21026", "a19001", "a00000", "a01011"):
        s = minutes[factor]
        times = s.times[statistical.valid_mask(s)]
        got, want = statistical._aligned(channels, factor, times), _old_aligned(data, factor, times)
        assert list(got) == list(want)
        for k in want:
            assert np.array_equal(got[k], want[k], equal_nan=True)


def _eager(analysed, st, monkeypatch):
    finite = [x[np.isfinite(x)] for _, _, _, x in analysed]
    monkeypatch.setattr(statistical, "_lazy_sigma_ok", lambda _st: False)
    out = statistical._alarms_of(analysed, finite, st)
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("settings", [{"min_sigma_fraction": 0.5}, {"min_values": 10, "min_history": 48},
                                      {"baseline_stride": 1, "window": 300}, {"shift_samples": 1}])
def test_shared_statistics_give_the_eager_alarms(settings, monkeypatch):
    """σ mostly at the floor (the definition's σ floors to the same σ: no second scoring), a series shorter
    than the history, a baseline recomputed at every row, a one-sample shift test."""
    rng = np.random.default_rng(len(str(settings)))
    n = 4000
    times = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    analysed = []
    for kind in ("spikes", "steps", "short"):
        x = 20 + rng.normal(0, 0.5, n)
        if kind == "spikes":
            x[rng.choice(n, 15, replace=False)] += rng.uniform(8, 200, 15)
        elif kind == "steps":
            x[n // 3 :] += 25
            x[2 * n // 3 :] -= 40
        else:
            x[40:] = np.nan  # 40 values: fewer than the history
        analysed.append((kind, None, times, x))
    st = StatisticalSettings(**settings)
    finite = [x[np.isfinite(x)] for _, _, _, x in analysed]
    lazy = statistical._alarms_of(analysed, finite, st)
    eager = _eager(analysed, st, monkeypatch)
    assert sum(len(r.alarms) for r in eager) > 0
    assert [repr(r.alarms) for r in lazy] == [repr(r.alarms) for r in eager]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 48, 2015, 2016])
def test_row_medians_and_the_definition_are_numpys(n):
    """``_window_stats`` (the definition a reported σ is taken by) with ``_row_medians``: numpy's numbers."""
    rng = np.random.default_rng(n)
    for _ in range(10):
        w = np.round(rng.normal(size=(5, n)) * rng.uniform(0.1, 100), int(rng.integers(0, 3)))
        if rng.random() < 0.3:
            w[rng.integers(0, 5), rng.integers(0, n)] = np.nan
        assert np.array_equal(statistical._row_medians(w.copy()), np.median(w, axis=1), equal_nan=True)
        med, sigma = statistical._window_stats(w.copy())
        dev = np.abs(w - np.median(w, axis=1)[:, None])
        want = np.maximum(1.4826 * np.median(dev, axis=1), statistical._MEAN_AD_TO_SIGMA * dev.mean(axis=1))
        assert np.array_equal(med, np.median(w, axis=1), equal_nan=True)
        assert np.array_equal(sigma, want, equal_nan=True)


def test_next_min_is_the_minimum_of_the_rows_after():
    rng = np.random.default_rng(12)
    for n in (0, 1, 2, 7, 300):
        for w in (1, 2, 5, 64, 500):
            a = rng.uniform(0, 10, n)
            a[rng.random(n) < 0.3] = np.inf
            want = [min(a[i + 1 : i + 1 + w], default=np.inf) for i in range(n)]
            assert np.array_equal(statistical._next_min(a, w), want)


@pytest.mark.parametrize("seed", [1, 2])
def test_rows_that_may_hold_a_record_leave_no_record_unsure(seed, monkeypatch):
    """The probe finishes every row whose statistic may be an alarm's novelty record (each statistic falls
    to at least _RECORD_RATIO of its lower-bound value): no alarm's record is left to a second round."""
    rng = np.random.default_rng(seed)
    n = 6000
    times = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    analysed = []
    for level, noise, bursts in ((50, 1.0, 0), (20, 0.5, 12), (30, 0.4, 5), (1.2, 0.15, 20)):
        x = level + rng.normal(0, noise, n)
        for at in rng.choice(n - 60, bursts, replace=False):
            x[at : at + int(rng.integers(1, 60))] += rng.normal(0, 8 * noise, 1) + rng.uniform(3, 20) * noise
        analysed.append(("x", None, times, np.round(x, 1)))
    unsure = []
    plain = statistical._record_slots

    def watched(*args, **kwargs):
        got = plain(*args, **kwargs)
        unsure.append(len(got))
        return got

    monkeypatch.setattr(statistical, "_record_slots", watched)
    finite = [x[np.isfinite(x)] for _, _, _, x in analysed]
    lazy = statistical._alarms_of(analysed, finite, StatisticalSettings())
    assert unsure and not any(unsure)
    monkeypatch.undo()
    eager = _eager(analysed, StatisticalSettings(), monkeypatch)
    assert sum(len(r.alarms) for r in eager) > 0
    assert [repr(r.alarms) for r in lazy] == [repr(r.alarms) for r in eager]
