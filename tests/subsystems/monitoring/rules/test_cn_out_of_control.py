"""CN-HOUR-OOC: the minutes measured while the analyser was out of control (a failed zero/span check until the next
pass) are invalid data; the hour needs 45 valid minutes without them (reference notes §2.1; HJ 76-2017 App. B).

Worked example (docs/rules.md, docs/om.md): a span check fails at 03:00 and passes again at 11:30. The 03:00–10:00
hours are wholly out of control; 11:00 keeps its 30 minutes after 11:30, fewer than 45: invalid. A ten-minute
period (20:50–21:00) leaves 20:00 its 50 other minutes: still valid, its mean of those 50 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ecosentry.locale import translations
from ecosentry.subsystems.monitoring.rules.cn.hourly import MinuteRecord, hourly_from_minutes
from ecosentry.subsystems.monitoring.rules.cn.out_of_control import (apply_out_of_control, out_of_control_minutes,
                                                                     outside_minutes)
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text
from ecosentry.subsystems.monitoring.rules.cn.rates import HourSlot, compute_rates

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 10, tzinfo=SH)
PERIODS = [(DAY.replace(hour=3), DAY.replace(hour=11, minute=30))]


def _hour(h: int, value=lambda m: 30.0, interval: int = 1) -> tuple[datetime, list[MinuteRecord]]:
    start = DAY.replace(hour=h)
    return start, [MinuteRecord(start + timedelta(minutes=m), value(m), "N") for m in range(0, 60, interval)]


def _apply(h: int, periods=PERIODS, value=lambda m: 30.0, interval: int = 1, medium: str = "gas"):
    start, minutes = _hour(h, value, interval)
    hv = hourly_from_minutes(minutes, medium=medium, interval_minutes=interval)
    return hv, apply_out_of_control(hv, minutes, start, periods, medium=medium, interval_minutes=interval)


def test_the_worked_example_day_loses_nine_hours_and_its_effective_transmission_rate_falls():
    results = {h: _apply(h)[1] for h in range(24)}
    invalid = [h for h, hv in results.items() if not hv.valid]
    assert invalid == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert results[5].valid_minutes == 0 and results[5].value is None
    assert results[11].valid_minutes == 30 and results[11].value == 30.0
    assert results[11].reason == "valid minutes 30 < 45; CN-HOUR-OOC: out of control 30 min"
    assert results[2] == _apply(2)[0] and results[12] == _apply(12)[0]   # untouched hours are the rule's own
    # the hour keeps what it received: flag, -Cou, records (the source was emitting: 实收 unchanged)
    assert results[5].flag == "N" and results[5].received_minutes == 60 and results[5].n_records == 60
    # 24 expected, 24 received, 15 valid: 有效传输率 = 24/24 × 15/24 = 62.5 % (100 % without the failed check)
    slots = [HourSlot(start=DAY.replace(hour=h), received=True, valid=hv.valid, reason=hv.reason)
             for h, hv in results.items()]
    r = compute_rates(slots)
    assert (r.counts.expected, r.counts.received, r.counts.valid_groups) == (24, 24, 15)
    assert r.trans_rate == 1.0 and r.effe_trans_rate == 15 / 24 == 0.625


def test_a_short_period_leaves_the_hour_valid_with_the_mean_of_the_minutes_left():
    periods = [(DAY.replace(hour=20, minute=50), DAY.replace(hour=21))]
    before, after = _apply(20, periods, value=lambda m: 100.0 if m >= 50 else 30.0)
    assert before.valid and before.value == (50 * 30 + 10 * 100) / 60
    assert after.valid and after.valid_minutes == 50 and after.value == 30.0 and after.max == 30.0
    assert after.reason == "CN-HOUR-OOC: out of control 10 min"
    assert out_of_control_minutes(DAY.replace(hour=20), periods) == 10
    assert apply_out_of_control(before, [], DAY.replace(hour=21), periods, medium="gas") is before  # no overlap


def test_an_interval_record_is_out_of_control_when_any_of_its_minutes_is():
    periods = [(DAY.replace(hour=4, minute=25), DAY.replace(hour=4, minute=41))]
    start, minutes = _hour(4, interval=10)
    assert [m.start.minute for m in outside_minutes(minutes, periods, 10)] == [0, 10, 50]
    hv = apply_out_of_control(hourly_from_minutes(minutes, medium="water", interval_minutes=10), minutes, start,
                              periods, medium="water", interval_minutes=10)
    assert not hv.valid and hv.valid_minutes == 30
    assert hv.reason == "valid minutes 30 < 45; CN-HOUR-OOC: out of control 30 min"


def test_the_loggers_hourly_record_is_invalid_when_its_cycle_ran_out_of_control():
    logger = hourly_from_minutes([MinuteRecord(DAY.replace(hour=6), 12.0, "N")], medium="water")
    logger = logger.__class__(**{**logger.__dict__, "valid": True, "valid_minutes": 60, "reason": None})
    hv = apply_out_of_control(logger, [], DAY.replace(hour=6), [(DAY.replace(hour=6, minute=50),
                                                                 DAY.replace(hour=8))], medium="water")
    assert not hv.valid and hv.reason == "CN-HOUR-OOC: out of control 10 min" and hv.value == 12.0


def test_an_hour_already_invalid_keeps_its_reasons_and_no_data_stays_no_data():
    start, minutes = _hour(3)
    hv = hourly_from_minutes(minutes[:40], medium="gas")
    after = apply_out_of_control(hv, minutes[:40], start, [(start, start + timedelta(minutes=5))], medium="gas")
    assert after.reason == "valid minutes 35 < 45; CN-HOUR-OOC: out of control 5 min; missing 20 min"
    empty = hourly_from_minutes([], medium="gas")
    assert apply_out_of_control(empty, [], start, PERIODS, medium="gas") is empty


def test_the_reason_is_said_in_the_readers_language():
    stored = "valid minutes 30 < 45; CN-HOUR-OOC: out of control 30 min"
    assert reason_text(stored, translations("en").gettext) == (
        "30 valid minutes, fewer than 45; 30 min measured while the analyser was out of control (a failed zero/span "
        "check until the next passing one): invalid data")
    assert "30 分钟数据测于分析仪失控期间" in reason_text(stored, translations("zh").gettext)
    assert "mất kiểm soát" in reason_text(stored, translations("vi").gettext)
