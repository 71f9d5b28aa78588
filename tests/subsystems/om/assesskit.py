"""A constructed month in the database (November 2026, Shijiazhuang) for the stored assessment, its pages and
report: the worked example of ``docs/om.md`` "Assessment over stored data".

ORG-QY (河北清源) keeps point A (SO2 a21026 and particulate a34013, both assessed): 2 × 720 = 1,440 expected hours,
1,436 received, 1,428 valid (10 November: 20 SO2 hours received, 12 valid); two fault orders (one on site 48 h
after creation and restored after its deadline); weekly inspections on 28 October and 4, 11 and 25 November (the
one due on 18 November is missing); five marks needing support of which one (a calibration mark on 20 November)
has neither an order nor a door opening; ten span checks of which one fails (4.0 % against 2.5 %). ORG-LI (别家运维)
keeps point B, which stores no data and has no orders: its weekly inspections are missing.

    E = 1436/1440 × 1428/1440 = 0.98891   R = 1/2   P = 1/2   K = 1 − 1/5 = 0.8   C = 9/10   N_overdue = 2
    score = 100 × (0.4·0.98891 + 0.15·0.5 + 0.15·0.5 + 0.15·0.8 + 0.15·0.9) − 2·2 = 76.1 → 良; station A red
    ORG-LI: 100 − 2·1 = 98.0 → 优 (first); station B green
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import om_calibrations, om_door_events, om_work_orders

CN = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
ORG_LI = {"om": {"organisations": [{
    "id": "ORG-LI", "name": "别家运维有限公司", "staff": [{"id": "S09", "name": "李工", "user": "om_li"}],
    "contracts": [{"id": "C-LI-1", "enterprise": "91130100MA0OMENTB2", "points": ["13000000000000000000B1"],
                   "from": "2026-06-01"}]}]}}


def local(month: int, day: int, hour: float) -> datetime:
    return datetime(2026, month, day, tzinfo=CN) + timedelta(hours=hour)


def settings_for_example(st):
    """The deployment's om section with the example's plan (weekly inspections only) and manual CEMS (checks
    every 720 h), so the month holds just the findings counted above."""
    om = st.om.model_copy(deep=True)
    om.deadlines.plan_days = {"weekly_inspection": 7.0}
    om.calibration.interval_hours = {k: 720.0 for k in om.calibration.interval_hours}
    return om


def _order(c, point: int, kind: str, created: datetime, on_site: datetime, done: datetime, deadline: datetime,
           fault_start: datetime | None = None) -> None:
    c.execute(insert(om_work_orders).values(point_id=point, kind=kind, state="done", created_at=created,
                                            assigned_at=created, accepted_at=created, on_site_at=on_site,
                                            done_at=done, deadline=deadline, fault_start=fault_start))


def _door(c, room: int, opened: datetime, closed: datetime) -> None:
    for t, ev in ((opened, "open"), (closed, "close")):
        c.execute(insert(om_door_events).values(room_id=room, at=t, event=ev, source="http", received_at=t))


def _mark(c, point: int, kind: str, start: datetime, end: datetime, factor: str = "a21026") -> None:
    c.execute(insert(s.marks).values(point_id=point, factor_codes=factor, family="equipment_maintenance", type=kind,
                                     start=start, end=end, source="manual", status="filed", filed_by="om_zhang",
                                     filed_at=end))


def build_november(eng, pts: dict[str, int]) -> None:
    """Store the constructed month (see the module's text)."""
    import_fleet(eng, ORG_LI)
    a = pts["a"]
    from sqlalchemy import select

    from ecosentry.subsystems.om.schema import om_rooms
    with eng.begin() as c:
        room = c.execute(select(om_rooms.c.id).where(om_rooms.c.code == "ROOM-A")).scalar_one()
        c.execute(update(s.points).where(s.points.c.id == a).values(connected_at=local(10, 1, 0)))
        # the stored days (derived_periods) of both factors: full days but 10 November of SO2
        rows = []
        for day in range(1, 31):
            start = datetime(2026, 11, day, tzinfo=CN).astimezone(timezone.utc)
            for f in ("a21026", "a34013"):
                rec, val = (20, 12) if (day, f) == (10, "a21026") else (24, 24)
                rows.append({"point_id": a, "factor_code": f, "period": "day", "period_start": start, "value": 10.0,
                             "valid": val >= 20, "n_valid": val, "n_received": rec, "n_expected": 24,
                             "computed_at": NOW})
        c.execute(insert(s.derived_periods), rows)
        # weekly inspections (Wednesdays 28 Oct, 4, 11, 25 Nov 09:00; on site 10:00, done 11:00), the door open
        for m, d in ((10, 28), (11, 4), (11, 11), (11, 25)):
            _order(c, a, "weekly_inspection", local(m, d, 9), local(m, d, 10), local(m, d, 11), local(m, d, 9 + 72))
            _door(c, room, local(m, d, 10), local(m, d, 11))
        # fault 1: begun 10 Nov 02:00, order 03:00, on site 08:00, restored 12:00
        _order(c, a, "device_fault", local(11, 10, 3), local(11, 10, 8), local(11, 10, 12), local(11, 17, 0),
               local(11, 10, 2))
        _door(c, room, local(11, 10, 8), local(11, 10, 12))
        # fault 2: begun Monday 16 Nov 09:00, order 10:00, on site 18 Nov 10:00 (48 h), restored Friday 27 Nov
        # 12:00, after its deadline (5 working days: 24 Nov 00:00)
        _order(c, a, "device_fault", local(11, 16, 10), local(11, 18, 10), local(11, 27, 12), local(11, 24, 0),
               local(11, 16, 9))
        _door(c, room, local(11, 18, 10), local(11, 18, 11))
        _door(c, room, local(11, 27, 11), local(11, 27, 12))
        # five marks needing support; the calibration mark of 20 Nov has no order and no door
        _mark(c, a, "fault", local(11, 10, 2), local(11, 10, 12))
        _mark(c, a, "maintenance", local(11, 4, 10), local(11, 4, 11))
        _mark(c, a, "maintenance", local(11, 11, 10), local(11, 11, 11))
        _mark(c, a, "fault", local(11, 16, 9), local(11, 27, 12))
        _mark(c, a, "calibration", local(11, 20, 14), local(11, 20, 15))
        # ten span checks of SO2 (1–10 Nov 03:00), the one of 5 Nov fails
        for d in range(1, 11):
            drift = 4.0 if d == 5 else 1.0
            c.execute(insert(om_calibrations).values(
                point_id=a, factor_code="a21026", kind="span", at=local(11, d, 3), drift_pct=drift,
                result="fail" if d == 5 else "pass", verdict="fail" if d == 5 else "pass", source="api",
                recorded_at=local(11, d, 3)))


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)
