"""Wastewater volume, load and flow-weighted means (HJ 212-2017 Appendix D.1; HJ 356-2019 §7 [R])."""

import math

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn.aggregates import (
    flow_weighted_concentration,
    water_daily_from_hours,
    water_hourly_from_cycles,
    water_load,
    water_volume,
)


def test_water_volume():
    # D = Q · T · 10⁻³: 10 L/s for 600 s = 6000 L = 6 m³
    assert water_volume(10.0, 600.0) == pytest.approx(6.0, rel=1e-15)
    # 25 L/s for one hour: 25 × 3600 × 10⁻³ = 90 m³
    assert water_volume(25.0, 3600.0) == pytest.approx(90.0, rel=1e-15)
    np.testing.assert_allclose(water_volume(np.array([1.0, 2.0]), 1000.0), [1.0, 2.0], rtol=1e-15)


def test_water_load():
    # G = D · C · 10⁻³: 90 m³ at 50 mg/L = 90 × 50 × 10⁻³ = 4.5 kg
    assert water_load(50.0, 90.0) == pytest.approx(4.5, rel=1e-15)


def test_flow_weighted_vs_arithmetic_mean_differ():
    # Two hours: 10 mg/L with 300 m³, 40 mg/L with 100 m³.
    # loads 3.0 kg + 4.0 kg = 7.0 kg; volume 400 m³ → 7.0 / 400 × 10³ = 17.5 mg/L
    assert flow_weighted_concentration([10.0, 40.0], [300.0, 100.0]) == pytest.approx(17.5, rel=1e-15)
    # the arithmetic mean would be (10 + 40)/2 = 25 mg/L
    assert np.mean([10.0, 40.0]) == 25.0
    # equal volumes → the two means coincide
    assert flow_weighted_concentration([10.0, 40.0], [5.0, 5.0]) == pytest.approx(25.0, rel=1e-15)


def test_flow_weighted_vectorised_and_zero_volume():
    out = flow_weighted_concentration([[10.0, 40.0], [1.0, 3.0]], [[300.0, 100.0], [0.0, 0.0]])
    assert out[0] == pytest.approx(17.5, rel=1e-15)
    assert math.isnan(out[1])


def test_water_hourly_from_cycles_flow_weighted():
    # Six 10-min values; the third is invalid (flag M).
    concs = [20.0, 20.0, 999.0, 50.0, 50.0, 50.0]
    vols = [water_volume(q, 600.0) for q in [10.0, 10.0, 10.0, 5.0, 5.0, 5.0]]  # 6, 6, 6, 3, 3, 3 m³
    valid = [True, True, False, True, True, True]
    h = water_hourly_from_cycles(concs, vols, valid)
    # valid loads: 2 × 6 × 20 × 10⁻³ + 3 × 3 × 50 × 10⁻³ = 0.24 + 0.45 = 0.69 kg
    assert h.cou == pytest.approx(0.69, rel=1e-14)
    # valid volume 12 + 9 = 21 m³ → C_h = 0.69 / 21 × 10³ = 32.857142… mg/L
    assert h.value == pytest.approx(690.0 / 21.0, rel=1e-14)
    # total volume counts every slice: 6 + 6 + 6 + 3 + 3 + 3 = 27 m³
    assert h.volume == pytest.approx(27.0, rel=1e-15)
    assert (h.valid, h.n_valid, h.n_received, h.n_expected, h.kind) == (True, 5, 6, 6, "hour")


def test_water_hour_needs_one_valid_value():
    h = water_hourly_from_cycles([5.0], [1.0])
    assert h.valid is True and h.value == pytest.approx(5.0, rel=1e-15)
    h0 = water_hourly_from_cycles([5.0, None], [1.0, 1.0], [False, True])
    assert h0.valid is False
    assert h0.value is None
    assert h0.reason == "valid cycles 0 < 1; invalid 2 cycles; missing 4 cycles"


def hours_day(n_valid, n_received=24):
    concs = [30.0] * n_valid + [500.0] * (n_received - n_valid)
    vols = [10.0] * n_received
    valid = [True] * n_valid + [False] * (n_received - n_valid)
    return concs, vols, valid


def test_75_percent_completeness_18_of_24_is_valid():
    d = water_daily_from_hours(*hours_day(18))
    # 18 ≥ 0.75 × 24 = 18
    assert d.valid is True
    assert d.value == pytest.approx(30.0, rel=1e-15)
    # load 18 × 10 × 30 × 10⁻³ = 5.4 kg; volume 24 × 10 = 240 m³
    assert d.cou == pytest.approx(5.4, rel=1e-14)
    assert d.volume == pytest.approx(240.0, rel=1e-15)
    assert d.reason is None


def test_75_percent_completeness_17_of_24_is_invalid():
    d = water_daily_from_hours(*hours_day(17))
    assert d.valid is False
    assert d.reason == "valid hours 17 < 18 (75 % of 24); invalid 7 hours"


def test_completeness_is_a_parameter():
    assert water_daily_from_hours(*hours_day(17), min_completeness=0.7).valid is True  # ⌈16.8⌉ = 17
    assert water_daily_from_hours(*hours_day(20), min_completeness=0.9).valid is False  # ⌈21.6⌉ = 22
    with pytest.raises(ValueError):
        water_daily_from_hours(*hours_day(20), min_completeness=75)


def test_daily_flow_weighted_differs_from_arithmetic():
    # 12 night hours at 100 mg/L with 5 m³ each, 12 day hours at 20 mg/L with 45 m³ each.
    concs = [100.0] * 12 + [20.0] * 12
    vols = [5.0] * 12 + [45.0] * 12
    d = water_daily_from_hours(concs, vols)
    # G = 12 × 5 × 100 × 10⁻³ + 12 × 45 × 20 × 10⁻³ = 6 + 10.8 = 16.8 kg; D = 60 + 540 = 600 m³
    assert d.cou == pytest.approx(16.8, rel=1e-14)
    # C_d = 16.8 / 600 × 10³ = 28 mg/L (arithmetic mean would be 60 mg/L)
    assert d.value == pytest.approx(28.0, rel=1e-14)
    assert d.valid is True


def test_ph_is_an_arithmetic_mean_without_load():
    d = water_daily_from_hours([7.0] * 12 + [8.0] * 12, [5.0] * 12 + [45.0] * 12, ph=True)
    # (12 × 7 + 12 × 8) / 24 = 7.5, not flow-weighted (which would give 7.9)
    assert d.value == pytest.approx(7.5, rel=1e-15)
    assert d.cou is None
    # pH needs no volume: a missing volume does not invalidate a pH hour
    d2 = water_daily_from_hours([7.0] * 18, [None] * 18, ph=True)
    assert d2.valid is True and d2.volume is None


def test_zero_volume_day_is_invalid():
    d = water_daily_from_hours([30.0] * 24, [0.0] * 24)
    assert d.valid is False
    assert d.value is None
    assert d.reason == "zero volume"
    assert d.cou == 0.0


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="volumes"):
        water_daily_from_hours([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="valid"):
        water_daily_from_hours([1.0, 2.0], [1.0, 1.0], [True])
    with pytest.raises(ValueError, match="more than the 6"):
        water_hourly_from_cycles([1.0] * 7, [1.0] * 7)
