"""Vietnamese stations upload Circular 10/2021 files over FTP into the running service (issue 7, items 2 and 6)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet, iter_station_files_detailed
from ecosentry.subsystems.monitoring.simulate.vn_uploader import run_vn_stations
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.fleet import import_fleet


async def wait_for(predicate, timeout: float = 60.0):
    async def poll():
        while not (result := predicate()):
            await asyncio.sleep(0.1)
        return result
    return await asyncio.wait_for(poll(), timeout)


async def test_simulated_stations_upload_late_and_malformed_files_over_ftp(tmp_path, db_url):
    fleet = demo_vn_fleet(2, seed=3)
    engine = prepare_database(db_url)
    import_fleet(engine, fleet)
    engine.dispose()
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0, ftp_enabled=True, ftp_host="127.0.0.1", ftp_port=0,
                  hourly_every=0.5, monitoring={"detect_every": 3600}, default_tz="Asia/Ho_Chi_Minh")
    svc = Service(st)
    await svc.start(web=False)
    try:
        # what the simulator will send in the last hour: the expected outcome of each file
        now = datetime.now(timezone.utc)
        planned = [f for f in iter_station_files_detailed(fleet, now - timedelta(hours=1), now, seed=1,
                                                          late_share=0.2, malformed_share=0.1)
                   if f.upload_at <= now]
        stop = asyncio.Event()
        counts = await run_vn_stations(fleet, "127.0.0.1", svc.ftp_port, stop=stop, backfill_hours=1, seed=1,
                                       late_share=0.2, malformed_share=0.1, realtime=False)
        # every file is stored at the end of its transfer (226); the sink rejects a malformed one after the spool
        assert counts["uploaded"] + counts["refused"] == len(planned) and counts["failed"] == 0
        malformed = [f for f in planned if f.kind.startswith("malformed")]
        f_log = ms.vn_files
        await wait_for(lambda: _count(svc, select(func.count()).select_from(f_log)) >= len(planned))
        with svc.engine.connect() as c:
            by_status = Counter(dict(c.execute(select(f_log.c.status, func.count()).group_by(f_log.c.status)).all()))
            late = c.execute(select(func.count()).select_from(f_log).where(f_log.c.late.is_(True))).scalar()
        assert by_status["rejected"] == len(malformed) and by_status["accepted"] == len(planned) - len(malformed)
        assert late >= sum(1 for f in planned if f.late and not f.kind.startswith("malformed"))
        # accepted lines became 5-minute readings; status 01/02 kept as flags C/D
        await svc.drain()
        obs = s.observations
        await wait_for(lambda: _count(svc, select(func.count()).select_from(obs)) > 0)
        with svc.engine.connect() as c:
            flags = set(c.execute(select(obs.c.flag).distinct()).scalars())
            raw = c.execute(select(func.count()).select_from(s.raw_frames)
                            .where(s.raw_frames.c.transport == "ftp")).scalar()
        assert "N" in flags and raw >= len(planned)  # every file received is archived, good or bad
    finally:
        await svc.stop()


def _count(svc, q) -> int:
    with svc.engine.connect() as c:
        return c.execute(q).scalar() or 0
