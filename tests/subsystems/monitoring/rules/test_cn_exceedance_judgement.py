"""Worked examples for rules.cn.exceedance (reference notes §4.1–§4.3)."""

from datetime import date

import pytest

from ecosentry.subsystems.monitoring.rules.cn.exceedance import (
    NOT_JUDGED_INVALID,
    Exceedance,
    Limit,
    SeasonDates,
    applicable_limit,
    judge,
    judge_gas_hour,
    judge_water_day,
    load_limit_seed,
    season_of,
)

SO2_NEW = Limit("hour", 100.0, valid_from=date(2012, 1, 1), standard="GB 13223-2011 Table 1")
SO2_ULTRA = Limit("hour", 35.0, valid_from=date(2017, 1, 1), standard="ultra-low")
PH = Limit("day", 9.0, lower=6.0, standard="GB 18918-2002 Table 1")


def test_upper_exceedance_multiple():
    # C = 150, C0 = 100 → multiple = (150 − 100)/100 = 0.5
    e = judge(150.0, True, SO2_NEW)
    assert e == Exceedance(True, 0.5, "150 > upper limit 100 (GB 13223-2011 Table 1)", SO2_NEW)


def test_equal_to_limit_complies():
    e = judge(100.0, True, SO2_NEW)
    assert (e.exceeded, e.multiple, e.reason) == (False, None, "within limit")


def test_invalid_period_is_never_judged():
    # Even a value far above the limit is not judged when the period is invalid (§4.2).
    e = judge(10_000.0, False, SO2_NEW)
    assert e.exceeded is None and e.multiple is None
    assert e.reason == NOT_JUDGED_INVALID
    assert judge_gas_hour(500.0, False, [SO2_NEW], date(2024, 1, 1)).exceeded is None
    assert judge_water_day(500.0, False, [Limit("day", 50.0)], date(2024, 1, 1)).exceeded is None


def test_no_value_or_no_limit_is_not_judged():
    assert judge(None, True, SO2_NEW).reason == "no value: not judged"
    assert judge(float("nan"), True, SO2_NEW).exceeded is None
    assert judge(5.0, True, None) == Exceedance(None, None, "no applicable limit: not judged", None)


def test_ph_lower_and_upper_bounds():
    # pH 6–9: 5.5 < 6 exceeds (multiple not defined for a lower bound); 9.5 > 9 → (9.5 − 9)/9.
    low = judge_water_day(5.5, True, [PH], date(2024, 5, 1))
    assert (low.exceeded, low.multiple) == (True, None)
    assert low.reason == "5.5 < lower limit 6 (GB 18918-2002 Table 1)"
    high = judge_water_day(9.5, True, [PH], date(2024, 5, 1))
    assert high.exceeded is True and high.multiple == (9.5 - 9.0) / 9.0
    assert judge_water_day(6.0, True, [PH], date(2024, 5, 1)).exceeded is False


def test_gas_uses_hourly_limit_and_water_daily_limit():
    # MSW incineration SO2: 1 h limit 100, 24 h limit 80. A value of 90 exceeds only the daily limit.
    limits = [Limit("hour", 100.0), Limit("day", 80.0)]
    assert judge_gas_hour(90.0, True, limits, date(2024, 1, 1)).exceeded is False
    day = judge_water_day(90.0, True, limits, date(2024, 1, 1))
    assert day.exceeded is True and day.multiple == (90.0 - 80.0) / 80.0


def test_latest_valid_from_wins_ultra_low_on_its_date():
    limits = [SO2_NEW, SO2_ULTRA]
    assert applicable_limit(limits, date(2016, 12, 31), "hour") is SO2_NEW
    assert applicable_limit(limits, date(2017, 1, 1), "hour") is SO2_ULTRA
    # 50 mg/m³ complies on 2016-12-31 but exceeds from 2017-01-01: (50 − 35)/35.
    assert judge_gas_hour(50.0, True, limits, date(2016, 12, 31)).exceeded is False
    e = judge_gas_hour(50.0, True, limits, date(2017, 1, 1))
    assert e.exceeded is True and e.multiple == 15.0 / 35.0
    assert applicable_limit(limits, date(2011, 12, 31), "hour") is None
    assert applicable_limit(limits, date(2020, 1, 1), "day") is None


def test_valid_to_is_inclusive():
    old = Limit("day", 60.0, valid_from=date(2010, 1, 1), valid_to=date(2019, 12, 31))
    assert applicable_limit([old], date(2019, 12, 31), "day") is old
    assert applicable_limit([old], date(2020, 1, 1), "day") is None


def test_seasonal_limit_switches_on_its_date():
    # Winter (heating season) NOx limit 30 from 15 Nov to 15 Mar; summer 50.
    seasons = SeasonDates(summer_begins=(3, 16), winter_begins=(11, 15))
    summer = Limit("hour", 50.0, season="summer", standard="summer")
    winter = Limit("hour", 30.0, season="winter", standard="winter")
    limits = [summer, winter]
    assert applicable_limit(limits, date(2024, 11, 14), "hour", seasons=seasons) is summer
    assert applicable_limit(limits, date(2024, 11, 15), "hour", seasons=seasons) is winter
    assert applicable_limit(limits, date(2025, 3, 15), "hour", seasons=seasons) is winter
    assert applicable_limit(limits, date(2025, 3, 16), "hour", seasons=seasons) is summer
    # 40 mg/m³: compliant on 14 Nov, exceeding on 15 Nov with multiple (40 − 30)/30.
    assert judge_gas_hour(40.0, True, limits, date(2024, 11, 14), seasons=seasons).exceeded is False
    e = judge_gas_hour(40.0, True, limits, date(2024, 11, 15), seasons=seasons)
    assert e.exceeded is True and e.multiple == 10.0 / 30.0
    assert season_of(date(2024, 1, 1)) == "winter" and season_of(date(2024, 7, 1)) == "summer"


def test_tie_seasonal_beats_year_round_then_strictest():
    base = Limit("hour", 50.0, valid_from=date(2020, 1, 1))
    winter = Limit("hour", 40.0, valid_from=date(2020, 1, 1), season="winter")
    assert applicable_limit([base, winter], date(2021, 1, 10), "hour") is winter
    assert applicable_limit([base, winter], date(2021, 7, 10), "hour") is base
    strict = Limit("hour", 45.0, valid_from=date(2020, 1, 1))
    assert applicable_limit([base, strict], date(2021, 7, 10), "hour") is strict


def test_limit_validation():
    with pytest.raises(ValueError):
        Limit("month", 1.0)
    with pytest.raises(ValueError):
        Limit("day", None)
    with pytest.raises(ValueError):
        Limit("day", 1.0, valid_from=date(2020, 1, 2), valid_to=date(2020, 1, 1))


def test_results_carry_catalogue_codes():
    from ecosentry.contracts.catalogue import RULES

    gas = judge_gas_hour(150.0, True, [SO2_NEW], date(2024, 1, 1))
    water = judge_water_day(10.0, True, [Limit("day", 50.0)], date(2024, 1, 1))
    invalid = judge_gas_hour(150.0, False, [SO2_NEW], date(2024, 1, 1))
    assert (gas.rule_code, water.rule_code, invalid.rule_code) == (
        "CN-EXC-GAS-HOUR", "CN-EXC-WATER-DAY", "CN-EXC-NOT-JUDGED-INVALID",
    )
    assert {gas.rule_code, water.rule_code, invalid.rule_code} <= set(RULES)
