"""``power-readings`` envelopes through the real spool and ingest worker into ``power_readings`` (the power
subsystem's sink): stored, archived, isolated when bad, idempotent on replay, on SQLite and PostgreSQL
(issue 15 item 2)."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from ecosentry.fleet import import_fleet
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.sinks import build_sinks
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.service import prepare_database
from ecosentry.settings import Settings
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.pipeline.sink import PowerReadingSink, split_factor
from powerkit import CEMENT, COKING, LOGGER, MQTT_DEVICE, fleet, readings_envelope

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)  # 10:00 in Linfen


@pytest.fixture
def world(db_url, tmp_path):
    """The fleet imported; its ids; settings for the worker's sinks."""
    engine = prepare_database(db_url)
    import_fleet(engine, fleet())
    with engine.connect() as conn:
        devices = dict(conn.execute(select(ps.power_devices.c.mn, ps.power_devices.c.id)).all())
        meters = dict(conn.execute(select(ps.power_meters.c.code, ps.power_meters.c.id)).all())
        ents = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    st = Settings(database_url=db_url, data_dir=tmp_path, session_secret="s" * 32)
    yield engine, st, devices, meters, ents
    engine.dispose()


async def through_the_worker(engine, st: Settings, spool_dir: Path, envelopes, *, sinks=None) -> dict:
    """Append the envelopes to a spool and let the real ingest worker store them; returns the sinks."""
    spool = Spool(spool_dir)
    last = spool.append_sync([e.encode() for e in envelopes]) if envelopes else spool.durable_seq
    sinks = sinks or build_sinks(engine, st, PointDirectory(engine))
    worker = IngestWorker(engine, SpoolReader(spool_dir), sinks, flush_every=3600)
    task = asyncio.create_task(worker.run())
    await worker.drain(last)
    worker.stop()
    await task
    spool.close()
    return sinks


def readings(engine) -> dict[tuple[int, str, datetime], float]:
    with engine.connect() as conn:
        return {(r.meter_id, r.quantity, r.at): r.value for r in conn.execute(select(ps.power_readings))}


def archive(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(s.raw_frames.c.spool_seq, s.raw_frames.c.status, s.raw_frames.c.error,
                                   s.raw_frames.c.detail, s.raw_frames.c.transport, s.raw_frames.c.raw,
                                   s.raw_frames.c.point_id)
                            .order_by(s.raw_frames.c.spool_seq)).all()


def test_the_factor_names_channel_and_quantity():
    assert split_factor("SB1-P") == ("SB1", "P")
    assert split_factor("kiln-main-Ia") == ("kiln-main", "Ia")
    assert split_factor("P") == ("", "P")


def test_readings_are_stored_archived_and_their_enterprises_noted(world, tmp_path):
    engine, st, devices, meters, ents = world
    logger, mqtt = devices[LOGGER], devices[MQTT_DEVICE]
    envs = [readings_envelope(logger, LOGGER, T0, {"SB1-P": 180.5, "SB1-E": 10234.5, "SB2-P": 60.0, "SB2-Ia": 85.2}),
            readings_envelope(logger, LOGGER, T0 + timedelta(minutes=1), {"SB1-P": 181.0, "SB2-P": 0.4}),
            readings_envelope(mqtt, MQTT_DEVICE, T0, {"kiln-main-P": 350.0, "bagfilter-P": 70.0}, transport="mqtt")]
    sinks = asyncio.run(through_the_worker(engine, st, tmp_path / "spool", envs))
    got = readings(engine)
    assert got == {(meters["SB001"], "P", T0): 180.5, (meters["SB001"], "E", T0): 10234.5,
                   (meters["SB002"], "P", T0): 60.0, (meters["SB002"], "Ia", T0): 85.2,
                   (meters["SB001"], "P", T0 + timedelta(minutes=1)): 181.0,
                   (meters["SB002"], "P", T0 + timedelta(minutes=1)): 0.4,
                   (meters["M1"], "P", T0): 350.0, (meters["M2"], "P", T0): 70.0}
    rows = archive(engine)
    # archived as power frames, under no monitoring point (raw_frames.point_id is a point's id)
    assert [(r.status, r.error, r.transport, r.point_id) for r in rows] == [
        ("accepted", None, "power-hj212-tcp", None)] * 2 + [("accepted", None, "power-mqtt", None)]
    assert rows[0].raw == envs[0].raw
    with engine.connect() as conn:
        seen = dict(conn.execute(select(ps.power_devices.c.mn, ps.power_devices.c.last_seen_at)).all())
    assert seen == {LOGGER: envs[1].received_at, MQTT_DEVICE: envs[2].received_at}
    sink = sinks["power-readings"]
    assert isinstance(sink, PowerReadingSink)
    assert sink.touched_enterprises() == {ents[COKING], ents[CEMENT]}
    assert sink.touched_enterprises() == set()  # taken once


def test_bad_readings_are_counted_and_archived_with_the_reason_and_others_stored(world, tmp_path):
    """Unknown channel (one over-long), unknown quantity, NaN and a value too big for a float: each left out
    and named in its frame's archive row; on PostgreSQL as on SQLite the good readings are stored."""
    engine, st, devices, meters, ents = world
    logger = devices[LOGGER]
    long_channel = "SB" + "9" * 40
    envs = [
        readings_envelope(logger, LOGGER, T0, {"SB1-P": 100.0, "SB9-P": 5.0, "SB1-XX": 1.0}),
        readings_envelope(logger, LOGGER, T0, {f"{long_channel}-P": 1.0}),
        readings_envelope(logger, LOGGER, T0 + timedelta(minutes=1), {"SB1-P": math.nan, "SB2-P": 10**400,
                                                                      "SB2-E": 5.5}),
        readings_envelope(logger, LOGGER, T0 + timedelta(minutes=2), {"SB1-P": 1e308}),
        readings_envelope(logger, "X" * 40, T0 + timedelta(minutes=3), {"SB1-P": 99.0}),
    ]
    envs[3].readings[0].flag = "LONGFLAG"  # stored, its flag cut to the column and noted
    sinks = asyncio.run(through_the_worker(engine, st, tmp_path / "spool", envs))
    assert readings(engine) == {(meters["SB001"], "P", T0): 100.0,
                                (meters["SB002"], "E", T0 + timedelta(minutes=1)): 5.5,
                                (meters["SB001"], "P", T0 + timedelta(minutes=2)): 1e308}
    rows = archive(engine)
    assert [(r.status, r.error) for r in rows] == [
        ("accepted", "unknown_channel"), ("quarantined", "unknown_channel"), ("accepted", "bad_value"),
        ("accepted", "field_too_long"), ("quarantined", "field_too_long")]
    assert "channel 'SB9' is no meter of the device" in rows[0].detail
    assert "quantity 'XX' is not one of" in rows[0].detail and "2 of 3 readings not stored" in rows[0].detail
    assert "value 'nan' is not a finite number" in rows[2].detail and "2 of 3 readings not stored" in rows[2].detail
    assert "flag 'LONGFLAG' stored as 'LONG'" in rows[3].detail and "not stored" not in rows[3].detail
    with engine.connect() as conn:
        assert conn.scalar(select(ps.power_readings.c.flag).where(
            ps.power_readings.c.at == T0 + timedelta(minutes=2))) == "LONG"
    assert "mn has 40 characters" in rows[4].detail
    assert sinks["power-readings"].touched_enterprises() == {ents[COKING]}


def test_a_record_the_database_refuses_is_set_aside_alone(world, tmp_path):
    """A record the database refuses (here a NUL character in the gateway's detail, which PostgreSQL does not
    store in a text; SQLite does) is found by the worker's split and set aside alone: its bytes archived,
    quarantined with the error; the others are stored."""
    engine, st, devices, meters, ents = world
    logger = devices[LOGGER]
    bad = readings_envelope(logger, LOGGER, T0 + timedelta(minutes=2), {"SB2-P": 2.0})
    bad.detail = "peer said \x00"
    envs = [readings_envelope(logger, LOGGER, T0, {"SB1-P": 1.0}), bad,
            readings_envelope(logger, LOGGER, T0 + timedelta(minutes=1), {"SB1-P": 3.0})]
    asyncio.run(through_the_worker(engine, st, tmp_path / "spool", envs))
    good = {(meters["SB001"], "P", T0): 1.0, (meters["SB001"], "P", T0 + timedelta(minutes=1)): 3.0}
    rows = archive(engine)
    if engine.dialect.name == "postgresql":
        assert readings(engine) == good
        assert [r.status for r in rows] == ["accepted", "quarantined", "accepted"]
        assert rows[1].error == "unwritable_record" and rows[1].raw == bad.raw and "\x00" not in rows[1].detail
    else:
        assert readings(engine) == {**good, (meters["SB002"], "P", T0 + timedelta(minutes=2)): 2.0}
        assert [r.status for r in rows] == ["accepted"] * 3


def test_a_frame_of_an_unknown_device_is_archived_with_the_reason(world, tmp_path):
    engine, st, devices, meters, ents = world
    asyncio.run(through_the_worker(engine, st, tmp_path / "spool", [
        readings_envelope(2**40, "GHOST", T0, {"SB1-P": 2.0}), readings_envelope(9999, "GHOST2", T0, {"SB1-P": 2.0})]))
    assert readings(engine) == {}
    rows = archive(engine)
    assert [(r.status, r.error, r.point_id) for r in rows] == [("quarantined", "unknown_device", None)] * 2
    assert "device 9999 (MN 'GHOST2') is not a power device" in rows[1].detail


def test_a_replay_changes_nothing_and_a_minute_value_beats_a_sample(world, tmp_path):
    engine, st, devices, meters, ents = world
    logger = devices[LOGGER]
    envs = [readings_envelope(logger, LOGGER, T0, {"SB1-P": 10.0}, kind="rtd"),
            readings_envelope(logger, LOGGER, T0, {"SB1-P": 12.0}),            # the minute's value replaces it
            readings_envelope(logger, LOGGER, T0, {"SB1-P": 15.0}, kind="rtd"),  # a late sample does not
            readings_envelope(logger, LOGGER, T0 + timedelta(minutes=1), {"SB1-P": 20.0}, kind="rtd")]
    spool_dir = tmp_path / "spool"
    asyncio.run(through_the_worker(engine, st, spool_dir, envs[:2]))
    asyncio.run(through_the_worker(engine, st, spool_dir, envs[2:]))
    first = readings(engine)
    assert first == {(meters["SB001"], "P", T0): 12.0, (meters["SB001"], "P", T0 + timedelta(minutes=1)): 20.0}
    archived = archive(engine)
    # the worker stopped before moving its cursor: everything is read again from the start of the spool
    (spool_dir / "cursor").write_text("0")
    asyncio.run(through_the_worker(engine, st, spool_dir, []))
    assert readings(engine) == first and archive(engine) == archived and len(archived) == 4
