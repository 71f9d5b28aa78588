"""The ``vn-file`` sink after the spool: a malformed file among good ones is set aside and the good ones are
stored; a replayed spool record changes nothing; a record the database refused is archived with the reason.
SQLite and PostgreSQL (issue 12 item 3)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone

from sqlalchemy.exc import DataError

from ecosentry.contracts.envelope import Envelope
from ecosentry.gateways.station_files import station_file_envelope
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms

from vn_testkit import (GAS, WATER, count, drained, file_bytes, file_name, intake_stack, local, log_rows, now_minute,
                        point_id, setup_db, sinks_of)


def _receipt(folder, name: str) -> dict:
    return json.loads((folder / f"{name}.receipt.json").read_text(encoding="utf-8"))


def test_a_malformed_file_among_good_ones_is_set_aside_and_the_good_ones_are_stored(db_url, tmp_path):
    asyncio.run(_malformed_among_good(db_url, tmp_path))


async def _malformed_among_good(db_url, tmp_path) -> None:
    engine = setup_db(db_url)
    wid = point_id(engine, WATER)
    drop = tmp_path / "ftp" / WATER
    now = now_minute()
    times = [local(now - timedelta(minutes=5 * k)) for k in range(4)]
    names = [file_name(WATER, t) for t in times]
    bad = names[1]
    payloads = [station_file_envelope(n, file_bytes(t, sep=" ; " if n == bad else "\t"), dest=drop,
                                      transport="ftp", received_at=now.astimezone(timezone.utc),
                                      peer="127.0.0.1:5000", account=WATER).encode()
                for n, t in zip(names, times)]
    async with intake_stack(engine, tmp_path) as (appender, _directory, spool, worker):
        await asyncio.to_thread(appender.append, payloads)  # one append: one batch for the worker
        await drained(worker, spool)
    # the three good files: every reading stored, filed in processed/ with their receipts
    assert count(engine, s.observations, s.observations.c.point_id == wid) == 3 * 6
    for n in names:
        if n != bad:
            assert _receipt(drop / "processed", n)["status"] == "accepted"
    # the malformed one: set aside with its reason and line, its bytes archived and filed in rejected/
    rec = _receipt(drop / "rejected", bad)
    assert rec["accepted"] is False and rec["reason"] == "bad_line" and rec["line"] == 1
    assert (drop / "rejected" / bad).read_bytes() == file_bytes(times[1], sep=" ; ")
    rows = {r["file_name"]: r for r in log_rows(engine, WATER)}
    assert {n: rows[n]["status"] for n in names} == {n: "rejected" if n == bad else "accepted" for n in names}
    assert rows[bad]["reason"] == "bad_line" and rows[bad]["spool_seq"] is not None
    assert count(engine, s.raw_frames, s.raw_frames.c.transport == "ftp") == 4
    assert count(engine, s.raw_frames, s.raw_frames.c.status == "rejected", s.raw_frames.c.error == "bad_line") == 1
    engine.dispose()


def test_a_replayed_record_changes_nothing_and_a_refused_one_is_archived(db_url, tmp_path):
    """At-least-once spool: the same records written twice give one file-log row, one raw frame and one set of
    observations each, and no second receipt. A record the database refused is archived as
    ``unwritable_record`` with a file-log row and a receipt in ``rejected/``."""
    engine = setup_db(db_url)
    directory = PointDirectory(engine)
    sink = sinks_of(engine, directory)["vn-file"]
    drop = tmp_path / "ftp" / GAS
    now = now_minute()
    t = local(now)
    gas_lines = [("SO2", "35", "mg/Nm3", "00"), ("Bụi", "12", "mg/Nm3", "00")]
    env = station_file_envelope(file_name(GAS, t), file_bytes(t, gas_lines), dest=drop, transport="ftp",
                                received_at=now.astimezone(timezone.utc), account=GAS)
    items = [(7, Envelope.decode(env.encode()))]
    first = sink.write("sp1", items)
    again = sink.write("sp1", items)
    assert first.records_offered == 2 and again.records_offered == 0
    assert count(engine, ms.vn_files) == 1 and count(engine, s.raw_frames) == 1
    assert count(engine, s.observations, s.observations.c.point_id == point_id(engine, GAS)) == 2
    assert sorted(p.name for p in (drop / "processed").iterdir()) == [file_name(GAS, t),
                                                                      file_name(GAS, t) + ".receipt.json"]

    t2 = local(now - timedelta(minutes=5))
    refused = station_file_envelope(file_name(GAS, t2), file_bytes(t2, gas_lines), dest=drop, transport="ftp",
                                    received_at=now.astimezone(timezone.utc), account=GAS)
    sink.set_aside("sp1", 8, refused, DataError("INSERT …", {}, Exception("value out of range")))
    (row,) = [r for r in log_rows(engine, GAS) if r["spool_seq"] == 8]
    assert (row["status"], row["reason"]) == ("rejected", "unwritable_record") and "out of range" in row["detail"]
    assert count(engine, s.quarantine, s.quarantine.c.reason == "unwritable_record") == 1
    assert _receipt(drop / "rejected", file_name(GAS, t2))["reason"] == "unwritable_record"
    sink.write("sp1", [(8, refused)])  # and replayed after that: still one of each
    assert count(engine, ms.vn_files) == 2 and count(engine, s.raw_frames) == 2
    engine.dispose()


def test_a_file_whose_name_cannot_be_read_belongs_to_the_station_that_sent_it(db_url, tmp_path):
    """A name that is not ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt`` names no station; the FTP
    account (a station key, authenticated) does: the rejection is logged against that station, so its facility
    and its regulators see it (issue 14 item 7). Without an account (a folder drop) it belongs to no station."""
    asyncio.run(_bad_name_owner(db_url, tmp_path))


async def _bad_name_owner(db_url, tmp_path) -> None:
    engine = setup_db(db_url)
    wid = point_id(engine, WATER)
    now = now_minute()
    t = local(now)
    short = f"{WATER}_{t:%Y%m%d%H%M}.txt"                  # minutes only: bad_name
    async with intake_stack(engine, tmp_path) as (appender, _directory, spool, worker):
        await asyncio.to_thread(appender.append, [
            station_file_envelope(short, file_bytes(t), dest=tmp_path / "ftp" / WATER, transport="ftp",
                                  received_at=now, account=WATER).encode(),
            station_file_envelope("x" + short, file_bytes(t), dest=tmp_path / "in", transport="vn-folder",
                                  received_at=now, account=None).encode()])
        await drained(worker, spool)
    rows = {r["file_name"]: r for r in log_rows(engine)}
    assert rows[short]["reason"] == "bad_name" and rows[short]["point_id"] == wid
    assert rows["x" + short]["reason"] == "bad_name" and rows["x" + short]["point_id"] is None
    engine.dispose()
