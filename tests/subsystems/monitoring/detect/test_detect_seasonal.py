"""Seasonal test of the statistical detector (issue 13 item 4): a daily pattern that breaks is seen against the
same time yesterday and last week, from the past only; a pattern that holds, or a series shorter than a week,
raises nothing."""

from __future__ import annotations

import numpy as np

from ecosentry.subsystems.monitoring.detect.model import PointData, Series, to_datetime
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.detect.statistical import CODES, StatisticalSettings, detect_statistical, score_stream
from ecosentry.contracts.catalogue import RULES

CFG = StatisticalSettings()
DAY = 288  # 5-minute rows a day
T0 = np.datetime64("2026-03-02T00:00:00", "s")
#: Day 10, 04:10-07:50: the daily peak (3 units above the mean at 06:00) is missing.
FAULT = range(10 * DAY + 50, 10 * DAY + 95)


def daily(days=12, seed=3, fault=False):
    i = np.arange(days * DAY)
    x = 10.0 + 3.0 * np.sin(2 * np.pi * i / DAY) + 0.3 * np.random.default_rng(seed).standard_normal(len(i))
    if fault:
        x[list(FAULT)] = 10.0 + 0.3 * np.random.default_rng(seed + 1).standard_normal(len(FAULT))
    times = T0 + (i * 300).astype("timedelta64[s]")
    return times, x


def test_a_missing_daily_peak_is_a_seasonal_departure():
    times, x = daily(fault=True)
    alarms = score_stream(x, CFG, times=times).alarms
    seasonal = [a for a in alarms if a.kind == "seasonal"]
    assert seasonal and all(a.index in FAULT for a in seasonal), alarms
    a = seasonal[0]
    assert a.index - a.start + 1 == CFG.seasonal_samples and a.statistic > CFG.seasonal_z
    assert a.baseline > a.value + 1.0  # yesterday at this time was higher: the peak is missing
    assert "same time yesterday and last week" in a.reason()
    # the other tests alone do not see it: the values stay inside the daily range
    assert not [b for b in score_stream(x, CFG).alarms if b.index in FAULT]


def test_a_pattern_that_holds_raises_no_seasonal_alarm():
    times, x = daily()
    assert [a for a in score_stream(x, CFG, times=times).alarms if a.kind == "seasonal"] == []


def test_less_than_a_week_of_history_has_no_seasonal_test():
    times, x = daily(days=6)
    x[5 * DAY + 50 : 5 * DAY + 95] = 10.0
    assert [a for a in score_stream(x, CFG, times=times).alarms if a.kind == "seasonal"] == []


def test_switched_off_by_settings():
    times, x = daily(fault=True)
    off = StatisticalSettings(seasonal_z=None)
    assert [a for a in score_stream(x, off, times=times).alarms if a.kind == "seasonal"] == []


def test_no_look_ahead():
    times, x = daily(fault=True)
    full = score_stream(x, CFG, times=times).scores
    r = FAULT[20]
    cut = score_stream(x[: r + 1], CFG, times=times[: r + 1]).scores
    np.testing.assert_allclose(cut, full[: r + 1], equal_nan=True)


def test_finding_says_when_the_data_showed_it():
    times, x = daily(fault=True)
    data = PointData(point="P1", minutes={"a21026": Series("a21026", times, x)})
    found = [f for f in detect_statistical(data, DetectorSettings()) if f.code == CODES["seasonal"]]
    assert found and found[0].severity == "info" and RULES[CODES["seasonal"]].severity == "info"
    f = found[0]
    assert f.start < f.detected_at == f.end and f.detected_at in {to_datetime(times[i]) for i in FAULT}
    assert f.evidence["kind"] == "seasonal"
