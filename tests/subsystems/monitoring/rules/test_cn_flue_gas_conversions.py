"""HJ 212-2017 Appendix D.2 eq. (18)–(21), (26), (27), (29), (30), (33) on hand-worked numbers."""

import math

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn.flue_gas import (
    MOLAR_MASS,
    corrected_by_excess_air,
    corrected_concentration,
    emission_rate_kg_h,
    excess_air_coefficient,
    flue_velocity,
    hourly_wet_flow,
    nox_as_no2,
    ppm_to_mg_m3,
    standard_dry_flow,
    wet_to_dry,
    working_to_standard,
)


def test_working_to_standard():
    # Standard state in, standard state out.
    assert working_to_standard(100.0, 0.0, 0.0, 101325.0) == pytest.approx(100.0, rel=1e-15)
    # 120 °C, +200 Pa, 99 800 Pa: 100 × 101325/100000 × 393/273
    expected = 100.0 * 101325.0 / 100000.0 * 393.0 / 273.0
    assert working_to_standard(100.0, 120.0, 200.0, 99800.0) == pytest.approx(expected, rel=1e-15)
    assert expected == pytest.approx(145.8634615, rel=1e-9)
    np.testing.assert_allclose(working_to_standard([50.0, 100.0], 273.0, 0.0, 101325.0), [100.0, 200.0])


def test_wet_to_dry_with_10_percent_moisture():
    # 90 / (1 − 0.10) = 100
    assert wet_to_dry(90.0, 0.10) == pytest.approx(100.0, rel=1e-15)
    # O2 uses the same formula: 9 % wet → 10 % dry
    assert wet_to_dry(9.0, 0.10) == pytest.approx(10.0, rel=1e-15)
    out = wet_to_dry(np.array([90.0, 90.0, 90.0]), np.array([0.0, 1.0, -0.1]))
    assert out[0] == 90.0
    assert np.isnan(out[1:]).all()


def test_ppm_to_mg_m3_so2():
    # 100 ppm SO2 → 64.06 / 22.4 × 100 = 285.982142857… mg/m³
    assert ppm_to_mg_m3(100.0, MOLAR_MASS["SO2"]) == pytest.approx(6406.0 / 22.4, rel=1e-15)
    assert ppm_to_mg_m3(100.0, MOLAR_MASS["SO2"]) == pytest.approx(285.98, abs=0.005)
    # NO2: 22.4 ppm → 46.01 mg/m³
    assert ppm_to_mg_m3(22.4, MOLAR_MASS["NO2"]) == pytest.approx(46.01, rel=1e-15)
    assert MOLAR_MASS == {"SO2": 64.06, "NO2": 46.01, "NO": 30.01, "CO": 28.01}


def test_nox_as_no2():
    # 30.01 mg/m³ NO × 46.01/30.01 + 10 mg/m³ NO2 = 46.01 + 10 = 56.01
    assert nox_as_no2(30.01, 10.0) == pytest.approx(56.01, rel=1e-15)
    # 100 mg/m³ NO alone → 100 × 46.01/30.01 = 153.3155…
    assert nox_as_no2(100.0, 0.0) == pytest.approx(4601.0 / 30.01, rel=1e-15)
    # eq. (22) equivalent from ppm: 50 ppm NO + 10 ppm NO2 → 46.01/22.4 × 60
    no_mg = ppm_to_mg_m3(50.0, MOLAR_MASS["NO"])
    no2_mg = ppm_to_mg_m3(10.0, MOLAR_MASS["NO2"])
    assert nox_as_no2(no_mg, no2_mg) == pytest.approx(46.01 / 22.4 * 60.0, rel=1e-14)


def test_excess_air_coefficient_and_cutoff():
    # 21 / (21 − 14) = 3; 21 / (21 − 0) = 1; 6 % → 21/15 = 1.4
    assert excess_air_coefficient(14.0) == pytest.approx(3.0, rel=1e-15)
    assert excess_air_coefficient(0.0) == 1.0
    assert excess_air_coefficient(6.0) == pytest.approx(1.4, rel=1e-15)
    # O2 = 20.0 is at the cutoff, 21 is undefined, 19.99 still computed
    assert math.isnan(excess_air_coefficient(20.0))
    assert math.isnan(excess_air_coefficient(21.0))
    assert math.isnan(excess_air_coefficient(21.0, o2_cutoff=30.0))
    assert excess_air_coefficient(19.99) == pytest.approx(21.0 / 1.01, rel=1e-13)


def test_corrected_by_excess_air_matches_eq_28():
    # α at 9 % = 21/12 = 1.75, α_s at 6 % = 1.4 → 30 × 1.75/1.4 = 37.5 (= eq. (28) 30 × 15/12)
    alpha = excess_air_coefficient(9.0)
    alpha_s = excess_air_coefficient(6.0)
    assert corrected_by_excess_air(30.0, alpha, alpha_s) == pytest.approx(37.5, rel=1e-15)
    o2 = np.array([3.0, 9.0, 13.0, 19.0])
    np.testing.assert_allclose(
        corrected_by_excess_air(200.0, excess_air_coefficient(o2), excess_air_coefficient(9.0)),
        corrected_concentration(200.0, o2, 9.0),
        rtol=1e-14,
    )
    # No α_s in the standard → measured value.
    assert corrected_by_excess_air(30.0, 1.75, None) == 30.0


def test_flue_velocity_and_hourly_wet_flow():
    # V_s = 1.05 × 12 = 12.6 m/s; Q_sh = 3600 × 3.5 m² × 12.6 m/s = 158 760 m³/h
    v = flue_velocity(1.05, 12.0)
    assert v == pytest.approx(12.6, rel=1e-15)
    assert hourly_wet_flow(3.5, v) == pytest.approx(158760.0, rel=1e-15)


def test_emission_rate_uses_the_measured_concentration():
    # Q_snh = 158 760 × 273/(273 + 100) × (101325 − 500)/101325 × (1 − 0.08)
    q_snh = standard_dry_flow(158760.0, 100.0, -500.0, 0.08)
    expected_q = 158760.0 * 273.0 / 373.0 * 100825.0 / 101325.0 * 0.92
    assert q_snh == pytest.approx(expected_q, rel=1e-14)
    # 35 mg/m³ measured (dry std) × 100 000 m³/h × 10⁻⁶ = 3.5 kg/h
    assert emission_rate_kg_h(35.0, 100000.0) == pytest.approx(3.5, rel=1e-15)
    assert emission_rate_kg_h(35.0, q_snh) == pytest.approx(35.0 * expected_q * 1e-6, rel=1e-14)
    np.testing.assert_allclose(emission_rate_kg_h([10.0, 20.0], 50000.0), [0.5, 1.0], rtol=1e-15)


def test_chain_wet_working_ppm_to_dry_standard_corrected():
    # Wet analyser: 100 ppm SO2 at working conditions 0 °C, 0 Pa, 101 325 Pa, 10 % moisture, O2 9 % dry.
    c_wet_std = working_to_standard(ppm_to_mg_m3(100.0, MOLAR_MASS["SO2"]), 0.0, 0.0, 101325.0)
    c_dry = wet_to_dry(c_wet_std, 0.10)
    # 285.982142… / 0.9 = 317.757936…; corrected to 6 %: × 15/12 = 397.197420…
    assert c_dry == pytest.approx(6406.0 / 22.4 / 0.9, rel=1e-14)
    assert corrected_concentration(c_dry, 9.0, 6.0) == pytest.approx(6406.0 / 22.4 / 0.9 * 1.25, rel=1e-14)
