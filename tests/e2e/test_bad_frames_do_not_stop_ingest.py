"""One bad frame stops no one's data (issue 11, item 1): real HJ 212 TCP gateway, real worker, SQLite and PostgreSQL.

Each frame below is well formed (length, CRC) but carries a field longer than the column that stores it:
before, on PostgreSQL, it made the ingest worker's COPY fail and retry the same batch forever, so no logger's
data was stored any more. Whether the gateway refuses it or the store cuts and flags it, the frame is archived
with its fault and every good frame around it is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from ecosentry.pipeline.spool import read_cursor
from ecosentry.protocols.hj212 import crc16, parse_frame
from ecosentry.store import schema as s
from helpers import GAS_MN, PW, WATER_MN, Logger, minute_frame, running_service

T0 = datetime(2026, 11, 20, 8, 0, 0)  # local time of the loggers (Asia/Shanghai)
T0_UTC = datetime(2026, 11, 20, 0, 0, 0, tzinfo=timezone.utc)
UNKNOWN_MN = "UNKNOWN00000000000000001"  # 24 characters, not registered: no password needed to send this


def wire(segment: str) -> bytes:
    """A frame around ``segment`` with a correct length and CRC (HJ 212-2017 §6.3), written by hand so that
    no builder's checks stand between the test and the gateway."""
    seg = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(seg), seg, crc16(seg))


def minutes(mn: str, t: datetime, values: dict[str, float], *, qn: str | None = None, flag: str = "N") -> bytes:
    cp = ";".join([f"DataTime={t:%Y%m%d%H%M%S}"] + [f"{c}-Avg={v},{c}-Flag={flag}" for c, v in values.items()])
    qn = qn or f"{t:%Y%m%d%H%M%S}000"
    return wire(f"QN={qn};ST=31;CN=2051;PW={PW};MN={mn};Flag=5;CP=&&{cp}&&")


BAD_FRAMES = {
    # raw_frames.qn is varchar(20), raw_frames.mn varchar(24), observations.factor_code varchar(16), flag varchar(2)
    "qn_too_long_from_an_unknown_mn": lambda t: minutes(UNKNOWN_MN, t, {"a21026": 1.0}, qn="2" * 30),
    "mn_too_long": lambda t: minutes("M" * 40, t, {"a21026": 1.0}),
    "factor_code_of_20_characters": lambda t: minutes(GAS_MN, t, {"a21026" + "x" * 14: 1.0}),
    "flag_of_3_characters": lambda t: minutes(GAS_MN, t, {"a19001": 7.0}, flag="Nxx"),
}


def count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


@pytest.mark.parametrize("bad", sorted(BAD_FRAMES))
async def test_a_bad_frame_among_good_ones_stops_no_data(tmp_path, db_url, bad):
    async with running_service(tmp_path, db_url) as svc:
        gas, water, sender = [await Logger.connect(svc.hj212_port) for _ in range(3)]
        bad_frame = BAD_FRAMES[bad](T0 + timedelta(hours=2))
        for i in range(8):
            t = T0 + timedelta(minutes=i)
            if i in (2, 5):  # the bad frame twice, among the good ones (a logger re-sends what is not answered)
                await sender.send(bad_frame)
            await gas.send(minute_frame(GAS_MN, t, {"a21026": 20.0 + i}))
            assert parse_frame(await gas.reply()).cn == "9014"
            await water.send(minute_frame(WATER_MN, t, {"w01018": 40.0 + i}, st="32"))
            assert parse_frame(await water.reply()).cn == "9014"
            await svc.drain()  # before the fix this timed out: the worker retried the bad batch forever
        for lg in (gas, water, sender):
            await lg.close()
        await svc.drain()

        eng, o = svc.engine, s.observations
        assert read_cursor(svc.spool.dir) == svc.spool.durable_seq  # nothing acknowledged is left behind
        assert count(eng, o, o.c.factor_code == "a21026", o.c.kind == "min",
                     o.c.period_start < T0_UTC + timedelta(hours=1)) == 8
        assert count(eng, o, o.c.factor_code == "w01018", o.c.kind == "min") == 8
        assert count(eng, o, func.length(o.c.factor_code) > 16) == 0
        assert count(eng, o, func.length(o.c.flag) > 2) == 0
        with eng.connect() as c:
            archived = c.execute(select(s.raw_frames).where(s.raw_frames.c.raw == bad_frame)).mappings().all()
        assert len(archived) == 2  # every received byte is archived, with its fault
        for row in archived:
            assert row["error"] and row["detail"]
            assert len(row["mn"] or "") <= 24 and len(row["qn"] or "") <= 20
