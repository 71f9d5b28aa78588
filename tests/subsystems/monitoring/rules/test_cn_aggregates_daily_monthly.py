"""Flue-gas day and month roll-ups (HJ 212-2017 eq. (25), (34); HJ 76-2017 Appendix B)."""

from datetime import date, datetime, timedelta

import pytest

from ecosentry.subsystems.monitoring.rules.cn.aggregates import HourValue, PeriodValue, daily_from_hours, monthly_from_days
from ecosentry.subsystems.monitoring.rules.cn.hourly import HourlyValue

D = datetime(2024, 5, 6)


def day_of(values_valid, start=D):
    """HourValues at 00:00, 01:00, … from (value, valid) pairs; cou = value / 10 kg, zs = 2 × value."""
    return [
        HourValue(start=start + timedelta(hours=i), value=v, valid=ok, zs_value=2 * v, cou=v / 10)
        for i, (v, ok) in enumerate(values_valid)
    ]


def test_20_valid_hours_make_a_valid_day():
    # 20 valid hours: 10 × 10 + 10 × 31 = 410; 4 invalid hours at 1000 are ignored.
    hours = day_of([(10.0, True)] * 10 + [(31.0, True)] * 10 + [(1000.0, False)] * 4)
    d = daily_from_hours(hours)
    assert d.valid is True
    assert d.kind == "day"
    assert d.start == D
    # 20 h valid → mean of the 20 values = 410/20 = 20.5
    assert d.value == pytest.approx(20.5, rel=1e-15)
    # 折算 mean over the same hours: 2 × 20.5 = 41.0
    assert d.zs_value == pytest.approx(41.0, rel=1e-15)
    # eq. (34) over valid hours only, no 10⁻⁶: (10 × 1.0 + 10 × 3.1) = 41.0 kg
    assert d.cou == pytest.approx(41.0, rel=1e-15)
    assert (d.n_valid, d.n_received, d.n_expected) == (20, 24, 24)
    assert d.reason is None


def test_19_valid_hours_make_an_invalid_day_with_reason():
    # 19 valid + 3 invalid received, 2 missing.
    hours = day_of([(20.0, True)] * 19 + [(99.0, False)] * 3)
    d = daily_from_hours(hours)
    assert d.valid is False
    assert (d.n_valid, d.n_received, d.n_expected) == (19, 22, 24)
    assert d.reason == "valid hours 19 < 20; invalid 3 h; missing 2 h"
    # The mean of the valid hours is still shown: 19 × 20 / 19 = 20.
    assert d.value == pytest.approx(20.0, rel=1e-15)
    # cou: 19 × 2.0 = 38.0 kg
    assert d.cou == pytest.approx(38.0, rel=1e-15)


def test_threshold_is_a_parameter():
    hours = day_of([(20.0, True)] * 18)
    assert daily_from_hours(hours, min_valid_hours=18).valid is True
    assert daily_from_hours(hours).reason == "valid hours 18 < 20; missing 6 h"


def test_valid_hour_without_a_number_does_not_count():
    hours = day_of([(20.0, True)] * 20)
    hours[0] = HourValue(start=D, value=None, valid=True)
    hours[1] = HourValue(start=D + timedelta(hours=1), value=float("nan"), valid=True)
    d = daily_from_hours(hours)
    assert d.n_valid == 18
    assert d.valid is False


def test_no_data():
    d = daily_from_hours([])
    assert d == PeriodValue(
        value=None, zs_value=None, cou=None, valid=False, n_valid=0, n_received=0, n_expected=24,
        reason="no data", kind="day", start=None,
    )


def test_duplicates_first_kept_and_days_checked():
    hours = day_of([(10.0, True)] * 20)
    dup = HourValue(start=D, value=1000.0, valid=True)
    d = daily_from_hours(hours + [dup])
    assert d.n_received == 20
    assert d.value == pytest.approx(10.0, rel=1e-15)
    with pytest.raises(ValueError, match="more than one day"):
        daily_from_hours(hours + [HourValue(start=D + timedelta(days=1), value=1.0, valid=True)])
    with pytest.raises(ValueError, match="more than the 24"):
        daily_from_hours([HourValue(start=None, value=1.0, valid=True)] * 25)


def test_accepts_hourly_values_from_the_hour_module():
    h = HourlyValue(
        value=12.0, zs_value=15.0, min=10.0, max=14.0, cou=0.5, flag="N", valid=True,
        valid_minutes=60, received_minutes=60, n_records=60, reason=None,
    )
    d = daily_from_hours([h] * 20)
    # 20 × 12 / 20 = 12; cou 20 × 0.5 = 10 kg
    assert (d.value, d.zs_value, d.cou, d.valid, d.start) == (12.0, 15.0, 10.0, True, None)


def days_of(values_valid, year, month, cou=1.0):
    return [
        PeriodValue(
            value=v, zs_value=v + 1, cou=cou, valid=ok, n_valid=24 if ok else 0, n_received=24,
            n_expected=24, reason=None, kind="day", start=datetime(year, month, i + 1),
        )
        for i, (v, ok) in enumerate(values_valid)
    ]


def test_25_valid_days_make_a_valid_month():
    # 25 valid days: 20 × 10 + 5 × 40 = 400 → 400/25 = 16; 6 invalid days at 500 ignored.
    days = days_of([(10.0, True)] * 20 + [(40.0, True)] * 5 + [(500.0, False)] * 6, 2024, 5)
    m = monthly_from_days(days, year=2024, month=5)
    assert m.valid is True
    assert m.value == pytest.approx(16.0, rel=1e-15)
    assert m.zs_value == pytest.approx(17.0, rel=1e-15)
    # cou over all 31 days (each already a sum over its valid hours): 31 × 1.0
    assert m.cou == pytest.approx(31.0, rel=1e-15)
    assert (m.n_valid, m.n_received, m.n_expected, m.kind, m.start) == (25, 31, 31, "month", date(2024, 5, 1))


def test_24_valid_days_make_an_invalid_month():
    days = days_of([(10.0, True)] * 24 + [(500.0, False)] * 6, 2024, 6)
    m = monthly_from_days(days, year=2024, month=6)
    assert m.valid is False
    assert m.n_expected == 30
    assert m.reason == "valid days 24 < 25; invalid 6 d"
    assert m.value == pytest.approx(10.0, rel=1e-15)


@pytest.mark.parametrize("year, n_days", [(2023, 28), (2024, 29)])  # common and leap February
def test_february_needs_23_valid_days(year, n_days):
    ok23 = days_of([(10.0, True)] * 23 + [(1.0, False)] * (n_days - 23), year, 2)
    ok22 = days_of([(10.0, True)] * 22 + [(1.0, False)] * (n_days - 22), year, 2)
    m23 = monthly_from_days(ok23, year=year, month=2)
    m22 = monthly_from_days(ok22, year=year, month=2)
    assert (m23.valid, m23.n_expected) == (True, n_days)
    assert (m22.valid, m22.n_expected) == (False, n_days)
    assert m22.reason == f"valid days 22 < 23; invalid {n_days - 22} d"


def test_23_days_are_not_enough_outside_february():
    days = days_of([(10.0, True)] * 23, 2024, 4)
    m = monthly_from_days(days, year=2024, month=4)
    assert m.valid is False
    assert m.reason == "valid days 23 < 25; missing 7 d"


def test_month_checks():
    with pytest.raises(ValueError, match="not in 2024-05"):
        monthly_from_days(days_of([(1.0, True)], 2024, 6), year=2024, month=5)
    with pytest.raises(ValueError, match="month must be"):
        monthly_from_days([], year=2024, month=13)
    assert monthly_from_days([], year=2024, month=1).reason == "no data"


def test_day_then_month_end_to_end():
    # 25 days of 24 valid hours at 8 mg/m³ and 0.5 kg/h; 6 days with 19 valid hours.
    days = []
    for i in range(31):
        n_valid = 24 if i < 25 else 19
        hours = [
            HourValue(start=datetime(2024, 1, i + 1, h), value=8.0, valid=h < n_valid, cou=0.5)
            for h in range(24)
        ]
        days.append(daily_from_hours(hours))
    m = monthly_from_days(days, year=2024, month=1)
    assert m.valid is True
    assert m.n_valid == 25
    # emission: 25 × 24 × 0.5 + 6 × 19 × 0.5 = 300 + 57 = 357 kg
    assert m.cou == pytest.approx(357.0, rel=1e-15)
