"""Deadlines with constructed clocks (issue 18 item 2): 5 working days across weekends, public holidays and the
adjusted working weekend days (调休); the 12 h report; planned frequencies; overdue findings with start and end."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ecosentry.subsystems.om.rules.deadlines import (
    DeadlineSettings, FaultStart, WorkCalendar, add_working_days, deadline_of, is_working_day, late_reports,
    overdue_orders, planned_gaps, working_days_between)
from ecosentry.subsystems.om.rules.workorders import WorkOrder

CN = ZoneInfo("Asia/Shanghai")
#: A constructed National Day week: 1–7 October off, Sunday 27 September and Saturday 10 October worked (调休).
HOLIDAYS = WorkCalendar(holidays=[date(2026, 10, d) for d in range(1, 8)],
                        working_weekends=[date(2026, 9, 27), date(2026, 10, 10)])


def at(month: int, day: int, hour: float = 0) -> datetime:
    return datetime(2026, month, day, tzinfo=CN) + timedelta(hours=hour)


def test_working_days_skip_weekends_and_holidays_and_count_the_adjusted_weekend_days():
    assert is_working_day(date(2026, 9, 25), HOLIDAYS) and not is_working_day(date(2026, 9, 26), HOLIDAYS)
    assert is_working_day(date(2026, 9, 27), HOLIDAYS)            # Sunday, 调休
    assert not is_working_day(date(2026, 10, 5), HOLIDAYS)        # Monday, holiday
    plain = WorkCalendar()
    # Wednesday 30 September: without holidays Thu 1, Fri 2, Mon 3, Tue 4, Wed 7 October → end of 7 October
    assert add_working_days(at(9, 30, 10), 5, plain, CN) == at(10, 8)
    # with them: Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13 → end of 13 October
    assert add_working_days(at(9, 30, 10), 5, HOLIDAYS, CN) == at(10, 14)
    # Friday afternoon: Sun 27 (调休), Mon 28, Tue 29, Wed 30, Thu 8 October
    assert add_working_days(at(9, 25, 15), 5, HOLIDAYS, CN) == at(10, 9)
    assert working_days_between(at(9, 25, 15), at(10, 9, 1), HOLIDAYS, CN) == 6


def test_the_restore_deadline_and_overdue_orders_with_a_clock_argument():
    s = DeadlineSettings(calendar=HOLIDAYS)
    open_order = WorkOrder("W1", "P1", "device_fault", at(9, 25, 15))
    assert deadline_of(open_order, s, CN) == at(10, 9)
    assert overdue_orders([open_order], at(10, 9), s, CN) == []          # exactly at the deadline: not yet
    [f] = overdue_orders([open_order], at(10, 9, 6), s, CN)
    assert (f.code, f.start, f.end, f.evidence["done"]) == ("OM-WO-OVERDUE", at(10, 9), at(10, 9, 6), None)
    assert f.explanation == ("Work order W1 (device fault) at P1 is not done 6.0 h after its deadline "
                             "2026-10-09 00:00.")
    done_in_time = WorkOrder("W2", "P1", "offline", at(9, 25, 15), state="done", done_at=at(10, 8, 23))
    done_late = WorkOrder("W3", "P1", "data_missing", at(9, 25, 15), state="done", done_at=at(10, 12, 9))
    cancelled = WorkOrder("W4", "P1", "drift", at(9, 1), state="cancelled")
    found = overdue_orders([done_in_time, done_late, cancelled], at(10, 20), s, CN)
    assert [(f.evidence["order_id"], f.start, f.end) for f in found] == [("W3", at(10, 9), at(10, 12, 9))]
    assert "was done at 2026-10-12 09:00, 81.0 h after its deadline" in found[0].explanation


def test_a_given_deadline_wins_and_planned_orders_get_their_window():
    s = DeadlineSettings()
    given = WorkOrder("W5", "P1", "device_fault", at(3, 2, 9), deadline=at(3, 3, 9))
    assert deadline_of(given, s, CN) == at(3, 3, 9)
    weekly = WorkOrder("W6", "P1", "weekly_inspection", at(3, 2, 9))
    assert deadline_of(weekly, s, CN) == at(3, 5, 9)                     # 72 h [ours]
    fault_from_alarm = WorkOrder("W7", "P1", "device_fault", at(3, 6, 20), fault_start=at(3, 6, 8))
    assert deadline_of(fault_from_alarm, s, CN) == at(3, 14)             # Fri 6 → Mon 9 … Fri 13, end of day


def test_a_fault_reported_more_than_12_h_late():
    s = DeadlineSettings()
    orders = [WorkOrder("W1", "P1", "device_fault", at(3, 2, 13)), WorkOrder("W2", "P2", "device_fault", at(3, 2, 11)),
              WorkOrder("W3", "P3", "weekly_inspection", at(3, 2, 1))]
    faults = [FaultStart(p, at(3, 2, 0), at(3, 3), "mark") for p in ("P1", "P2", "P3")]
    [f] = late_reports(faults, orders, s, CN)
    assert (f.code, f.point, f.start, f.end) == ("OM-FAULT-REPORT-LATE", "P1", at(3, 2), at(3, 2, 13))
    assert "only 13.0 h later; the limit is 12" in f.explanation
    # an order after the fault ended is not its report (the mark has no order: the consistency rule says so)
    assert late_reports([FaultStart("P1", at(3, 2, 0), at(3, 2, 5), "mark")], orders, s, CN) == []


def test_planned_inspections_more_than_7_days_apart():
    s = DeadlineSettings(plan_days={"weekly_inspection": 7})
    done = [WorkOrder(f"I{i}", "P1", "weekly_inspection", t - timedelta(hours=2), state="done", done_at=t)
            for i, t in enumerate([at(3, 3, 10), at(3, 9, 10), at(3, 18, 10)])]
    found = planned_gaps(done, ["P1", "P2"], at(3, 2), at(3, 22), s, CN)
    p1 = [f for f in found if f.point == "P1"]
    assert [(f.start, f.end) for f in p1] == [(at(3, 16, 10), at(3, 18, 10))]
    assert p1[0].explanation == ("No weekly inspection was done at P1 from 2026-03-16 10:00 to 2026-03-18 10:00; it "
                                 "is due every 7 days.")
    # P2 never inspected: due a week after the data start, open until the clock
    [p2] = [f for f in found if f.point == "P2"]
    assert (p2.start, p2.end, p2.evidence["next_done"]) == (at(3, 9), at(3, 22), None)
    # from the last inspection to a clock within the grace (7 days + 24 h) nothing more is said
    assert [f.end for f in planned_gaps(done, ["P1"], at(3, 2), at(3, 26, 9), s, CN)] == [at(3, 18, 10)]
    assert [f.end for f in planned_gaps(done, ["P1"], at(3, 2), at(3, 26, 11), s, CN)] == [at(3, 18, 10), at(3, 26, 11)]
