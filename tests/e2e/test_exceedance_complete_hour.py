"""Issue 11 item 3: an exceedance is judged on a complete hour only.

Real HJ 212 minute frames over TCP through the running service; the detection pass runs with a chosen
clock. NOx limit 100 mg/m³ (hourly). Hour 2 runs at ~150 for its first 48 minutes: a pass at 02:48 must not
raise ALM-EXCEEDANCE (the hour has not ended); once the hour is complete the pass raises it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet
from helpers import GAS_MN, Logger, minute_frame, running_service

from test_alarms_pipeline import CST, RNG, fleet_with_nox_limit_and_a_county_user, open_alarms


async def send_minutes(lg: Logger, base: datetime, minutes: range, nox) -> None:
    for k in minutes:
        t = (base + timedelta(minutes=k)).astimezone(CST).replace(tzinfo=None)
        await lg.send(minute_frame(GAS_MN, t, {"a21026": f"{RNG.gauss(20, 2):.2f}", "a21002": f"{nox(k):.2f}",
                                               "a19001": f"{RNG.gauss(6, 0.3):.2f}"}))
        await lg.reply()


async def test_unfinished_hour_over_the_limit_raises_no_exceedance_until_it_ends(tmp_path, db_url):
    async with running_service(tmp_path, db_url, alarms={"tick_every": 3600},
                               monitoring={"detect_every": 3600, "detect_point_every": 0}) as svc:
        import_fleet(svc.engine, fleet_with_nox_limit_and_a_county_user())
        base = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)
        lg = await Logger.connect(svc.hj212_port)
        # hours 0-1 at ~60, hour 2 at ~150 for minutes 0..47 (02:00-02:47)
        await send_minutes(lg, base, range(0, 2 * 60 + 48), lambda k: RNG.gauss(150, 3) if k >= 120 else RNG.gauss(60, 3))
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            partial = c.execute(select(s.hourly_values.c.value).where(
                s.hourly_values.c.factor_code == "a21002",
                s.hourly_values.c.period_start == base + timedelta(hours=2))).scalar_one_or_none()
        assert partial is not None and partial > 100   # the running mean of the unfinished hour is over the limit
        await svc.detection.pass_once(base + timedelta(hours=2, minutes=48))
        early = open_alarms(svc.engine)
        assert "ALM-EXCEEDANCE" not in early
        # an early warning of its own type, severity and explanation instead
        risk = early["ALM-EXCEEDANCE-RISK"]
        assert risk["severity"] == "warning" and risk["factor_codes"] == "a21002"
        assert "early warning" in risk["explanation"] and "limit 100" in risk["explanation"]

        # the hour completes (still ~150): the next pass after 03:00 judges it and raises the exceedance
        await send_minutes(lg, base, range(2 * 60 + 48, 3 * 60), lambda k: RNG.gauss(150, 3))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        await svc.detection.pass_once(base + timedelta(hours=3, minutes=1))
        after = open_alarms(svc.engine)
        assert "ALM-EXCEEDANCE-RISK" not in after  # the running 03:00 hour has no data yet
        exc = after["ALM-EXCEEDANCE"]
        assert exc["factor_codes"] == "a21002"
        assert "limit 100" in exc["explanation"]
        assert [p["period"] for p in exc["evidence"]["periods"]] == ["hour"]
