"""The monthly assessment on a constructed month (issue 18 item 6): the organisation's score from its points'
rates, response and repair, marks, calibration and overdue work, the formula shown, settable weights, the grade
优/良/差 and the stations' health codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecosentry.subsystems.om.rules.assessment import (
    FORMULA, AssessmentSettings, Weights, assess, assess_month, grade_of)
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck, CalibrationSettings, RateCounts
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings, DoorEvent, Mark, unsupported_marks
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings, overdue_orders, plan_days_for, planned_gaps
from ecosentry.subsystems.om.rules.workorders import WorkOrder

CN = ZoneInfo("Asia/Shanghai")
MONTH_END = datetime(2026, 4, 1, tzinfo=CN)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, tzinfo=CN) + timedelta(hours=hour)


def constructed_month():
    """Organisation 运维A keeps P1 and P2 in March 2026.

    * rates: P1 744 expected hours, 740 received, 731 valid (a failed calibration, see the calibration tests);
      P2 744/744/744;
    * alarm orders: W2 at P1 on site 5 h after creation, repaired in 32 h; W3 at P2 (Friday 13th) on site 26 h later
      (over 24 h), done Monday 23rd, after its deadline (end of Friday 20th, 5 working days);
    * marks: P1 maintenance, calibration, fault, and a false maintenance mark M4 (no order, no visit); P2 one
      maintenance mark; a 停运 mark that needs no support;
    * calibration: 10 checks at P1, one failing;
    * P2's weekly inspections on the 2nd and the 9th, none after (a planned gap from the 16th)."""
    orders = [
        WorkOrder("W1", "P1", "weekly_inspection", at(2, 17), state="done", on_site_at=at(3, 9), done_at=at(3, 10.5)),
        WorkOrder("W2", "P1", "device_fault", at(5, 8), state="done", on_site_at=at(5, 13), done_at=at(6, 16)),
        WorkOrder("W3", "P2", "offline", at(13, 10), state="done", on_site_at=at(14, 12), done_at=at(23, 10)),
        WorkOrder("W4", "P1", "calibration", at(10, 4), state="done", on_site_at=at(10, 9), done_at=at(10, 11.5)),
        WorkOrder("W5", "P2", "weekly_inspection", at(8, 17), state="done", on_site_at=at(9, 9), done_at=at(9, 10)),
        WorkOrder("W6", "P2", "weekly_inspection", at(1, 17), state="done", on_site_at=at(2, 9), done_at=at(2, 10)),
    ] + [WorkOrder(f"I{d}", "P1", "weekly_inspection", at(d - 1, 17), state="done", on_site_at=at(d, 9),
                   done_at=at(d, 10)) for d in (9, 16, 23, 30)]
    marks = [Mark("M1", "P1", "a21026", "maintenance", at(3, 9.2), at(3, 10.2)),
             Mark("M2", "P1", "a21026", "calibration", at(10, 9), at(10, 11.5)),
             Mark("M3", "P1", "a21002", "fault", at(5, 6), at(6, 16)),
             Mark("M4", "P1", "a21026", "maintenance", at(18, 14), at(18, 16)),
             Mark("M5", "P2", "w01018", "maintenance", at(9, 9.1), at(9, 9.9)),
             Mark("M6", "P2", "w01018", "stopped", at(25, 0), at(26, 0))]
    doors = []
    for o in orders:
        if o.on_site_at:
            doors += [DoorEvent(o.point, o.on_site_at - timedelta(minutes=5), True),
                      DoorEvent(o.point, o.done_at, False)]
    checks = [CalibrationCheck("P1", "a21026", at(d, 3), "span", "pass", 0.5) for d in range(1, 10)] + [
        CalibrationCheck("P1", "a21026", at(10, 3), "span", "fail", 4.0)]
    counts = {"P1": RateCounts(744, 740, 731), "P2": RateCounts(744, 744, 744)}
    deadlines = DeadlineSettings(plan_days={"weekly_inspection": 7})
    findings = (overdue_orders(orders, MONTH_END, deadlines, CN)
                + planned_gaps(orders, ["P1", "P2"], at(1, 0), MONTH_END, deadlines, CN)
                + unsupported_marks(marks, orders, doors, MONTH_END, ConsistencySettings(), CN, checks))
    return counts, orders, marks, checks, findings, deadlines


def test_the_findings_of_the_constructed_month():
    *_, findings, _ = constructed_month()
    assert sorted((f.code, f.point) for f in findings) == [
        ("OM-MARK-NO-DOOR", "P1"), ("OM-MARK-NO-ORDER", "P1"), ("OM-PLAN-OVERDUE", "P2"), ("OM-WO-OVERDUE", "P2")]


def test_the_organisations_score_and_grade():
    counts, orders, marks, checks, findings, deadlines = constructed_month()
    a = assess("运维A", ["P1", "P2"], counts, orders, marks, checks, findings, AssessmentSettings(), deadlines,
               CalibrationSettings(), CN)
    assert (a.counts.expected, a.counts.received, a.counts.valid) == (1488, 1484, 1475)
    assert a.counts.effective_transmission_rate == pytest.approx(1484 / 1488 * 1475 / 1488)
    assert (a.alarm_orders, a.responded_in_time, a.repaired_in_time) == (2, 1, 1)
    assert (a.mean_response_hours, a.mean_repair_hours) == (15.5, 136.0)        # (5 + 26) / 2; (32 + 240) / 2
    assert (a.marks, a.unsupported_marks, a.checks, a.failed_checks, a.overdue) == (5, 1, 10, 1, 2)
    assert a.components == {"eff": 0.9886, "response": 0.5, "repair": 0.5, "marks": 0.8, "calibration": 0.9}
    # 100 × (0.4 × 0.98860 + 0.15 × 0.5 + 0.15 × 0.5 + 0.15 × 0.8 + 0.15 × 0.9) − 2 × 2 = 80.04 − 4
    assert a.score == 76.0 and a.grade == "良" and a.formula == FORMULA
    assert a.as_dict()["weights"] == {"eff": 0.4, "response": 0.15, "repair": 0.15, "marks": 0.15,
                                      "calibration": 0.15}


def test_weights_and_thresholds_are_settings():
    counts, orders, marks, checks, findings, deadlines = constructed_month()
    only_rates = AssessmentSettings(weights=Weights(eff=1, response=0, repair=0, marks=0, calibration=0),
                                    overdue_penalty=0)
    a = assess("运维A", ["P1", "P2"], counts, orders, marks, checks, findings, only_rates, deadlines,
               CalibrationSettings(), CN)
    assert a.score == 98.9 and a.grade == "优"
    assert [grade_of(s, AssessmentSettings()) for s in (90, 89.9, 75, 74.9)] == ["优", "良", "良", "差"]


def test_health_codes_of_the_stations():
    counts, orders, marks, checks, findings, deadlines = constructed_month()
    settings = AssessmentSettings()

    def station(point, s=settings):
        return assess(point, [point], counts, orders, marks, checks, findings, s, deadlines, CalibrationSettings(),
                      CN, station=True)

    p2 = station("P2")
    # 100 × (0.4 × 1 + 0 + 0 + 0.15 × 1 + 0.15 × 1) − 2 × 2 = 66
    assert (p2.score, p2.grade, p2.critical) == (66.0, "red", 0)
    p1 = station("P1")
    # 100 × (0.4 × 740/744 × 731/744 + 0.15 + 0.15 + 0.15 × 3/4 + 0.15 × 0.9) = 93.84, but a mark without support
    assert p1.score == 93.8 and p1.critical == 2 and p1.grade == "red"
    assert station("P1", settings.model_copy(update={"red_on_critical": False})).grade == "green"


def test_the_month_ranks_organisations_and_gives_every_station_its_code():
    counts, orders, marks, checks, findings, deadlines = constructed_month()
    counts = {**counts, "P3": RateCounts(744, 744, 744)}
    april = WorkOrder("W9", "P3", "device_fault", datetime(2026, 4, 2, tzinfo=CN))   # another month: not counted
    ranked, health = assess_month("2026-03", {"运维A": ["P1", "P2"], "运维B": ["P3"]}, counts, orders + [april], marks,
                                  checks, findings, AssessmentSettings(), deadlines, CalibrationSettings(), CN)
    assert [(a.who, a.score, a.grade) for a in ranked] == [("运维B", 100.0, "优"), ("运维A", 76.0, "良")]
    assert ranked[0].alarm_orders == 0
    assert health == {"P1": "red", "P2": "red", "P3": "green"}


def test_planned_frequencies_per_kind_of_system():
    assert plan_days_for("cems_auto") == {"weekly_inspection": 7, "comparison": 92, "verification": 183}
    assert plan_days_for("cems_manual")["calibration"] == 15 and plan_days_for("water")["comparison"] == 31
    assert DeadlineSettings(plan_days=plan_days_for("water")).plan_days["verification"] == 92
