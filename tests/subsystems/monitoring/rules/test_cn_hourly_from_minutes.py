"""Worked examples for rules.cn.hourly (HJ 212-2017 Appendix C, HJ 76-2017 Appendix B)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ecosentry.subsystems.monitoring.rules.cn.hourly import (
    HourlyValue,
    MinuteRecord,
    expected_minutes_in_hour,
    group_by_hour,
    hourly_from_minutes,
)

H = datetime(2024, 5, 6, 8, 0)


def minutes(flags_and_values, start=H, step=1):
    """Records at start, start+step, ... from (flag, value) pairs."""
    return [
        MinuteRecord(start=start + timedelta(minutes=i * step), value=v, flag=f)
        for i, (f, v) in enumerate(flags_and_values)
    ]


def test_45_valid_minutes_is_a_valid_hour():
    records = minutes([("N", 10.0)] * 45)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is True
    assert h.valid_minutes == 45
    assert h.received_minutes == 45
    assert h.n_records == 45
    assert h.value == 10.0
    assert h.reason is None
    # 45 of 45 received records are N: > 75 % → N (denominator = received records).
    assert h.flag == "N"


def test_44_valid_minutes_is_invalid_with_reason():
    records = minutes([("N", 10.0)] * 44)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is False
    assert h.valid_minutes == 44
    assert h.reason == "valid minutes 44 < 45; missing 16 min"
    # The mean of the valid minutes is still reported for an invalid hour.
    assert h.value == 10.0


def test_invalid_flags_are_listed_in_the_reason():
    records = minutes([("N", 1.0)] * 30 + [("M", 99.0)] * 20 + [("D", 99.0)] * 5 + [(None, None)] * 5)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is False
    assert h.valid_minutes == 30
    assert h.reason == "valid minutes 30 < 45; M 20 min; D 5 min; no value 5 min"
    assert h.value == 1.0
    # 35 of 60 records are N (None counts as N): 58 % ≤ 75 % → D.
    assert h.flag == "D"


def test_mean_min_max_cou_and_zs():
    records = [
        MinuteRecord(H + timedelta(minutes=i), value=float(i), flag="N", zs_value=2.0 * i,
                     min=i - 0.5 if i == 0 else None, max=i + 0.5 if i == 59 else None, cou=0.25)
        for i in range(60)
    ]
    h = hourly_from_minutes(records, medium="gas")
    assert h.value == 29.5  # mean of 0..59
    assert h.zs_value == 59.0
    assert h.min == -0.5  # -Min used where present
    assert h.max == 59.5  # -Max used where present
    assert h.cou == 15.0  # 60 × 0.25, all received records
    assert h.valid and h.flag == "N" and h.reason is None


def test_cou_sums_all_received_records_and_invalid_values_are_excluded():
    records = [
        MinuteRecord(H + timedelta(minutes=i), value=100.0 if i < 10 else 20.0,
                     flag="C" if i < 10 else "N", cou=1.0)
        for i in range(60)
    ]
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is True and h.valid_minutes == 50
    assert h.value == 20.0 and h.min == 20.0 and h.max == 20.0
    assert h.cou == 60.0
    # 50/60 N = 83 % > 75 % → N.
    assert h.flag == "N"


def test_gas_75_percent_boundary_exactly_75_is_D():
    records = minutes([("N", 5.0)] * 45 + [("M", 5.0)] * 15)
    h = hourly_from_minutes(records, medium="gas")
    assert h.flag == "D"  # 45/60 = 75 %: not *more than* 75 %
    assert h.valid is True  # 45 valid minutes: validity and flag are separate rules
    assert h.reason is None


def test_gas_46_of_60_N_is_N():
    records = minutes([("N", 5.0)] * 46 + [("M", 5.0)] * 14)
    h = hourly_from_minutes(records, medium="gas")
    assert h.flag == "N"
    assert h.valid_minutes == 46


def test_water_10_minute_data_five_valid_records_are_50_minutes():
    records = minutes([("N", 30.0)] * 5 + [("D", 80.0)], step=10)
    h = hourly_from_minutes(records, medium="water", interval_minutes=10)
    assert h.valid_minutes == 50
    assert h.received_minutes == 60
    assert h.n_records == 6
    assert h.valid is True
    assert h.value == 30.0
    # Wastewater: one abnormal sub-interval makes the hour abnormal.
    assert h.flag == "D"


def test_water_first_invalidating_flag_is_kept():
    records = minutes([("N", 1.0), ("N", 1.0), ("C", 1.0), ("M", 1.0), ("N", 1.0), ("N", 1.0)], step=10)
    h = hourly_from_minutes(records, medium="water", interval_minutes=10)
    assert h.flag == "C"
    assert h.valid_minutes == 40
    assert h.valid is False
    assert h.reason == "valid minutes 40 < 45; C 10 min; M 10 min"


def test_water_all_normal_is_N():
    records = minutes([("N", 2.0)] * 6, step=10)
    h = hourly_from_minutes(records, medium="water", interval_minutes=10)
    assert h.flag == "N" and h.valid and h.value == 2.0 and h.reason is None


def test_S_is_valid_but_visible():
    records = minutes([("N", 10.0)] * 55 + [("S", 40.0)] * 5)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is True
    assert h.valid_minutes == 60
    assert h.manual_minutes == 5
    assert h.value == 12.5  # (55 × 10 + 5 × 40) / 60
    assert h.flag == "N"  # 55/60 N > 75 %
    assert h.reason == "manual S minutes 5"


def test_gas_hour_carried_by_manual_values_is_flagged_S():
    records = minutes([("N", 10.0)] * 30 + [("S", 10.0)] * 30)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid is True
    assert h.flag == "S"  # N alone 50 % ≤ 75 %, N + S 100 % > 75 %
    assert h.reason == "manual S minutes 30"


def test_water_S_only_abnormal_flag_is_S():
    records = minutes([("N", 3.0)] * 5 + [("S", 3.0)], step=10)
    h = hourly_from_minutes(records, medium="water", interval_minutes=10)
    assert h.flag == "S" and h.valid and h.manual_minutes == 10
    assert h.reason == "manual S minutes 10"


def test_unknown_flag_is_invalid_kept_verbatim_and_never_crashes():
    records = minutes([("N", 1.0)] * 59 + [("X", 500.0)])
    gas = hourly_from_minutes(records, medium="gas")
    assert gas.valid_minutes == 59 and gas.value == 1.0 and gas.max == 1.0
    assert gas.flag == "N"
    water = hourly_from_minutes(records, medium="water")
    assert water.flag == "X"
    short = hourly_from_minutes(records[:40] + records[-1:], medium="gas")
    assert short.reason == "valid minutes 40 < 45; X 1 min; missing 19 min"


def test_flags_are_stripped_and_empty_means_N():
    records = minutes([(" N ", 1.0)] * 30 + [("", 1.0)] * 30)
    h = hourly_from_minutes(records, medium="gas")
    assert h.valid_minutes == 60 and h.flag == "N"


def test_all_stopped_hour_is_F_and_excluded():
    records = minutes([("F", 0.0)] * 60)
    for medium in ("gas", "water"):
        h = hourly_from_minutes(records, medium=medium)
        assert h.flag == "F"
        assert h.valid is False
        assert h.valid_minutes == 0
        assert h.reason == "stopped (all F)"


def test_empty_input_is_invalid_with_reason_no_data():
    h = hourly_from_minutes([], medium="gas")
    assert h == HourlyValue(
        value=None, zs_value=None, min=None, max=None, cou=None, flag=None, valid=False,
        valid_minutes=0, received_minutes=0, n_records=0, reason="no data", manual_minutes=0,
    )


def test_duplicate_starts_count_once_keep_first():
    records = minutes([("N", 10.0)] * 45)
    duplicate = MinuteRecord(start=H, value=1000.0, flag="N")
    h = hourly_from_minutes(records + [duplicate], medium="gas")
    assert h.n_records == 45
    assert h.valid_minutes == 45
    assert h.value == 10.0


def test_unordered_input_is_accepted():
    records = minutes([("N", float(i)) for i in range(6)], step=10)
    h = hourly_from_minutes(list(reversed(records)), medium="water", interval_minutes=10)
    assert h.value == 2.5


def test_records_outside_one_clock_hour_raise():
    records = minutes([("N", 1.0)] * 2)
    late = MinuteRecord(start=H + timedelta(hours=1), value=1.0, flag="N")
    with pytest.raises(ValueError, match="clock hour"):
        hourly_from_minutes(records + [late], medium="gas")


def test_mixed_naive_and_aware_raise():
    aware = MinuteRecord(start=H.replace(tzinfo=timezone.utc), value=1.0, flag="N")
    naive = MinuteRecord(start=H + timedelta(minutes=1), value=1.0, flag="N")
    with pytest.raises(ValueError, match="naive"):
        hourly_from_minutes([aware, naive], medium="gas")


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        hourly_from_minutes([], medium="air")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        hourly_from_minutes([], medium="gas", interval_minutes=7)


def test_coverage_is_capped_at_60_when_the_interval_is_misdeclared():
    records = minutes([("N", 1.0)] * 60)  # 1-min data declared as 10-min
    h = hourly_from_minutes(records, medium="gas", interval_minutes=10)
    assert h.valid_minutes == 60 and h.received_minutes == 60


def test_expected_minutes_in_hour():
    assert expected_minutes_in_hour(1) == 60
    assert expected_minutes_in_hour(10) == 6
    assert expected_minutes_in_hour(30) == 2
    with pytest.raises(ValueError):
        expected_minutes_in_hour(7)


def test_group_by_hour_in_the_points_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    utc_start = datetime(2024, 5, 6, 0, 58, tzinfo=timezone.utc)  # 08:58 in Shanghai
    records = [MinuteRecord(utc_start + timedelta(minutes=i), float(i), "N") for i in range(4)]
    groups = group_by_hour(records, "Asia/Shanghai")
    assert list(groups) == [datetime(2024, 5, 6, 8, tzinfo=shanghai), datetime(2024, 5, 6, 9, tzinfo=shanghai)]
    assert [r.value for r in groups[datetime(2024, 5, 6, 8, tzinfo=shanghai)]] == [0.0, 1.0]
    assert all(r.start.tzinfo == shanghai for g in groups.values() for r in g)
    # Each group is one clock hour, so it can be rolled up.
    for g in groups.values():
        hourly_from_minutes(g, medium="gas")


def test_group_by_hour_india_half_hour_offset():
    kolkata = "Asia/Kolkata"  # UTC+05:30: UTC hours are not local hours
    utc_start = datetime(2024, 5, 6, 2, 25, tzinfo=timezone.utc)  # 07:55 local
    records = [MinuteRecord(utc_start + timedelta(minutes=i), 1.0, "N") for i in range(10)]
    groups = group_by_hour(records, kolkata)
    assert [len(g) for g in groups.values()] == [5, 5]
    naive = group_by_hour([MinuteRecord(H, 1.0, "N")])
    assert list(naive) == [H]
