"""A new alarm reaches the county and the city at once, and a supervision step past its deadline reaches the
level above, through a real SMTP server (aiosmtpd): a late enterprise → the county and the city regulators
(not the province); a late regulator → the province too; once per step, on SQLite and PostgreSQL."""

from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest
from aiosmtpd.controller import Controller

from alarm_testkit import (  # noqa: F401  (fixtures)
    _pg_session_db, _sqlite_template, alarm_db_url, engine, gas_point, user_ids, CITY, COUNTY, PROVINCE)
from ecosentry.alarms import disposal_store as ds
from ecosentry.alarms import store
from ecosentry.alarms.channels.config import ChannelSettings
from ecosentry.alarms.channels.email import EmailChannel
from ecosentry.alarms.disposal import Deadlines
from ecosentry.alarms.dispatch import Dispatcher
from ecosentry.alarms.routing import AlarmPolicy
from ecosentry.alarms.subscriptions import create_subscription
from netkit import free_port

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
D = Deadlines()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def take(self) -> list[tuple[str, str]]:
        """(recipient, plain-text body) of the messages received since the last call."""
        out = [(to, msg.get_body(("plain",)).get_content()) for tos, msg in self.messages for to in tos]
        self.messages.clear()
        return sorted(out)


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def test_late_enterprise_reaches_county_and_city_and_late_regulator_the_province(engine, gas_point, user_ids,
                                                                                      smtp):
    controller, inbox = smtp
    for user, region in (("county-officer", COUNTY), ("city-officer", CITY), ("province-officer", PROVINCE)):
        create_subscription(engine, user_id=user_ids[user], channel="email", address=f"{user}@example.gov.cn",
                            region_code=region)
    channel = EmailChannel(ChannelSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_timeout=5,
                                           smtp_from="alarm@ecosentry.example"))
    dispatcher = Dispatcher(engine, {"email": channel}, AlarmPolicy(base_url="https://eco.example"))

    alarm, _change, deliveries = await dispatcher.raise_alarm(
        type="ALM-EXCEEDANCE", source_type="point", source_id=gas_point, severity="critical",
        title="SO2 hourly exceedance", explanation=None, evidence={"value": 120}, point_id=gas_point,
        factor_codes=["a21026"], at=T0)
    aid = alarm["id"]
    # the existing region routing: a new alarm reaches the county and the city at once (route_levels 2)
    assert all(d["ok"] for d in deliveries)
    assert [to for to, _ in inbox.take()] == ["city-officer@example.gov.cn", "county-officer@example.gov.cn"]
    ds.take_step(engine, aid, "push", actor="county-officer", role="regulator", deadlines=D, text="请反馈",
                 at=T0 + timedelta(minutes=5))
    # within the 2 h to acknowledge: nothing (and the pushed alarm is acknowledged: no escalation either)
    report = await dispatcher.tick(T0 + timedelta(hours=2))
    assert (report.overdue, report.escalated, report.deliveries) == ([], [], [])

    report = await dispatcher.tick(T0 + timedelta(hours=2, minutes=6))
    assert report.overdue == [aid] and all(d["ok"] for d in report.deliveries)
    mails = inbox.take()
    # the county and the city at once, each in its language (zh by default), with the link to the alarm
    assert [to for to, _ in mails] == ["city-officer@example.gov.cn", "county-officer@example.gov.cn"]
    assert all(body.startswith("督办逾期") and f"https://eco.example/alarms/{aid}" in body for _, body in mails)
    # which step is owed and its deadline, in local time (Asia/Shanghai: 02:05 UTC + 2 h = 12:05)
    assert all(body.split("\n")[1].startswith("待企业签收，截止") and "12:05" in body.split("\n")[1]
               for _, body in mails)
    assert (await dispatcher.tick(T0 + timedelta(hours=3))).overdue == []  # once per step
    assert inbox.take() == []

    ds.take_step(engine, aid, "handle", actor="ent", role="enterprise", deadlines=D, at=T0 + timedelta(hours=3))
    fb = ds.take_step(engine, aid, "feedback", actor="ent", role="enterprise", deadlines=D, cause="泵故障",
                      measures="已更换", at=T0 + timedelta(hours=4))
    report = await dispatcher.tick(fb["due_at"] + timedelta(minutes=1))
    assert report.overdue == [aid]
    # the regulators were late to check: the level above them hears it too
    mails = inbox.take()
    assert [to for to, _ in mails] == ["city-officer@example.gov.cn", "county-officer@example.gov.cn",
                                       "province-officer@example.gov.cn"]
    assert all(body.split("\n")[1].startswith("待监管部门核查，截止") for _, body in mails)
    events = [e["kind"] for e in store.alarm_detail(engine, aid)["events"]]
    assert events.count("overdue") == 2
    assert [d["event"] for d in store.alarm_detail(engine, aid)["deliveries"]] == ["raised"] * 2 + ["overdue"] * 5
