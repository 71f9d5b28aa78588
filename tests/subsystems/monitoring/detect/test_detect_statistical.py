"""Statistical detector (ecosentry.subsystems.monitoring.detect.statistical): what fires, what stays quiet, causality, NaN."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect.model import DETECTORS, PointData, Series
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.detect.statistical import (
    CODES,
    LOAD_SHIFT_CODE,
    StatisticalSettings,
    detect_statistical,
    score_stream,
)
from ecosentry.contracts.catalogue import RULES

CFG = StatisticalSettings()


def _noise(n=4000, level=10.0, sd=0.5, seed=1):
    return level + sd * np.random.default_rng(seed).standard_normal(n)


def test_spike_fires_with_the_numbers():
    x = _noise()
    x[3000] += 20.0  # 40 σ
    alarms = score_stream(x, CFG).alarms
    assert [(a.index, a.kind) for a in alarms] == [(3000, "spike")]
    a = alarms[0]
    assert a.statistic > 30 and a.baseline == pytest.approx(10.0, abs=0.1)
    text = a.reason("7 d")
    assert text.startswith(f"value {x[3000]:.4g} is ") and "robust σ above the median" in text and "past 7 d" in text


def test_level_shift_fires_within_the_shift_samples():
    x = _noise()
    x[3000:] += 2.5  # 5 σ: below spike_z = 8, above shift_z = 3 once most of the last 6 samples moved
    alarms = score_stream(x, CFG).alarms
    assert alarms, "level shift not detected"
    a = alarms[0]
    assert a.kind == "level_shift" and 3000 <= a.index < 3000 + CFG.shift_samples
    text = a.reason()
    assert text.startswith("level shift: median ") and "of the last 6 samples (+" in text


def test_variance_change_fires():
    rng = np.random.default_rng(7)
    x = 10.0 + 0.5 * rng.standard_normal(4000)
    x[3000:] = 10.0 + 5.0 * rng.standard_normal(1000)  # spread × 10
    # With the defaults some alarm comes within a few samples (large excursions are spikes too) ...
    first = score_stream(x, CFG).alarms[0]
    assert 3000 <= first.index < 3000 + CFG.variance_samples
    # ... and the variance test alone catches it once its window has seen the noisier samples.
    only_variance = StatisticalSettings(spike_z=1e9, shift_z=1e9)
    a = score_stream(x, only_variance).alarms[0]
    assert a.kind == "variance" and 3000 <= a.index < 3000 + only_variance.variance_samples
    assert a.statistic > only_variance.variance_ratio and "spread of the last" in a.reason()


def test_stationary_noise_is_quiet():
    for seed in range(3):
        assert score_stream(_noise(n=6000, seed=seed), CFG).alarms == []


def test_smooth_daily_cycle_fires_rarely():
    # 12 days of 5-min data: 50 ± 10 daily sine with σ 0.5 noise. While the first day is learnt, the
    # rising sine may look like a shift (at most a couple of alarms); once a day is in the baseline, none.
    n = 12 * 288
    t = np.arange(n)
    x = 50.0 + 10.0 * np.sin(2 * np.pi * t / 288) + _noise(n, 0.0, 0.5, seed=3)
    alarms = score_stream(x, CFG).alarms
    assert len(alarms) <= 2
    assert all(a.index < 288 for a in alarms)


def test_slow_trend_is_quiet():
    n = 6000
    x = np.linspace(100.0, 130.0, n) + _noise(n, 0.0, 1.0, seed=4)  # +30 over ~21 days of 5-min data
    assert score_stream(x, CFG).alarms == []


def test_no_look_ahead():
    x = _noise(n=5000, seed=5)
    x[2000] += 15.0
    x[4000:] += 4.0
    full = score_stream(x, CFG)
    for cut in (1000, 2001, 3333, 4002):
        part = score_stream(x[:cut], CFG)
        # the same scores (to the rounding of the fast baseline's mean absolute deviation, a relative 1e-12,
        # which sums over the whole series) and the same alarms, bit for bit (their σ is recomputed exactly)
        np.testing.assert_allclose(part.scores, full.scores[:cut], rtol=1e-12)
        assert part.alarms == [a for a in full.alarms if a.index < cut]


def test_nan_tolerance_keeps_row_indices():
    x = _noise(seed=6)
    x[3000] += 20.0
    rng = np.random.default_rng(8)
    holes = rng.choice(np.r_[0:2990, 3010:4000], size=300, replace=False)
    x[holes] = np.nan
    result = score_stream(x, CFG)
    assert [(a.index, a.kind) for a in result.alarms] == [(3000, "spike")]
    assert np.isnan(result.scores[holes]).all()
    assert score_stream(np.full(500, np.nan), CFG).alarms == []
    assert score_stream(np.array([1.0, 2.0]), CFG).alarms == []


def test_constant_series_then_step():
    x = np.full(1000, 45.0)
    assert score_stream(x, CFG).alarms == []
    x[800:] = 60.0
    alarms = score_stream(x, CFG).alarms
    assert len(alarms) == 1 and alarms[0].index == 800  # σ floored at 3 % of 45: a 15-unit jump is 11 σ


def _minute_series(factor, values, flags=()):
    t0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
    times = np.array([np.datetime64((t0 + timedelta(minutes=i)).replace(tzinfo=None), "s")
                      for i in range(len(values))])
    return Series(factor, times, np.asarray(values, dtype=float), tuple(flags))


def test_registered_detector_over_point_data():
    so2 = _noise(n=3000, level=30.0, sd=1.0, seed=9)
    so2[2500] = 95.0
    flags = ["N"] * 3000
    for i in (1000, 1500, 2000):  # fault records with absurd values: not valid, not analysed
        so2[i] = 5000.0
        flags[i] = "D"
    nox = _noise(n=3000, level=80.0, sd=2.0, seed=10)
    data = PointData(point="MN0001", minutes={"a21026": _minute_series("a21026", so2, flags),
                                                  "a21002": _minute_series("a21002", nox)})
    findings = DETECTORS["statistical"].func(data, DetectorSettings())
    assert [(f.code, f.factors) for f in findings] == [("DET-STAT-SPIKE", ("a21026",))]
    f = findings[0]
    assert f.severity == "warning" and f.point == "MN0001"
    assert f.start == f.end == datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(minutes=2500)
    assert f.explanation.startswith("a21026: value 95 is ")
    assert f.evidence["resolution"] == "minute" and f.evidence["settings"]["spike_z"] == CFG.spike_z
    assert f.evidence["baseline_median"] == pytest.approx(30.0, abs=0.3)
    assert f.to_json()["code"] == "DET-STAT-SPIKE"


def test_the_flue_gas_state_is_not_tested_but_flow_o2_and_pollutants_are():
    """The flue gas's velocity, temperature, moisture and pressure follow the load by physics: a spike of them
    is a process change, not a sign (``unscored_roles``); the same spike of the flow, O2 or a pollutant is."""
    def spiked(seed):
        x = _noise(n=3000, level=50.0, sd=1.0, seed=seed)
        x[2500] = 120.0
        return x
    codes = ("a01011", "a01012", "a01013", "a01014", "a00000", "a19001", "a21026")
    data = PointData(point="P", minutes={c: _minute_series(c, spiked(20 + i)) for i, c in enumerate(codes)})
    cfg = DetectorSettings.from_mapping({"statistical": {"load_check": False}})
    assert sorted(f.factors[0] for f in detect_statistical(data, cfg)) == ["a00000", "a19001", "a21026"]
    every = DetectorSettings.from_mapping({"statistical": {"load_check": False, "unscored_roles": []}})
    assert sorted(f.factors[0] for f in detect_statistical(data, every)) == sorted(codes)


def test_hourly_series_used_when_no_minutes_and_settings_compose():
    x = _noise(n=400, level=5.0, sd=0.2, seed=11)
    x[350:] += 1.5  # 7.5 σ sustained
    data = PointData(point="P", medium="water", hours={"w01018": _minute_series("w01018", x)})
    cfg = DetectorSettings.from_mapping({"statistical": {"spike_z": 6.0, "window": 168}})
    findings = detect_statistical(data, cfg)
    assert findings and findings[0].evidence["resolution"] == "hour"
    assert findings[0].evidence["settings"]["window"] == 168
    with pytest.raises(ValueError):
        DetectorSettings.from_mapping({"statistical": {"no_such_threshold": 1}})
    # Too short a series is not analysed.
    short = PointData(point="P", hours={"w01018": _minute_series("w01018", x[:50])})
    assert detect_statistical(short, DetectorSettings()) == []


def test_codes_in_the_catalogue():
    assert set(DETECTORS["statistical"].codes) == set(CODES.values()) | {LOAD_SHIFT_CODE}
    for code in CODES.values():
        assert RULES[code].tag == "ours" and RULES[code].module == "ecosentry.subsystems.monitoring.detect.statistical"
        assert RULES[code].kind == "statistical" and RULES[code].severity != "critical"
    assert RULES[LOAD_SHIFT_CODE].kind == "process_change" and RULES[LOAD_SHIFT_CODE].severity == "info"
    assert RULES["DET-STAT-VARIANCE"].severity == "info"
