"""From HJ 212 frames over TCP to alarms, e-mail (real SMTP server) and clearing by data.

The detection pass is driven with a chosen clock (``svc.detection.pass_once(now)``) so the test decides
when "now" is; everything else is the running service: TCP gateway, spool, worker, hourly values,
detectors, alarm store, dispatcher, e-mail channel, aiosmtpd.
"""

from __future__ import annotations

import copy
import email
import email.policy
import math
import random
from datetime import datetime, timedelta, timezone

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ecosentry.alarms.subscriptions import create_subscription
from ecosentry.api.app import create_app
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet
from helpers import FLEET, GAS_MN, Logger, minute_frame, running_service, AsUsers
from netkit import free_port

CST = timezone(timedelta(hours=8))
RNG = random.Random(7)


def noisy(level: float, sd: float):
    """A seeded noisy reading around ``level`` (real analysers never repeat an hour exactly)."""
    return lambda h, m: level + RNG.gauss(0, sd)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def fleet_with_nox_limit_and_a_county_user() -> dict:
    f = copy.deepcopy(FLEET)
    gas = f["enterprises"][0]["outlets"][0]["points"][0]
    gas["factors"][1] = {"code": "a21002", "range": [0, 300],
                         "limits": [{"kind": "hour", "upper": 100, "valid_from": "2020-01-01"}]}
    f["users"] = [{"username": "wuzhong", "role": "regulator", "region": "320506"}]
    return f


async def send_hours(lg: Logger, base: datetime, hours: range, nox, so2=lambda h, m: 20.0) -> None:
    """Minute frames: SO2 = so2(hour, minute) (stuck at exactly 20.0 by default), NOx = nox(hour, minute),
    O2 around 6 %."""
    for h in hours:
        for m in range(60):
            t = (base + timedelta(hours=h, minutes=m)).astimezone(CST).replace(tzinfo=None)
            await lg.send(minute_frame(GAS_MN, t, {"a21026": f"{so2(h, m):.2f}", "a21002": f"{nox(h, m):.2f}",
                                                   "a19001": f"{RNG.gauss(6, 0.3):.2f}"}))
            await lg.reply()


def open_alarms(engine) -> dict[str, dict]:
    a = s.alarms
    with engine.connect() as c:
        rows = c.execute(select(a).where(a.c.state != "cleared")).mappings().all()
    return {r["type"]: dict(r) for r in rows}


async def test_frames_raise_alarms_that_mail_the_county_and_clear_by_data(tmp_path, db_url, monkeypatch):
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMTP_PORT", str(smtp.port))
    try:
        async with running_service(tmp_path, db_url, alarms={"tick_every": 3600},
                                   monitoring={"detect_every": 3600, "detect_point_every": 0}) as svc:
            import_fleet(svc.engine, fleet_with_nox_limit_and_a_county_user())
            with svc.engine.connect() as c:
                uid = c.execute(select(s.users.c.id).where(s.users.c.username == "wuzhong")).scalar_one()
            create_subscription(svc.engine, user_id=uid, channel="email", address="wuzhong@example.cn",
                                region_code="320506", min_severity="warning")
            base = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)
            lg = await Logger.connect(svc.hj212_port)
            # hours 0–5: NOx varies around 60 mg/m³, in hour 5 it runs at 150 (limit 100); SO2 stuck at 20.00
            await send_hours(lg, base, range(6), lambda h, m: RNG.gauss(150, 3) if h == 5 else RNG.gauss(60, 4))
            await svc.drain()
            await svc.worker.flush()

            stats = await svc.detection.pass_once(base + timedelta(hours=6, minutes=1))
            alarms = open_alarms(svc.engine)
            assert stats["points"] == 1
            # SO2 read exactly 20.0 for 6 running hours → DET-CONST-4H → falsification signs
            fals = alarms["ALM-FALSIFICATION"]
            assert "DET-CONST-4H" in fals["evidence"]["codes"] and "a21026" in fals["factor_codes"]
            # NOx hour 5: mean ≈ 150 > 100 → exceedance, with the hour, the value and the limit in the sentence
            exc = alarms["ALM-EXCEEDANCE"]
            assert exc["factor_codes"] == "a21002" and exc["region_code"] == "320506"
            assert "limit 100" in exc["explanation"] and exc["severity"] == "critical"
            # the county user's subscription got one e-mail per new alarm, through the real SMTP server
            subjects = [str(m["Subject"]) for m in inbox.messages]
            assert any("exceedance" in x.lower() or "超标" in x for x in subjects), subjects
            assert all(m["To"] == "wuzhong@example.cn" for m in inbox.messages)
            n_mails = len(inbox.messages)

            # the same condition in the next pass updates quietly: no new row, no new mail
            await svc.detection.pass_once(base + timedelta(hours=6, minutes=2))
            again = open_alarms(svc.engine)
            assert again["ALM-EXCEEDANCE"]["id"] == exc["id"] and again["ALM-EXCEEDANCE"]["occurrences"] == 2
            assert len(inbox.messages) == n_mails

            # hours 6–9: SO2 moves again and NOx is back under the limit → both alarms clear by data
            await send_hours(lg, base, range(6, 10), noisy(60, 4), so2=noisy(20, 2))
            await lg.close()
            await svc.drain()
            await svc.worker.flush()
            await svc.detection.pass_once(base + timedelta(hours=10, minutes=1))
            left = open_alarms(svc.engine)
            # the constant run ended at hour 6, more than detect_recent_hours (2 h) before this pass
            assert "ALM-EXCEEDANCE" not in left and "ALM-FALSIFICATION" not in left
            with svc.engine.connect() as c:
                cleared = c.execute(select(s.alarms.c.state, s.alarms.c.cleared_by).where(
                    s.alarms.c.id == exc["id"])).one()
            assert cleared.state == "cleared"

            # the API shows the alarm with its events and deliveries
            transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
                detail = (await api.get(f"/api/v1/alarms/{exc['id']}")).json()
                kinds = [e["kind"] for e in detail["events"]]
                assert kinds[0] == "raised" and kinds[-1] == "cleared"
                assert any(d["channel"] == "email" and d["ok"] for d in detail["deliveries"])
    finally:
        smtp.stop()
