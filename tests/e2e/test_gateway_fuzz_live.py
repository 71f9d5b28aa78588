"""A live fuzz of the HJ 212 TCP gateway (issue 19 item 6): the running service, a real socket, SQLite and
PostgreSQL. One logger sends malformed frames (mutations of a valid upload: flipped, cut and inserted bytes, wrong
CRCs and lengths, over-long fields, nested CP separators), another logger sends valid minute data on its own
connection at the same time.

What docs/hj212.md promises, checked frame by frame:

* the valid logger's frames are all answered (9014) and all its data is stored;
* every bad frame is archived once in ``raw_frames`` with the outcome the codec gives it (``rejected`` with its
  error class, or ``quarantined`` when it still parses but names no registered point), counted once
  (``hj212.rejected.<ErrorClass>``) and logged (once per frame here: ``hj212_log_every=0``);
* the bad logger's connection stays open: after all of it, its own valid frame is still answered.

``ECOSENTRY_FUZZ_SCALE=N`` sends N times as many bad frames (docs/testing.md).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ecosentry.metrics import counters
from ecosentry.protocols.hj212 import FIELD_LIMITS, HJ212Error, crc16, data_records, parse_frame
from ecosentry.store import schema as s
from fuzzkit import scaled
from helpers import GAS_MN, PW, WATER_MN, Logger, minute_frame, running_service

T0 = datetime(2026, 11, 20, 8, 0, 0)  # the loggers' local time (Asia/Shanghai)
T0_UTC = datetime(2026, 11, 20, 0, 0, 0, tzinfo=timezone.utc)
GOOD_MINUTES = 30
BAD_FRAMES = 120
SEPARATORS = [b";", b",", b"=", b"&&", b"CP=&&", b"//", b"-", b" ", b"\x00", b"\xff", b"\r", b"\n", "中".encode()]


def wire(segment: bytes, *, declared: int | None = None, crc: int | None = None) -> bytes:
    n = len(segment) if declared is None else declared
    return b"##%04d%s%04X\r\n" % (n, segment, crc16(segment) if crc is None else crc)


def water_segment(t: datetime, value: float) -> bytes:
    cp = f"DataTime={t:%Y%m%d%H%M%S};w01018-Avg={value},w01018-Flag=N"
    return f"QN={t:%Y%m%d%H%M%S}000;ST=32;CN=2051;PW={PW};MN={WATER_MN};Flag=5;CP=&&{cp}&&".encode()


def bad_frame(rng: random.Random, i: int) -> bytes:
    """One malformed frame, always one item for the framer: a true envelope around a broken data segment, or a
    broken envelope (CRC, length) around a true one. Never ``##`` or CRLF inside (they would start or end
    another frame, which no gateway could tell apart)."""
    seg = bytearray(water_segment(T0 + timedelta(hours=3, minutes=i), 1.0 + i))
    how = rng.choice(["mutate", "mutate", "separators", "crc", "length", "too_long", "too_long_record"])
    if how == "crc":
        return wire(bytes(seg), crc=crc16(bytes(seg)) ^ rng.randrange(1, 0x10000))
    if how == "length":
        return wire(bytes(seg), declared=rng.choice([0, len(seg) - 1, len(seg) + 1, rng.randrange(10000)]))
    if how == "too_long":
        key = rng.choice(["QN", "ST", "CN", "PW", "MN", "Flag"]).encode()
        at = seg.index(key + b"=") + len(key) + 1
        seg[at:at] = b"7" * (FIELD_LIMITS[key.decode()] + rng.randrange(1, 30))
    elif how == "too_long_record":
        seg = bytearray(bytes(seg).replace(b"w01018-Flag=N", rng.choice(
            [b"w01018-Flag=NNN", b"w01018-EFlag=" + b"E" * 9, b"w01018" + b"x" * 11 + b"-Avg=1"])))
    else:
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(seg) + 1)
            op = rng.choice(["flip", "delete", "insert"] if how == "mutate" else ["insert"])
            if op == "flip" and at < len(seg):
                seg[at] ^= 1 << rng.randrange(8)
            elif op == "delete":
                del seg[at:at + rng.randint(1, 6)]
            else:
                seg[at:at] = rng.choice(SEPARATORS) if how == "separators" else rng.randbytes(rng.randint(1, 4))
    raw = bytes(seg).replace(b"##", b"#").replace(b"\r\n", b"\n")
    return wire(raw)


def outcome(raw: bytes) -> tuple[str, str | None]:
    """What docs/hj212.md says becomes of the frame at the gateway: (status, error)."""
    try:
        frame = parse_frame(raw)
    except HJ212Error as exc:
        return "rejected", exc.code
    if frame.mn != WATER_MN:
        return "quarantined", "unknown_mn"
    if frame.pw != PW:
        return "quarantined", "bad_password"
    if not frame.cn_known:
        return "quarantined", "unknown_cn"
    try:
        for r in data_records(frame):
            r.data_time.replace(tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)
    except HJ212Error as exc:
        return "rejected", exc.code
    except (OverflowError, ValueError):
        return "rejected", "BadField"
    return "accepted", None


async def test_malformed_frames_beside_a_valid_logger(tmp_path, db_url, caplog):
    rng = random.Random(19)
    bad = [bad_frame(rng, i) for i in range(scaled(BAD_FRAMES))]
    expected = [outcome(raw) for raw in bad]
    assert sum(status == "rejected" for status, _ in expected) > len(bad) // 2  # the fuzz is mostly bad frames
    caplog.set_level(logging.WARNING, logger="ecosentry.gateways.hj212_tcp")
    before = counters.snapshot()
    async with running_service(tmp_path, db_url, hj212_log_every=0.0) as svc:
        good, fuzzer = await Logger.connect(svc.hj212_port), await Logger.connect(svc.hj212_port)

        async def valid_logger() -> int:
            answered = 0
            for i in range(GOOD_MINUTES):
                await good.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 20.0 + i, "a19001": 6.5}))
                answered += parse_frame(await good.reply()).cn == "9014"
            return answered

        async def bad_logger() -> None:
            for raw in bad:
                await fuzzer.send(raw)
                await asyncio.sleep(0)  # interleaved with the valid logger's frames

        answered, _ = await asyncio.gather(valid_logger(), bad_logger())
        assert answered == GOOD_MINUTES

        # the connection policy: bad frames never close the logger's connection
        await fuzzer.send(wire(water_segment(T0 + timedelta(hours=6), 42.0)))
        assert parse_frame(await fuzzer.reply()).cn == "9014"
        for lg in (good, fuzzer):
            await lg.close()
        await svc.drain()

        o, rf = s.observations, s.raw_frames
        with svc.engine.connect() as c:
            stored = c.execute(select(func.count()).select_from(o).join(s.points, s.points.c.id == o.c.point_id).where(
                s.points.c.mn == GAS_MN, o.c.kind == "min", o.c.period_start >= T0_UTC,
                o.c.period_start < T0_UTC + timedelta(minutes=GOOD_MINUTES))).scalar_one()
            archived = Counter()
            rows = {}
            for raw, status, error in c.execute(select(rf.c.raw, rf.c.status, rf.c.error)
                                                .where(rf.c.raw.in_(list(set(bad))))):
                archived[bytes(raw)] += 1
                rows[bytes(raw)] = (status, error)
    assert stored == GOOD_MINUTES * 2  # every valid minute, both factors

    sent = Counter(bad)
    for raw, (status, error) in zip(bad, expected):
        assert archived[raw] == sent[raw], raw  # archived once per receipt
        if status != "accepted":
            assert rows[raw] == (status, error), (raw, rows[raw], (status, error))

    after = counters.snapshot()
    rejected = Counter(error for status, error in expected if status == "rejected")
    for code, n in rejected.items():
        assert after.get(f"hj212.rejected.{code}", 0) - before.get(f"hj212.rejected.{code}", 0) == n, code
    assert after.get("hj212.internal_errors", 0) == before.get("hj212.internal_errors", 0)
    logged = Counter(r.args[1] for r in caplog.records if r.msg.startswith("rejected input from"))
    assert logged == rejected  # each rejected frame logged once
