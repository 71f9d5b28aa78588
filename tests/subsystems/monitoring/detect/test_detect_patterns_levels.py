"""Pattern detectors on levels: limit hugging, step then flat, day/night, narrow band, detection limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect.model import PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.patterns import (
    detect_day_night,
    detect_limit_hugging,
    detect_narrow_band,
    detect_step_flat,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

UTC = timezone.utc
# 2024-05-01 00:00 Asia/Shanghai
T0 = datetime(2024, 4, 30, 16, tzinfo=UTC)
CFG = DetectorSettings()


def hourly(factor, values, *, start=T0, zs=None, flags=()):
    n = len(values)
    times = to_datetime64(start) + np.arange(n) * np.timedelta64(3600, "s")
    return Series(factor, times, np.asarray(values, float), tuple(flags),
                  None if zs is None else np.asarray(zs, float))


def running_params(n, rng, *, o2=None):
    """Honest O2 and velocity of a running boiler (n hours)."""
    o2v = 7.0 + rng.normal(0, 0.3, n) if o2 is None else np.asarray(o2, float)
    vel = 12.0 + rng.normal(0, 0.3, n)
    return {"a19001": hourly("a19001", o2v), "a01011": hourly("a01011", vel)}


def moving_params(n, rng):
    """O2 and velocity of a boiler following the diurnal load of :func:`load_following` (velocity swings
    about 30 % of its median, P90 − P10; O2 falls as the load rises)."""
    load = 0.75 + 0.15 * np.sin(2 * np.pi * (np.arange(n) - 8) / 24)
    return {"a19001": hourly("a19001", 4.0 + 6.0 * (1.0 - load) + rng.normal(0, 0.12, n)),
            "a01011": hourly("a01011", 14.0 * (0.15 + 0.85 * load) + rng.normal(0, 0.1, n))}


def load_following(n, rng, mean, cv=0.08):
    """Honest hourly concentrations: diurnal load, AR(1) drift and lognormal noise."""
    h = np.arange(n)
    load = 0.75 + 0.15 * np.sin(2 * np.pi * (h - 8) / 24)
    ar = np.zeros(n)
    e = rng.normal(0, 0.03, n)
    for i in range(1, n):
        ar[i] = 0.9 * ar[i - 1] + e[i]
    return np.round(mean * (load / 0.75 + ar) * rng.lognormal(0, cv, n), 2)


# ------------------------------------------------------------------------------------------ limit hugging


def hugging_values(n, share, limit, rng):
    k = int(round(share * n))
    band = rng.uniform(0.9 * limit, limit - 1e-6, k)
    rest = rng.uniform(0.4 * limit, 0.88 * limit, n - k)
    x = np.concatenate([band, rest])
    rng.shuffle(x)
    return x


def test_limit_hugging_fires_on_zs_pile_up():
    rng = np.random.default_rng(1)
    n = 720
    zs = hugging_values(n, 0.41, 50.0, rng)
    measured = zs * 0.7  # measured values well below: only 折算 is judged
    hours = {"a21002": hourly("a21002", measured, zs=zs), **running_params(n, rng)}
    data = PointData("MN001", hours=hours, limits={"a21002": 50.0})
    [f] = detect_limit_hugging(data, CFG)
    assert f.code == "DET-LIMIT-HUG" and f.severity == "warning" and f.factors == ("a21002",)
    assert f.start == T0 and f.end == T0 + timedelta(hours=n)
    ev = f.evidence
    assert ev["n"] == n and ev["in_band"] == 295 and ev["at_or_above_limit"] == 0
    assert ev["share_in_band"] == pytest.approx(295 / 720) and ev["criterion"] == "share"
    assert ev["zs_used"] is True and ev["running_known"] is True and ev["settings"]["hug_band_low"] == 0.9
    assert "Over 30 days, 41 % of 720 valid hourly a21002 折算 values at point MN001" in f.explanation
    assert "50.0 mg/m³ limit" in f.explanation and "none above it" in f.explanation


def test_limit_hugging_histogram_cliff():
    rng = np.random.default_rng(2)
    n = 400
    x = hugging_values(n, 0.15, 100.0, rng)  # 60 in band: below the 30 % share
    x[:2] = [101.0, 104.0]  # 2 in the mirror band above: 60 ≥ 8 × 2
    data = PointData("P", medium="water", hours={"w01018": hourly("w01018", x)}, limits={"w01018": 100.0})
    [f] = detect_limit_hugging(data, CFG)
    assert f.evidence["criterion"] == "cliff" and f.evidence["in_mirror_band_above"] == 2
    assert f.evidence["running_known"] is False
    assert "only 2 in the same width above it" in f.explanation and "mg/L" in f.explanation


def test_limit_hugging_share_boundary():
    def run(k):
        x = np.concatenate([np.full(k, 95.0), np.full(20, 105.0), np.full(200 - k - 20, 60.0)])
        data = PointData("P", medium="water", hours={"w01018": hourly("w01018", x)}, limits={"w01018": 100.0})
        return detect_limit_hugging(data, CFG)

    assert len(run(60)) == 1  # 60/200 = 30 %: at the threshold
    assert run(59) == []  # below, and 59 < 8 × 20: no cliff


def test_limit_hugging_minimum_sample_and_validity():
    x = np.full(168, 48.0)
    data = PointData("P", medium="water", hours={"c": hourly("c", x[:167])}, limits={"c": 50.0})
    assert detect_limit_hugging(data, CFG) == []
    data.hours["c"] = hourly("c", x)
    assert len(detect_limit_hugging(data, CFG)) == 1
    # the same hours flagged as fault (D) are not valid and do not count
    data.hours["c"] = hourly("c", x, flags=["D"] * 168)
    assert detect_limit_hugging(data, CFG) == []


def test_limit_hugging_ignores_stopped_hours():
    rng = np.random.default_rng(3)
    n = 400
    x = rng.uniform(10, 30, n)
    o2 = np.full(n, 7.0)
    x[:200], o2[:200] = 47.0, 20.9  # "just below the limit" only while O2 says stopped
    hours = {"a21026": hourly("a21026", x), **running_params(n, rng, o2=o2)}
    data = PointData("P", hours=hours, limits={"a21026": 50.0})
    assert detect_limit_hugging(data, CFG) == []


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_limit_hugging_honest_series(seed):
    rng = np.random.default_rng(seed)
    n = 24 * 60
    low = load_following(n, rng, 30.0)  # mean 0.6 L
    near = np.round(rng.normal(42.5, 5.0, n), 1)  # mean 0.85 L, sd 0.1 L: busy but honest
    hours = {"a21002": hourly("a21002", low), "a21026": hourly("a21026", near), **running_params(n, rng)}
    data = PointData("P", hours=hours, limits={"a21002": 50.0, "a21026": 50.0})
    assert detect_limit_hugging(data, CFG) == []


def test_limit_hugging_daily_limit_water():
    rng = np.random.default_rng(7)
    days = 30
    means = np.where(np.arange(days) % 5 < 2, 57.0, 35.0)  # 12 of 30 days at 95 % of 60
    x = np.repeat(means, 24) + rng.normal(0, 2.0, days * 24)
    data = PointData("W1", medium="water", hours={"w01018": hourly("w01018", x)}, day_limits={"w01018": 60.0})
    [f] = detect_limit_hugging(data, CFG)
    assert f.code == "DET-LIMIT-HUG-DAY" and f.factors == ("w01018",)
    assert f.start == T0 and f.end == T0 + timedelta(days=30)
    assert f.evidence["n"] == 30 and f.evidence["in_band"] == 12 and f.evidence["averaging"] == "day"
    assert "On 12 of 30 days (40 %) the daily mean w01018" in f.explanation
    assert "60.0 mg/L daily limit" in f.explanation


# ------------------------------------------------------------------------------------------ step then flat


def step_series(rng, flat_hours, level_after=30.0, level_before=60.0):
    before = level_before * rng.lognormal(0, 0.08, 48)
    flat = level_after + rng.uniform(-0.05, 0.05, flat_hours)
    after = level_before * rng.lognormal(0, 0.08, 24)
    return np.concatenate([before, flat, after])


def test_step_flat_fires_after_a_drop():
    rng = np.random.default_rng(10)
    x = step_series(rng, 10)
    data = PointData("MN9", hours={"a21026": hourly("a21026", x), **running_params(len(x), rng)})
    [f] = detect_step_flat(data, CFG)
    assert f.code == "DET-STEP-FLAT" and f.factors == ("a21026",) and f.severity == "warning"
    assert f.start == T0 + timedelta(hours=48) and f.end == T0 + timedelta(hours=58)
    ev = f.evidence
    assert ev["flat_hours"] == 10 and ev["level_after"] == pytest.approx(30.0, abs=0.05)
    # the level left: the six hours' mean or the last full hour before the step's hour, the further of the two
    before = max((float(x[42:48].mean()), float(x[46])), key=lambda v: abs(v - ev["level_after"]))
    assert ev["level_before"] == pytest.approx(before)
    assert ev["jump_frac"] > 0.4 and ev["flat_cv"] < 0.01
    assert "dropped from" in f.explanation and "to 30.0 mg/m³" in f.explanation
    assert "2024-05-03 00:00 (Asia/Shanghai)" in f.explanation and "flat for 10 hours" in f.explanation


def test_step_flat_boundaries():
    rng = np.random.default_rng(11)
    for hours, expected in ((6, 1), (5, 0)):
        x = step_series(rng, hours)
        data = PointData("P", medium="water", hours={"w01018": hourly("w01018", x)})
        assert len(detect_step_flat(data, CFG)) == expected, hours
    # a 20 % change (below the 30 % jump) then flat does not count
    x = step_series(rng, 10, level_after=48.0)
    x[42:48] = 60.0 * (1 + rng.uniform(-0.02, 0.02, 6))
    data = PointData("P", medium="water", hours={"w01018": hourly("w01018", x)})
    assert detect_step_flat(data, CFG) == []


def test_step_flat_needs_contiguous_hours():
    rng = np.random.default_rng(12)
    x = step_series(rng, 10)
    s = hourly("w01018", x)
    # a 5-hour hole right before the flat stretch: the "level before" is not adjacent
    keep = np.ones(len(x), bool)
    keep[43:48] = False
    s = Series("w01018", s.times[keep], s.values[keep])
    data = PointData("P", medium="water", hours={"w01018": s})
    assert detect_step_flat(data, CFG) == []


@pytest.mark.parametrize("seed", [13, 14])
def test_step_flat_honest_series(seed):
    rng = np.random.default_rng(seed)
    n = 24 * 90
    x = load_following(n, rng, 30.0, cv=0.05)
    # honest load steps: levels change, measurements keep fluctuating
    x[1000:1100] *= 1.6
    data = PointData("P", hours={"a21002": hourly("a21002", x), **running_params(n, rng)})
    assert detect_step_flat(data, CFG) == []


# ------------------------------------------------------------------------------------------ day/night


def diurnal(days, day_level, night_level, rng, noise=0.05):
    hour = (np.arange(days * 24) + 0) % 24  # T0 is local midnight
    night = (hour >= 22) | (hour < 6)
    x = np.where(night, night_level, day_level)
    return x * rng.lognormal(0, noise, days * 24)


def test_day_night_fires_on_night_discharge():
    rng = np.random.default_rng(20)
    x = diurnal(10, 20.0, 60.0, rng)
    data = PointData("WW1", medium="water", hours={"w01018": hourly("w01018", x)})
    [f] = detect_day_night(data, CFG)
    assert f.code == "DET-DAY-NIGHT" and f.factors == ("w01018",)
    ev = f.evidence
    # diurnal days run 06:00–06:00: the first (night 00–06 of May 1) and last (06–24) are partial
    assert ev["days_marked"] == 9 and ev["days_counted"] == 9
    assert ev["median_ratio"] == pytest.approx(3.0, rel=0.1)
    assert f.start == datetime(2024, 4, 30, 22, tzinfo=UTC)  # 2024-05-01 06:00 local
    assert f.end == datetime(2024, 5, 9, 22, tzinfo=UTC)
    assert "On 9 of 9 days (100 %) the night-time (22:00–06:00 Asia/Shanghai) mean w01018" in f.explanation
    assert "mg/L" in f.explanation


def test_day_night_boundaries():
    rng = np.random.default_rng(21)

    def run(marked_days, ratio=3.0, days=15):
        x = diurnal(days, 20.0, 20.0, rng, noise=0.02)
        for d in range(1, marked_days + 1):  # diurnal day d: local 22:00 of day d to 06:00 of day d+1
            sl = slice(d * 24 - 2, d * 24 + 6)
            x[sl] = 20.0 * ratio
        data = PointData("P", medium="water", hours={"c": hourly("c", x)})
        return detect_day_night(data, CFG)

    assert run(4) == []  # below 5 days
    [f] = run(5)  # 5 of 14 counted days ≥ 30 %
    assert f.evidence["days_marked"] == 5
    assert run(5, ratio=1.9) == []
    assert run(5, days=30) == []  # 5 of 29 days < 30 %


def test_day_night_needs_night_samples():
    rng = np.random.default_rng(22)
    x = diurnal(10, 20.0, 60.0, rng)
    hour = np.arange(240) % 24
    flags = ["M" if (h >= 23 or h < 4) else "N" for h in hour]  # only 3 valid night hours a day
    data = PointData("P", medium="water", hours={"c": hourly("c", x, flags=flags)})
    assert detect_day_night(data, CFG) == []


@pytest.mark.parametrize("seed", [23, 24])
def test_day_night_honest(seed):
    rng = np.random.default_rng(seed)
    n = 24 * 60
    hours = {"a21002": hourly("a21002", load_following(n, rng, 30.0)), **running_params(n, rng)}
    data = PointData("P", hours=hours)
    assert detect_day_night(data, CFG) == []


# ------------------------------------------------------------------------------------------ narrow band


def test_narrow_band_fires_within_two_percent_of_range():
    rng = np.random.default_rng(30)
    n = 24 * 20
    x = load_following(n, rng, 30.0)
    x[120:360] = 30.0 + rng.uniform(-1.0, 1.0, 240)  # 10 days within 2 mg/m³ of a 0–200 range
    data = PointData("P1", hours={"a21002": hourly("a21002", x), **moving_params(n, rng)},
                     ranges={"a21002": (0.0, 200.0)})
    [f] = detect_narrow_band(data, CFG)
    assert f.code == "DET-NARROW-BAND" and f.factors == ("a21002",)
    assert f.start == T0 + timedelta(hours=120) and f.end == T0 + timedelta(hours=360)
    ev = f.evidence
    assert ev["hours"] == 240 and ev["band"] == pytest.approx(4.0) and ev["max_window_spread"] <= 2.0
    assert ev["load_swing"] >= 0.2 and ev["load_p"] >= 0.01 and ev["load_swing_factor"] == "a01011"
    assert "For 240 hours from 2024-05-06 00:00 (Asia/Shanghai)" in f.explanation
    assert "% of the 0–200 mg/m³ range" in f.explanation
    # the same band on a boiler whose load does not move: its firing is steady, the band is no sign
    data.hours.update(running_params(n, rng))
    assert detect_narrow_band(data, CFG) == []


def test_narrow_band_boundary_and_honest():
    def run(lo, hi):
        x = np.tile([lo, hi], 100)
        data = PointData("P", medium="water", hours={"c": hourly("c", x)}, ranges={"c": (0.0, 200.0)})
        return detect_narrow_band(data, CFG)

    assert len(run(130.0, 134.0)) == 1  # spread 4 = 2 % of 200, and ≤ 10 % of the level 132
    assert run(130.0, 134.2) == []
    # an honest low reading on a wide range: spread 4 is within 2 % of 200 but 40 % of its level 10
    assert run(8.0, 12.0) == []
    rng = np.random.default_rng(31)
    n = 24 * 60
    hours = {"a21002": hourly("a21002", load_following(n, rng, 30.0)), **running_params(n, rng)}
    data = PointData("P", hours=hours, ranges={"a21002": (0.0, 200.0), "a19001": (0.0, 25.0)})
    assert detect_narrow_band(data, CFG) == []


def test_narrow_band_ignores_stopped_plant():
    rng = np.random.default_rng(32)
    n = 24 * 14
    x = np.abs(rng.normal(0.2, 0.1, n))  # stack stopped: near zero, flat, honest
    hours = {"a21002": hourly("a21002", x), **running_params(n, rng, o2=np.full(n, 20.8))}
    data = PointData("P", hours=hours, ranges={"a21002": (0.0, 200.0)})
    assert detect_narrow_band(data, CFG) == []


def dust_plant(n, rng, *, base_load=False):
    """A coal boiler's velocity and O2 (n hours) and the dust it honestly emits at 1.2–2 mg/m³ measured: the
    honest set's ultra-low dust (simulate/honest.py), the load's share of the level and the dilution by
    excess air (O2 falls as the load rises), 7 % slow wander; hourly means to 0.01 mg/m³."""
    h = np.arange(n)
    if base_load:
        load = 0.93 + 0.006 * rng.standard_normal(n)
    else:  # grid dispatch: low at night, high by day
        load = np.clip(0.78 + 0.2 * np.sin(2 * np.pi * (h - 8) / 24) + 0.03 * rng.standard_normal(n), 0.5, 1.0)
    vel = 14.0 * (0.15 + 0.85 * load) + 0.1 * rng.standard_normal(n)
    o2 = 4.0 + 6.0 * (1.0 - load) + 0.12 * rng.standard_normal(n)
    wander = np.exp(0.07 * np.convolve(rng.standard_normal(n + 5), np.ones(6) / np.sqrt(6), "valid")[:n])
    dust = 1.25 * (0.7 + 0.3 * load / load.mean()) * wander * (21.0 - o2) / 15.0
    return {"a19001": hourly("a19001", o2), "a01011": hourly("a01011", vel)}, np.round(dust, 2)


def test_a_clean_plant_reading_low_dust_near_the_detection_limit_is_no_finding():
    """Honest ultra-low dust at 1.2–2 mg/m³ for 8 days under the 1.0 mg/m³ DL of HJ 836-2017 (within 2 × DL):
    its readings follow the boiler's load, so hovering alone is not a sign (issue 13: these were false
    findings on the honest set)."""
    rng = np.random.default_rng(33)
    params, dust = dust_plant(24 * 8, rng)
    assert dust.max() <= 2.0 * 1.0
    data = PointData("G", hours={"a34013": hourly("a34013", dust), **params}, detection_limits={"a34013": 1.0})
    assert [f for f in detect_narrow_band(data, CFG) if f.code == "DET-AT-DETECTION-LIMIT"] == []
    # a base-load boiler whose load does not move: its low readings cannot be told from written ones by the
    # load, and they are no pile-up at the DL either: no finding
    params, dust = dust_plant(24 * 8, rng, base_load=True)
    data = PointData("G", hours={"a34013": hourly("a34013", dust), **params}, detection_limits={"a34013": 1.0})
    assert [f for f in detect_narrow_band(data, CFG) if f.code == "DET-AT-DETECTION-LIMIT"] == []


def test_a_logger_parked_at_the_detection_limit_is_a_finding():
    """The same boiler, its logger writing the 1.0 mg/m³ DL itself most hours (now and then 1.1) while the
    load moves: parked at the DL."""
    rng = np.random.default_rng(34)
    params, dust = dust_plant(24 * 8, rng)
    parked = np.where(rng.random(len(dust)) < 0.8, 1.0, 1.1)
    data = PointData("G", hours={"a34013": hourly("a34013", parked), **params}, detection_limits={"a34013": 1.0})
    [f] = detect_narrow_band(data, CFG)
    assert f.code == "DET-AT-DETECTION-LIMIT" and f.severity == "info"
    assert f.evidence["parked"] and f.evidence["share_at_dl"] >= 0.5
    assert f.evidence["hours"] == 192 and f.evidence["detection_limit"] == 1.0
    assert f.start == T0 and f.end == T0 + timedelta(hours=192)
    assert "2.00 × the 1.00 mg/m³ method detection limit" in f.explanation
    assert "were the detection limit itself" in f.explanation
    # 6 days only, or one real value in the middle, is not long enough
    data.hours["a34013"] = hourly("a34013", parked[:144])
    assert detect_narrow_band(data, CFG) == []
    y = parked.copy()
    y[96] = 4.0
    data.hours["a34013"] = hourly("a34013", y)
    assert detect_narrow_band(data, CFG) == []


def test_values_hovering_at_the_detection_limit_that_ignore_the_load_are_a_finding():
    """Values jittering just above the DL (1.01–1.3 mg/m³, none the DL itself) while the boiler's load swings
    from night to day: no load signal in them (p of the n·R² test ≥ 0.01)."""
    rng = np.random.default_rng(35)
    params, _ = dust_plant(24 * 8, rng)
    written = np.round(rng.uniform(1.01, 1.3, 24 * 8), 2)
    data = PointData("G", hours={"a34013": hourly("a34013", written), **params}, detection_limits={"a34013": 1.0})
    [f] = detect_narrow_band(data, CFG)
    assert f.code == "DET-AT-DETECTION-LIMIT" and not f.evidence["parked"]
    assert f.evidence["load_swing"] >= 0.2 and f.evidence["load_p"] >= 0.01
    assert sorted(f.evidence["load_channels"]) == ["a01011", "a19001"]
    assert f.evidence["load_swing_factor"] == "a01011"
    assert "a01011 swung by" in f.explanation and "did not follow it (a01011, a19001: p = " in f.explanation
    # without a load channel nothing tells written values from a clean plant's: no finding
    data = PointData("G", hours={"a34013": hourly("a34013", written)}, detection_limits={"a34013": 1.0})
    assert detect_narrow_band(data, CFG) == []
