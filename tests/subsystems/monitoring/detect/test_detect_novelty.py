"""Novelty rule and time-capped refractory period of the statistical detector (issue 13 item 4, NAB score).

A test alarms only beyond a multiple of its own largest value over the past ``window`` samples: what the
series did last week is not news. The refractory period ends after ``refractory`` samples or
``refractory_hours``, whichever comes first, so an hourly series is not silenced for 8 days.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect.model import PointData, Series
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.detect.statistical import (
    CODES,
    StatisticalSettings,
    detect_statistical,
    past_max,
    score_stream,
)

CFG = StatisticalSettings()
OFF = StatisticalSettings(spike_novelty=None, shift_novelty=None, variance_novelty=None, seasonal_novelty=None)
T0 = np.datetime64("2026-03-02T00:00:00", "s")


def _noise(n, seed=1, level=10.0, sd=0.5):
    return level + sd * np.random.default_rng(seed).standard_normal(n)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 100])
@pytest.mark.parametrize("window", [1, 2, 5, 16, 250])
def test_past_max_is_the_maximum_of_the_previous_window_rows(n, window):
    a = np.random.default_rng(n * 31 + window).random(n) * 10
    a[::7] = np.nan  # NaN counts as 0
    clean = np.where(np.isnan(a), 0.0, a)
    expected = [clean[max(0, i - window) : i].max() if i else 0.0 for i in range(n)]
    np.testing.assert_array_equal(past_max(a, window), np.array(expected, dtype=float))


def bursts(n=2600, every=300, seed=2):
    """Noise (σ 0.5) with a burst every ``every`` samples from row 600 on: 6 units (12 σ) the first time,
    5.5 units (11 σ) the next times (no larger than the first, whatever the noise); the first stays inside
    the 2016-sample window to the end."""
    x = _noise(n, seed)
    rows = np.arange(600, n, every)
    x[rows] = 10.0 + 5.5
    x[rows[0]] = 10.0 + 6.0
    return x, rows


def test_a_burst_the_series_makes_every_day_is_not_news():
    x, rows = bursts()
    # Without the rule each burst is a 12-σ spike: one alarm per burst the refractory period lets through.
    assert len(score_stream(x, OFF).alarms) == len(rows) == 7
    # With it, only the first: after it, a 12-σ value is what this series does.
    alarms = score_stream(x, CFG).alarms
    assert [(a.index, a.kind) for a in alarms] == [(int(rows[0]), "spike")]


def test_a_larger_burst_is_news_and_says_what_it_beat():
    x, rows = bursts()
    x[2500] += 20.0  # 52 σ, far beyond the routine 12-σ bursts
    alarms = score_stream(x, CFG).alarms
    assert [a.index for a in alarms] == [int(rows[0]), 2500]
    a = alarms[1]
    assert a.kind == "spike" and 10.0 < a.record < a.statistic
    assert "the most this test had seen in the baseline window was" in a.reason()
    assert np.isnan(score_stream(x, OFF).alarms[0].record)  # rule off: nothing to beat


def test_the_rule_forgets_after_the_window():
    cfg = StatisticalSettings(window=500)
    x = _noise(4000, seed=3)
    x[1000] = 18.0  # 16 σ
    x[3000] = 18.0  # the same again, 2000 samples later: the first has left the 500-sample window
    assert [a.index for a in score_stream(x, cfg).alarms] == [1000, 3000]
    x[1300] = x[1000] - 1.0  # ... but inside it, a burst no larger than the first is not news
    assert [a.index for a in score_stream(x, cfg).alarms] == [1000, 3000]


def test_no_look_ahead_with_the_rule():
    x, _ = bursts(seed=4)
    x[2222] += 25.0
    full = score_stream(x, CFG)
    for cut in (700, 1500, 2400, 2599):
        part = score_stream(x[:cut], CFG)
        np.testing.assert_array_equal(part.scores, full.scores[:cut])
        assert part.alarms == [a for a in full.alarms if a.index < cut]


def hourly(x):
    return T0 + np.arange(len(x)) * np.timedelta64(3600, "s")


def test_refractory_period_ends_after_refractory_hours_on_an_hourly_series():
    x = _noise(1500, seed=5)
    x[[700, 730, 760]] += np.array([10.0, 20.0, 40.0])  # growing spikes 30 h apart: each is news
    times = hourly(x)
    assert [a.index for a in score_stream(x, CFG, times=times).alarms] == [700, 730, 760]
    # In samples alone (the rule before), 200 hourly samples keep the series silent for 8 days.
    by_samples = StatisticalSettings(refractory_hours=None)
    assert [a.index for a in score_stream(x, by_samples, times=times).alarms] == [700]
    # Without times, samples only.
    assert [a.index for a in score_stream(x, CFG).alarms] == [700]


def test_refractory_samples_still_come_first_on_minute_data():
    x = _noise(3000, seed=6)
    x[[1500, 1550, 1800]] += np.array([10.0, 20.0, 40.0])
    times = T0 + np.arange(len(x)) * np.timedelta64(60, "s")
    # 200 minutes end before 16 h: the 50-minute-later spike is inside the refractory period, the 300-minute
    # one is not.
    assert [a.index for a in score_stream(x, CFG, times=times).alarms] == [1500, 1800]


def test_settings_reach_the_registered_detector():
    x, rows = bursts()
    times = T0 + np.arange(len(x)) * np.timedelta64(60, "s")
    data = PointData("P1", minutes={"a21026": Series("a21026", times, x)})
    with_rule = [f for f in detect_statistical(data, DetectorSettings()) if f.code == CODES["spike"]]
    without = DetectorSettings.from_mapping({"statistical": {"spike_novelty": None}})
    assert len(with_rule) == 1 and len([f for f in detect_statistical(data, without)
                                        if f.code == CODES["spike"]]) == len(rows)
    f = with_rule[0]
    assert f.evidence["settings"]["spike_novelty"] == 1.0 and "baseline window was" in f.explanation
