"""The power loggers' HJ 212 gateway over real TCP sockets: frames → ``power-readings`` envelopes on the spool
(issue 15 item 2), and the mapping of power loggers' codes on its own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ecosentry.metrics import counters
from ecosentry.pipeline.spool import Spool
from ecosentry.protocols.hj212 import build_frame, data_records, parse_frame
from ecosentry.subsystems.power.gateways.devices import device_directory
from ecosentry.subsystems.power.gateways.hj212 import PowerHJ212Gateway
from ecosentry.subsystems.power.gateways.hj212_map import map_records
from power_ingest_kit import LOGGER_MN, LOGGER_PW, MQTT_MN, power_database, spooled

SHANGHAI = ZoneInfo("Asia/Shanghai")


def frame(cn: str, cp: list[dict], *, pw: str = LOGGER_PW, mn: str = LOGGER_MN, flag: int = 5) -> bytes:
    return build_frame(qn="20261206080100000", st="31", cn=cn, pw=pw, mn=mn, flag=flag, cp=cp)


class Logger:
    """A power logger on a real TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Logger:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 10)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@pytest.fixture
async def gateway(tmp_path, db_url):
    engine, ids = power_database(db_url)
    gw = PowerHJ212Gateway(device_directory(engine), Spool(tmp_path / "spool"))
    await gw.start("127.0.0.1", 0)
    gw.ids = ids
    yield gw
    for _ in range(500):  # the connections' handlers end on their own before the server closes
        if gw.connections == 0:
            break
        await asyncio.sleep(0.01)
    await gw.close()
    engine.dispose()


async def exchange(gw, data: bytes, *, reply: bool = True) -> bytes | None:
    """Send ``data`` on a new connection; the reply when one is owed, else None once the frame is spooled."""
    lg = await Logger.connect(gw.port)
    try:
        await lg.send(data)
        if reply:
            return await lg.reply()
        await lg.writer.drain()
    finally:
        await lg.close()
    for _ in range(500):  # no reply owed: wait until the connection's frames are on the spool
        if gw.connections == 0:
            break
        await asyncio.sleep(0.01)
    return None


async def test_minute_frame_becomes_readings_of_its_meters(gateway, tmp_path):
    cp = [{"DataTime": "20261206080100"},
          {"SB1-P-Min": "40.1", "SB1-P-Avg": "42.5", "SB1-P-Max": "44", "SB1-P-Flag": "N"},
          {"SB1-Ia-Avg": "61.2", "SB1-Ia-Flag": "N"},
          {"SB1-E-Max": "10234.5"},
          {"SB2-P-Avg": "0.02", "SB2-P-Flag": "N"},
          {"SB2-RS": "0"}]
    answer = await exchange(gateway, frame("2051", cp))
    assert b"CN=9014" in answer and b"QN=20261206080100000" in answer
    [env] = spooled(tmp_path / "spool")
    assert (env.kind, env.transport, env.status, env.mn, env.point_id) == \
        ("power-readings", "hj212-tcp", "accepted", LOGGER_MN, gateway.ids[LOGGER_MN])
    got = {r.factor: (r.kind, r.start, r.value, r.flag) for r in env.readings}
    minute = datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc)  # 08:01 in Shanghai
    assert got == {"SB1-P": ("min", minute, 42.5, "N"), "SB1-Ia": ("min", minute, 61.2, "N"),
                   "SB1-E": ("min", minute, 10234.5, None), "SB2-P": ("min", minute, 0.02, "N"),
                   "SB2-RS": ("min", minute, 0.0, None)}
    assert "unknown" not in env.meta


async def test_real_time_and_run_state_frames_fall_on_their_minute(gateway, tmp_path):
    rtd = [{"DataTime": "20261206080137"}, {"SB3-Ua-Rtd": "229.8", "SB3-Ub-Rtd": "230.1", "SB3-Uc-Rtd": "231",
                                            "SB3-PF-Rtd": "0.91", "SB3-I-Rtd": "12.5"}]
    state = [{"DataTime": "20261206080159"}, {"SB1-RS": "1"}, {"SB2-RS": "0"}]
    await exchange(gateway, frame("2011", rtd))
    await exchange(gateway, frame("2021", state))
    rt_env, st_env = spooled(tmp_path / "spool")
    minute = datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc)
    assert {(r.factor, r.kind, r.start, r.value) for r in rt_env.readings} == {
        ("SB3-Ua", "rtd", minute, 229.8), ("SB3-Ub", "rtd", minute, 230.1), ("SB3-Uc", "rtd", minute, 231.0),
        ("SB3-PF", "rtd", minute, 0.91), ("SB3-I", "rtd", minute, 12.5)}
    assert {(r.factor, r.kind, r.start, r.value) for r in st_env.readings} == {
        ("SB1-RS", "rtd", minute, 1.0), ("SB2-RS", "rtd", minute, 0.0)}


async def test_unknown_codes_are_kept_and_counted_not_refused(gateway, tmp_path):
    before = counters.get("power.hj212.unknown_codes")
    cp = [{"DataTime": "20261206080200"}, {"SB1-P-Rtd": "5"}, {"SB1-Q-Rtd": "3.2"}, {"a21026-Rtd": "12"},
          {"01001-Rtd": "7"}, {"SB1-Rtd": "0"}]
    answer = await exchange(gateway, frame("2011", cp))
    assert b"CN=9014" in answer
    [env] = spooled(tmp_path / "spool")
    assert env.status == "accepted" and [r.factor for r in env.readings] == ["SB1-P"]
    assert env.meta["unknown"] == ["SB1-Q", "a21026", "01001", "SB1"] and env.meta["unknown_count"] == 4
    assert counters.get("power.hj212.unknown_codes") - before == 4


async def test_wrong_password_unknown_mn_and_an_mqtt_device_are_quarantined_without_reply(gateway, tmp_path):
    cp = [{"DataTime": "20261206080300"}, {"SB1-P-Avg": "42"}]
    await exchange(gateway, frame("2051", cp, pw="000000"), reply=False)
    await exchange(gateway, frame("2051", cp, mn="PWRLOGUNKNOWN"), reply=False)
    await exchange(gateway, frame("2051", cp, mn=MQTT_MN, pw="123456"), reply=False)  # has no HJ 212 password
    envs = spooled(tmp_path / "spool")
    assert [(e.kind, e.status, e.error, e.readings) for e in envs] == [
        ("power-readings", "quarantined", "bad_password", []),
        ("power-readings", "quarantined", "unknown_mn", []),
        ("power-readings", "quarantined", "bad_password", [])]


async def test_command_codes_outside_table_9_are_quarantined_and_others_kept_unmapped(gateway, tmp_path):
    cp = [{"DataTime": "20261206080000"}, {"SB1-P-Avg": "42"}]
    first = await exchange(gateway, frame("2999", cp))  # an upload (2xxx) asking for a reply gets its 9014
    second = await exchange(gateway, frame("2061", cp))  # hourly data: nothing the minute rules read
    assert b"CN=9014" in first and b"CN=9014" in second
    unknown_cn, hourly = spooled(tmp_path / "spool")
    assert (unknown_cn.kind, unknown_cn.status, unknown_cn.error) == ("power-readings", "quarantined", "unknown_cn")
    assert (hourly.status, hourly.readings, hourly.meta) == ("accepted", [], {"cn_not_mapped": "2061"})


async def test_garbage_is_rejected_and_the_connection_still_serves_the_next_frame(gateway, tmp_path):
    good = frame("2051", [{"DataTime": "20261206080400"}, {"SB1-P-Avg": "42"}])
    bad_crc = good[:-6] + b"0000\r\n"
    lg = await Logger.connect(gateway.port)
    try:
        await lg.send(b"\x00\xffHELLO garbage" + bad_crc + good)
        assert b"CN=9014" in await lg.reply()
    finally:
        await lg.close()
    envs = spooled(tmp_path / "spool")
    assert [(e.kind, e.status) for e in envs] == [("power-readings", "rejected"), ("power-readings", "rejected"),
                                                  ("power-readings", "accepted")]
    # a broken frame with the MN and password of a registered device is a fault of that device's logger
    assert (envs[1].error, envs[1].point_id) == ("CrcMismatch", gateway.ids[LOGGER_MN])
    assert [r.factor for r in envs[2].readings] == ["SB1-P"]


def test_the_core_codec_splits_meter_and_quantity_at_the_last_dash():
    """``SB1-Ia-Rtd`` reaches the mapping as factor ``SB1-Ia`` (suffix ``Rtd``); a run state inside a data
    upload (``SB0-RS``) as the facility's extra suffix."""
    f = parse_frame(build_frame(qn="20261206080100000", st="31", cn="2011", pw="1", mn="M", flag=4,
                                cp=[{"DataTime": "20261206080100"}, {"SB1-Ia-Rtd": "10.5", "SB1-Ia-Flag": "N"},
                                    {"SB0-Rtd": "0", "SB0-RS": "3"}]))
    records = data_records(f)
    assert [(r.factor, r.value, r.flag, r.extra) for r in records] == [("SB1-Ia", 10.5, "N", {}),
                                                                      ("SB0", 0.0, None, {"RS": "3"})]
    mapped = map_records("2011", records, SHANGHAI)
    assert [(r.factor, r.value) for r in mapped.readings] == [("SB1-Ia", 10.5), ("SB0-RS", 3.0)]
    assert mapped.unknown == []


def test_mapping_takes_the_energy_register_from_max_and_ignores_other_commands():
    f = parse_frame(build_frame(qn="20261206080100000", st="31", cn="2051", pw="1", mn="M", flag=4,
                                cp=[{"DataTime": "20261206080100"}, {"SB12-E-Max": "99.5", "SB12-E-Cou": "0.4"},
                                    {"SB12-RS": "bad"}]))
    mapped = map_records("2051", data_records(f), SHANGHAI)
    assert [(r.factor, r.value, r.max) for r in mapped.readings] == [("SB12-E", 99.5, 99.5)]
    assert mapped.unknown == ["SB12-RS"]
    assert map_records("2041", data_records(f), SHANGHAI).readings == []


@pytest.mark.parametrize("cn, kind", [("2011", "rtd"), ("2051", "min"), ("2021", "rtd")])
def test_what_a_simulator_builds_maps_back_to_the_same_readings(cn, kind):
    from ecosentry.subsystems.power.gateways.hj212_map import logger_cp

    meters = {"SB1": {"P": 42.5, "Ia": 61.25, "E": 10234.5, "RS": 1}, "SB7": {"P": 0.0, "RS": 0}}
    if cn == "2021":
        meters = {"SB1": {"RS": 1}, "SB7": {"RS": 0}}
    t = datetime(2026, 12, 6, 8, 1, 30)
    cp = logger_cp(cn, t, meters)
    f = parse_frame(build_frame(qn="20261206080130000", st="31", cn=cn, pw="1", mn="M", flag=4, cp=cp))
    mapped = map_records(cn, data_records(f), SHANGHAI)
    want = {(f"{ch}-{q}", kind, datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc), float(v))
            for ch, qs in meters.items() for q, v in qs.items()}
    assert {(r.factor, r.kind, r.start, r.value) for r in mapped.readings} == want and mapped.unknown == []
