"""A record the database cannot hold never stops the others (issue 11, item 1), whatever the gateway let by.

On PostgreSQL a field longer than its column failed the whole COPY, and the worker retried that batch
forever. Here the store is fed envelopes directly (as a gateway that does not check the wire format's
limits would hand them over), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.pipeline.spool import Spool, SpoolReader, read_cursor
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes
from netkit import refusing_port

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
AT = datetime(2026, 11, 20, 0, 5, tzinfo=timezone.utc)


def env(mn: str, readings: list[Reading], *, point_id: int | None = 1, status: str = "accepted", qn: str = "1",
        error: str | None = None, peer: str = "10.0.0.1:4000") -> Envelope:
    return Envelope(transport="hj212-tcp", received_at=AT, raw=f"##frame of {mn} {qn}".encode(), status=status,
                    peer=peer, mn=mn, cn="2051", qn=qn, point_id=point_id if status == "accepted" else None,
                    error=error, readings=readings)


def minute(factor: str, i: int, *, flag: str = "N", value: float | None = None) -> Reading:
    return Reading(factor=factor, kind="min", start=T0 + timedelta(minutes=i),
                   value=float(i) if value is None else value, flag=flag)


def rows(engine, table, *where):
    with engine.connect() as c:
        return c.execute(select(table).where(*where)).mappings().all()


def count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_fields_that_do_not_fit_are_cut_and_flagged_and_everything_else_is_written(db_url):
    engine = prepare_database(db_url)
    good_gas = env("GAS", [minute("a21026", i) for i in range(3)], qn="q1")
    long_qn = env("UNKNOWN00000000000000001", [], status="quarantined", error="unknown_mn", qn="2" * 30)
    long_mn = env("M" * 40, [], status="quarantined", error="unknown_mn", qn="q3")
    long_factor = env("GAS", [minute("a19001", 0), minute("a21026" + "x" * 14, 0)], qn="q4")
    long_flag = env("WAT", [minute("w01018", 0, flag="Nxx")], point_id=2, qn="q5")
    nul_mn = env("GAS\x00", [minute("a21026", 9)], qn="q6")
    long_peer = env("WAT", [minute("w21003", 0)], point_id=2, qn="q7", peer="p" * 100)
    good_water = env("WAT", [minute("w01018", i) for i in range(1, 4)], point_id=2, qn="q8")
    items = list(enumerate([good_gas, long_qn, long_mn, long_factor, long_flag, nul_mn, long_peer, good_water], 1))

    result = write_envelopes(engine, "sp", items)

    o = s.observations
    stored = {(r["point_id"], r["factor_code"]): r["value"] for r in rows(engine, o)}
    assert count(engine, o, o.c.point_id == 1, o.c.factor_code == "a21026") == 3  # the good frame
    assert count(engine, o, o.c.point_id == 2, o.c.factor_code == "w01018") == 3  # not the 3-character flag
    assert stored[(1, "a19001")] == 0.0  # the too-long factor code's frame keeps its good reading
    assert stored[(2, "w21003")] == 0.0  # a peer address cut to fit: the data is still used
    assert not any(len(code) > 16 for _, code in stored)
    assert count(engine, o) == 3 + 3 + 1 + 1

    raw = {r["spool_seq"]: r for r in rows(engine, s.raw_frames)}
    assert len(raw) == 8 and all(raw[seq]["raw"] == e.raw for seq, e in items)  # every byte archived
    assert raw[1]["status"] == "accepted" and raw[1]["error"] is None
    assert raw[2]["qn"] == "2" * 20 and raw[2]["status"] == "quarantined" and raw[2]["error"] == "field_too_long"
    assert "qn has 30 characters" in raw[2]["detail"] and "unknown_mn" in raw[2]["detail"]
    assert raw[3]["mn"] == "M" * 24 and raw[3]["error"] == "field_too_long"
    assert raw[4]["status"] == "accepted" and raw[4]["error"] == "field_too_long"
    assert "factor_code has 20 characters" in raw[4]["detail"] and "1 of 2 readings not stored" in raw[4]["detail"]
    assert raw[5]["status"] == "quarantined" and "flag has 3 characters" in raw[5]["detail"]
    assert raw[6]["mn"] == "GAS\ufffd" and raw[6]["status"] == "quarantined" and raw[6]["error"] == "bad_character"
    assert raw[7]["status"] == "accepted" and len(raw[7]["peer"]) == 64 and raw[7]["error"] == "field_too_long"
    assert raw[8]["status"] == "accepted" and raw[8]["error"] is None

    q = {r["raw_frame_id"]: r["reason"] for r in rows(engine, s.quarantine)}
    by_seq = {seq: q.get(raw[seq]["id"]) for seq in raw}
    assert by_seq == {1: None, 2: "field_too_long", 3: "field_too_long", 4: "field_too_long",
                      5: "field_too_long", 6: "bad_character", 7: None, 8: None}
    assert sorted(seq for seq, _ in result.isolated) == [2, 3, 4, 5, 6, 7]

    # a replay (the worker crashed before moving the spool cursor) changes nothing
    write_envelopes(engine, "sp", items)
    assert count(engine, o) == 8 and count(engine, s.raw_frames) == 8 and count(engine, s.quarantine) == 5
    assert long_mn.mn == "M" * 40 and len(long_factor.readings) == 2  # the spooled envelopes are left as they were
    engine.dispose()


async def test_the_worker_sets_aside_what_the_database_refuses_and_moves_on(tmp_path, db_url, caplog):
    """Three hundred good records, one the database refuses for a reason no column check catches (a value of
    400 digits kept as an integer, a gateway's bug: no float holds it) and one over-long MN, in one spool
    batch: the good ones are written, the bad ones archived quarantined, counted and logged once (and a spool
    record that cannot be decoded is archived as it is), and the spool cursor moves past them."""
    engine = prepare_database(db_url)
    spool = Spool(tmp_path / "spool")
    good = [env("GAS", [minute("a21026", i)], qn=f"g{i}") for i in range(150)]
    good += [env("WAT", [minute("w01018", i)], point_id=2, qn=f"w{i}") for i in range(150)]
    huge = env("GAS", [minute("a19001", 0, value=10**400)], qn="huge")
    long_mn = env("M" * 40, [], status="quarantined", error="unknown_mn", qn="long")
    records = good[:100] + [huge] + good[100:200] + [long_mn] + good[200:]
    garbage = b"{not an envelope\n##0010..."  # a spool record no one can decode: archived as it is
    last = spool.append_sync([e.encode() for e in records[:150]] + [garbage] + [e.encode() for e in records[150:]])
    before = counters.snapshot()
    sinks = {"observations": ObservationSink(engine, PointDirectory(engine))}
    worker = IngestWorker(engine, SpoolReader(tmp_path / "spool"), sinks, flush_every=3600)
    task = asyncio.create_task(worker.run())
    with caplog.at_level(logging.WARNING, logger="ecosentry.pipeline.worker"):
        await worker.drain(last)
        worker.stop()
        await task

    assert read_cursor(tmp_path / "spool") == last  # a restart starts after them
    o = s.observations
    assert count(engine, o, o.c.point_id == 1) == 150 and count(engine, o, o.c.point_id == 2) == 150
    raw = {r["qn"]: r for r in rows(engine, s.raw_frames)}
    assert len(raw) == 303
    assert raw[None]["raw"] == garbage and raw[None]["status"] == "rejected"
    assert raw[None]["error"] == "spool_undecodable"
    assert raw["huge"]["status"] == "quarantined" and raw["huge"]["error"] == "unwritable_record"
    assert raw["huge"]["raw"] == huge.raw and raw["huge"]["detail"]
    assert raw["long"]["mn"] == "M" * 24 and raw["long"]["error"] == "field_too_long"
    reasons = sorted(r["reason"] for r in rows(engine, s.quarantine))
    assert reasons == ["field_too_long", "unwritable_record"]
    after = counters.snapshot()
    assert after.get("ingest.isolated.unwritable_record", 0) - before.get("ingest.isolated.unwritable_record", 0) == 1
    assert after.get("ingest.isolated.field_too_long", 0) - before.get("ingest.isolated.field_too_long", 0) == 1
    assert after.get("ingest.db_errors", 0) == before.get("ingest.db_errors", 0)  # not a database outage
    logged = [r.getMessage() for r in caplog.records if "stored as" in r.getMessage()]
    assert len(logged) == 2 and any("unwritable_record" in m for m in logged)
    spool.close()
    engine.dispose()


def test_a_station_file_log_row_with_an_over_long_station_key_is_cut_not_refused(db_url):
    """A file-log row refused would set the whole station file aside (subsystems/monitoring/vn/sink.py):
    one station key longer than its column held up the log of every station on PostgreSQL."""
    from ecosentry.subsystems.monitoring.store.vn import record_files

    engine = prepare_database(db_url)
    row = {"station": "HN_" + "X" * 100, "file_name": "HN_" + "X" * 100 + "_20261120080000.txt",
           "received_at": AT, "status": "quarantined", "reason": "unknown_mn", "detail": "bad \x00 byte",
           "sha256": "0" * 64, "size": 10, "transport": "ftp", "late": False, "backfill": False}
    assert record_files(engine, [row]) == 1
    (stored,) = rows(engine, ms.vn_files)
    assert stored["station"] == row["station"][:64] and stored["detail"] == "bad \ufffd byte"
    engine.dispose()


def test_an_unreachable_database_is_waited_for_and_a_refused_record_is_not(db_url, tmp_path):
    """The worker retries the whole batch only when the database is unreachable; a record it refuses is a
    reason to split the batch (store/db.py ``is_transient``)."""
    from sqlalchemy import create_engine, text

    from ecosentry.store.db import is_transient

    engine = prepare_database(db_url)
    unreachable = refused = None
    with refusing_port() as port:  # a port nothing listens on
        if db_url.startswith("sqlite"):
            down = create_engine(f"sqlite:///{tmp_path / 'no such folder' / 'x.sqlite'}")
        else:
            down = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x",
                                 connect_args={"connect_timeout": 3})
        try:
            with down.connect() as c:
                c.execute(text("select 1"))
        except Exception as exc:
            unreachable = exc
    try:
        write_envelopes(engine, "sp", [(1, env("GAS", [minute("a21026", 0, value=10**400)]))])
    except Exception as exc:
        refused = exc
    assert unreachable is not None and is_transient(unreachable)
    assert refused is not None and not is_transient(refused)
    if db_url.startswith("postgresql"):
        with engine.connect() as c, c.connection.driver_connection.cursor() as cur:
            with pytest.raises(Exception) as info:  # StringDataRightTruncation, unwrapped from the driver as in COPY
                cur.execute("insert into quarantine (raw_frame_id, received_at, reason, raw) "
                            "values (1, now(), repeat('x', 41), '')")
            assert not is_transient(info.value)
    down.dispose()
    engine.dispose()
