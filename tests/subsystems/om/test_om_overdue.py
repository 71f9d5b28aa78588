"""The overdue check of work orders with a controllable clock: nothing before the deadline, one
``ALM-OM-WO-OVERDUE`` alarm per order after it (a second pass counts an occurrence, raises nothing new), cleared
once the order is done; the service part runs the same pass on its clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ecosentry.alarms import store as alarm_store
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.subsystems.om.alarms import OVERDUE
from ecosentry.subsystems.om.jobs import OverduePart, check_overdue, parts
from ecosentry.store import schema as s
from ecosentry.subsystems.om.store import workorders as store

CREATED = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)      # Monday 09:00 in Shijiazhuang


def _overdue_alarms(eng) -> list[dict]:
    items, _total = alarm_store.list_alarms(eng, types=[OVERDUE])
    return items


def test_an_order_past_its_deadline_raises_one_alarm_cleared_when_done(om_world):
    eng, st, pts = om_world
    zone = ZoneInfo(st.om.timezone)
    order = store.create_order(eng, kind="device_fault", at=CREATED, actor="city", settings=st.om.deadlines,
                               zone=zone, point_id=pts["a"], assignee="om_zhang")
    planned = store.create_order(eng, kind="calibration", at=CREATED, actor="city", settings=st.om.deadlines,
                                 zone=zone, point_id=pts["a"])
    # restore within 5 working days: end of Monday 14 December local; a calibration order: 48 h
    assert order["deadline"] == datetime(2026, 12, 14, 16, 0, tzinfo=timezone.utc)
    assert planned["deadline"] == CREATED + timedelta(hours=48)

    assert check_overdue(eng, CREATED + timedelta(hours=47), st.om) == {"raised": 0, "overdue": 0, "cleared": 0}
    assert check_overdue(eng, CREATED + timedelta(hours=49), st.om) == {"raised": 1, "overdue": 1, "cleared": 0}
    [alarm] = _overdue_alarms(eng)
    assert alarm["source_id"] == str(planned["id"]) and alarm["point_id"] == pts["a"]
    assert "1.0 h after its deadline" in alarm["explanation"]
    assert alarm["evidence"]["sentence"]["params"]["kind"] == "calibration"

    later = datetime(2026, 12, 14, 16, 30, tzinfo=timezone.utc)
    assert check_overdue(eng, later, st.om) == {"raised": 1, "overdue": 2, "cleared": 0}
    assert {a["source_id"]: a["occurrences"] for a in _overdue_alarms(eng)} == {str(planned["id"]): 2,
                                                                              str(order["id"]): 1}
    # the calibration is done late: its alarm is cleared by the next pass; the fault's stays
    for action in ("assign", "accept", "arrive", "finish"):
        store.transition(eng, planned["id"], action, later + timedelta(minutes=1), "om_zhang", assignee="om_zhang")
    assert check_overdue(eng, later + timedelta(minutes=5), st.om) == {"raised": 0, "overdue": 1, "cleared": 1}
    open_ = [a for a in _overdue_alarms(eng) if a["state"] != "cleared"]
    assert [a["source_id"] for a in open_] == [str(order["id"])]
    store.transition(eng, order["id"], "cancel", later + timedelta(minutes=6), "city")
    assert check_overdue(eng, later + timedelta(minutes=7), st.om)["cleared"] == 1
    assert all(a["state"] == "cleared" for a in _overdue_alarms(eng))


def test_the_stored_explanation_is_said_in_the_deployments_language_naming_the_point(om_world):
    """A Chinese deployment's overdue alarm says its sentence in Chinese with the point's name (the pages fall back
    to the stored explanation); the evidence keeps the msgid and the parameters."""
    eng, st, pts = om_world
    order = store.create_order(eng, kind="verification", at=CREATED, actor="city", settings=st.om.deadlines,
                               zone=ZoneInfo(st.om.timezone), point_id=pts["a"])
    later = CREATED + timedelta(days=12)
    assert check_overdue(eng, later, st.om, locale="zh")["raised"] == 1
    [alarm] = _overdue_alarms(eng)
    with eng.connect() as conn:
        name = conn.execute(select(s.points.c.name).where(s.points.c.id == pts["a"])).scalar_one()
    assert alarm["explanation"].startswith(f"{name} 的工单 {order['id']}（定期校验）已超过期限")
    assert alarm["evidence"]["sentence"]["params"]["point"] == str(pts["a"])


async def test_the_service_part_runs_the_pass_on_its_clock(om_world):
    eng, st, pts = om_world
    store.create_order(eng, kind="daily_inspection", at=CREATED, actor="city", settings=st.om.deadlines,
                       zone=ZoneInfo(st.om.timezone), point_id=pts["a"])
    ctx = ServiceContext(settings=st, engine=eng, spool=None, directory=None, dispatcher=None)
    [idle] = parts(ctx)
    assert idle.name == "om_overdue" and not idle._run             # without the alarm jobs it does not run
    clock = iter([CREATED + timedelta(hours=23), CREATED + timedelta(hours=25)])
    part = OverduePart(ctx, run=False, clock=lambda: next(clock))
    assert (await part.once())["raised"] == 0
    assert (await part.once())["raised"] == 1
    await part.close()
