"""Ingest of the park stations (issue 17 item 2) on SQLite and PostgreSQL: HJ 212 frames over a real TCP socket and
MQTT JSON through the real broker (127.0.0.1:1883) → ``park-readings`` envelopes on the spool → the park sink →
``park_readings`` and ``park_met_readings``; raw values immutable; every bad input isolated with its reason."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import aiomqtt
import pytest
from sqlalchemy import select

from ecosentry.fleet import import_fleet
from ecosentry.pipeline.spool import Spool
from ecosentry.protocols.hj212 import build_frame
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.gateways.hj212 import ParkHJ212Gateway
from ecosentry.subsystems.park.gateways.mqtt import ParkMqttPart
from ecosentry.subsystems.park.gateways.mqtt_message import station_payload, topic_of
from ecosentry.subsystems.park.gateways.stations import station_directory
from ecosentry.subsystems.park.pipeline.sink import ParkReadingSink
from ecosentry.subsystems.park.settings import MqttSettings
from parkkit import B01_MN, B01_PW, MET_MN, MET_PW, MQTT_MN, fleet, park_env, spooled

AT = datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc)  # 08:01 in Shanghai


@pytest.fixture
def park_db(db_url, monkeypatch):
    park_env(monkeypatch)
    engine = prepare_database(db_url)
    import_fleet(engine, fleet())
    with engine.connect() as c:
        ids = {r.code: r.id for r in c.execute(select(ps.park_stations.c.code, ps.park_stations.c.id))}
    yield engine, ids
    engine.dispose()


def frame(cp: list[dict], *, mn: str = B01_MN, pw: str = B01_PW, cn: str = "2011") -> bytes:
    return build_frame(qn="20261206080100000", st="22", cn=cn, pw=pw, mn=mn, flag=5, cp=cp)


async def send(port: int, data: bytes, *, reply: bool = True) -> bytes | None:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(data)
        await w.drain()
        if reply:
            return await asyncio.wait_for(r.readuntil(b"\r\n"), 10)
        w.write_eof()
        await asyncio.wait_for(r.read(), 10)  # the gateway closes once it has dealt with what it received
        return None
    finally:
        w.close()


def sink_all(engine, spool_dir, spool_id: str = "test-spool"):
    envs = spooled(spool_dir)
    return envs, ParkReadingSink(engine).write(spool_id, list(enumerate(envs)))


def stored(engine) -> tuple[set, set]:
    with engine.connect() as c:
        pol = {(r.station_id, r.factor, r.at, r.value) for r in c.execute(select(ps.park_readings))}
        met = {(r.station_id, r.quantity, r.at, r.value) for r in c.execute(select(ps.park_met_readings))}
    return pol, met


async def test_hj212_frames_over_tcp_reach_the_tables_and_bad_input_is_isolated(park_db, tmp_path):
    engine, ids = park_db
    gw = ParkHJ212Gateway(station_directory(engine), Spool(tmp_path / "spool"))
    await gw.start("127.0.0.1", 0)
    try:
        ok = [{"DataTime": "20261206080100"}, {"a21022-Rtd": "0.012", "a21022-Flag": "N"}, {"a21024-Rtd": "0.05"}]
        assert b"CN=9014" in await send(gw.port, frame(ok))
        mixed = [{"DataTime": "20261206080200"}, {"a21022-Rtd": "0.02"}, {"a21028-Rtd": "0.3"},  # H2S: not B01's
                 {"a99998-Rtd": "1"}]                                                          # no park code
        assert b"CN=9014" in await send(gw.port, frame(mixed))
        met = [{"DataTime": "20261206080100"}, {"a01007-Rtd": "2.4", "a01008-Rtd": "275", "a01001-Rtd": "6.5",
                                                "xPGSC-Rtd": "4"}]
        assert b"CN=9014" in await send(gw.port, frame(met, mn=MET_MN, pw=MET_PW))
        resent = [{"DataTime": "20261206080100"}, {"a21022-Rtd": "9.9"}]                # raw is immutable
        assert b"CN=9014" in await send(gw.port, frame(resent))
        await send(gw.port, frame(ok, pw="000000"), reply=False)                          # wrong password
        await send(gw.port, b"##0010garbage!!\r\n", reply=False)                          # not a frame
    finally:
        await gw.close()
    envs, result = sink_all(engine, tmp_path / "spool")
    assert [e.kind for e in envs] == ["park-readings"] * len(envs) and len(envs) >= 6
    pol, metrows = stored(engine)
    b01, m01 = ids["B01"], ids["M01"]
    minute2 = AT.replace(minute=2)
    assert pol == {(b01, "Cl2", AT, 0.012), (b01, "HCl", AT, 0.05), (b01, "Cl2", minute2, 0.02)}
    assert metrows == {(m01, "wind_speed", AT, 2.4), (m01, "wind_dir", AT, 275.0), (m01, "temperature", AT, 6.5),
                       (m01, "stability", AT, 4.0)}
    faults = sorted(f.code for _, f in result.isolated)
    assert "factor_not_registered" in faults
    with engine.connect() as c:
        frames = c.execute(select(s.raw_frames.c.transport, s.raw_frames.c.status, s.raw_frames.c.error,
                                  s.raw_frames.c.detail).order_by(s.raw_frames.c.spool_seq)).all()
    assert {f.transport for f in frames} == {"park-hj212-tcp"}
    assert [f.status for f in frames[:4]] == ["accepted"] * 4
    assert frames[1].error == "factor_not_registered" and "not registered for H2S" in frames[1].detail \
        and "'a99998': no pollutant or met quantity" in frames[1].detail
    assert ("quarantined", "bad_password") in {(f.status, f.error) for f in frames}
    assert "rejected" in {f.status for f in frames}
    # a replay of the whole spool (at-least-once) changes nothing
    sink_all(engine, tmp_path / "spool")
    assert stored(engine) == (pol, metrows)
    with engine.connect() as c:
        seen = c.execute(select(ps.park_stations.c.last_seen_at).where(ps.park_stations.c.id == b01)).scalar()
    assert seen is not None


async def test_mqtt_messages_through_the_broker_reach_the_tables(park_db, tmp_path):
    engine, ids = park_db
    prefix = f"test/park-{uuid.uuid4().hex[:8]}"
    st = MqttSettings(url="mqtt://127.0.0.1:1883", topic_prefix=prefix, client_id=f"park-test-{uuid.uuid4().hex[:8]}",
                      persistent_session=False)
    spool = Spool(tmp_path / "spool")
    part = ParkMqttPart(st, station_directory(engine), spool)
    await part.start()
    try:
        await asyncio.wait_for(part.subscribed.wait(), 30)
        local = AT.astimezone(datetime.now().astimezone().tzinfo)
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"park-dev-{uuid.uuid4().hex[:8]}") as dev:
            await dev.publish(topic_of(prefix, MQTT_MN), station_payload(local, {"Cl2": 0.02, "a21028": 0.003,
                                                                               "NH3": None}), qos=1)
            await dev.publish(topic_of(prefix, MQTT_MN), b"{not json", qos=1)
            await dev.publish(topic_of(prefix, "PARKNOBODY"), station_payload(local, {"Cl2": 1.0}), qos=1)
            await dev.publish(topic_of(prefix, MQTT_MN), station_payload(local, {"Cl2": "high"}), qos=1)
        for _ in range(500):
            if len(spooled(tmp_path / "spool")) >= 4:
                break
            await asyncio.sleep(0.02)
    finally:
        await part.close()
    envs, result = sink_all(engine, tmp_path / "spool")
    assert [(e.status, e.error) for e in envs] == [("accepted", None), ("rejected", "bad_json"),
                                                   ("quarantined", "unknown_station"), ("rejected", "bad_value")]
    pol, _ = stored(engine)
    assert pol == {(ids["Q01"], "Cl2", AT, 0.02), (ids["Q01"], "H2S", AT, 0.003)}
    with engine.connect() as c:
        assert {r.transport for r in c.execute(select(s.raw_frames.c.transport))} == {"park-mqtt"}
