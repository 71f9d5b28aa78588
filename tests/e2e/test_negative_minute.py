"""Issue 11 item 4: a negative SO2 minute value from the pipeline raises the national negative-value rule.

Real HJ 212 minute frames over TCP; the detection pass of the running service reads the stored minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecosentry.store.registry import import_fleet
from helpers import Logger, running_service

from test_alarms_pipeline import RNG, fleet_with_nox_limit_and_a_county_user, open_alarms, send_hours


async def test_a_negative_so2_minute_raises_the_negative_value_finding(tmp_path, db_url):
    async with running_service(tmp_path, db_url, detect_every=3600, alarm_tick_every=3600,
                               detect_point_every=0) as svc:
        import_fleet(svc.engine, fleet_with_nox_limit_and_a_county_user())
        base = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        lg = await Logger.connect(svc.hj212_port)
        # SO2 around 20 mg/m³ with one minute at −3.5 (02:17); the hour's mean stays positive
        await send_hours(lg, base, range(3), lambda h, m: RNG.gauss(60, 4),
                         so2=lambda h, m: -3.5 if (h, m) == (2, 17) else RNG.gauss(20, 2))
        await lg.close()
        await svc.drain()
        await svc.worker.flush_hours()
        await svc.detection.pass_once(base + timedelta(hours=3, minutes=1))
        anomaly = open_alarms(svc.engine)["ALM-DATA-ANOMALY"]
        assert "DET-NEGATIVE" in anomaly["evidence"]["codes"]
        negative = [f for f in anomaly["evidence"]["findings"] if f["code"] == "DET-NEGATIVE"]
        assert negative[0]["factor"] == "a21026" and negative[0]["evidence"]["lowest"] == -3.5
        assert negative[0]["evidence"]["resolution"] == "minute"
