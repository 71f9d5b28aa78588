"""A Vietnamese station's daily row is the mean of the day's valid values: the number the DONRE's desk shows
(``qcvn.daily_from_hours``), not the Chinese roll-up (mean of valid hourly means, 20 valid hours)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ecosentry.subsystems.monitoring.pipeline.periods import day_row, local_day_bounds
from ecosentry.subsystems.monitoring.rules.cn.exceedance import Limit
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (Bounds, HourPart, StoredHour, daily_from_hours,
                                                          day_of_stored_hours)

DAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 8, tzinfo=timezone.utc)
QCVN19 = "QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1"


def test_worked_day_of_stored_hours():
    # 12 valid values averaging 100, 6 averaging 200, an hour of 12 values all status 01/02, an hour never sent
    day = day_of_stored_hours([StoredHour(100.0, None, 12, 12, 1.5), StoredHour(200.0, None, 6, 12, 0.5),
                               StoredHour(None, None, 0, 12), StoredHour(None, None, 0, 0)], n_expected=24)
    assert day.value == pytest.approx((12 * 100 + 6 * 200) / 18)        # 133.33, not (100 + 200) / 2
    assert day.zs_value is None and day.cou == 2.0 and day.valid and day.reason is None
    assert (day.n_valid, day.n_received, day.n_expected) == (2, 3, 24)
    none = day_of_stored_hours([StoredHour(None, None, 0, 12)], n_expected=24)
    assert none.value is None and not none.valid and none.reason == "valid values 0 < 1"
    assert day_of_stored_hours([], n_expected=24).reason == "no data"


def _hours(tz: str, means: list[tuple[float, int]]) -> list[dict]:
    lo, _ = local_day_bounds(DAY, tz)
    return [{"period_start": lo + timedelta(hours=i), "value": m, "zs_value": None, "cou": None,
             "valid": n >= 9, "excluded": False, "valid_minutes": 5 * n, "received_minutes": 60}
            for i, (m, n) in enumerate(means)]


def test_a_vietnamese_day_row_is_the_desks_daily_mean_and_judged_with_few_hours():
    tz = "Asia/Ho_Chi_Minh"
    means = [(480.0, 12), (530.0, 3), (520.0, 12), (470.0, 6), (560.0, 1)]     # 5 hours: the CN rule wants 20
    limit = Limit("day", 500.0, valid_from=date(2010, 1, 1), standard=QCVN19)
    row = day_row(7, "a21026", DAY, local_day_bounds(DAY, tz)[0], _hours(tz, means), {}, [limit], "gas", tz, None,
                  NOW)
    desk = daily_from_hours([HourPart("a21026", DAY, m, n, 12) for m, n in means], {"a21026": Bounds(500.0)})
    assert row["value"] == pytest.approx(desk[0].mean) == 16970 / 34     # 499.1: what the desk shows
    assert row["value"] == pytest.approx(sum(m * n for m, n in means) / sum(n for _, n in means))
    assert row["valid"] and row["n_valid"] == 5 and row["n_expected"] == 24   # (the hours' plain mean: 512)
    assert row["exceeded"] is False and row["limit_value"] == 500.0
    over = day_row(7, "a21026", DAY, local_day_bounds(DAY, tz)[0], _hours(tz, [(510.0, 12), (490.0, 6)]), {},
                   [limit], "gas", tz, None, NOW)
    assert over["value"] == pytest.approx((510 * 12 + 490 * 6) / 18) and over["exceeded"] is True


def test_a_chinese_day_row_keeps_the_20_hour_rule():
    tz = "Asia/Shanghai"
    limit = Limit("day", 500.0, valid_from=date(2010, 1, 1), standard="GB 13223-2011 表1")
    row = day_row(7, "a21026", DAY, local_day_bounds(DAY, tz)[0], _hours(tz, [(480.0, 12)] * 5), {}, [limit], "gas",
                  tz, None, NOW)
    assert not row["valid"] and row["exceeded"] is None
