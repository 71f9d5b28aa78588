"""Offline loggers and device faults raise alarms on the live service clock, and data clears them.

The detection job runs by itself here (every 0.3 s) with a short allowed silence (0.05 × the 1-minute
interval = 3 s), so the test waits for states, never for a duration.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ecosentry.store import schema as s
from helpers import GAS_MN, Logger, minute_frame, running_service

CST = timezone(timedelta(hours=8))


def alarm_states(engine) -> dict[str, str]:
    a = s.alarms
    with engine.connect() as c:
        rows = c.execute(select(a.c.type, a.c.state, a.c.id).where(a.c.point_id == 1).order_by(a.c.id)).all()
    return {r.type: r.state for r in rows}  # the newest alarm of each type


async def wait_for(predicate, timeout: float = 90.0):   # a ceiling for a loaded machine, not a speed check
    async def poll():
        while not (result := predicate()):
            await asyncio.sleep(0.1)
        return result
    return await asyncio.wait_for(poll(), timeout)


def now_local() -> datetime:
    return datetime.now(CST).replace(tzinfo=None, second=0, microsecond=0)


async def test_silence_raises_offline_and_a_fault_flag_raises_device_fault(tmp_path, db_url):
    async with running_service(tmp_path, db_url, monitoring={"detect_every": 0.3, "detect_point_every": 0,
                                                              "offline_factor": 0.05, "offline_min_minutes": 0}) as svc:
        lg = await Logger.connect(svc.hj212_port)
        # the analyser flags its newest minute as faulty (D, HJ 212-2017 Table 8)
        await lg.send(minute_frame(GAS_MN, now_local() - timedelta(minutes=2), {"a21026": 20.0}, data_flag="D"))
        await lg.reply()
        await wait_for(lambda: alarm_states(svc.engine).get("ALM-DEVICE-FAULT") == "active")
        # then silence: after 3 s without data the logger is offline
        await wait_for(lambda: alarm_states(svc.engine).get("ALM-LOGGER-OFFLINE") == "active")
        with svc.engine.connect() as c:
            off = c.execute(select(s.alarms).where(s.alarms.c.type == "ALM-LOGGER-OFFLINE",
                                                   s.alarms.c.point_id == 1)).mappings().one()
        last = datetime.fromisoformat(off["evidence"]["last_received_at"])
        # never raised before the allowed silence had passed
        assert off["first_at"] - last >= timedelta(seconds=3)
        assert off["evidence"]["threshold_minutes"] == 0.05 and "has sent nothing since" in off["explanation"]
        # data again, flagged normal: both alarms clear by data
        await lg.send(minute_frame(GAS_MN, now_local() - timedelta(minutes=1), {"a21026": 21.0}))
        await lg.reply()
        await wait_for(lambda: alarm_states(svc.engine).get("ALM-LOGGER-OFFLINE") == "cleared")
        await wait_for(lambda: alarm_states(svc.engine).get("ALM-DEVICE-FAULT") == "cleared")
        await lg.close()
