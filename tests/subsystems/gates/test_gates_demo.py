"""The gates subsystem's demo plan (issue 16 item 9), run as ``ecosentry demo`` runs it: the service started,
the demo's gates registered for the fleet's first enterprises, the orange alert issued, and the simulator
posting plate events with generated JPEG captures over HTTP to the push; the staged violations (a 国四 truck
refused under the alert, an unread plate missing from the ledger, a side-gate exit without an entry) are stored
within the first minute and show on the dashboard's read model."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from ecosentry.contracts.subsystem import DemoOptions
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_in_force
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.demo import demo
from ecosentry.subsystems.gates.demo.pictures import plate_picture
from ecosentry.subsystems.gates.pipeline.sink import picture_store
from ecosentry.subsystems.gates.queries.dashboard import alert_dashboard
from ecosentry.subsystems.gates.rules.decision import GradeRules
from ecosentry.subsystems.gates.rules.plate import plate_problem
from ecosentry.subsystems.gates.rules.vin import vin_problem
from ecosentry.subsystems.gates.demo.scene import plan


def options(tmp_path, country="cn") -> DemoOptions:
    return DemoOptions(size=1, country=country, backfill_hours=1, data_dir=tmp_path, port=0, hj212_port=0)


def test_the_vietnamese_demo_has_no_gates(tmp_path):
    assert demo(options(tmp_path, "vn")) is None


def test_the_demo_register_is_valid_and_its_pictures_are_jpeg():
    ents = plan([{"id": 1, "credit_code": "X1", "name": "甲"}, {"id": 2, "credit_code": "X2", "name": "乙"}], "s")
    assert [e.grade for e in ents] == ["B", "A"]
    for e in ents:
        assert {v.stage for v in e.vehicles} >= {"4", "5", "6", "d"}
        for v in e.vehicles:
            assert vin_problem(v.vin) is None, v.vin
            assert plate_problem(v.plate, v.colour) is None, (v.plate, v.colour)
    jpeg = plate_picture(ents[0].vehicles[0].plate, "yellow", datetime(2026, 12, 6, 8, 0), "东门")
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) > 1000


async def _wait(engine, seconds: float = 120):
    p, d = gs.gates_passages, gs.gates_decisions
    for _ in range(int(seconds / 0.5)):
        with engine.connect() as c:
            reasons = set(c.execute(select(d.c.reason).join(p, p.c.id == d.c.passage_id)).scalars())
            side = c.execute(select(func.count()).select_from(p).join(gs.gates_gates, gs.gates_gates.c.id == p.c.gate_id)
                             .where(gs.gates_gates.c.side.is_(True), p.c.inbound.is_(False))).scalar_one()
        if {"stage_below", "no_plate"} <= reasons and side:
            return reasons
        await asyncio.sleep(0.5)
    return reasons


async def _view_findings(engine, seconds: float = 120):
    f = gs.gates_findings
    rows = []
    for _ in range(int(seconds / 0.5)):
        with engine.connect() as c:
            rows = c.execute(select(s.enterprises.c.name, f.c.subject).join(s.enterprises, s.enterprises.c.id ==
                                                                              f.c.enterprise_id)
                             .where(f.c.code == "VEH-CAMERA-VIEW")).all()
        if rows:
            return rows
        await asyncio.sleep(0.5)
    return rows


async def test_the_demo_posts_events_and_its_staged_violations_are_stored(tmp_path, db_url):
    engine = prepare_database(db_url)
    with engine.begin() as c:
        c.execute(insert(s.regions), [{"code": "320000", "name": "江苏省", "level": "province", "parent_code": None},
                                      {"code": "320500", "name": "苏州市", "level": "city", "parent_code": "320000"},
                                      {"code": "320582", "name": "张家港市", "level": "county",
                                       "parent_code": "320500"}])
        c.execute(insert(s.enterprises), [{"credit_code": f"9132058200000000{i}X", "name": n, "region_code": "320582"}
                                          for i, n in enumerate(("张家港焦化", "张家港水泥", "张家港化工", "张家港钢铁"))])
    engine.dispose()
    plan_ = demo(options(tmp_path))
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0, gates={"job": {"every_seconds": 1.0}})
    svc = Service(st)
    await svc.start(forward=False)
    stop = asyncio.Event()
    sims = asyncio.create_task(plan_.run(svc, stop))
    try:
        banner = "\n".join(plan_.banner(svc))
        assert "/gates/ledger" in banner and "/gates/dashboard" in banner
        reasons = await _wait(svc.engine)
        assert {"stage_below", "no_plate", "stage_allowed"} <= reasons
        with svc.engine.connect() as c:
            grades = dict(c.execute(select(s.enterprises.c.name, gs.gates_enterprises.c.grade)
                                    .join(gs.gates_enterprises, gs.gates_enterprises.c.enterprise_id == s.enterprises.c.id)).all())
            [alert] = alerts_in_force(c, "320582", datetime.now(timezone.utc))
            unread = c.execute(select(gs.gates_passages).where(gs.gates_passages.c.plate == "")).mappings().all()
            in_ledger = c.execute(select(func.count()).select_from(gs.gates_ledger).where(
                gs.gates_ledger.c.passage_id.in_([u["id"] for u in unread]))).scalar_one()
            a_picture = c.execute(select(gs.gates_passages.c.picture).where(
                gs.gates_passages.c.picture.is_not(None))).scalars().first()
            board = alert_dashboard(c, s.enterprises.c.id.is_not(None), alert["region_code"], alert["starts_at"],
                                    datetime.now(timezone.utc), GradeRules())
        assert grades == {"张家港焦化": "B", "张家港水泥": "A", "张家港化工": "C"}
        assert (alert["region_code"], alert["level"]) == ("320500", "orange")
        assert len(unread) == 1 and in_ledger == 0  # the unread plate: a passage the ledger lacks
        assert picture_store(st).get(a_picture)[:3] == b"\xff\xd8\xff"
        first = next(r for r in board.rows if r.name == "张家港焦化")
        assert first.refused >= 1 and first.side_exits == 1 and first.passages >= 10
        # the cameras' reference views are registered (audited) and their snapshots pushed; the first
        # enterprise's side-gate camera is turned away: VEH-CAMERA-VIEW, on that camera alone
        views = await _view_findings(svc.engine)
        assert [(v.name, v.subject) for v in views] == [("张家港焦化", "西侧门 (CAM-G2)")], views
        with svc.engine.connect() as c:
            refs = c.execute(select(func.count()).select_from(gs.gates_cameras)
                             .where(gs.gates_cameras.c.reference_picture.is_not(None))).scalar_one()
            audited = c.execute(select(func.count()).select_from(s.audit_log).where(
                s.audit_log.c.actor == "demo", s.audit_log.c.entity == "gate_camera")).scalar_one()
            sn, cam = gs.gates_snapshots.c, gs.gates_cameras.c
            compared = c.execute(select(s.enterprises.c.name, cam.code, sn.similarity)
                                 .join(gs.gates_cameras, cam.id == sn.camera_id)
                                 .join(s.enterprises, s.enterprises.c.id == cam.enterprise_id)
                                 .where(sn.similarity.is_not(None))).all()
        assert refs == 6 and audited == 6
        assert compared and all((sim < 0.65) == ((name, code) == ("张家港焦化", "CAM-G2"))
                                for name, code, sim in compared), compared
    finally:
        stop.set()
        await asyncio.wait_for(sims, 60)
        await svc.stop()
