"""The statistical detector's σ finished only where an alarm may read it (issue 13 item 3, sixth round).

``_alarms_of`` first takes every baseline's σ as its lower bound (the mean absolute deviation term), finishes
the MAD term only for the slots an alarm may depend on (``_alarm_slots``), then for the slots an alarm's
novelty record may come from (``_record_slots``). The alarms, every number of each alarm and its record must
be those of every σ finished (the eager path), on series that make each test alarm, with and without the
novelty rule, with σ at the floor, with constant stretches and with the seasonal test.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import statistical
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows, sigma_from_center, window_center
from ecosentry.subsystems.monitoring.detect.statistical import StatisticalSettings

T0 = np.datetime64("2026-10-01T00:00:00", "s")


def _series(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n)
    if kind == "noise":
        return 50 + rng.normal(0, 1, n)
    if kind == "load":  # load following: ramps and steps, several a day
        level = 40 + 15 * np.sin(2 * np.pi * t / 1440) + 8 * np.floor(np.sin(2 * np.pi * t / 333) * 2)
        return level + rng.normal(0, 0.6, n)
    if kind == "spikes":
        x = 20 + rng.normal(0, 0.5, n)
        x[rng.choice(n, 12, replace=False)] += rng.choice([-1, 1], 12) * rng.uniform(5, 30, 12)
        return x
    if kind == "variance":
        x = 30 + rng.normal(0, 0.4, n)
        for a in rng.choice(n - 60, 5, replace=False):
            x[a : a + 60] += rng.normal(0, 5, 60)
        return x
    if kind == "quantised":  # readings near a detection limit: many ties, σ often at the floor
        return np.round(np.abs(1.2 + rng.normal(0, 0.15, n)), 1)
    if kind == "constant":
        x = 12 + rng.normal(0, 0.3, n)
        x[n // 3 : n // 3 + 400] = 12.5
        x[2 * n // 3 :] += 4
        return x
    raise ValueError(kind)


def _alarm_rows(results):
    # repr: NaN records compare equal as text; every field of every alarm
    return [repr(r.alarms) for r in results]


def _both(analysed, st, monkeypatch):
    finite = [x[np.isfinite(x)] for _, _, _, x in analysed]
    lazy = statistical._alarms_of(analysed, finite, st)
    monkeypatch.setattr(statistical, "_lazy_sigma_ok", lambda _st: False)
    eager = statistical._alarms_of(analysed, finite, st)
    monkeypatch.undo()
    return lazy, eager


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("settings", [
    {},
    {"shift_novelty": None, "spike_novelty": None, "seasonal_novelty": None},
    {"shift_novelty": 0.2, "spike_novelty": 2.0},
    {"variance_novelty": 0.5},
    {"min_sigma_fraction": 0.2},
    {"min_sigma_fraction": 0.0},
    {"refractory": 5, "refractory_hours": None},
])
def test_lazy_sigma_gives_the_eager_alarms(seed, settings, monkeypatch):
    rng = np.random.default_rng(seed)
    n = 6000
    times = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    analysed = []
    for kind in ("noise", "load", "spikes", "variance", "quantised", "constant"):
        x = _series(kind, n, rng)
        x[rng.choice(n, 30, replace=False)] = np.nan  # rows without a value
        analysed.append((kind, None, times, x))
    st = StatisticalSettings(**settings)
    lazy, eager = _both(analysed, st, monkeypatch)
    assert sum(len(r.alarms) for r in eager) > 0
    assert _alarm_rows(lazy) == _alarm_rows(eager)


def test_lazy_sigma_with_the_seasonal_test(monkeypatch):
    """Eight days of minute data: the seasonal test runs (its statistic is taken once, in the probe)."""
    rng = np.random.default_rng(11)
    n = 8 * 1440
    times = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    day = 30 + 10 * np.sin(2 * np.pi * np.arange(n) / 1440)
    x = day + rng.normal(0, 0.5, n)
    x[7 * 1440 + 300 : 7 * 1440 + 420] += 6  # departs from yesterday and last week
    y = _series("load", n, rng)
    analysed = [("a", None, times, x), ("b", None, times, y)]
    lazy, eager = _both(analysed, StatisticalSettings(), monkeypatch)
    assert any(a.kind == "seasonal" for r in eager for a in r.alarms)
    assert _alarm_rows(lazy) == _alarm_rows(eager)


def test_lazy_sigma_on_the_detector(monkeypatch):
    """The whole detector on a point: the same findings, lazy or eager."""
    from ecosentry.subsystems.monitoring.detect.model import PointData, Series

    rng = np.random.default_rng(5)
    n = 5 * 1440
    times = T0 + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    minutes = {f: Series(f, times, _series(kind, n, rng)) for f, kind in
               (("a21026", "load"), ("a21002", "spikes"), ("a34013", "variance"), ("a01011", "noise"))}
    data = PointData(point="P1", medium="gas", minutes=minutes)
    cfg = type("Cfg", (), {"statistical": StatisticalSettings()})()
    lazy = statistical.detect_statistical(data, cfg)
    monkeypatch.setattr(statistical, "_lazy_sigma_ok", lambda _st: False)
    eager = statistical.detect_statistical(data, cfg)
    assert lazy and [f.to_json() for f in lazy] == [f.to_json() for f in eager]


def test_sigma_in_two_halves_is_window_sigma():
    """window_center then sigma_from_center on any subset of the windows: window_sigma's numbers."""
    from ecosentry.subsystems.monitoring.detect.rankwindow import window_sigma

    rng = np.random.default_rng(3)
    x = np.round(rng.normal(10, 2, 3000), 1)
    b = np.arange(50, 3000, 7)
    a = np.maximum(b - 400, 0)
    rw = RankWindows(x)
    med, sig = window_sigma(x, a, b, 1.4826, 1.2533, rw)
    m2, c, mean_ad = window_center(x, a, b, rw)
    assert np.array_equal(med, m2)
    some = rng.choice(len(a), len(a) // 3, replace=False)
    got = sigma_from_center(rw, a[some], b[some], m2[some], c[some], mean_ad[some], 1.4826, 1.2533)
    assert np.array_equal(got, sig[some])
    # the lower bound the lazy path starts from
    assert np.all(1.2533 * mean_ad <= sig)
