"""Calibration and QA (issue 18 item 3): drift against the allowed drift, out-of-control periods from a failed check
until the next pass, what they do to hourly and daily validity and to the rates of a constructed month, overdue
calibration."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecosentry.subsystems.om.rules.calibration import (
    CalibrationCheck, CalibrationSettings, HourSlot, allowed_drift, analyser_type, daily_validity, hourly_validity,
    judge_checks, out_of_control_findings, out_of_control_periods, overdue_calibrations, rate_counts, verdict)

CN = ZoneInfo("Asia/Shanghai")
S = CalibrationSettings()


def at(day: int, hour: float = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, tzinfo=CN) + timedelta(hours=hour)


def daily_checks(factor: str = "a21026", days: range = range(1, 32), skip: tuple[int, ...] = ()) -> list:
    return [CalibrationCheck("P1", factor, at(d, 3), kind, "pass", 0.8) for d in days if d not in skip
            for kind in ("zero", "span")]


def test_allowed_drift_per_analyser_type_and_the_verdict():
    assert [analyser_type(f, S) for f in ("a34013", "a21026", "a19001", "a01011", "w01018", "x99")] == [
        "particulate", "gas", "o2", "velocity", "water", "gas"]
    assert allowed_drift("a34013", "zero", S) == 2.0 and allowed_drift("w21003", "span", S) == 10.0
    check = CalibrationCheck("P1", "a34013", at(1), "span", "pass", -2.4)
    assert verdict(check, S) == "fail"
    assert verdict(CalibrationCheck("P1", "a21026", at(1), "span", "pass", -2.5), S) == "pass"   # the limit passes
    assert verdict(CalibrationCheck("P1", "a21026", at(1), "span", "fail", None), S) == "fail"   # no drift: as stated


def test_failed_and_mismatching_checks_are_findings():
    checks = [CalibrationCheck("P1", "a21026", at(10, 3), "span", "fail", 4.0),
              CalibrationCheck("P1", "a21002", at(10, 3), "zero", "pass", 3.1),
              CalibrationCheck("P1", "a34013", at(10, 3), "zero", "pass", 1.9)]
    found = judge_checks(checks, S, CN)
    assert [(f.code, f.evidence["factor"]) for f in found] == [
        ("OM-CAL-FAIL", "a21026"), ("OM-CAL-FAIL", "a21002"), ("OM-CAL-RESULT-MISMATCH", "a21002")]
    assert found[0].explanation == ("The span check of Sulphur dioxide (SO2) at P1 at 2026-03-10 03:00 drifted 4.0 % "
                                    "F.S.; at most 2.5 % is allowed.")
    assert "is recorded as pass, but its drift 3.1 % F.S. against the allowed 2.5 % makes it fail" in \
        found[2].explanation
    zh = {"zero": "零点", "pass": "合格", "fail": "不合格", "Nitrogen oxides (NOx as NO2)": "氮氧化物",
          "The %(check_kind)s check of %(factor)s at %(point)s at %(time)s is recorded as %(stated)s, but its drift %(drift)s %% F.S. against the allowed %(allowed)s %% "
          "makes it %(verdict)s.": "%(point)s 的 %(factor)s 于 %(time)s 的%(check_kind)s核查记录为%(stated)s，但其漂移 "
          "%(drift)s %% F.S. 对照允许值 %(allowed)s %% 应为%(verdict)s。"}
    assert found[2].say(lambda m: zh.get(m, m)) == ("P1 的 氮氧化物 于 2026-03-10 03:00 的零点核查记录为合格，但其漂移 3.1 % "
                                                    "F.S. 对照允许值 2.5 % 应为不合格。")


def test_out_of_control_from_the_failed_check_until_every_failed_kind_passes_again():
    checks = daily_checks(days=range(1, 5)) + [
        CalibrationCheck("P1", "a21026", at(5, 3), "zero", "fail", 3.5),
        CalibrationCheck("P1", "a21026", at(5, 3, ), "span", "pass", 1.0),      # a passing span mends nothing
        CalibrationCheck("P1", "a21026", at(5, 9), "zero", "pass", 0.4),
        CalibrationCheck("P1", "a21026", at(6, 3), "span", "fail", 6.0)]        # still open at the clock
    periods = out_of_control_periods(checks, at(6, 12), S)
    assert [(p.start, p.end, p.closed) for p in periods] == [(at(5, 3), at(5, 9), True), (at(6, 3), at(6, 12), False)]
    found = out_of_control_findings(periods, CN)
    assert [f.code for f in found] == ["OM-CAL-OUT-OF-CONTROL"] * 2
    assert found[0].explanation == ("Sulphur dioxide (SO2) at P1 was out of control from 2026-03-05 03:00 until the "
                                    "passing check at 2026-03-05 09:00 (6.0 h): its data are invalid.")
    assert "has been out of control since 2026-03-06 03:00 (9.0 h, no passing check yet)" in found[1].explanation
    # the reference notes' other reading: from the last passing check of the failed kind before the failure
    last = out_of_control_periods(checks, at(6, 12), S.model_copy(update={"out_of_control_from": "last_pass"}))
    assert [(p.start, p.end) for p in last] == [(at(4, 3), at(5, 9)), (at(5, 3), at(6, 12))]


def test_overdue_calibration_from_the_due_time_to_the_next_check():
    periods = overdue_calibrations(daily_checks(days=range(1, 11), skip=(5, 6)), at(10, 12), S)
    assert [(p.start, p.end, p.checks[0].split("@")[0]) for p in periods] == [
        (at(5, 3), at(7, 3), "span"), (at(5, 3), at(7, 3), "zero")]
    [f, _] = out_of_control_findings(periods, CN)
    assert f.code == "OM-CAL-OVERDUE" and "was due at 2026-03-05 03:00; the next check came at 2026-03-07 03:00" \
        in f.explanation
    # the last check to the clock: due a day later (plus the 2 h grace)
    assert overdue_calibrations(daily_checks(days=range(1, 3)), at(3, 4 + 59 / 60), S) == []
    assert len(overdue_calibrations(daily_checks(days=range(1, 3)), at(3, 5 + 1 / 60), S)) == 2


def test_a_failed_calibration_invalidates_hours_days_and_changes_the_rates_of_a_constructed_month():
    """March 2026, one SO2 analyser, 744 expected hours; 20 March 00:00–04:00 never arrived. The span check of
    10 March 03:00 drifts 4 % (allowed 2.5 %); the engineer recalibrates and the check passes at 11:30."""
    checks = daily_checks() + [CalibrationCheck("P1", "a21026", at(10, 3), "span", "fail", 4.0),
                               CalibrationCheck("P1", "a21026", at(10, 11.5), "span", "pass", 0.3)]
    checks = [c for c in checks if not (c.time == at(10, 3) and c.kind == "span" and c.result == "pass")]
    [period] = out_of_control_periods(checks, at(1, 0, month=4), S)
    assert (period.start, period.end) == (at(10, 3), at(10, 11.5))
    slots = [HourSlot(at(1) + timedelta(hours=h), received=not (at(20) <= at(1) + timedelta(hours=h) < at(20, 4)))
             for h in range(744)]
    before = [s.received for s in slots]
    after = hourly_validity(slots, [(period.start, period.end)], S.min_valid_minutes)
    changed = [s.start for s, a, b in zip(slots, after, before) if a != b]
    # 03:00–11:00 wholly out of control; 11:00–12:00 has 30 valid minutes < 45
    assert changed == [at(10, h) for h in range(3, 12)]
    days = daily_validity(slots, after, CN, S.min_valid_hours)
    assert len(days) == 31 and days[at(10).date()] is False and days[at(20).date()] is True
    assert [d for d, ok in days.items() if not ok] == [at(10).date()]
    untouched = rate_counts(slots, before)
    counts = rate_counts(slots, after)
    assert (untouched.expected, untouched.received, untouched.valid) == (744, 740, 740)
    assert (counts.expected, counts.received, counts.valid) == (744, 740, 731)
    assert counts.transmission_rate == pytest.approx(740 / 744)
    assert counts.effective_rate == pytest.approx(731 / 744)
    assert counts.effective_transmission_rate == pytest.approx(0.97725, abs=1e-5)
    assert untouched.effective_transmission_rate == pytest.approx((740 / 744) ** 2)


def test_a_wastewater_hour_is_invalid_with_any_out_of_control_part_and_a_gas_hour_only_below_45_minutes():
    slot = [HourSlot(at(1, 8))]
    ten_minutes = [(at(1, 8, ), at(1, 8) + timedelta(minutes=10))]
    assert hourly_validity(slot, ten_minutes, 45) == [True]
    assert hourly_validity(slot, ten_minutes, 60) == [False]
    sixteen = [(at(1, 7, ), at(1, 8) + timedelta(minutes=6)), (at(1, 8.75), at(1, 9))]
    assert hourly_validity(slot, sixteen, 45) == [False]                         # 6 + 15 minutes out: 39 valid
    assert hourly_validity([HourSlot(at(1, 8), valid=False)], [], 45) == [False]
