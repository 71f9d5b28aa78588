"""HJ 212-2017 Appendix D.2 eq. (28) and (31) on hand-worked numbers."""

import math

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn.flue_gas import corrected_concentration, standard_dry_flow


def test_worked_example_scalar():
    # 30 mg/m³ at 9 % O2, corrected to 6 %: 30 × (21 − 6)/(21 − 9) = 30 × 15/12 = 37.5
    assert corrected_concentration(30.0, 9.0, 6.0) == pytest.approx(37.5, rel=1e-15)
    # At the reference O2 the value is unchanged.
    assert corrected_concentration(30.0, 6.0, 6.0) == pytest.approx(30.0, rel=1e-15)
    # Industrial coal boiler, reference 9 %: 200 × (21 − 9)/(21 − 13) = 300
    assert corrected_concentration(200.0, 13.0, 9.0) == pytest.approx(300.0, rel=1e-15)


def test_vectorised_with_nan_outside_the_usable_range():
    c = np.array([30.0, 30.0, 30.0, 30.0, 30.0, np.nan])
    o2 = np.array([9.0, 19.99, 20.0, 21.0, -1.0, 9.0])
    out = corrected_concentration(c, o2, 6.0)
    assert out.shape == (6,)
    assert out[0] == pytest.approx(37.5)
    assert out[1] == pytest.approx(30.0 * 15.0 / 1.01)
    assert np.isnan(out[2:]).all()


def test_cutoff_is_a_parameter_but_21_is_always_nan():
    assert math.isnan(corrected_concentration(30.0, 19.5, 6.0, o2_cutoff=19.0))
    assert corrected_concentration(30.0, 20.5, 6.0, o2_cutoff=25.0) == pytest.approx(30.0 * 15.0 / 0.5)
    assert math.isnan(corrected_concentration(30.0, 21.0, 6.0, o2_cutoff=25.0))


def test_broadcasting_reference_array():
    out = corrected_concentration(30.0, 9.0, np.array([6.0, 9.0, 11.0]))
    np.testing.assert_allclose(out, [37.5, 30.0, 25.0])


def test_no_reference_o2_returns_the_measured_value():
    assert corrected_concentration(30.0, 9.0, None) == 30.0
    np.testing.assert_array_equal(corrected_concentration([1.0, 2.0], [9.0, 25.0], None), [1.0, 2.0])


def test_standard_dry_flow():
    # 0 °C, 0 Pa static, 101325 Pa, 10 % moisture: only the moisture term acts.
    assert standard_dry_flow(100.0, 0.0, 0.0, 0.10) == pytest.approx(90.0)
    # 50 °C, −300 Pa, 10 % moisture: 100 × 273/323 × 101025/101325 × 0.9
    expected = 100.0 * 273.0 / 323.0 * (101325.0 - 300.0) / 101325.0 * 0.9
    assert standard_dry_flow(100.0, 50.0, -300.0, 0.10) == pytest.approx(expected, rel=1e-15)
    out = standard_dry_flow(np.array([100.0, 200.0]), 0.0, 0.0, 0.0, p_atm=50662.5)
    np.testing.assert_allclose(out, [50.0, 100.0])
