"""Issue 15, "Tests and measures": from real HJ 212 frames over TCP and real MQTT messages through a Mosquitto
of the test's own (its password file and ACL written by ``ecosentry power mqtt-auth``) through the running
service (power gateway and MQTT subscriber → spool → ingest worker → power sink → live engine) to a
``ALM-PWR-TREAT-OFF`` alarm that a county and a city regulator receive at once by e-mail (aiosmtpd).

A coking plant's coke oven is metered by its HJ 212 logger (``SB1``), the dust removal that serves it by an
MQTT device (meter ``fan-1``); the dust removal stops while the oven runs."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import aiomqtt
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ecosentry.alarms.subscriptions import create_subscription
from ecosentry.fleet import import_fleet
from ecosentry.protocols.hj212 import build_frame
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.store import schema as s
from ecosentry.subsystems.power.gateways.hj212_map import logger_cp
from ecosentry.subsystems.power.gateways.mqtt_message import device_payload, topic_of
from netkit import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
CST = ZoneInfo("Asia/Shanghai")
CREDIT = "91320582MA1PE2E001"
LOGGER, LOGGER_PW = "PWRE2E0000000001", "246810"
DEVICE, DEVICE_PW = "PWRE2EMQTT01", "device-secret-e2e"
PLATFORM_PW = "platform-secret-e2e"
COUNTY_MAIL, CITY_MAIL = "zjg@example.cn", "suzhou@example.cn"

FLEET = {
    "regions": [{"code": "320000", "name": "江苏省", "level": "province"},
                {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"},
                {"code": "320582", "name": "张家港市", "level": "county", "parent": "320500"}],
    "enterprises": [{"credit_code": CREDIT, "name": "张家港端到端焦化有限公司", "industry": "2520 炼焦",
                     "region": "320582"}],
    "users": [{"username": "zjg", "role": "regulator", "region": "320582", "password": "x-e2e-pass-1"},
              {"username": "suzhou", "role": "regulator", "region": "320500", "password": "x-e2e-pass-2"}],
    "power": {
        "devices": [{"mn": LOGGER, "transport": "hj212", "password": LOGGER_PW, "tz": "Asia/Shanghai"},
                    {"mn": DEVICE, "transport": "mqtt", "password": DEVICE_PW, "enterprise": CREDIT}],
        "enterprises": [{
            "credit_code": CREDIT,
            "meters": [{"id": "SB001", "device": LOGGER, "channel": "SB1", "rated_kw": 500,
                        "thresholds": {"on": 100, "off": 50, "dwell": 3}},
                       {"id": "FAN1", "device": DEVICE, "channel": "fan-1", "rated_kw": 250,
                        "thresholds": {"on": 40, "off": 20, "dwell": 3}}],
            "equipment": [{"id": "oven1", "name": "1号焦炉", "role": "production", "meter": "SB001",
                           "rated_kw": 500, "normal_kw": 400},
                          {"id": "dust1", "name": "装煤除尘", "role": "treatment", "kind": "dust_removal",
                           "meter": "FAN1", "serves": ["oven1"], "rated_kw": 250, "normal_kw": 200}]}]},
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def mqtt_auth(db_url: str, folder) -> None:
    """The broker's files, written by the command an operator runs."""
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_POWER__MQTT__PASSWORD": PLATFORM_PW}
    done = subprocess.run([sys.executable, "-m", "ecosentry.cli", "power", "mqtt-auth", "--password-file",
                           str(folder / "passwd"), "--acl-file", str(folder / "acl")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


async def start_broker(folder, port: int) -> subprocess.Popen:
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {folder / 'passwd'}\n"
                    f"acl_file {folder / 'acl'}\npersistence false\n" + ("user root\n" if os.geteuid() == 0 else ""))
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(500):
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            await asyncio.sleep(0.02)
    return proc


def oven_kw(i: int) -> float:
    return 400.0 + (i % 7)


def dust_kw(i: int, off_from: int) -> float:
    return 0.3 if i >= off_from else 190.0 + (i % 5)


async def send_minutes(port: int, broker_port: int, base: datetime, minutes: int, off_from: int) -> None:
    """The oven's minute data over HJ 212 (each frame on the spool before the next), the fan's over MQTT."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    async with aiomqtt.Client("127.0.0.1", broker_port, username=DEVICE, password=DEVICE_PW,
                              identifier=f"{DEVICE}-{uuid.uuid4().hex[:6]}") as client:
        for i in range(minutes):
            at = base + timedelta(minutes=i)
            local = at.astimezone(CST).replace(tzinfo=None)
            w.write(build_frame(qn=local.strftime("%Y%m%d%H%M%S") + "000", st="31", cn="2051", pw=LOGGER_PW,
                                mn=LOGGER, flag=5, cp=logger_cp("2051", local, {"SB1": {"P": oven_kw(i)}})))
            await w.drain()
            assert b"CN=9014" in await asyncio.wait_for(r.readuntil(b"\r\n"), 30)
            await client.publish(topic_of("ecosentry/power", DEVICE),
                                 device_payload(at.astimezone(CST), {"fan-1": {"P": dust_kw(i, off_from)}}), qos=1)
    w.close()


async def test_treatment_off_reaches_the_county_and_the_city_by_email(tmp_path, db_url, monkeypatch):
    if not os.path.exists(MOSQUITTO):
        pytest.fail("mosquitto is not installed (apt-get install -y mosquitto)")
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    with engine.connect() as c:
        uid = dict(c.execute(select(s.users.c.username, s.users.c.id)).all())
    create_subscription(engine, user_id=uid["zjg"], channel="email", address=COUNTY_MAIL, region_code="320582",
                        min_severity="warning")
    create_subscription(engine, user_id=uid["suzhou"], channel="email", address=CITY_MAIL, region_code="320500",
                        min_severity="warning")
    engine.dispose()
    mqtt_auth(db_url, tmp_path)
    broker_port = free_port()
    broker = await start_broker(tmp_path, broker_port)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_PORT", str(smtp.port))
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0,
                  power={"mqtt": {"url": f"mqtt://127.0.0.1:{broker_port}", "password": PLATFORM_PW,
                                  "client_id": f"ecosentry-e2e-{uuid.uuid4().hex[:6]}", "persistent_session": False}})
    svc = Service(st)
    await svc.start(web=False, forward=False)
    try:
        await asyncio.wait_for(svc.parts["power_mqtt"].subscribed.wait(), 30)
        # 12 minutes up to the last complete one (shorter than the offline setting, 15: a pass of the engine while
        # they arrive sees no silence); the dust removal stops at minute 5 while the oven runs
        base = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=12)
        await send_minutes(svc.parts["power_hj212"].port, broker_port, base, 12, off_from=5)
        mails: list = []
        for _ in range(600):   # the engine's pass every 10 s; the dispatcher mails at once
            mails = [m for m in inbox.messages]
            if {str(m["To"]) for m in mails} >= {COUNTY_MAIL, CITY_MAIL}:
                break
            await asyncio.sleep(0.2)
        with svc.engine.connect() as c:
            alarms = c.execute(select(s.alarms).where(s.alarms.c.type.like("ALM-PWR-%"))).mappings().all()
            transports = {t for (t,) in c.execute(select(s.raw_frames.c.transport).distinct())}
        assert [(a["type"], a["state"], a["region_code"]) for a in alarms] == \
            [("ALM-PWR-TREAT-OFF", "active", "320582")]
        assert {"power-hj212-tcp", "power-mqtt"} <= transports     # both paths, archived
        by_to: dict[str, list] = {}
        for m in mails:
            by_to.setdefault(str(m["To"]), []).append(m)
        assert set(by_to) == {COUNTY_MAIL, CITY_MAIL} and all(len(v) == 1 for v in by_to.values())
        body = by_to[COUNTY_MAIL][0].get_body(("plain",)).get_content()
        start = (base + timedelta(minutes=5)).astimezone(CST).strftime("%H:%M")
        assert start in body and "装煤除尘" in body and "1号焦炉" in body   # local time; names, not codes
    finally:
        await svc.stop()
        smtp.stop()
        broker.terminate()
        broker.wait(10)
