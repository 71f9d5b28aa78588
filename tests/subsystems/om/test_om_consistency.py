"""Marks, work orders, door openings, video and parameters tied together (issue 18 items 4 and 8): each rule
firing on the case it is for, and staying quiet on honest ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.consistency import (
    ConsistencySettings, DoorEvent, Mark, RegisteredParameter, ReportedParameter, VideoClip, parameter_changes,
    unexplained_doors, unsupported_marks)
from ecosentry.subsystems.om.rules.workorders import WorkOrder

CN = ZoneInfo("Asia/Shanghai")
S = ConsistencySettings()
NOW = datetime(2026, 3, 31, tzinfo=CN)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, tzinfo=CN) + timedelta(hours=hour)


def visit(point: str, start: datetime, minutes: float = 60) -> list[DoorEvent]:
    return [DoorEvent(point, start, True), DoorEvent(point, start + timedelta(minutes=minutes), False)]


INSPECTION = WorkOrder("W1", "P1", "weekly_inspection", at(2, 17), state="done", on_site_at=at(3, 9),
                       done_at=at(3, 10.5))
FAULT = WorkOrder("W2", "P1", "device_fault", at(5, 8), state="done", on_site_at=at(5, 13), done_at=at(6, 16))


def codes(found) -> list[tuple[str, str]]:
    return [(f.code, f.evidence.get("mark_id") or f.evidence.get("opened")) for f in found]


def test_supported_marks_are_quiet():
    marks = [Mark("M1", "P1", "a21026", "maintenance", at(3, 9.2), at(3, 10.2)),     # during the inspection
             Mark("M2", "P1", "a21002", "fault", at(5, 6), at(6, 16)),                # the fault, repaired on the 6th
             Mark("M3", "P1", "a34013", "stopped", at(8, 0), at(9, 0))]               # 停运: not an O&M mark
    doors = visit("P1", at(3, 8.95), 100) + visit("P1", at(5, 13), 30) + visit("P1", at(6, 14), 120)
    assert unsupported_marks(marks, [INSPECTION, FAULT], doors, NOW, S, CN) == []
    assert unexplained_doors(doors, [INSPECTION, FAULT], marks, NOW, S, CN) == []


def test_a_mark_without_order_or_visit_is_flagged_twice_and_with_one_of_them_once():
    false_mark = Mark("M4", "P1", "maintenance", "maintenance", at(12, 14), at(12, 16))
    remote = Mark("M5", "P1", "a21026", "fault", at(14, 14), at(14, 16))
    orders = [INSPECTION, WorkOrder("W3", "P1", "offline", at(14, 13), state="done", done_at=at(14, 17))]
    found = unsupported_marks([false_mark, remote], orders, [], NOW, S, CN)
    assert codes(found) == [("OM-MARK-NO-ORDER", "M4"), ("OM-MARK-NO-DOOR", "M4"), ("OM-MARK-NO-DOOR", "M5")]
    assert (found[0].start, found[0].end, found[0].severity) == (at(12, 14), at(12, 16), "critical")
    assert found[2].explanation == ("The fault mark M5 on Sulphur dioxide (SO2) at P1 from 2026-03-14 14:00 to "
                                    "2026-03-14 16:00 has no opening of the station-room door: nobody was there.")
    assert found[2].evidence["orders"] == ["W3"]


def test_the_order_must_fit_the_mark_and_the_door_must_open_within_the_margin():
    cal_mark = Mark("M6", "P1", "a21026", "calibration", at(20, 10), at(20, 11))
    wrong_kind = WorkOrder("W4", "P1", "offline", at(20, 9), state="done", on_site_at=at(20, 9.9), done_at=at(20, 12))
    early_door = visit("P1", at(20, 8.5), 5)             # 90 minutes before the mark: outside the 60-minute margin
    found = unsupported_marks([cal_mark], [wrong_kind], early_door, NOW, S, CN)
    assert codes(found) == [("OM-MARK-NO-ORDER", "M6"), ("OM-MARK-NO-DOOR", "M6")]
    fitting = WorkOrder("W5", "P1", "calibration", at(20, 9), state="done", on_site_at=at(20, 9.9), done_at=at(20, 12))
    assert unsupported_marks([cal_mark], [fitting], visit("P1", at(20, 9.5)), NOW, S, CN) == []
    # a cancelled order supports nothing; an order at another point neither
    cancelled = WorkOrder("W6", "P1", "calibration", at(20, 9), state="cancelled")
    elsewhere = WorkOrder("W7", "P2", "calibration", at(20, 9), state="done", done_at=at(20, 12))
    assert codes(unsupported_marks([cal_mark], [cancelled, elsewhere], visit("P1", at(20, 9.5)), NOW, S, CN)) == [
        ("OM-MARK-NO-ORDER", "M6")]


def test_an_automatic_calibration_mark_is_supported_by_the_analysers_own_record():
    auto = Mark("M7", "P1", "a21026", "calibration", at(21, 3), at(21, 3.2))
    record = [CalibrationCheck("P1", "a21026", at(21, 3.05), "zero", "pass", 0.4)]
    assert unsupported_marks([auto], [], [], NOW, S, CN, record) == []
    other_factor = [CalibrationCheck("P1", "a34013", at(21, 3.05), "zero", "pass", 0.4)]
    assert len(unsupported_marks([auto], [], [], NOW, S, CN, other_factor)) == 2
    strict = S.model_copy(update={"auto_calibration_supports_mark": False})
    assert len(unsupported_marks([auto], [], [], NOW, strict, CN, record)) == 2


def test_an_open_mark_runs_to_the_clock_and_video_is_judged_when_known():
    open_mark = Mark("M8", "P1", "a21026", "fault", at(25, 8), None)
    order = WorkOrder("W8", "P1", "device_fault", at(25, 9))
    found = unsupported_marks([open_mark], [order], visit("P1", at(27, 10)), NOW, S, CN, clips=[])
    assert codes(found) == [("OM-MARK-NO-VIDEO", "M8")] and found[0].end == NOW
    clip = [VideoClip("P1", at(27, 10), at(27, 11))]
    assert unsupported_marks([open_mark], [order], visit("P1", at(27, 10)), NOW, S, CN, clips=clip) == []


def test_a_door_opening_without_order_or_mark():
    doors = visit("P1", at(9, 21), 25) + visit("P1", at(3, 9)) + [DoorEvent("P2", at(10, 2), True)]
    marks = [Mark("M9", "P1", "comm_interruption", "comm_interruption", at(11, 0), at(11, 1))]
    found = unexplained_doors(doors + visit("P1", at(11, 0.5)), [INSPECTION], marks, NOW, S, CN)
    assert [(f.point, f.start, f.end) for f in found] == [("P1", at(9, 21), at(9, 21) + timedelta(minutes=25)),
                                                          ("P2", at(10, 2), at(10, 2))]
    assert found[0].explanation == ("The station-room door at P1 opened at 2026-03-09 21:00 with no work order and no "
                                    "mark.")
    # an order still open at the clock covers the door until then
    still_open = WorkOrder("W9", "P1", "device_fault", at(9, 20))
    assert [f.start for f in unexplained_doors(doors, [INSPECTION, still_open], [], NOW, S, CN)] == [at(10, 2)]


def test_a_parameter_changed_without_an_order():
    registered = [RegisteredParameter("P1", "a21026", "range_max", 500.0),
                  RegisteredParameter("P1", "a00000", "pitot_k", 0.84)]
    reported = [ReportedParameter("P1", "a21026", "range_max", at(d, 0), v)
                for d, v in ((1, 500.0), (2, 2000.0), (3, 2000.0), (4, 500.0), (10, 1000.0))] + \
               [ReportedParameter("P1", "a00000", "pitot_k", at(2, 0), 0.8400001),
                ReportedParameter("P1", "a99999", "range_max", at(2, 0), 7.0)]          # not registered: not judged
    order = WorkOrder("W10", "P1", "verification", at(9, 20), state="done", done_at=at(10, 2))
    found = parameter_changes(registered, reported, [order], NOW, S, CN)
    assert [(f.start, f.end, f.evidence["reports"]) for f in found] == [(at(2, 0), at(3, 0), 2)]
    assert found[0].explanation == ("range_max of Sulphur dioxide (SO2) at P1 was 2000.0 from 2026-03-02 00:00, not the "
                                    "registered 500.0, and no work order covers the change.")
    assert found[0].severity == "critical"
