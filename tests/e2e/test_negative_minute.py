"""Issue 11 item 4: a negative SO2 minute value from the pipeline raises the national negative-value rule.

Real HJ 212 minute frames over TCP; the detection pass of the running service reads the stored minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecosentry.fleet import import_fleet
from helpers import Logger, running_service

from test_alarms_pipeline import RNG, fleet_with_nox_limit_and_a_county_user, open_alarms, send_hours


async def test_a_negative_so2_minute_raises_the_negative_value_finding(tmp_path, db_url):
    async with running_service(tmp_path, db_url, alarms={"tick_every": 3600},
                               monitoring={"detect_every": 3600, "detect_point_every": 0}) as svc:
        import_fleet(svc.engine, fleet_with_nox_limit_and_a_county_user())
        base = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        lg = await Logger.connect(svc.hj212_port)
        # SO2 around 20 mg/m³ with one minute at −3.5 (02:17); the hour's mean stays positive
        await send_hours(lg, base, range(3), lambda h, m: RNG.gauss(60, 4),
                         so2=lambda h, m: -3.5 if (h, m) == (2, 17) else RNG.gauss(20, 2))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        await svc.detection.pass_once(base + timedelta(hours=3, minutes=1))
        anomaly = open_alarms(svc.engine)["ALM-DATA-ANOMALY"]
        assert "DET-NEGATIVE" in anomaly["evidence"]["codes"]
        negative = [f for f in anomaly["evidence"]["findings"] if f["code"] == "DET-NEGATIVE"]
        assert negative[0]["factor"] == "a21026" and negative[0]["evidence"]["lowest"] == -3.5
        assert negative[0]["evidence"]["resolution"] == "minute"


async def test_the_point_page_highlights_a_value_beyond_its_limit(tmp_path, db_url):
    """SO2 hourly limit 50 mg/m³; the newest minutes read 200: the live values and the running hour of the
    point page carry the ``over-limit`` class and a visible marker that shows the limit."""
    import copy

    import httpx
    from sqlalchemy import select

    from ecosentry.api.app import create_app
    from ecosentry.store import schema as s
    from helpers import GAS_MN, AsUsers

    fleet = fleet_with_nox_limit_and_a_county_user()
    gas = fleet["enterprises"][0]["outlets"][0]["points"][0]
    gas["factors"][0] = {"code": "a21026", "range": [0, 300],
                         "limits": [{"kind": "hour", "upper": 50, "valid_from": "2020-01-01"}]}
    async with running_service(tmp_path, db_url) as svc:
        import_fleet(svc.engine, copy.deepcopy(fleet))
        base = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        lg = await Logger.connect(svc.hj212_port)
        await send_hours(lg, base, range(1), lambda h, m: RNG.gauss(60, 4), so2=lambda h, m: RNG.gauss(20, 2))
        # the next hour: 20 minutes at 200 (an hour in progress, not yet judged)
        from test_alarms_pipeline import CST
        from helpers import minute_frame
        for m in range(20):
            t = (base + timedelta(hours=1, minutes=m)).astimezone(CST).replace(tzinfo=None)
            await lg.send(minute_frame(GAS_MN, t, {"a21026": "200.00", "a21002": "60.00", "a19001": "6.00"}))
            await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            pid = c.execute(select(s.points.c.id).where(s.points.c.mn == GAS_MN)).scalar_one()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as web:
            page = (await web.get(f"/points/{pid}?lang=en")).text
    live = page.split('data-factor="a21026"')[1].split("</tr>")[0]
    assert 'class=" over-limit">200' in live and "over-limit-marker" in live and "≤ 50" in live
    assert "beyond the limit" in live
    nox = page.split('data-factor="a21002"')[1].split("</tr>")[0]
    assert "over-limit" not in nox  # 60 against a limit of 100
    hourly = page.split('id="hourly"')[1].split("</table>")[0]
    rows = [r for r in hourly.split("<tr")[1:] if "over-limit" in r]
    assert len(rows) == 1 and "200" in rows[0] and "≤ 50" in rows[0] and "over-limit-marker" in rows[0]
