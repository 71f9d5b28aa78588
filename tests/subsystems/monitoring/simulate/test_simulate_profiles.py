"""Synthetic signal profiles: determinism, plausibility, physical consistency, speed."""

import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn.flue_gas import corrected_concentration, standard_dry_flow
from ecosentry.subsystems.monitoring.simulate.profiles import GAS_CODES, WATER_CODES, PointProfile, Stats, gas_profile, water_profile

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 6, 8, 0, tzinfo=SH)

GAS_RANGES = {
    "a34013": (3.0, 8.0), "a21026": (15.0, 35.0), "a21002": (30.0, 50.0), "a19001": (5.5, 8.0),
    "a01011": (10.0, 15.0), "a01012": (45.0, 55.0), "a01013": (-0.3, 0.3), "a01014": (8.0, 12.0),
}
WATER_RANGES = {
    "w01018": (20.0, 60.0), "w21003": (0.5, 5.0), "w21011": (0.1, 0.8), "w21001": (5.0, 15.0),
    "w01001": (6.5, 8.5), "w00000": (10.0, 780.0),
}


def test_same_seed_and_time_give_the_same_values_across_instances():
    a = gas_profile("32050600000001", 6.0, 12.5)
    b = gas_profile("32050600000001", 6.0, 12.5)
    assert a.sample(T0) == b.sample(T0)
    assert a.aggregate(T0, 60, 5) == b.aggregate(T0, 60, 5)
    w1, w2 = water_profile("32050600000002"), water_profile("32050600000002")
    assert w1.aggregate(T0, 600, 5) == w2.aggregate(T0, 600, 5)


def test_different_seeds_differ():
    a = gas_profile("32050600000001").sample(T0)
    b = gas_profile("32050600000003").sample(T0)
    assert a != b


def test_naive_time_is_local_time_of_the_profile():
    g = gas_profile("MN-1")
    assert g.sample(datetime(2024, 5, 6, 8, 0)) == g.sample(T0)
    assert g.sample(datetime(2024, 5, 6, 0, 0, tzinfo=timezone.utc)) == g.sample(T0)


def test_aggregate_is_consistent_with_samples():
    g = gas_profile("MN-2", 6.0, 12.5)
    stats = g.aggregate(T0, 60, 5)
    samples = [g.sample(T0 + timedelta(seconds=5 * i)) for i in range(12)]
    for code in GAS_CODES:
        values = [s[code] for s in samples]
        assert stats[code].avg == pytest.approx(sum(values) / 12, rel=1e-12)
        assert stats[code].min == pytest.approx(min(values), rel=1e-12)
        assert stats[code].max == pytest.approx(max(values), rel=1e-12)


@pytest.mark.parametrize("mn", [f"3205{i:010d}" for i in range(8)])
def test_gas_values_stay_in_plausible_ranges_over_two_days(mn):
    g = gas_profile(mn, 6.0, 12.5)
    stats = g.aggregate(T0, 2 * 86400, 5)
    for code, (lo, hi) in GAS_RANGES.items():
        assert lo <= stats[code].min <= stats[code].avg <= stats[code].max <= hi, code
    assert set(stats) == set(GAS_CODES)


def test_dry_stack_temperature_without_wet_fgd():
    g = gas_profile("MN-dry", wet_fgd=False)
    s = g.aggregate(T0, 86400, 30)["a01012"]
    assert 120.0 <= s.min <= s.max <= 140.0


@pytest.mark.parametrize("mn", [f"3205{i:010d}" for i in range(8)])
def test_water_values_stay_in_plausible_ranges(mn):
    w = water_profile(mn)
    stats = w.aggregate(T0, 2 * 86400, 10)
    for code, (lo, hi) in WATER_RANGES.items():
        assert lo <= stats[code].min <= stats[code].avg <= stats[code].max <= hi, code
    assert 20.0 <= w.design_flow <= 600.0
    assert 0.5 * w.design_flow <= stats["w00000"].min <= stats["w00000"].max <= 1.3 * w.design_flow
    assert set(stats) == set(WATER_CODES)


def test_flow_is_velocity_times_duct_area():
    g = gas_profile("MN-flow", 6.0, 17.3)
    for k in range(20):
        s = g.sample(T0 + timedelta(seconds=37 * k))
        assert s["a00000"] == pytest.approx(s["a01011"] * 17.3, rel=1e-12)
    stats = g.aggregate(T0, 3600, 5)
    assert stats["a00000"].avg == pytest.approx(stats["a01011"].avg * 17.3, rel=1e-12)
    # -Cou of the flow is the volume: mean flow × duration.
    assert stats["a00000"].cou == pytest.approx(stats["a00000"].avg * 3600, rel=1e-12)


def test_zs_values_follow_eq_28():
    g = gas_profile("MN-zs", 6.0, 12.5)
    s, zs = g.sample(T0), g.sample_zs(T0)
    for code in ("a34013", "a21026", "a21002"):
        assert zs[code] == pytest.approx(float(corrected_concentration(s[code], s["a19001"], 6.0)), rel=1e-12)
    stats = g.aggregate(T0, 60, 60)  # one sample: zs statistics equal the sample's zs value
    assert stats["a21026"].zs_avg == pytest.approx(zs["a21026"], rel=1e-12)
    assert stats["a19001"].zs_avg is None
    assert gas_profile("MN-zs", None, 12.5).sample_zs(T0) == {}
    assert gas_profile("MN-zs", None, 12.5).aggregate(T0, 60, 5)["a21026"].zs_avg is None


def test_gas_emission_amount_uses_dry_standard_flow():
    g = gas_profile("MN-cou", 6.0, 12.5)
    s = g.sample(T0)
    stats = g.aggregate(T0, 5, 5)  # one 5-s sample
    q_sn = float(standard_dry_flow(s["a00000"], s["a01012"], s["a01013"] * 1000.0, s["a01014"] / 100.0))
    assert stats["a21026"].cou == pytest.approx(s["a21026"] * q_sn * 5 * 1e-6, rel=1e-12)
    assert stats["a19001"].cou is None and stats["a01011"].cou is None


def test_water_volume_and_load():
    w = water_profile("MN-water")
    stats = w.aggregate(T0, 600, 5)
    samples = [w.sample(T0 + timedelta(seconds=5 * i)) for i in range(120)]
    volume = sum(s["w00000"] * 5 * 1e-3 for s in samples)  # D_i = Q·T·10⁻³ [m³]
    load = sum(s["w01018"] * s["w00000"] * 5 * 1e-3 * 1e-3 for s in samples)  # G_i = D_i·C·10⁻³ [kg]
    assert stats["w00000"].cou == pytest.approx(volume, rel=1e-9)
    assert stats["w01018"].cou == pytest.approx(load, rel=1e-9)
    assert stats["w01001"].cou is None  # pH has no amount


def test_channels_of_one_logger_co_vary_with_the_daily_load():
    g = gas_profile("MN-load", 6.0, 12.5)
    hours = [g.aggregate(T0.replace(hour=0) + timedelta(hours=h), 3600, 60) for h in range(24)]
    velocity = np.array([h["a01011"].avg for h in hours])
    o2 = np.array([h["a19001"].avg for h in hours])
    # Night (00–05) load below afternoon (12–17) load.
    assert velocity[0:6].mean() < velocity[12:18].mean()
    # O2 falls when load (velocity) rises.
    assert np.corrcoef(velocity, o2)[0, 1] < -0.5


def test_noise_is_roughly_unit_variance_and_bounded():
    from ecosentry.subsystems.monitoring.simulate.profiles import _hash_noise

    noise = _hash_noise(np.arange(100_000, dtype=float), 3, seed=12345)
    assert abs(noise.mean()) < 0.02
    assert noise.std() == pytest.approx(1.0, abs=0.02)
    assert np.abs(noise).max() <= 2 * math.sqrt(3)


def test_aggregate_arguments_are_checked():
    g = gas_profile("MN")
    with pytest.raises(ValueError):
        g.aggregate(T0, 60, 7)
    with pytest.raises(ValueError):
        g.aggregate(T0, 0, 5)
    with pytest.raises(ValueError):
        PointProfile("MN", "gas")  # no duct area
    with pytest.raises(ValueError):
        PointProfile("MN", "air")  # type: ignore[arg-type]


def test_stats_type():
    s = water_profile("MN").aggregate(T0, 60, 5)["w01018"]
    assert isinstance(s, Stats) and isinstance(s.avg, float) and isinstance(s.cou, float)
