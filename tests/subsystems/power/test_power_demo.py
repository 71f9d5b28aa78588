"""The power subsystem's demo plan (issue 15 item 9), run as ``ecosentry demo`` runs it: its fleet imported,
the service started with its settings, its simulators sending over real TCP (and MQTT through the demo's own
mosquitto when installed). Its three staged violations raise their alarms in the first minutes; the honest
enterprise raises nothing; the Vietnamese demo gets no power enterprises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ecosentry.contracts.subsystem import DemoOptions
from ecosentry.fleet import import_fleet
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings, with_changes
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.demo import demo, plan_times
from ecosentry.subsystems.power.demo.fleet import credit_code, enterprises

STAGED = {"ALM-PWR-TREAT-OFF": ("coking", "active"), "ALM-PWR-START-ORDER": ("cement", "cleared"),
          "ALM-PWR-ORDER-STOP": ("chemical", "active")}


def options(tmp_path, country="cn", hours=3.0) -> DemoOptions:
    return DemoOptions(size=1, country=country, backfill_hours=hours, data_dir=tmp_path, port=0, hj212_port=0)


def test_the_vietnamese_demo_has_no_metered_enterprises(tmp_path):
    assert demo(options(tmp_path, "vn")) is None


def test_the_alert_starts_two_clock_hours_before_the_demo():
    t0, start = plan_times(datetime(2026, 12, 6, 2, 17, 41, tzinfo=timezone.utc))
    assert (t0, start) == (datetime(2026, 12, 6, 2, 17, tzinfo=timezone.utc),
                           datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc))


def test_the_fleet_imports_with_its_accounts_and_measures(tmp_path, db_url):
    plan = demo(options(tmp_path))
    engine = prepare_database(db_url)
    try:
        summary = import_fleet(engine, plan.fleet)
        assert summary.enterprises == 4 and summary.users == 2
        with engine.connect() as c:
            measures = c.execute(select(func.count()).select_from(ps.power_measures)).scalar_one()
            users = dict(c.execute(select(s.users.c.username, s.users.c.region_code)
                                   .where(s.users.c.username.in_(["zjg", "coking"]))).all())
        assert measures == 9 and users["zjg"] == "320582"
        assert [a[0] for a in plan.accounts] == ["zjg", "coking"] and plan.password
    finally:
        engine.dispose()


async def wait_for_alarms(engine, want: int, seconds: float = 300) -> list[dict]:
    a = s.alarms
    rows: list = []
    for _ in range(int(seconds / 0.5)):
        with engine.connect() as c:
            rows = c.execute(select(a.c.type, a.c.state, a.c.enterprise_id, a.c.region_code)
                             .where(a.c.type.like("ALM-PWR-%"))).mappings().all()
        if len({r["type"] for r in rows}) >= want and all(
                any(r["type"] == t and r["state"] == st for r in rows) for t, (_k, st) in STAGED.items()):
            break
        await asyncio.sleep(0.5)
    return [dict(r) for r in rows]


async def test_the_demo_raises_its_staged_power_alarms_and_nothing_else(tmp_path, db_url, caplog):
    plan = demo(options(tmp_path))
    engine = prepare_database(db_url)
    import_fleet(engine, plan.fleet)
    engine.dispose()
    st = with_changes(Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1",
                               hj212_port=0, http_host="127.0.0.1", http_port=0), plan.settings)
    around = contextlib.AsyncExitStack()
    if plan.around:  # the demo's own broker, up before the service (as ``ecosentry demo`` runs it)
        await around.enter_async_context(plan.around(st))
    caplog.set_level(logging.WARNING, logger="ecosentry.subsystems.power.gateways.mqtt")
    svc = Service(st)
    await svc.start(forward=False)   # the web too: the banner names its pages
    stop = asyncio.Event()
    sims = asyncio.create_task(plan.run(svc, stop))
    try:
        banner = "\n".join(plan.banner(svc))
        assert "/power" in banner and "/power/alerts" in banner
        rows = await wait_for_alarms(svc.engine, len(STAGED))
        with svc.engine.connect() as c:
            ids = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
            steel_findings = c.execute(select(func.count()).select_from(ps.power_findings).where(
                ps.power_findings.c.enterprise_id == ids[credit_code(4)])).scalar_one()
            mqtt_frames = c.execute(select(func.count()).select_from(s.raw_frames).where(
                s.raw_frames.c.transport == "power-mqtt")).scalar_one()
            alert = c.execute(select(s.pollution_alerts)).mappings().one()
        key_of = {ids[e.credit_code]: e.key for e in enterprises(mqtt=False)}
        got = {(r["type"], key_of[r["enterprise_id"]], r["state"]) for r in rows}
        assert got == {(t, k, st) for t, (k, st) in STAGED.items()}   # every staged one, nothing else
        assert {r["region_code"] for r in rows} == {"320582"}          # the county's, hence the city's too
        assert steel_findings == 0                                      # the honest enterprise
        assert (alert["region_code"], alert["level"]) == ("320500", "orange")
        if shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto"):
            assert mqtt_frames >= 3 * 60                                # its history came through the broker
            # the broker was there when the subscriber first connected: no "connection refused" on a healthy start
            assert [r.getMessage() for r in caplog.records if r.name.endswith("power.gateways.mqtt")] == []
        assert alert["starts_at"].replace(tzinfo=timezone.utc) <= datetime.now(timezone.utc) - timedelta(hours=1)
    finally:
        stop.set()
        await asyncio.wait_for(sims, 60)
        await svc.stop()
        await around.aclose()


def test_without_mosquitto_every_device_sends_over_hj212_and_the_banner_says_so(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ecosentry.subsystems.power.demo import broker

    monkeypatch.setattr(broker, "binary", lambda: None)   # a fresh machine: no broker installed
    plan = demo(options(tmp_path))
    assert plan.settings == {} and plan.around is None     # power.mqtt stays off, no broker
    assert {d["transport"] for d in plan.fleet["power"]["devices"]} == {"hj212"}
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")                  # the banner speaks the deployment's language
    svc = SimpleNamespace(parts={}, url="http://127.0.0.1:8000/", settings=SimpleNamespace(default_locale="en"))
    assert "MQTT off (no mosquitto installed" in plan.banner(svc)[0]
    svc.settings.default_locale = "zh"
    assert "MQTT 未启用（未安装 mosquitto" in plan.banner(svc)[0]
