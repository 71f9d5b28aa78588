"""The HJ 212 TCP gateway end to end: real socket, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ecosentry.metrics import counters
from ecosentry.protocols.hj212 import parse_frame
from ecosentry.store import schema as s
from helpers import GAS_MN, WATER_MN, Logger, minute_frame, running_service

T0 = datetime(2026, 11, 20, 8, 0, 0)  # local time (Asia/Shanghai) = 00:00 UTC


def count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


async def test_minute_frames_are_acknowledged_stored_and_rolled_up(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        frames = [minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 20 + i, "a19001": 6.5}) for i in range(50)]
        for frame, answer in zip(frames, await lg.send_all(frames), strict=True):
            reply = parse_frame(answer)
            assert reply.cn == "9014" and reply.qn == parse_frame(frame).qn and reply.mn == GAS_MN
        await lg.close()
        await svc.drain()
        assert await svc.worker.flush() == 2  # one hour, two factors
        eng = svc.engine
        o = s.observations
        assert count(eng, o, o.c.kind == "min", o.c.factor_code == "a21026") == 50
        with eng.connect() as c:
            first = c.execute(select(o.c.period_start, o.c.value).where(o.c.factor_code == "a21026")
                              .order_by(o.c.period_start)).first()
            hv = c.execute(select(s.hourly_values).where(s.hourly_values.c.factor_code == "a21026")).mappings().one()
        # DataTime 08:00 Beijing time is 00:00 UTC
        assert first.period_start.isoformat() == "2026-11-20T00:00:00+00:00" and first.value == 20
        assert hv["valid"] is True and hv["valid_minutes"] == 50 and hv["n_records"] == 50
        assert hv["value"] == sum(20 + i for i in range(50)) / 50
        assert hv["flag"] == "N"


async def test_resent_frames_create_no_duplicates(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        frames = [minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 10.0 + i}) for i in range(10)]
        for _attempt in range(3):  # the logger reconnects and re-sends everything twice
            lg = await Logger.connect(svc.hj212_port)
            await lg.send_all(frames)
            await lg.close()
        await svc.drain()
        o = s.observations
        assert count(svc.engine, o) == 10
        assert count(svc.engine, s.raw_frames) == 30  # every copy is archived raw


async def test_bad_input_is_refused_while_a_good_logger_is_served(tmp_path, db_url):
    async with running_service(tmp_path, db_url, hj212_max_frame=2048) as svc:
        before = counters.snapshot()
        good = await Logger.connect(svc.hj212_port)
        bad = await Logger.connect(svc.hj212_port)
        t = T0
        for round_ in range(4):
            # the good logger: one frame split across many reads, then two concatenated frames
            f1 = minute_frame(GAS_MN, t, {"a21026": 30.0})
            for i in range(0, len(f1), 7):
                await good.send(f1[i:i + 7])
                await asyncio.sleep(0)
            assert parse_frame(await good.reply()).cn == "9014"
            f2 = minute_frame(GAS_MN, t + timedelta(minutes=1), {"a21026": 31.0})
            f3 = minute_frame(WATER_MN, t, {"w01018": 40.0}, st="32")
            await good.send(f2 + f3)
            assert {parse_frame(await good.reply()).mn for _ in range(2)} == {GAS_MN, WATER_MN}
            t += timedelta(minutes=2)
            # the bad one: garbage, a wrong password, an unknown MN, a bad CRC, an oversize frame
            await bad.send(b"\x00\xffGARBAGE-not-a-frame\r\n")
            await bad.send(minute_frame(GAS_MN, t, {"a21026": 999.0}, pw="wrong!"))
            await bad.send(minute_frame("UNKNOWN-MN-000000000001", t, {"a21026": 999.0}))
            corrupt = bytearray(minute_frame(GAS_MN, t, {"a21026": 999.0}))
            corrupt[-6:-2] = b"0000" if corrupt[-6:-2] != b"0000" else b"FFFF"
            await bad.send(bytes(corrupt))
            await bad.send(b"##9999" + b"X" * 3000 + b"\r\n")
        # the bad connection never got a data reply (nothing of it was accepted)
        try:
            got = await asyncio.wait_for(bad.reader.read(1), 0.5)
        except TimeoutError:
            got = b""
        assert got == b""
        await good.close()
        await bad.close()
        await svc.drain()
        eng = svc.engine
        o, q, rf = s.observations, s.quarantine, s.raw_frames
        assert count(eng, o, o.c.value == 999.0) == 0
        assert count(eng, o, o.c.point_id.isnot(None)) == 4 * 3
        with eng.connect() as c:
            reasons = sorted(c.execute(select(q.c.reason)).scalars())
        assert reasons == ["bad_password"] * 4 + ["unknown_mn"] * 4
        assert count(eng, rf, rf.c.status == "rejected") >= 4 * 3
        after = counters.snapshot()
        assert after.get("hj212.rejected.CrcMismatch", 0) - before.get("hj212.rejected.CrcMismatch", 0) == 4
        assert after.get("hj212.quarantined.bad_password", 0) - before.get("hj212.quarantined.bad_password", 0) == 4


async def test_frame_without_A_bit_is_stored_but_not_answered(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        await lg.send(minute_frame(GAS_MN, T0, {"a21026": 5.0}, flag=4))
        await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=1), {"a21026": 6.0}, flag=5))
        reply = parse_frame(await lg.reply())
        assert reply.qn == parse_frame(minute_frame(GAS_MN, T0 + timedelta(minutes=1), {"a21026": 6.0})).qn
        await lg.close()
        await svc.drain()
        assert count(svc.engine, s.observations) == 2


async def test_idle_connection_is_closed(tmp_path, db_url):
    async with running_service(tmp_path, db_url, hj212_idle_timeout=0.3) as svc:
        lg = await Logger.connect(svc.hj212_port)
        data = await asyncio.wait_for(lg.reader.read(), 5)
        assert data == b"" and lg.reader.at_eof()
        assert svc.gateway.connections == 0


async def test_stopping_the_service_closes_logger_connections(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        await lg.send(minute_frame(GAS_MN, T0, {"a21026": 5.0}))
        await lg.reply()
        assert svc.gateway.connections == 1
    # the service stopped: the logger sees its connection closed (and would reconnect and re-send)
    assert await asyncio.wait_for(lg.reader.read(), 5) == b""
    await lg.close()
