"""An unsupported mark raises a stored finding and an alarm when it is filed (issue 18 item 4): each maintenance,
calibration or fault mark is judged once, ``marks.grace_hours`` after its end or its filing, against the point's
work orders and its station room's door; a clock is an argument. SQLite and PostgreSQL (``om_world``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.store import schema as s
from ecosentry.subsystems.om.alarms import MARK_UNSUPPORTED
from ecosentry.subsystems.om.jobs import MarkCheckPart, mark_parts
from ecosentry.subsystems.om.schema import om_findings, om_mark_checks, om_rooms
from ecosentry.subsystems.om.store import workorders
from ecosentry.subsystems.om.store.doors import insert_event
from ecosentry.subsystems.om.store.marks import check_marks

T = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)        # Monday 09:00 in Shijiazhuang


def _mark(eng, point: int, kind: str, start: datetime, end: datetime | None, filed_at: datetime | None = None,
          **extra) -> int:
    with eng.begin() as c:
        return c.execute(insert(s.marks).values(
            point_id=point, factor_codes="a21026", family="equipment_maintenance", type=kind, start=start, end=end,
            source="manual", status="filed", filed_by="om_zhang", filed_at=filed_at or end or start, **extra)
            .returning(s.marks.c.id)).scalar_one()


def _door(eng, at: datetime) -> None:
    with eng.begin() as c:
        room = c.execute(select(om_rooms.c.id).where(om_rooms.c.code == "ROOM-A")).scalar_one()
        insert_event(c, room, at, "open", "push", at)
        insert_event(c, room, at + timedelta(minutes=20), "close", "push", at)


def _alarms(eng) -> dict[str, dict]:
    items, _total = alarm_store.list_alarms(eng, types=[MARK_UNSUPPORTED])
    return {a["source_id"]: a for a in items}


def _findings(eng) -> list[tuple[str, str]]:
    with eng.connect() as c:
        return sorted((r.subject, r.code) for r in c.execute(select(om_findings.c.subject, om_findings.c.code)))


def test_a_mark_without_order_or_door_is_a_finding_and_an_alarm_once_after_the_grace_period(om_world):
    eng, st, pts = om_world
    false = _mark(eng, pts["a"], "maintenance", T, T + timedelta(hours=1))
    # not before two hours after its end
    assert check_marks(eng, T + timedelta(hours=2, minutes=59), st.om) == {"judged": 0, "unsupported": 0,
                                                                           "raised": 0, "cleared": 0}
    assert _alarms(eng) == {} and _findings(eng) == []
    assert check_marks(eng, T + timedelta(hours=3, minutes=1), st.om) == {"judged": 1, "unsupported": 1,
                                                                          "raised": 1, "cleared": 0}
    assert _findings(eng) == [(f"mark:{false}", "OM-MARK-NO-DOOR"), (f"mark:{false}", "OM-MARK-NO-ORDER")]
    alarm = _alarms(eng)[str(false)]
    assert alarm["severity"] == "critical" and alarm["point_id"] == pts["a"] and alarm["source_type"] == "mark"
    assert alarm["evidence"]["codes"] == ["OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR"]
    assert "has no work order for it" in alarm["explanation"] and "nobody was there" in alarm["explanation"]
    # once per mark: later passes judge nothing again, store and raise nothing
    for h in (4, 30):
        assert check_marks(eng, T + timedelta(hours=h), st.om)["judged"] == 0
    assert _alarms(eng)[str(false)]["occurrences"] == 1
    with eng.connect() as c:
        assert [(r.mark_id, r.supported, r.codes) for r in c.execute(select(om_mark_checks))] == \
            [(false, False, "OM-MARK-NO-ORDER,OM-MARK-NO-DOOR")]


def test_a_mark_with_a_fitting_order_and_the_door_opened_raises_nothing(om_world):
    eng, st, pts = om_world
    zone = ZoneInfo(st.om.timezone)
    order = workorders.create_order(eng, kind="calibration", at=T - timedelta(minutes=30), actor="om_zhang",
                                    settings=st.om.deadlines, zone=zone, point_id=pts["a"], assignee="om_zhang")
    for action, minutes in (("accept", -20), ("arrive", -5), ("finish", 70)):
        workorders.transition(eng, order["id"], action, T + timedelta(minutes=minutes), "om_zhang")
    _door(eng, T - timedelta(minutes=10))
    good = _mark(eng, pts["a"], "calibration", T, T + timedelta(hours=1))
    # a fault mark during the same visit: a calibration order does not fit a fault, the door does
    fault = _mark(eng, pts["a"], "fault", T + timedelta(minutes=10), T + timedelta(minutes=40))
    # marks that need no support, and a deleted one, are never judged
    _mark(eng, pts["a"], "stopped", T, T + timedelta(hours=1))
    _mark(eng, pts["b"], "maintenance", T, T + timedelta(hours=1), deleted_at=T + timedelta(hours=1))
    assert check_marks(eng, T + timedelta(hours=4), st.om) == {"judged": 2, "unsupported": 1, "raised": 1,
                                                                  "cleared": 0}
    assert set(_alarms(eng)) == {str(fault)}
    assert _alarms(eng)[str(fault)]["evidence"]["codes"] == ["OM-MARK-NO-ORDER"]
    with eng.connect() as c:
        assert dict(c.execute(select(om_mark_checks.c.mark_id, om_mark_checks.c.supported)).all()) == \
            {good: True, fault: False}


def test_a_mark_filed_late_waits_for_its_filing_and_an_open_one_for_a_day(om_world):
    eng, st, pts = om_world
    late = _mark(eng, pts["b"], "maintenance", T, T + timedelta(hours=1), filed_at=T + timedelta(hours=10))
    still_open = _mark(eng, pts["b"], "fault", T, None, filed_at=T + timedelta(minutes=5))
    # filed ten hours after its end: judged half an hour after the filing (marks.filing_grace_minutes)
    assert check_marks(eng, T + timedelta(hours=10, minutes=29), st.om)["judged"] == 0
    assert check_marks(eng, T + timedelta(hours=10, minutes=31), st.om)["judged"] == 1
    assert set(_alarms(eng)) == {str(late)}
    # the open fault mark: an order answering it within the day supports it (its door stays unknown: no room)
    order = workorders.create_order(eng, kind="device_fault", at=T + timedelta(hours=6), actor="om_li",
                                    settings=st.om.deadlines, zone=ZoneInfo(st.om.timezone), point_id=pts["b"])
    assert check_marks(eng, T + timedelta(hours=23), st.om)["judged"] == 0
    assert check_marks(eng, T + timedelta(hours=24, minutes=1), st.om) == {"judged": 1, "unsupported": 1,
                                                                           "raised": 1, "cleared": 0}
    assert _alarms(eng)[str(still_open)]["evidence"]["codes"] == ["OM-MARK-NO-DOOR"]
    assert order["point_id"] == pts["b"]


def test_a_new_deployment_does_not_judge_its_history_and_a_grace_is_a_setting(om_world):
    eng, st, pts = om_world
    _mark(eng, pts["a"], "maintenance", T - timedelta(days=9), T - timedelta(days=9) + timedelta(hours=1))
    assert check_marks(eng, T, st.om)["judged"] == 0
    st.om.marks.grace_hours = 0.5
    recent = _mark(eng, pts["a"], "maintenance", T, T + timedelta(hours=1))
    assert check_marks(eng, T + timedelta(hours=1, minutes=31), st.om)["raised"] == 1
    with eng.begin() as c:       # a mark rejected by review is not judged
        c.execute(update(s.marks).where(s.marks.c.id == recent).values(status="rejected"))
    assert set(_alarms(eng)) == {str(recent)}


def test_the_explanation_is_said_in_the_deployments_language(om_world):
    eng, st, pts = om_world
    _mark(eng, pts["a"], "maintenance", T, T + timedelta(hours=1))
    check_marks(eng, T + timedelta(hours=4), st.om, locale="zh")
    [alarm] = _alarms(eng).values()
    with eng.connect() as c:
        name = c.execute(select(s.points.c.name).where(s.points.c.id == pts["a"])).scalar_one()
    assert name in alarm["explanation"] and "工单" in alarm["explanation"]


async def test_the_service_part_judges_on_its_clock(om_world):
    eng, st, pts = om_world
    _mark(eng, pts["a"], "calibration", T, T + timedelta(hours=1))
    ctx = ServiceContext(settings=st, engine=eng, spool=None, directory=None, dispatcher=None)
    [idle] = mark_parts(ctx)
    assert idle.name == "om_marks" and not idle._run
    clock = iter([T + timedelta(hours=2), T + timedelta(hours=3, minutes=5)])
    part = MarkCheckPart(ctx, run=False, clock=lambda: next(clock))
    assert (await part.once())["judged"] == 0
    assert (await part.once())["raised"] == 1
    await part.close()


def _close(eng, mark: int, end: datetime) -> None:
    with eng.begin() as c:
        c.execute(update(s.marks).where(s.marks.c.id == mark).values(end=end))


def _verdict(eng, mark: int) -> tuple:
    with eng.connect() as c:
        r = c.execute(select(om_mark_checks).where(om_mark_checks.c.mark_id == mark)).mappings().one()
    return r["supported"], r["codes"], r["judged_end"]


def test_a_mark_judged_while_open_is_judged_again_once_closed_and_its_alarm_ends_when_supported(om_world):
    eng, st, pts = om_world
    zone = ZoneInfo(st.om.timezone)
    fault = _mark(eng, pts["a"], "fault", T, None, filed_at=T + timedelta(minutes=5))
    # a day on, nobody has come: unsupported, an alarm
    assert check_marks(eng, T + timedelta(hours=24, minutes=1), st.om) == {"judged": 1, "unsupported": 1,
                                                                           "raised": 1, "cleared": 0}
    assert _verdict(eng, fault) == (False, "OM-MARK-NO-ORDER,OM-MARK-NO-DOOR", None)
    # the engineer comes on the second day with a fault order, opens the door, and the mark is closed after
    order = workorders.create_order(eng, kind="device_fault", at=T + timedelta(hours=26), actor="om_li",
                                    settings=st.om.deadlines, zone=zone, point_id=pts["a"])
    _door(eng, T + timedelta(hours=26, minutes=10))
    _close(eng, fault, T + timedelta(hours=27))
    # not before its grace after the end
    assert check_marks(eng, T + timedelta(hours=28), st.om)["judged"] == 0
    assert check_marks(eng, T + timedelta(hours=29, minutes=1), st.om) == {"judged": 1, "unsupported": 0,
                                                                           "raised": 0, "cleared": 1}
    assert _verdict(eng, fault) == (True, None, T + timedelta(hours=27))
    alarm = _alarms(eng)[str(fault)]
    assert alarm["state"] == "cleared" and alarm["cleared_by"] is not None
    assert _findings(eng) == []
    # judged with its end: never again
    assert check_marks(eng, T + timedelta(hours=40), st.om)["judged"] == 0
    assert order["point_id"] == pts["a"]


def test_a_mark_closed_back_to_before_its_support_is_found_unsupported_then(om_world):
    eng, st, pts = om_world
    zone = ZoneInfo(st.om.timezone)
    fault = _mark(eng, pts["a"], "fault", T, None, filed_at=T + timedelta(minutes=5))
    workorders.create_order(eng, kind="device_fault", at=T + timedelta(hours=20), actor="om_li",
                            settings=st.om.deadlines, zone=zone, point_id=pts["a"])
    _door(eng, T + timedelta(hours=20, minutes=10))
    assert check_marks(eng, T + timedelta(hours=24, minutes=1), st.om)["unsupported"] == 0
    assert _alarms(eng) == {}
    # closed afterwards as if the fault had lasted one hour: the visit nineteen hours later does not answer it
    _close(eng, fault, T + timedelta(hours=1))
    assert check_marks(eng, T + timedelta(hours=24, minutes=2), st.om) == {"judged": 1, "unsupported": 1,
                                                                           "raised": 1, "cleared": 0}
    assert _verdict(eng, fault) == (False, "OM-MARK-NO-ORDER,OM-MARK-NO-DOOR", T + timedelta(hours=1))
    assert _alarms(eng)[str(fault)]["state"] == "active"
    assert _findings(eng) == [(f"mark:{fault}", "OM-MARK-NO-DOOR"), (f"mark:{fault}", "OM-MARK-NO-ORDER")]
    assert check_marks(eng, T + timedelta(hours=30), st.om)["judged"] == 0


def test_a_mark_closed_with_the_same_verdict_raises_nothing_new(om_world):
    eng, st, pts = om_world
    fault = _mark(eng, pts["b"], "fault", T, None, filed_at=T + timedelta(minutes=5))
    assert check_marks(eng, T + timedelta(hours=24, minutes=1), st.om)["raised"] == 1
    _close(eng, fault, T + timedelta(hours=25))
    assert check_marks(eng, T + timedelta(hours=27, minutes=1), st.om) == {"judged": 1, "unsupported": 0,
                                                                           "raised": 0, "cleared": 0}
    alarm = _alarms(eng)[str(fault)]
    assert alarm["state"] == "active" and alarm["occurrences"] == 1
    with eng.connect() as c:   # the findings now run to the mark's end
        ends = {r.code: r.end for r in c.execute(select(om_findings.c.code, om_findings.c.end))}
    assert set(ends) == {"OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR"}
    assert all(e.astimezone(timezone.utc) == T + timedelta(hours=25) for e in ends.values())


def test_the_migration_keeps_the_verdicts_given_and_goes_down_and_up(om_world, om_names, db_url):
    """Revision ``om_0003_mark_judged_end``: a verdict given before it stands (judged with the mark's end now)."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ecosentry.store.db import alembic_config, make_engine
    from ecosentry.store.schema import installed_metadata

    eng, st, pts = om_world
    closed = _mark(eng, pts["a"], "maintenance", T, T + timedelta(hours=1))
    still_open = _mark(eng, pts["b"], "fault", T, None, filed_at=T + timedelta(minutes=5))
    check_marks(eng, T + timedelta(hours=24, minutes=1), st.om)
    eng.dispose()
    cfg = alembic_config(db_url, om_names)
    command.downgrade(cfg, "om_0002_camera_seen")
    command.upgrade(cfg, "heads")
    e2 = make_engine(db_url)
    try:
        assert _verdict(e2, closed)[2] == T + timedelta(hours=1) and _verdict(e2, still_open)[2] is None
        with e2.connect() as c:
            diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())
        assert [d for d in diffs if "om_" in repr(d)] == []
    finally:
        e2.dispose()
