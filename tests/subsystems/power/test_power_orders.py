"""Heavy-pollution alert compliance on hand-computed examples (shared/reference/subsystems.md §1.4 rule 4,
§1.5, §7 item 6): the baseline of normal production days, a limit order at 50 %, a stop order."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.power.rules.linkage import meter_state
from ecosentry.subsystems.power.rules.orders import Order, OrderSettings, hourly_baseline, limit_order, stop_order
from ecosentry.subsystems.power.rules.state import MinuteSeries, Thresholds

CST = ZoneInfo("Asia/Shanghai")
D0 = datetime(2026, 1, 5, tzinfo=CST)  # a Monday


def day_hours(*levels_by_day):
    """Minute power from per-day constant levels (kW), or per-day 24-hour lists."""
    out = []
    for level in levels_by_day:
        hours = level if isinstance(level, list) else [level] * 24
        out += [np.full(60, float(h)) for h in hours]
    return np.concatenate(out)


def test_baseline_is_the_median_of_normal_days_and_skips_a_holiday():
    # four days before the order: 100, 120, 10 (a holiday), 170 kW; the order day follows
    power = day_hours(100, 120, 10, 170, 60)
    s = MinuteSeries(D0, power)
    base = hourly_baseline(s, power, D0 + timedelta(days=4), settings=OrderSettings(baseline_days=30))
    assert base.days == ("2026-01-05", "2026-01-06", "2026-01-08")  # 10 kW < half the median day: not normal
    assert base.kwh == pytest.approx(np.full(24, 120.0))          # median of 100, 120, 170 kWh per hour
    mean = hourly_baseline(s, power, D0 + timedelta(days=4), settings=OrderSettings(statistic="mean"))
    assert mean.kwh == pytest.approx(np.full(24, 130.0))
    last_two = hourly_baseline(s, power, D0 + timedelta(days=4), settings=OrderSettings(baseline_days=2))
    assert last_two.days == ("2026-01-08",)  # the holiday is one of the two and is left out


def test_baseline_of_the_same_weekday():
    power = day_hours(*([100] * 7 + [120] * 7), 50)  # two weeks, the second at 120 kW
    power[: 1440] = 90  # the first Monday
    s = MinuteSeries(D0, power)
    base = hourly_baseline(s, power, D0 + timedelta(days=14), settings=OrderSettings(same_weekday=True))
    order_day = D0 + timedelta(days=14, hours=9)  # a Monday
    assert base.hour(order_day) == pytest.approx(105.0)  # median of the Mondays 90 and 120


def test_limit_order_at_50_percent_with_hand_computed_shares():
    # baseline 120 kW each hour (three normal days); the order limits the line to 50 % from 08:00 to 12:00
    order_day = [120] * 8 + [60, 66, 72, 90] + [120] * 12
    power = day_hours(100, 120, 170, order_day)
    s = MinuteSeries(D0, power)
    start = D0 + timedelta(days=3, hours=8)
    order = Order("E1", ("kiln",), "limit", start, start + timedelta(hours=4), allowed_pct=50, level="orange")
    settings = OrderSettings()
    base = hourly_baseline(s, power, D0 + timedelta(days=3), settings=settings)
    findings, table = limit_order(order, s, power, base, settings=settings)
    # hour by hour: 60/120 = 50 %, 66/120 = 55 % (= 50 % × 1.1, allowed), 72/120 = 60 %, 90/120 = 75 %
    assert [r["share"] for r in table] == [0.5, 0.55, 0.6, 0.75]
    assert [r["allowed_kwh"] for r in table] == [66.0] * 4
    assert [r["above"] for r in table] == [False, False, True, True]
    [f] = findings
    assert f.code == "PWR-ORDER-LIMIT-EXCEEDED" and f.severity == "critical"
    assert (f.start, f.end) == (start + timedelta(hours=2), start + timedelta(hours=4))
    assert f.detected_at == start + timedelta(hours=2, minutes=59)  # at the end of the first hour above
    assert f.evidence["kwh"] == pytest.approx(162) and f.evidence["baseline_kwh"] == pytest.approx(240)
    assert f.evidence["share"] == pytest.approx(0.675)
    assert f.explanation == ("kiln used 68 % of its baseline energy from 2026-01-08 10:00 for 2 hours; the limit "
                             "order allows 50 %.")


def test_stop_order_running_at_its_start_and_again_later():
    n = 8 * 60
    p = np.full(n, 100.0)
    p[30:300] = 0.1  # stopped 30 min after the order began, restarted at 05:00
    s = MinuteSeries(D0, p)
    m = meter_state("kiln", s, Thresholds(40, 10, 3), 100)
    order = Order("E1", ("kiln",), "stop", D0, D0 + timedelta(hours=6), level="red")
    got = stop_order(order, [m])
    assert [(f.start, f.end, f.detected_at) for f in got] == [
        (D0, D0 + timedelta(minutes=30), D0 + timedelta(minutes=2)),
        (D0 + timedelta(hours=5), D0 + timedelta(hours=6), D0 + timedelta(hours=5, minutes=2))]
    assert got[1].explanation == ("kiln ran for 60 minutes from 2026-01-05 05:00 (mean 100.0 kW) during a stop order "
                                  "(2026-01-05 00:00 to 2026-01-05 06:00).")


def test_an_obeyed_stop_order_has_no_finding():
    p = np.r_[np.full(60, 100.0), np.full(300, 0.2)]
    m = meter_state("kiln", MinuteSeries(D0, p), Thresholds(40, 10, 3), 100)
    order = Order("E1", ("kiln",), "stop", D0 + timedelta(hours=1), D0 + timedelta(hours=6))
    assert stop_order(order, [m]) == []


def test_orders_are_checked():
    with pytest.raises(ValueError):
        Order("E1", ("k",), "limit", D0, D0 + timedelta(hours=1))
    with pytest.raises(ValueError):
        Order("E1", ("k",), "pause", D0, D0 + timedelta(hours=1))
    with pytest.raises(ValueError):
        Order("E1", ("k",), "stop", D0, D0)


def test_a_unit_finishing_its_stop_in_the_first_two_minutes_of_the_order_is_no_finding():
    p = np.r_[np.full(60, 100.0), [100.0, 100.0], np.full(300, 0.2)]
    m = meter_state("kiln", MinuteSeries(D0, p), Thresholds(40, 10, 3), 100)
    order = Order("E1", ("kiln",), "stop", D0 + timedelta(hours=1), D0 + timedelta(hours=6))
    assert stop_order(order, [m]) == []
    assert len(stop_order(order, [m], settings=OrderSettings(stop_min_minutes=1))) == 1
