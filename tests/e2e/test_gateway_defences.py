"""The HJ 212 gateway against bad loggers and attackers (issue 11): real sockets, the real gateway and database.

Each test sends over a real TCP connection what a faulty logger or an attacker sent, and checks what every
other logger (and the archive) still gets.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, select

from ecosentry.api.app import create_app
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.spool import Spool
from ecosentry.protocols.hj212 import crc16, parse_frame
from ecosentry.store import schema as s
from ecosentry.store.audit import list_audit
from ecosentry.subsystems.monitoring.store.logger_faults import rejected_frames
from ecosentry.fleet import import_fleet
from ecosentry.store.registry import PointInfo
from helpers import FLEET, GAS_MN, PW, AsUsers, Logger, minute_frame, running_service

T0 = datetime(2026, 11, 20, 8, 0, 0)  # local time (Asia/Shanghai)


def framed(segment: str) -> bytes:
    data = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def wrong_length(frame: bytes, extra: int = 6) -> bytes:
    """The frame with a declared length ``extra`` bytes too many and its CRC still right (a real client)."""
    return b"##%04d" % (int(frame[2:6]) + extra) + frame[6:]


def rows(engine, *where):
    rf = s.raw_frames
    with engine.connect() as c:
        return c.execute(select(rf.c.status, rf.c.error, rf.c.mn, rf.c.point_id, rf.c.detail).where(*where)
                         .order_by(rf.c.id)).all()


def gas_point_id(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(s.points.c.id).where(s.points.c.mn == GAS_MN)).scalar_one()


async def closed_by_server(lg: Logger, drip: bytes | None = None, every: float = 0.05) -> bool:
    """Drip ``drip`` one byte at a time until the server closes the connection; True once it has."""
    async def dripping():
        for byte in (drip or b"") * 100:
            try:
                lg.writer.write(bytes([byte]))
                await lg.writer.drain()
            except (ConnectionError, OSError):
                return
            await asyncio.sleep(every)

    sender = asyncio.create_task(dripping())
    try:
        data = await asyncio.wait_for(lg.reader.read(), 30)
    except TimeoutError:  # still open (TimeoutError is an OSError: caught first)
        return False
    except (ConnectionError, OSError):
        data = b""
    finally:
        sender.cancel()
    return data == b""


async def test_a_bad_frame_does_not_cost_a_good_frame_in_the_same_write_its_reply(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        t = T0.strftime("%Y%m%d%H%M%S")
        bad_qn = framed(f"QN=2026=1;ST=31;CN=2051;PW={PW};MN={GAS_MN};Flag=5;CP=&&DataTime={t};a21026-Avg=1&&")
        bad_mn = framed(f"QN=20261120080000000;ST=31;CN=2051;PW=12\r34;MN=AB&&CD;Flag=5;CP=&&DataTime={t}&&")
        year_one = minute_frame(GAS_MN, T0, {"a21026": 1.0}).replace(t.encode(), b"00010101000000")
        year_one = framed(year_one[6:-6].decode())
        too_long = framed(f"QN={'9' * 21};ST=31;CN=2051;PW={PW};MN={GAS_MN};Flag=5;CP=&&DataTime={t}&&")
        flag3 = minute_frame(GAS_MN, T0, {"a21026": 2.0}, data_flag="NNN")
        good = minute_frame(GAS_MN, T0 + timedelta(minutes=1), {"a21026": 30.0})
        lg = await Logger.connect(svc.hj212_port)
        await lg.send(bad_qn + bad_mn + year_one + too_long + flag3 + good)
        reply = parse_frame(await lg.reply())
        assert reply.cn == "9014" and reply.qn == parse_frame(good).qn
        await lg.close()
        await svc.drain()
        got = rows(svc.engine)
        assert [r.status for r in got] == ["rejected"] * 5 + ["accepted"]  # every frame archived
        assert [r.error for r in got[:5]] == ["BadHeaderField", "BadHeaderField", "BadField", "FieldTooLong", "FieldTooLong"]
        # a rejected frame whose header can be read is linked to its point (never turned into data)
        pid = gas_point_id(svc.engine)
        assert got[0].mn == GAS_MN and got[0].point_id == pid and got[1].point_id is None
        o = s.observations
        with svc.engine.connect() as c:
            assert c.execute(select(o.c.value).where(o.c.point_id == pid)).scalars().all() == [30.0]


async def test_a_run_of_hashes_is_one_rejected_chunk(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        before = counters.snapshot().get("hj212.rejected.BadHeader", 0)
        lg = await Logger.connect(svc.hj212_port)
        await lg.send(b"#" * (128 * 1024))
        good = minute_frame(GAS_MN, T0, {"a21026": 30.0})
        await lg.send(good)
        assert parse_frame(await lg.reply()).cn == "9014"
        await lg.close()
        await svc.drain()
        rejected = rows(svc.engine, s.raw_frames.c.status == "rejected")
        assert 1 <= len(rejected) <= 3  # was 131,070 rows, one per byte
        assert counters.snapshot().get("hj212.rejected.BadHeader", 0) - before == len(rejected)
        with svc.engine.connect() as c:
            kept = c.execute(select(func.sum(func.length(s.raw_frames.c.raw)))
                             .where(s.raw_frames.c.status == "rejected")).scalar_one()
        assert kept == 128 * 1024  # every byte received is archived


async def test_a_slow_sender_is_closed_after_the_frame_deadline(tmp_path, db_url):
    async with running_service(tmp_path, db_url, hj212_frame_deadline=0.5) as svc:
        lg = await Logger.connect(svc.hj212_port)
        assert await closed_by_server(lg, drip=minute_frame(GAS_MN, T0, {"a21026": 1.0}))
        garbage = await Logger.connect(svc.hj212_port)
        assert await closed_by_server(garbage, drip=b"AT+CSQ ")
        good = await Logger.connect(svc.hj212_port)  # the gateway still serves
        await good.send(minute_frame(GAS_MN, T0, {"a21026": 1.0}))
        assert parse_frame(await good.reply()).cn == "9014"
        await good.close()
        await lg.close()
        await garbage.close()
        await svc.drain()
        assert len(rows(svc.engine, s.raw_frames.c.error == "FrameTimeout")) == 2  # what was sent is archived


async def test_connections_per_peer_address_are_bounded(tmp_path, db_url):
    async with running_service(tmp_path, db_url, hj212_max_connections_per_peer=3) as svc:
        loggers = [await Logger.connect(svc.hj212_port) for _ in range(3)]
        for i, lg in enumerate(loggers):  # the three admitted are served
            await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 1.0}))
            assert parse_frame(await lg.reply()).cn == "9014"
        extra = await Logger.connect(svc.hj212_port)
        assert await closed_by_server(extra)
        await loggers[0].close()
        while svc.gateway.connections > 2:  # the server sees the close
            await asyncio.sleep(0.01)
        again = await Logger.connect(svc.hj212_port)
        await again.send(minute_frame(GAS_MN, T0 + timedelta(minutes=9), {"a21026": 1.0}))
        assert parse_frame(await again.reply()).cn == "9014"
        for lg in (*loggers[1:], extra, again):
            await lg.close()


async def test_a_flood_from_many_addresses_stops_at_the_total_bound_and_the_loggers_in_are_served(tmp_path, db_url):
    """Connections from several loopback addresses (each under its per-address bound) fill the total bound; the
    next is closed at once and counted, the loggers already in are served, and a place freed is taken again."""
    async def from_address(host: str) -> Logger:
        r, w = await asyncio.open_connection("127.0.0.1", svc.hj212_port, local_addr=(host, 0))
        return Logger(r, w)

    async with running_service(tmp_path, db_url, hj212_max_connections=6, hj212_max_connections_per_peer=2) as svc:
        before = counters.snapshot().get("hj212.refused_total", 0)
        flood = [await from_address(f"127.0.0.{2 + i // 2}") for i in range(6)]
        while svc.gateway.connections < 6:
            await asyncio.sleep(0.01)
        for n, extra_host in enumerate(("127.0.0.9", "127.0.0.10")):
            extra = await from_address(extra_host)
            assert await closed_by_server(extra)
            assert counters.snapshot().get("hj212.refused_total", 0) == before + n + 1  # counted once each
            await extra.close()
        # the connections already in are served: a frame on one of them is acknowledged
        await flood[0].send(minute_frame(GAS_MN, T0, {"a21026": 1.0}))
        assert parse_frame(await flood[0].reply()).cn == "9014"
        await flood[5].close()
        while svc.gateway.connections > 5:
            await asyncio.sleep(0.01)
        again = await from_address("127.0.0.11")
        await again.send(minute_frame(GAS_MN, T0 + timedelta(minutes=1), {"a21026": 2.0}))
        assert parse_frame(await again.reply()).cn == "9014"
        for lg in (*flood[:5], again):
            await lg.close()


async def test_a_hung_registry_refresh_does_not_stop_the_replies(tmp_path):
    """The directory's loader blocks (a database connection that hangs, not refused): a registered logger is
    still answered, and a logger registered meanwhile is accepted once the refresh has come back."""
    known = {GAS_MN: PointInfo(1, GAS_MN, PW, "Asia/Shanghai", True, "gas", 1)}
    new_mn = "TEST0000000000000000NEW1"
    released = threading.Event()
    calls = []

    def loader():
        calls.append(1)
        if len(calls) > 1:
            released.wait(30)  # hangs like a dead database connection
            return {**known, new_mn: PointInfo(2, new_mn, PW, "Asia/Shanghai", True, "gas", 1)}
        return dict(known)

    directory = PointDirectory(None, min_reload_s=0.0, loader=loader)
    gateway = HJ212Gateway(directory, Spool(tmp_path / "spool"))
    await gateway.start("127.0.0.1", 0)
    try:
        stranger = await Logger.connect(gateway.port)
        await stranger.send(minute_frame(new_mn, T0, {"a21026": 1.0}))  # unknown: quarantined, refresh asked
        registered = await Logger.connect(gateway.port)
        for i in range(3):
            await registered.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 1.0}))
            assert parse_frame(await registered.reply()).cn == "9014"
        assert directory.refreshing  # the refresh is still hanging, and the loop did not wait for it
        released.set()
        while directory.refreshing:
            await asyncio.sleep(0.01)
        await stranger.send(minute_frame(new_mn, T0 + timedelta(minutes=1), {"a21026": 1.0}))
        assert parse_frame(await stranger.reply()).mn == new_mn
        await stranger.close()
        await registered.close()
    finally:
        released.set()
        await gateway.close()


async def test_a_logger_with_a_wrong_length_is_a_logger_fault_unless_its_point_is_lenient(tmp_path, db_url):
    async with running_service(tmp_path, db_url, web=True, monitoring={"logger_fault_threshold": 3}) as svc:
        eng = svc.engine
        pid = gas_point_id(eng)
        lg = await Logger.connect(svc.hj212_port)
        for i in range(3):
            await lg.send(wrong_length(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 5.0})))
        await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=5), {"a21026": 6.0}))
        assert parse_frame(await lg.reply()).qn == parse_frame(minute_frame(GAS_MN, T0 + timedelta(minutes=5),
                                                                            {"a21026": 6.0})).qn
        await svc.drain()
        rejected = rows(eng, s.raw_frames.c.status == "rejected")
        assert [(r.error, r.mn, r.point_id) for r in rejected] == [("LengthMismatch", GAS_MN, pid)] * 3
        now = datetime.now(timezone.utc)
        with eng.connect() as c:
            fault = rejected_frames(c, now - timedelta(hours=1), [pid])[pid]
        assert fault.count == 3 and fault.latest_error == "LengthMismatch"
        # alarmed after the threshold, by the detection pass that reads the same query
        await svc.detection.pass_once(now)
        a = s.alarms
        with eng.connect() as c:
            alarm = c.execute(select(a.c.state, a.c.point_id).where(a.c.type == "ALM-LOGGER-FRAMES")).one()
        assert alarm.point_id == pid and alarm.state == "active"
        # shown on the point's page, in the user's language
        app = create_app(eng, service=svc)
        async with httpx.AsyncClient(transport=AsUsers(app, eng), base_url="http://test") as web:
            zh = (await web.get(f"/points/{pid}?lang=zh")).text
            en = (await web.get(f"/points/{pid}?lang=en")).text
        assert 'data-logger-fault="3"' in zh and "数采仪故障" in zh and "声明的长度错误" in zh
        assert "Logger fault: 3 transmissions (frames or files) rejected" in en and "wrong declared length" in en

        # leniency on (fleet import, audited): the same frames are accepted and counted
        fleet = {**FLEET, "enterprises": [dict(FLEET["enterprises"][0])]}
        outlet = dict(fleet["enterprises"][0]["outlets"][0])
        outlet["points"] = [{**outlet["points"][0], "lenient_length": True}]
        fleet["enterprises"][0]["outlets"] = [outlet, *fleet["enterprises"][0]["outlets"][1:]]
        await asyncio.to_thread(import_fleet, eng, fleet, actor="tester")
        audit = list_audit(eng, "point", pid)
        assert audit[0]["actor"] == "tester" and audit[0]["after"]["lenient_length"] is True
        assert audit[0]["before"]["lenient_length"] is False
        await asyncio.to_thread(svc.directory.reload)
        before = counters.snapshot().get("hj212.lenient_length", 0)
        lenient = wrong_length(minute_frame(GAS_MN, T0 + timedelta(minutes=10), {"a21026": 7.0}))
        await lg.send(lenient)
        assert parse_frame(await lg.reply()).cn == "9014"
        corrupt = bytearray(wrong_length(minute_frame(GAS_MN, T0 + timedelta(minutes=11), {"a21026": 8.0})))
        corrupt[-6:-2] = b"0000" if corrupt[-6:-2] != b"0000" else b"FFFF"
        await lg.send(bytes(corrupt))  # a wrong CRC is never accepted
        last_good = minute_frame(GAS_MN, T0 + timedelta(minutes=12), {"a21026": 9.0})
        await lg.send(last_good)  # answered: the gateway has read everything before it
        assert parse_frame(await lg.reply()).qn == parse_frame(last_good).qn
        await lg.close()
        await svc.drain()
        assert counters.snapshot().get("hj212.lenient_length", 0) - before == 1
        o = s.observations
        with eng.connect() as c:
            values = c.execute(select(o.c.value).where(o.c.point_id == pid).order_by(o.c.period_start)).scalars()
            assert list(values) == [6.0, 7.0, 9.0]
        last = rows(eng)[-3:]
        assert last[0].status == "accepted" and \
            f"length {int(lenient[2:6])}, {int(lenient[2:6]) - 6} bytes received" in last[0].detail
        assert last[1].status == "rejected" and last[1].point_id == pid


async def test_field_cases_of_the_codec_over_tcp_into_the_store(tmp_path, db_url):
    """Issue 13 item 5 end to end: a provincial CN is archived, quarantined as unknown_cn, counted once and
    answered; an ST outside Table 5 and a blank CP are accepted; a separator typo in the header and a QN that
    is not 17 digits are rejected as malformed headers with their reason."""
    async with running_service(tmp_path, db_url) as svc:
        before = counters.snapshot()
        t = T0.strftime("%Y%m%d%H%M%S")
        head = f"ST=31;CN=2091;PW={PW};MN={GAS_MN};Flag=5"
        provincial = framed(f"QN={t}001;{head};CP=&&DataTime={t};a21026-Avg=7.5&&")
        odd_st = minute_frame(GAS_MN, T0, {"a21026": 30.0}, st="88", qn=f"{t}002")
        blank_cp = framed(f"QN={t}003;ST=31;CN=2051;PW={PW};MN={GAS_MN};Flag=5;CP=&&   &&")
        typo = framed(f"QN={t}004;ST=22,CN=2011;PW={PW};MN={GAS_MN};Flag=5;CP=&&DataTime={t};a21026-Rtd=1&&")
        short_qn = framed(f"QN={t}00;ST=31;CN=2051;PW={PW};MN={GAS_MN};Flag=5;CP=&&DataTime={t};a21026-Avg=1&&")
        lg = await Logger.connect(svc.hj212_port)
        await lg.send(provincial + odd_st + blank_cp + typo + short_qn)
        answered = [parse_frame(await lg.reply()) for _ in range(3)]
        assert [(r.cn, r.qn) for r in answered] == [("9014", f"{t}001"), ("9014", f"{t}002"), ("9014", f"{t}003")]
        await lg.close()
        await svc.drain()
        got = rows(svc.engine)
        pid = gas_point_id(svc.engine)
        assert [(r.status, r.error) for r in got] == [
            ("quarantined", "unknown_cn"), ("accepted", None), ("accepted", None),
            ("rejected", "BadHeaderField"), ("rejected", "BadHeaderField")]
        assert got[0].point_id == pid and "CN=2091" in got[0].detail
        assert "separator" in got[3].detail and "17 digits" in got[4].detail
        q = s.quarantine
        with svc.engine.connect() as c:
            assert c.execute(select(q.c.reason)).scalars().all() == ["unknown_cn"]
            o = s.observations
            assert c.execute(select(o.c.value).where(o.c.point_id == pid)).scalars().all() == [30.0]
        after = counters.snapshot()
        for name, n in (("hj212.quarantined.unknown_cn", 1), ("hj212.unknown_st", 1),
                        ("hj212.rejected.BadHeaderField", 2), ("hj212.rejected.UnknownCN", 0)):
            assert after.get(name, 0) - before.get(name, 0) == n, name
