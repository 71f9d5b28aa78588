"""Missing station files raise and clear ALM-DATA-MISSING (subsystems.md §7 req. 32), with a controlled clock;
and the file-log tables match their migration (0005)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ecosentry.alarms import store as alarm_store
from ecosentry.store.schema import installed_metadata
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.vn.missing import MISSING_SOURCE_SUFFIX, check_missing_files

from vn_testkit import VN, WATER, count, file_bytes, file_name, intake_stack, judged, point_id, send, setup_db

T10 = datetime(2026, 3, 25, 10, 0, tzinfo=VN)  # local clock of the station


async def _send(stack, t_local_aware: datetime, delay=timedelta(seconds=40)):
    """A station file through the spool and the sink, received ``delay`` after its time; its outcome."""
    appender, _directory, spool, worker = stack
    t = t_local_aware.replace(tzinfo=None)
    await send(appender, file_name(WATER, t), file_bytes(t), account=WATER, dest=spool.dir.parent / "ftp",
               received_at=(t_local_aware + delay).astimezone(timezone.utc))
    return await judged(worker, spool)


def _open_alarm(engine, pid: int):
    alarms = [a for a in alarm_store.open_alarms(engine) if a["source_id"] == f"{pid}{MISSING_SOURCE_SUFFIX}"]
    return alarms[0] if alarms else None


def test_missing_files_alarm_raised_and_cleared(db_url, tmp_path):
    asyncio.run(_missing_files(db_url, tmp_path))


async def _missing_files(db_url, tmp_path) -> None:
    engine = setup_db(db_url)
    pid = point_id(engine, WATER)
    check = lambda minutes: check_missing_files(engine, T10 + timedelta(minutes=minutes))  # noqa: E731

    async with intake_stack(engine, tmp_path) as stack:
        for k in range(5):  # 10:00 … 10:20, on time
            assert (await _send(stack, T10 + timedelta(minutes=5 * k))).status == "accepted"
        # 10:31: the 10:25 file is not due before 10:30 (+ the 5-minute rule): nothing missing
        assert await check(31) == {"points": 1, "raised": 0, "cleared": 0, "missing": 0}
        assert _open_alarm(engine, pid) is None

        # 10:41: 10:25 and 10:30 are overdue → ALM-DATA-MISSING on the point
        stats = await check(41)
        assert stats["raised"] == 1 and stats["missing"] == 2
        alarm = _open_alarm(engine, pid)
        assert alarm["type"] == "ALM-DATA-MISSING" and alarm["source_type"] == "point" and alarm["point_id"] == pid
        assert alarm["evidence"]["n_missing"] == 2 and "10:25" in alarm["explanation"]
        assert (await check(42))["raised"] == 0  # the same alarm, one more occurrence
        assert count(engine, s.alarms, s.alarms.c.type == "ALM-DATA-MISSING") == 1

        # the logger back-fills 10:25 and 10:30 and sends 10:35: the alarm clears
        for m in (25, 30):
            out = await _send(stack, T10 + timedelta(minutes=m), delay=timedelta(minutes=46 - m))
            assert out.status == "accepted" and out.late
        await _send(stack, T10 + timedelta(minutes=35))
        stats = await check(46)
        assert stats["cleared"] == 1 and stats["missing"] == 0
        assert _open_alarm(engine, pid) is None
    engine.dispose()


def test_vn_tables_match_their_migration(db_url):
    engine = setup_db(db_url)
    with engine.connect() as c:
        diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())
    ours = [d for d in diffs if "vn_files" in repr(d) or "vn_parameter_map" in repr(d)]
    assert ours == []
    engine.dispose()
