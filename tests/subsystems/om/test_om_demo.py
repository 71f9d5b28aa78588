"""The O&M subsystem's demo plan (issue 18 item 9), run as ``ecosentry demo`` runs it: the core demo fleet
imported (its ``om`` account maintains two points), the service started, then the plan: the organisations, staff,
contracts and station rooms registered; the planned work before the start written (orders in every state) and
pushed through the real edges (door events by the controllers, checks and a mark by the engineer's app); during
the run the quiet room's door opens with no order and the engineer visits the busy room over the API. What the
demo promises is in the database and the API within the first minutes: a failed calibration out of control with
its alarm, an overdue order with its alarm, an unexplained door opening with its alarm, a maintenance mark with
neither an order nor a door opening, and the ``om`` account sees its organisation's orders."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from ecosentry.auth.apikeys import create_api_key
from ecosentry.contracts.subsystem import DemoOptions
from ecosentry.fleet import import_fleet
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings, with_changes
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.check import Dataset, check_dataset
from ecosentry.subsystems.om.demo import demo, simulator
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.workorders import as_rule_order


def options(tmp_path, country="cn") -> DemoOptions:
    return DemoOptions(size=8, country=country, backfill_hours=1, data_dir=tmp_path, port=0, hj212_port=0)


def test_the_vietnamese_demo_leaves_om_out(tmp_path):
    assert demo(options(tmp_path, "vn")) is None


def _alarms(engine, type_: str) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(select(s.alarms).where(s.alarms.c.type == type_,
                                                                  s.alarms.c.state != "cleared")).mappings()]


async def _until(check, seconds: float = 180):
    for _ in range(int(seconds / 0.5)):
        got = await asyncio.to_thread(check)
        if got:
            return got
        await asyncio.sleep(0.5)
    return await asyncio.to_thread(check)


def _dataset(engine) -> Dataset:
    """Everything stored about the contracted points, as the pure checks take it (a room's door is its points')."""
    with engine.connect() as c:
        room_points = {}
        for room_id, point_id in c.execute(select(os_.om_room_points.c.room_id, os_.om_room_points.c.point_id)):
            room_points.setdefault(room_id, []).append(point_id)
        doors = [DoorEvent(str(p), r.at, r.event == "open") for r in c.execute(select(os_.om_door_events))
                 for p in room_points.get(r.room_id, [])]
        orders = [as_rule_order(r) for r in c.execute(select(os_.om_work_orders)).mappings()]
        marks = [Mark(str(r.id), str(r.point_id), "", r.type, r.start, r.end)
                 for r in c.execute(select(s.marks).where(s.marks.c.deleted_at.is_(None),
                                                          s.marks.c.source != "auto"))]
        checks = [CalibrationCheck(str(r.point_id), r.factor_code, r.at, r.kind, r.result, r.drift_pct)
                  for r in c.execute(select(os_.om_calibrations))]
    return Dataset(marks, orders, doors, checks)


async def test_the_demo_registers_the_o_and_m_scene_and_its_staged_findings_come_within_minutes(
        tmp_path, db_url, monkeypatch):
    monkeypatch.setattr(simulator, "PACE", 0.02)   # a visit of 2 minutes in 2.4 s; the first opening at once
    fleet = demo_fleet(8, seed=7)
    engine = prepare_database(db_url)
    import_fleet(engine, fleet)
    engine.dispose()
    plan = demo(options(tmp_path))
    assert plan is not None and plan.settings == {"om": {"check_seconds": 60.0, "assess_seconds": 120.0,
                                                         "marks": {"filing_grace_minutes": 1.0}}}
    st = with_changes(Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1",
                               hj212_port=0, http_host="127.0.0.1", http_port=0),
                      {**plan.settings, "om": {"check_seconds": 1.0, "assess_seconds": 2.0,
                                               "marks": {"filing_grace_minutes": 0.05}}})
    svc = Service(st)
    await svc.start(forward=False)
    stop = asyncio.Event()
    run = asyncio.create_task(plan.run(svc, stop))
    try:
        banner = "\n".join(plan.banner(svc))  # the web pages, not the JSON API
        assert f"{svc.url}om/orders" in banner and f"{svc.url}om/my" in banner and "api/v1" not in banner
        eng = svc.engine
        # the registry: two organisations, the om account a staff member of the first, its points contracted
        om_user = next(u for u in fleet["users"] if u["username"] == "om")
        orgs = await _until(lambda: _rows(eng, os_.om_organisations) if len(_rows(eng, os_.om_organisations)) == 2
                            and len(_rows(eng, os_.om_rooms)) == 3 else None)
        assert orgs, "the organisations and rooms were not registered"
        assert {o["filing_status"] for o in orgs} == {"filed", "pending"}
        staff = _rows(eng, os_.om_staff)
        assert {x["username"] for x in staff} >= {"om"} and any(x["commitment_signed_on"] is None for x in staff)
        with eng.connect() as c:
            contracted = set(c.execute(select(s.points.c.mn).join(
                os_.om_contract_points, os_.om_contract_points.c.point_id == s.points.c.id).join(
                os_.om_contracts, os_.om_contracts.c.id == os_.om_contract_points.c.contract_id).join(
                os_.om_organisations, os_.om_organisations.c.id == os_.om_contracts.c.organisation_id).where(
                os_.om_organisations.c.code == "DEMO-OM-SZ")).scalars())
            cameras = c.execute(select(os_.om_rooms.c.code, os_.om_cameras.c.code).join(
                os_.om_cameras, os_.om_cameras.c.room_id == os_.om_rooms.c.id)).all()
        assert contracted == set(om_user["points"])
        assert {r for r, _ in cameras} == {"ROOM-1", "ROOM-2"}   # ROOM-3 has a door but no camera

        # the staged findings: out of control, overdue, unexplained door; each with its alarm
        ooc = await _until(lambda: _alarms(eng, "ALM-OM-CAL-OUT-OF-CONTROL"))
        assert len(ooc) == 1
        door = await _until(lambda: _alarms(eng, "ALM-OM-DOOR-UNEXPLAINED"))
        assert len(door) == 1
        overdue = await _until(lambda: _alarms(eng, "ALM-OM-WO-OVERDUE"))
        assert len(overdue) == 1
        with eng.connect() as c:
            quiet = c.execute(select(os_.om_rooms.c.id).where(os_.om_rooms.c.code == "ROOM-2")).scalar_one()
            overdue_kind = c.execute(select(os_.om_work_orders.c.kind).where(
                os_.om_work_orders.c.id == int(overdue[0]["source_id"]))).scalar_one()
        assert int(door[0]["source_id"]) == quiet and overdue_kind == "verification"

        # the quiet room's logger: its registered parameters over HJ 212 CN 3020, then a doubled range with no
        # work order at the point: the finding stored and its alarm
        param = await _until(lambda: _alarms(eng, "ALM-OM-PARAM-CHANGE"))
        assert len(param) == 1 and param[0]["source_id"].endswith(":i13001")
        with eng.connect() as c:
            quiet_point = c.execute(select(os_.om_room_points.c.point_id).where(
                os_.om_room_points.c.room_id == quiet)).scalar_one()
            reports = c.execute(select(os_.om_parameter_reports.c.name, os_.om_parameter_reports.c.value).where(
                os_.om_parameter_reports.c.point_id == quiet_point)).all()
        assert param[0]["point_id"] == quiet_point
        assert ("i13001", 500.0) in reports and ("i13001", 1000.0) in reports and ("i13004", 1.0) in reports

        # the cameras: a snapshot of each door opening, linked to it, and the cameras seen (not offline)
        def snapshots():
            with eng.connect() as c:
                return c.execute(select(os_.om_snapshots.c.room_id, os_.om_snapshots.c.door_event_id)).all()
        assert await _until(lambda: any(r.room_id == quiet for r in snapshots()))
        assert all(r.door_event_id is not None for r in snapshots())
        with eng.connect() as c:
            seen = c.execute(select(os_.om_cameras.c.last_seen_at).where(
                os_.om_cameras.c.code == "CAM1")).scalars().all()
        assert len(seen) == 2 and all(seen)
        assert _alarms(eng, "ALM-OM-CAMERA-OFFLINE") == []

        # the mark with neither order nor door: judged after its filing grace, stored and alarmed
        unsupported = await _until(lambda: _alarms(eng, "ALM-OM-MARK-UNSUPPORTED"))
        assert len(unsupported) == 1
        assert unsupported[0]["evidence"]["codes"] == ["OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR"]

        # the ranking of the month to date (provisional) is there at once, beside the last finished month's
        month = now_month = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
        with eng.connect() as c:
            details = c.execute(select(os_.om_assessments.c.detail).where(
                os_.om_assessments.c.month == now_month)).scalars().all()
        assert details and all(d.get("provisional") for d in details), month

        # a live visit to the busy room: an order created over the API and done, the door opened and closed
        def live_done():
            with eng.connect() as c:
                return c.execute(select(os_.om_work_orders.c.id).where(
                    os_.om_work_orders.c.created_by == "om", os_.om_work_orders.c.state == "done")).first()
        assert await _until(live_done), "no visit during the demo reached done"
        states = {o["state"] for o in _rows(eng, os_.om_work_orders)}
        assert {"reviewed", "done", "assigned", "accepted", "on_site"} <= states

        # the pure checks over what is stored: the maintenance mark is unsupported, and it alone
        now = datetime.now(timezone.utc)
        findings = check_dataset(_dataset(eng), OmSettings(), now)
        unsupported = {(f.code, f.evidence["mark_id"]) for f in findings if f.code.startswith("OM-MARK-")}
        with eng.connect() as c:
            [mark] = c.execute(select(s.marks.c.id, s.marks.c.filed_by, s.marks.c.type).where(
                s.marks.c.source != "auto")).all()
        assert mark.filed_by == "om" and mark.type == "maintenance"
        assert unsupported == {("OM-MARK-NO-ORDER", str(mark.id)), ("OM-MARK-NO-DOOR", str(mark.id))}
        assert {f.code for f in findings} >= {"OM-CAL-FAIL", "OM-CAL-OUT-OF-CONTROL", "OM-WO-OVERDUE",
                                               "OM-DOOR-UNEXPLAINED"}

        # the om account reads its organisation's orders and the open out-of-control period over the API
        with eng.connect() as c:
            uid = c.execute(select(s.users.c.id).where(s.users.c.username == "om")).scalar_one()
            failed = c.execute(select(os_.om_calibrations.c.point_id, os_.om_calibrations.c.factor_code).where(
                os_.om_calibrations.c.verdict == "fail")).one()
        assert failed.point_id == ooc[0]["point_id"]
        key, _ = create_api_key(eng, uid, "test")
        async with httpx.AsyncClient(base_url=svc.url, headers={"Authorization": f"Bearer {key}"}) as client:
            items = (await client.get("/api/v1/om/work-orders")).json()["items"]
            periods = (await client.get(f"/api/v1/om/points/{failed.point_id}/invalid-periods",
                                        params={"factor": failed.factor_code})).json()["periods"]
        with eng.connect() as c:
            mine = set(c.execute(select(s.point_maintainers.c.point_id)
                                 .where(s.point_maintainers.c.user_id == uid)).scalars())
        assert items and {o["point_id"] for o in items} <= mine and len(items) >= 6
        assert len(periods) == 1 and periods[0]["open"] is True
    finally:
        stop.set()
        await asyncio.wait_for(run, 60)
        await svc.stop()


def _rows(engine, table) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(select(table)).mappings()]


def test_a_second_run_registers_nothing_twice_and_writes_the_history_once(tmp_path, db_url):
    fleet = demo_fleet(8, seed=7)
    engine = prepare_database(db_url)
    import_fleet(engine, fleet)
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    first = simulator.prepare(engine, t0, "seed", OmSettings())
    orders = len(_rows(engine, os_.om_work_orders))
    second = simulator.prepare(engine, t0 + timedelta(minutes=5), "seed", OmSettings())
    assert first[2] is True and second[2] is False
    assert len(_rows(engine, os_.om_work_orders)) == orders
    assert len(_rows(engine, os_.om_organisations)) == 2 and len(_rows(engine, os_.om_rooms)) == 3
    assert first[0].busy.secret == second[0].busy.secret   # the controllers keep their secrets
    engine.dispose()
