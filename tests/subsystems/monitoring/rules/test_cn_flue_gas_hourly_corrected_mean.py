"""Hourly 折算 value by both readings of -ZsAvg (reference notes §3.1 open question)."""

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn.flue_gas import HourlyCorrectedValue, hourly_corrected_mean

# Four minutes: 30 mg/m³ at 9 % and at 11 %, 40 mg/m³ at 6 % and at 16 %; reference 6 %.
C = [30.0, 30.0, 40.0, 40.0]
O2 = [9.0, 11.0, 6.0, 16.0]


def test_mean_of_minute_corrected_values():
    # minute 折算: 30×15/12 = 37.5, 30×15/10 = 45, 40×15/15 = 40, 40×15/5 = 120 → 242.5/4 = 60.625
    h = hourly_corrected_mean(C, O2, 6.0)
    assert h.value == pytest.approx(60.625, rel=1e-15)
    assert h.method == "mean_of_minute"
    assert (h.n_minutes, h.n_used, h.n_o2_excluded, h.n_missing, h.o2_excluded, h.reason) == (
        4, 4, 0, 0, False, None,
    )


def test_corrected_hourly_mean_differs_when_o2_varies():
    # mean C = 140/4 = 35, mean O2 = 42/4 = 10.5 → 35 × 15/10.5 = 50
    h = hourly_corrected_mean(C, O2, 6.0, method="corrected_hourly_mean")
    assert h.value == pytest.approx(50.0, rel=1e-15)
    assert h.method == "corrected_hourly_mean"


def test_methods_agree_at_constant_o2():
    a = hourly_corrected_mean([20.0, 40.0], [9.0, 9.0], 6.0)
    b = hourly_corrected_mean([20.0, 40.0], [9.0, 9.0], 6.0, method="corrected_hourly_mean")
    # 30 × 15/12 = 37.5 either way
    assert a.value == pytest.approx(37.5, rel=1e-15)
    assert b.value == pytest.approx(37.5, rel=1e-15)


@pytest.mark.parametrize("method", ["mean_of_minute", "corrected_hourly_mean"])
def test_o2_at_cutoff_and_at_21_are_excluded_counted_and_flagged(method):
    # O2 20.0 (at the cutoff) and 21 are excluded; the two usable minutes are at 9 %: 37.5 and 45 → …
    c = [30.0, 36.0, 500.0, 500.0]
    o2 = [9.0, 9.0, 20.0, 21.0]
    h = hourly_corrected_mean(c, o2, 6.0, method=method)
    # usable: 30 and 36 at 9 %: (30 + 36)/2 × 15/12 = 33 × 1.25 = 41.25 (both methods)
    assert h.value == pytest.approx(41.25, rel=1e-15)
    assert (h.n_used, h.n_o2_excluded, h.n_missing, h.o2_excluded) == (2, 2, 0, True)
    assert h.reason == "O2 >= 20 % in 2 min"


def test_o2_just_below_cutoff_is_used():
    # 19.99 %: 30 × 15/1.01
    h = hourly_corrected_mean([30.0], [19.99], 6.0)
    assert h.value == pytest.approx(30.0 * 15.0 / 1.01, rel=1e-13)
    assert h.o2_excluded is False


def test_cutoff_parameter_and_missing_minutes():
    h = hourly_corrected_mean([30.0, 30.0, np.nan, 30.0], [9.0, 19.5, 9.0, np.nan], 6.0, o2_cutoff=19.0)
    assert h.value == pytest.approx(37.5, rel=1e-15)
    assert (h.n_used, h.n_o2_excluded, h.n_missing) == (1, 1, 2)
    assert h.reason == "O2 >= 19 % in 1 min; missing 2 min"


def test_all_minutes_excluded():
    h = hourly_corrected_mean([30.0, 30.0], [20.5, 21.0], 6.0)
    assert h == HourlyCorrectedValue(
        value=None, method="mean_of_minute", n_minutes=2, n_used=0, n_o2_excluded=2, n_missing=0,
        o2_excluded=True, reason="no usable minute; O2 >= 20 % in 2 min",
    )


def test_no_reference_o2_gives_the_plain_mean():
    # (30 + 40 + 50)/3 = 40, O2 ignored (even 21 %)
    h = hourly_corrected_mean([30.0, 40.0, 50.0], [21.0, 9.0, 9.0], None)
    assert h.value == pytest.approx(40.0, rel=1e-15)
    assert h.o2_excluded is False
    assert hourly_corrected_mean([30.0], None, None).value == 30.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        hourly_corrected_mean(C, O2, 6.0, method="median")
    with pytest.raises(ValueError, match="minute_o2"):
        hourly_corrected_mean(C, None, 6.0)
    with pytest.raises(ValueError, match="4 values"):
        hourly_corrected_mean(C, O2[:3], 6.0)
