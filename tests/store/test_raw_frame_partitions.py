"""PostgreSQL keeps ``raw_frames`` in monthly partitions of their reception time, as ``observations`` is kept
(issue 19 item 4): rows land in their month, the months are made ahead by the same job, retention drops whole
expired months (never under the legal 60 months of raw data), a replayed spool record is still archived once, and
the migration from the unpartitioned table keeps every row. SQLite keeps one plain table."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from ecosentry.contracts.envelope import Envelope
from ecosentry.pipeline.reading_sink import archive_raw
from ecosentry.retention.apply import run_retention
from ecosentry.retention.settings import RetentionSettings
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.db import make_engine, migrate
from ecosentry.store.partitions import (
    ensure_month_partitions,
    list_month_partitions,
    month_start,
    partition_name,
    raw_frame_key,
)
from ecosentry.subsystems.monitoring.store.ingest import _archive_raw

UTC = timezone.utc
US = timedelta(microseconds=1)


def _where(conn) -> dict[str, int]:
    """Rows of ``raw_frames`` per partition."""
    return dict(conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM raw_frames GROUP BY 1")).all())


def _raw(conn, at: datetime, raw: bytes = b"##0000", **kw) -> None:
    conn.execute(insert(s.raw_frames).values(received_at=at, transport="hj212-tcp", status="accepted", raw=raw,
                                             **kw))


@pytest.fixture
def pg_url(pg_server):
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server)
    yield url
    drop()


@pytest.mark.postgres
def test_frames_land_in_the_month_they_were_received_and_old_ones_in_the_default(pg_url):
    engine = prepare_database(pg_url)
    today = datetime.now(UTC).date()
    this_month = partition_name(month_start(today), "raw_frames")
    with engine.begin() as conn:
        names = list_month_partitions(conn, "raw_frames")
        assert this_month in names and len(names) == 5  # one month back, three ahead, as observations
        assert ensure_month_partitions(conn) == []  # idempotent
        now = datetime.now(UTC)
        last_month = datetime.combine(month_start(today), datetime.min.time(), UTC) - US
        for at in (now, last_month, datetime(2019, 5, 1, tzinfo=UTC)):
            _raw(conn, at)
        assert _where(conn) == {this_month: 1, partition_name(month_start(today, -1), "raw_frames"): 1,
                                "raw_frames_default": 1}
        kinds = dict(conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relname IN ('raw_frames', :m)"), {"m": this_month}
        ).all())
    assert kinds == {"raw_frames": "p", this_month: "r"}  # a partitioned table and its plain partitions
    engine.dispose()


@pytest.mark.postgres
def test_the_job_creates_the_months_ahead_for_both_tables(pg_url):
    engine = prepare_database(pg_url)
    with engine.begin() as conn:
        created = ensure_month_partitions(conn, around=date(2030, 1, 15), before=1, ahead=2)
        assert sorted(created) == sorted(
            [f"{t}_y{y}" for t in ("observations", "raw_frames") for y in ("2029m12", "2030m01", "2030m02",
                                                                             "2030m03")])
        assert ensure_month_partitions(conn, around=date(2030, 1, 15), before=1, ahead=2) == []
        _raw(conn, datetime(2030, 3, 31, 23, 59, 59, tzinfo=UTC))
        _raw(conn, datetime(2030, 4, 1, tzinfo=UTC))  # no partition for April 2030 yet
        assert _where(conn) == {"raw_frames_y2030m03": 1, "raw_frames_default": 1}
        bounds = conn.execute(text(
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relname = 'raw_frames_y2030m02'"
        )).scalar_one()
    assert bounds == "FOR VALUES FROM ('2030-02-01 00:00:00+00') TO ('2030-03-01 00:00:00+00')"
    engine.dispose()


def _envelope(at: datetime, raw: bytes) -> Envelope:
    return Envelope(transport="hj212-tcp", received_at=at, raw=raw, status="accepted", peer="10.0.0.1:4000",
                    mn="MN0001", cn="2051", qn="20261206103000000")


def test_a_replayed_spool_record_is_archived_once(db_url):
    """The replay key holds the reception time on PostgreSQL; the envelope carries it, so a replay (the same
    record read again from the spool or redelivered by the stream) conflicts as before."""
    engine = prepare_database(db_url)
    at = datetime.now(UTC).replace(microsecond=123456)
    first = [(7, _envelope(at, b"##first")), (8, _envelope(at + timedelta(seconds=1), b"##second"))]
    replay = [(seq, Envelope.decode(env.encode())) for seq, env in first]  # as read back from the spool
    with engine.begin() as conn:
        assert raw_frame_key(conn)[:2] == ["spool", "spool_seq"]
        archive_raw(conn, "spool-a", first)
        archive_raw(conn, "spool-a", replay)
    # the monitoring sink's COPY path (PostgreSQL), a transaction each as the sink writes (its staging table is
    # emptied at commit)
    with engine.begin() as conn:
        ids = _archive_raw(conn, "spool-b", first)
    with engine.begin() as conn:
        again = _archive_raw(conn, "spool-b", replay)
    assert again == ids and len(ids) == 2
    with engine.connect() as conn:
        rows = conn.execute(select(s.raw_frames.c.spool, s.raw_frames.c.spool_seq, s.raw_frames.c.raw)
                            .order_by(s.raw_frames.c.spool, s.raw_frames.c.spool_seq)).all()
    assert [tuple(r) for r in rows] == [("spool-a", 7, b"##first"), ("spool-a", 8, b"##second"),
                                        ("spool-b", 7, b"##first"), ("spool-b", 8, b"##second")]
    engine.dispose()


@pytest.mark.postgres
def test_retention_drops_only_whole_expired_months_of_raw_frames(pg_url):
    engine = prepare_database(pg_url)
    now = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    cut = datetime(2021, 12, 1, tzinfo=UTC)  # 60 months, the legal floor of raw data
    with engine.begin() as conn:
        for month in (date(2021, 10, 1), date(2021, 11, 1), date(2021, 12, 1), date(2022, 1, 1)):
            ensure_month_partitions(conn, around=month, before=0, ahead=0, tables=("raw_frames",))
        for at in (datetime(2021, 10, 9, tzinfo=UTC), cut - US, cut, cut + timedelta(days=40)):
            _raw(conn, at)
        _raw(conn, datetime(2019, 1, 1, tzinfo=UTC))  # in the default partition
    st = RetentionSettings(raw_months=1, batch_rows=1_000)  # below the floor: 60 months kept
    report = run_retention(engine, now, st)
    assert report.cutoffs.months["raw"] == 60 and report.cutoffs.by_kind["raw"] == cut
    assert sorted(k for k in report.dropped if k.startswith("raw_frames")) == ["raw_frames_y2021m10",
                                                                                 "raw_frames_y2021m11"]
    assert report.deleted["raw_frames"] == 1  # the 2019 frame, deleted from the default partition
    with engine.connect() as conn:
        months = list_month_partitions(conn, "raw_frames")
        left = sorted(conn.execute(select(s.raw_frames.c.received_at)).scalars())
    assert "raw_frames_y2021m11" not in months and {"raw_frames_y2021m12", "raw_frames_y2022m01"} <= set(months)
    assert left == [cut, cut + timedelta(days=40)]  # nothing a microsecond early
    # a day later nothing more has expired; a longer setting is obeyed (nothing of December 2021 goes in 2027)
    assert not run_retention(engine, now + timedelta(days=1), st).dropped
    kept = run_retention(engine, datetime(2027, 1, 6, tzinfo=UTC), RetentionSettings(raw_months=72))
    assert not [k for k in kept.dropped if k.startswith("raw_frames")] and kept.deleted["raw_frames"] == 0
    engine.dispose()


@pytest.mark.postgres
def test_the_migration_partitions_an_existing_archive_and_keeps_every_row(pg_url):
    migrate(pg_url, "0010")  # the unpartitioned table, as deployed before
    engine = make_engine(pg_url)
    times = [datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC),
             datetime(2025, 7, 15, 8, tzinfo=UTC), datetime.now(UTC)]
    with engine.begin() as conn:
        assert conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'raw_frames'")).scalar_one() == "r"
        for i, at in enumerate(times):
            _raw(conn, at, raw=bytes([i]) * 100, spool="old", spool_seq=i, mn=f"MN{i}")
        before = conn.execute(select(s.raw_frames).order_by(s.raw_frames.c.id)).all()
    engine.dispose()

    migrate(pg_url)
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        after = conn.execute(select(s.raw_frames).order_by(s.raw_frames.c.id)).all()
        assert after == before  # every column of every row, ids too
        assert conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'raw_frames'")).scalar_one() == "p"
        where = _where(conn)
        today = datetime.now(UTC).date()
        assert where == {"raw_frames_y2024m02": 1, "raw_frames_y2025m07": 2,
                         partition_name(month_start(today), "raw_frames"): 1}  # each month made for its rows
        assert len(list_month_partitions(conn, "raw_frames")) >= 2 + 5  # and the months around today
        # the ids go on from the same sequence; the keys hold the partition key and still refuse a duplicate
        _raw(conn, times[-1], raw=b"new")
        assert conn.scalar(select(func.max(s.raw_frames.c.id))) > before[-1].id
        keys = dict(conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'raw_frames'::regclass"
        )).all())
    assert keys == {"pk_raw_frames": "PRIMARY KEY (id, received_at)",
                    "uq_raw_frames_spool_seq": "UNIQUE (spool, spool_seq, received_at)"}
    with pytest.raises(Exception, match="duplicate key"), engine.begin() as conn:
        _raw(conn, times[1], spool="old", spool_seq=1)
    engine.dispose()
