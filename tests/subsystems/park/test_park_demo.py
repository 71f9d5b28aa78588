"""The park subsystem's demo plan (issue 17 item 7), run as ``ecosentry demo`` runs it: the service started, the
demo park imported into the park of the fleet's ``park`` account (a dozen enterprises, sources, boundary and
park-edge stations, a met station, a school and a village), the stations sending over HJ 212 to the park gateway
(and MQTT through the demo's own broker when mosquitto is installed); the releases of the history raise a warning
whose incident (zones, ranked sources) is stored and which the committee account sees."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import func, insert, select

from ecosentry.auth.passwords import hash_password
from ecosentry.contracts.subsystem import DemoOptions
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.demo import demo, prepare
from ecosentry.subsystems.park.demo.air import Air
from ecosentry.subsystems.park.demo.scene import sources, stations

PARK = "P320582"


def options(tmp_path, country="cn") -> DemoOptions:
    return DemoOptions(size=1, country=country, backfill_hours=1, data_dir=tmp_path, port=0, hj212_port=0)


def test_the_vietnamese_demo_has_no_park(tmp_path):
    assert demo(options(tmp_path, "vn")) is None


def test_every_release_of_the_first_hours_reaches_a_station_above_level_i():
    from datetime import datetime, timedelta, timezone

    srcs = sources("320582")
    air = Air(srcs, stations(srcs), datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc))
    seen = set()
    for cycle in range(20):
        at = air.t0 + timedelta(minutes=6 * cycle)
        rel = air.release(at)
        if rel is None:
            continue
        seen.add(rel.source.id)
        assert 50 <= rel.rate_g_s <= 200
        top = max(v[rel.substance] for k, v in air.readings(at).items() if not k.startswith("M"))
        assert top >= air.level_i[rel.substance]
    assert len(seen) >= 6


def _world(db_url):
    engine = prepare_database(db_url)
    with engine.begin() as c:
        c.execute(insert(s.regions), [{"code": "320000", "name": "江苏省", "level": "province", "parent_code": None},
                                      {"code": "320500", "name": "苏州市", "level": "city", "parent_code": "320000"},
                                      {"code": "320582", "name": "张家港市", "level": "county",
                                       "parent_code": "320500"}])
        c.execute(insert(s.parks), [{"code": PARK, "name": "张家港示范化工园区", "region_code": "320582"}])
        c.execute(insert(s.users), [{"username": "park", "role": "park", "park_code": PARK,
                                     "password_hash": hash_password("ecosentry-demo")}])
    return engine


def test_the_demo_park_import_is_idempotent(db_url):
    engine = _world(db_url)
    first = prepare(engine)
    prepare(engine)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(s.enterprises)
                         .where(s.enterprises.c.park_code == PARK)).scalar_one() == 12
        tiers = [r for r in c.execute(select(ps.park_stations.c.tier)).scalars()]
        kinds = set(c.execute(select(ps.park_receptors.c.kind)).scalars())
        assert c.execute(select(func.count()).select_from(ps.park_sources)).scalar_one() == 12
    assert first["park"][0]["code"] == PARK
    assert (tiers.count("boundary"), tiers.count("edge"), tiers.count("met")) == (12, 8, 1)
    assert kinds == {"school", "village"}
    engine.dispose()


async def _incident(engine, seconds: float = 240):
    e = ps.park_warning_events.c
    for _ in range(int(seconds / 0.5)):
        with engine.connect() as c:
            # a warning at a toxicological level (an attention, from the station's own background, may come first
            # under load, when the stations' background is still being learnt)
            row = c.execute(select(ps.park_warning_events).where(e.incident.is_not(None),
                                                                  e.code.like("PARK-LEVEL-%"))
                            .order_by(e.id)).mappings().first()
        if row is not None:
            return row
        await asyncio.sleep(0.5)
    return None


async def test_the_demo_sends_and_a_warning_with_its_incident_is_stored(tmp_path, db_url, caplog):
    engine = _world(db_url)
    engine.dispose()
    plan = demo(options(tmp_path))
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0)
    from ecosentry.settings import with_changes

    st = with_changes(st, plan.settings)
    around = contextlib.AsyncExitStack()
    if plan.around:  # the demo's own broker, up before the service (as ``ecosentry demo`` runs it)
        await around.enter_async_context(plan.around(st))
    caplog.set_level(logging.WARNING, logger="ecosentry.subsystems.park.gateways.mqtt")
    svc = Service(st)
    await svc.start(forward=False)
    stop = asyncio.Event()
    sims = asyncio.create_task(plan.run(svc, stop))
    try:
        banner = "\n".join(plan.banner(svc))
        assert "/park" in banner
        event = await _incident(svc.engine)
        assert event is not None and event["code"].startswith("PARK-LEVEL-")
        incident = event["incident"]
        assert incident.get("ranking") and incident.get("release"), incident
        assert len(incident["zones"]) == 3   # AEGL-3, -2, -1 of the release the incident assumes
        with svc.engine.connect() as c:
            readings = c.execute(select(func.count()).select_from(ps.park_readings)).scalar_one()
            met = c.execute(select(func.count()).select_from(ps.park_met_readings)).scalar_one()
            stations_seen = c.execute(select(func.count(func.distinct(ps.park_readings.c.station_id)))).scalar_one()
        assert readings > 0 and met > 0
        assert stations_seen == 20  # the boundary and edge stations: over HJ 212 and, with mosquitto, MQTT
        # with a broker, it was there when the subscriber first connected: no "connection refused" at the start
        assert [r.getMessage() for r in caplog.records if r.name.endswith("park.gateways.mqtt")] == []
    finally:
        stop.set()
        await asyncio.wait_for(sims, 60)
        await svc.stop()
        await around.aclose()
