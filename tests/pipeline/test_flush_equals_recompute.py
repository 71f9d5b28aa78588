"""After the last frame, the worker's follow-up work (hours, days with their substitute values, months) has left
exactly the rows ``ecosentry recompute`` gives, whatever order the frames came in and however the flushes cut
them (issue 19 item 2: the flush's substitution done in proportion to the day, its reads batched)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.fleet import import_fleet
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.ingest import build_frames
from ecosentry.subsystems.monitoring.bench.recompute_db import clear_derived, derived_snapshot
from ecosentry.subsystems.monitoring.pipeline.bulk_recompute import bulk_recompute_range
from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet

FRAMES = 150  # 2.5 hours of minute frames from 2026-01-01 00:00 local: a finished day, substituted


def _cuts(frames: list[list[bytes]]) -> list[list[bytes]]:
    """Three deliveries: the first 50 minutes, then the last 50 (out of order), then the middle ones late;
    the first logger misses minutes 30–79 (invalid hours: substitute values) and the second sends nothing
    after minute 100 (its last hour short)."""
    first = [f for i, fl in enumerate(frames) for j, f in enumerate(fl[:50]) if not (i == 0 and j >= 30)]
    last = [f for i, fl in enumerate(frames) for f in fl[100:] if i != 1]
    middle = [f for i, fl in enumerate(frames) for j, f in enumerate(fl[50:100], start=50) if not (i == 0 and j < 80)]
    return [first, last, middle]


@pytest.mark.timeout(900)
async def test_the_workers_derived_rows_equal_a_recompute_after_the_last_frame(tmp_path, db_url):
    engine = prepare_database(db_url)
    fleet = demo_fleet(4, seed=11)  # two flue-gas points, two wastewater points
    import_fleet(engine, fleet)
    directory = PointDirectory(engine)
    frames, _n = build_frames(fleet, FRAMES)
    gateway = HJ212Gateway(directory, None)
    received = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)
    spool = Spool(tmp_path / "spool")
    worker = IngestWorker(engine, SpoolReader(tmp_path / "spool"), {"observations": ObservationSink(engine, directory)},
                          flush_every=3600)
    task = asyncio.create_task(worker.run())
    try:
        for part in _cuts(frames):
            last = spool.append_sync([gateway.decode(f, "127.0.0.1:1", received)[0].encode() for f in part])
            await worker.drain(last, timeout=300)
            assert await worker.flush() > 0
    finally:
        worker.stop()
        await task
        spool.close()
    by_worker = derived_snapshot(engine)
    assert by_worker["revisions"], "the gaps of the finished day got substitute values"
    names = [c.name for c in s.derived_periods.columns if c.name != "computed_at"]
    days = [dict(zip(names, r)) for r in by_worker["derived_periods"]]
    days = [d for d in days if d["period"] == "day"]
    assert any(d["n_substituted"] for d in days), "a day carries its substituted hours"
    assert any(d["period"] == "month" for d in map(lambda r: dict(zip(names, r)), by_worker["derived_periods"]))

    # ``ecosentry recompute`` of each point over the hours it sent data in, per period and in bulk
    names = [c.name for c in s.hourly_values.columns if c.name != "computed_at"]
    spans: dict[int, list[datetime]] = {}
    for r in by_worker["hourly_values"]:
        row = dict(zip(names, r))
        spans.setdefault(row["point_id"], []).append(row["period_start"])
    assert len(spans) == 4
    for recompute in (recompute_range, bulk_recompute_range):
        clear_derived(engine)
        for point_id, hours in sorted(spans.items()):
            recompute(engine, directory, min(hours), max(hours) + timedelta(hours=1), point_ids=[point_id])
        again = derived_snapshot(engine)
        for table in by_worker:
            assert again[table] == by_worker[table], (recompute.__name__, table)
    engine.dispose()
