"""The dispatcher on SQLite and PostgreSQL with a controlled clock: notifications on raise and severity
rise only, concurrent sends where one failure never stops the others, the delivery log, escalation at
30 min (not 29), repeats at 60/120 up to the maximum, silence after acknowledgement, racing ticks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from alarm_testkit import (  # noqa: F401  (fixtures)
    CITY, COUNTY, PROVINCE, RecordingChannel, _pg_session_db, _sqlite_template, alarm_db_url, engine, gas_point,
    user_ids, water_point)
from ecosentry.alarms import store
from ecosentry.alarms.dispatch import Dispatcher
from ecosentry.alarms.routing import AlarmPolicy
from ecosentry.alarms.subscriptions import create_subscription
from ecosentry.store import schema as s

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
POLICY = AlarmPolicy(route_levels=2, escalate_after=timedelta(minutes=30), repeat_every=timedelta(minutes=60),
                     repeat_max=2)


def subscribe(engine, user_ids) -> None:
    for user, channel, address, region in (
            ("county-officer", "email", "county@eco.example", COUNTY),
            ("city-officer", "sms", "+8613800000001", CITY),
            ("province-officer", "email", "prov@eco.example", PROVINCE)):
        create_subscription(engine, user_id=user_ids[user], channel=channel, address=address, region_code=region)


def dispatcher(engine, **channels) -> Dispatcher:
    return Dispatcher(engine, channels, POLICY, send_timeout=5)


def raise_kwargs(point: int, *, severity: str = "warning", at: datetime = T0, type: str = "ALM-DATA-MISSING"):
    return dict(type=type, source_type="point", source_id=point, severity=severity, title="SO2 data missing",
                explanation="no minute record for 20 min", evidence={"missing_minutes": 20}, point_id=point, at=at)


def deliveries(engine, alarm_id: int) -> list[tuple[str, str, bool]]:
    d = s.alarm_deliveries
    with engine.connect() as c:
        return [(r.event, r.recipient, r.ok) for r in c.execute(
            select(d).where(d.c.alarm_id == alarm_id).order_by(d.c.id))]


async def test_raise_notifies_once_and_failures_stay_local(engine, gas_point, user_ids):
    subscribe(engine, user_ids)
    create_subscription(engine, user_id=user_ids["city-officer"], channel="webhook",
                        address="https://hook.example/eco", region_code=CITY)  # no webhook channel given
    create_subscription(engine, user_id=user_ids["city-officer"], channel="email", address="broken@eco.example",
                        region_code=CITY)
    email = RecordingChannel("email", raise_for=("broken@eco.example",))
    sms = RecordingChannel("sms", fail_for=("+8613800000001",))
    disp = dispatcher(engine, email=email, sms=sms)

    alarm, change, rows = await disp.raise_alarm(**raise_kwargs(gas_point))
    assert change.kind == "raised"
    assert email.to() == [("raised", "county@eco.example")] and sms.to() == [("raised", "+8613800000001")]
    by_recipient = {r["recipient"]: r for r in rows}
    assert by_recipient["county@eco.example"]["ok"] is True
    assert by_recipient["+8613800000001"]["detail"] == "+8613800000001 refused the message"
    assert by_recipient["broken@eco.example"]["detail"] == "ConnectionError: cannot reach broken@eco.example"
    assert by_recipient["https://hook.example/eco"]["detail"] == "no 'webhook' channel is configured"
    assert all(r["event_id"] == change.event_id for r in rows)
    assert sorted(deliveries(engine, alarm["id"])) == sorted(
        [("raised", "county@eco.example", True), ("raised", "+8613800000001", False),
         ("raised", "https://hook.example/eco", False), ("raised", "broken@eco.example", False)])

    # quiet de-duplication: a repeat occurrence notifies nobody ...
    _a, change, rows = await disp.raise_alarm(**raise_kwargs(gas_point, at=T0 + timedelta(minutes=1)))
    assert (change.kind, change.notify, rows) == ("updated", False, [])
    # ... unless the severity rises
    _a, change, rows = await disp.raise_alarm(**raise_kwargs(gas_point, severity="critical",
                                                             at=T0 + timedelta(minutes=2)))
    assert change.notify and {r["event"] for r in rows} == {"updated"}
    assert email.to()[-1] == ("updated", "county@eco.example")
    detail = store.alarm_detail(engine, alarm["id"])
    assert len(detail["deliveries"]) == 8 and detail["occurrences"] == 3


async def test_escalation_and_repeats_follow_the_clock(engine, gas_point, water_point, user_ids):
    subscribe(engine, user_ids)
    email, sms = RecordingChannel("email"), RecordingChannel("sms")
    disp = dispatcher(engine, email=email, sms=sms)
    acked, _c, _r = await disp.raise_alarm(**raise_kwargs(gas_point))
    ignored, _c, _r = await disp.raise_alarm(**raise_kwargs(water_point))
    initial = [("raised", "county@eco.example"), ("raised", "+8613800000001")]
    assert deliveries(engine, acked["id"]) == [(e, r, True) for e, r in initial]

    report = await disp.tick(T0 + timedelta(minutes=29))
    assert (report.escalated, report.repeated, report.deliveries) == ([], [], [])

    report = await disp.tick(T0 + timedelta(minutes=30))
    assert sorted(report.escalated) == sorted([acked["id"], ignored["id"]]) and report.repeated == []
    assert deliveries(engine, acked["id"])[2:] == [("escalated", "prov@eco.example", True)]
    assert store.get_alarm(engine, acked["id"])["escalation_level"] == 1
    assert (await disp.tick(T0 + timedelta(minutes=45))).deliveries == []  # nothing above the province

    report = await disp.tick(T0 + timedelta(minutes=60))
    assert report.escalated == [] and sorted(report.repeated) == sorted([acked["id"], ignored["id"]])
    everyone = [("repeat", "county@eco.example", True), ("repeat", "+8613800000001", True),
                ("repeat", "prov@eco.example", True)]
    assert deliveries(engine, acked["id"])[3:] == everyone

    store.acknowledge(engine, acked["id"], "city-officer", at=T0 + timedelta(minutes=70))
    report = await disp.tick(T0 + timedelta(minutes=120))
    assert report.repeated == [ignored["id"]]
    assert len(deliveries(engine, acked["id"])) == 6  # silent since the acknowledgement
    assert deliveries(engine, ignored["id"])[-3:] == everyone

    # repeat_max = 2 reached: no third reminder, however long it stays unacknowledged
    assert (await disp.tick(T0 + timedelta(minutes=180))).deliveries == []
    assert (await disp.tick(T0 + timedelta(hours=9))).deliveries == []
    kinds = [e["kind"] for e in store.alarm_detail(engine, ignored["id"])["events"]]
    assert kinds == ["raised", "escalated", "repeat", "repeat"]


async def test_racing_ticks_send_once(engine, gas_point, user_ids):
    subscribe(engine, user_ids)
    email, sms = RecordingChannel("email"), RecordingChannel("sms")
    disp = dispatcher(engine, email=email, sms=sms)
    other = dispatcher(engine, email=email, sms=sms)
    alarm, _c, _r = await disp.raise_alarm(**raise_kwargs(gas_point))
    now = T0 + timedelta(minutes=30)
    r1, r2 = await asyncio.gather(disp.tick(now), other.tick(now))
    assert len(r1.escalated) + len(r2.escalated) == 1
    assert email.to().count(("escalated", "prov@eco.example")) == 1


async def test_notify_for_an_alarm_without_region_or_subscribers(engine, user_ids):
    disp = dispatcher(engine, email=RecordingChannel("email"))
    alarm, change, rows = await disp.raise_alarm(
        type="ALM-TOXIC-GAS", source_type="park_sensor", source_id="S-12", severity=None, title="H2S 15 ppm",
        explanation=None, evidence={"ppm": 15}, at=T0)
    assert change.kind == "raised" and alarm["region_code"] is None and rows == []
    assert (await disp.tick(T0 + timedelta(hours=2))).repeated == [alarm["id"]]  # counted, nobody to tell


async def test_notifications_speak_the_recipients_language_with_local_times(engine, gas_point, user_ids):
    """The county officer reads Vietnamese (her locale), the city officer the deployment's Chinese: names,
    the rule's words and local times (09:00 Asia/Shanghai), no engine English and no UTC stamps."""
    subscribe(engine, user_ids)
    with engine.begin() as c:
        c.execute(s.users.update().where(s.users.c.username == "county-officer").values(locale="vi"))
    email, sms = RecordingChannel("email"), RecordingChannel("sms")
    disp = Dispatcher(engine, {"email": email, "sms": sms}, POLICY, send_timeout=5, default_locale="zh",
                      default_tz="Asia/Shanghai")
    hour = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai
    await disp.raise_alarm(type="ALM-EXCEEDANCE", source_type="point", source_id=gas_point, severity=None,
                           title="TEST: exceedance of a21026", explanation="Point exceeds its emission limit.",
                           evidence={"periods": [{"factor_code": "a21026", "period": "hour", "period_start": hour,
                                                  "judged_value": 123.5, "limit_value": 100.0, "exceeded": True,
                                                  "multiple": 0.235}]},
                           point_id=gas_point, factor_codes=["a21026"], at=hour)
    vi, zh = email.sent[0], sms.sent[0]
    assert (vi.lang, zh.lang) == ("vi", "zh")
    # Vietnamese writes a flue gas's mg/m³ (at the reference state) as mg/Nm3 (issue 14 item 3)
    assert "vượt quy chuẩn 100 mg/Nm3" in vi.body and "123,5" in vi.body and "09:00" in vi.body, vi.body
    assert vi.severity_tag == "Nghiêm trọng" and vi.title.startswith("[Nghiêm trọng]")
    assert "二氧化硫" in zh.title and "超过限值 100 mg/m³" in zh.body and "09:00" in zh.body, zh.body
    for n in (vi, zh):
        assert "+00:00" not in n.body and "exceeds" not in n.body and "a21026" not in n.body
    # the payload keeps the alarm as stored, for machines
    assert vi.payload["alarm"]["title"] == "TEST: exceedance of a21026"
