"""MQTT ingest of the power devices through a real Mosquitto: the broker runs on the password file and ACL the
platform wrote from ``power_devices`` (its own process on a free port), devices publish with their own
credentials, the platform's subscriber turns each message into one envelope on the spool (issue 15 item 2).
The message reading and the ``$7$`` hash are also tested on their own."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import aiomqtt
import pytest

from ecosentry.metrics import counters
from ecosentry.pipeline.spool import Spool
from ecosentry.subsystems.power.gateways.devices import device_directory
from ecosentry.subsystems.power.gateways.mosquitto_auth import (auth_files, hash_password, verify_password,
                                                                write_broker_auth)
from ecosentry.subsystems.power.gateways.mqtt import PowerMqttPart
from ecosentry.subsystems.power.gateways.mqtt_message import read_message
from ecosentry.subsystems.power.settings import MqttSettings
from power_ingest_kit import MQTT_MN, OTHER_MQTT_MN, power_database, spooled
from netkit import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PREFIX = "ecosentry/power"
SECRETS = {MQTT_MN: "first-device-secret", OTHER_MQTT_MN: "second-device-secret", "PWRMQTTOFF": "off-secret"}
NOW = datetime(2026, 12, 6, 0, 5, tzinfo=timezone.utc)


def message(**over) -> bytes:
    doc = {"time": "2026-12-06T08:01:00+08:00", "meters": {"SB1": {"P": 42.5, "Ia": 61.2, "E": 10234.5, "RS": 1},
                                                            "fan-2": {"P": 0.02, "PF": None}}}
    doc.update(over)
    return json.dumps(doc).encode()


def lookup(mn):
    known = {MQTT_MN: SimpleNamespace(point_id=7, active=True), "OFF": SimpleNamespace(point_id=8, active=False)}
    return known.get(mn)


def read(payload: bytes, topic: str = f"{PREFIX}/{MQTT_MN}/readings"):
    return read_message(topic, payload, prefix=PREFIX, lookup=lookup, received_at=NOW, max_payload=4096,
                        max_readings=50)


# ------------------------------------------------------------------------------------------- the message alone

def test_a_message_is_one_envelope_with_a_reading_per_meter_and_quantity():
    env = read(message())
    assert (env.kind, env.transport, env.status, env.mn, env.point_id) == ("power-readings", "mqtt", "accepted",
                                                                            MQTT_MN, 7)
    minute = datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc)
    assert {(r.factor, r.kind, r.start, r.value) for r in env.readings} == {
        ("SB1-P", "min", minute, 42.5), ("SB1-Ia", "min", minute, 61.2), ("SB1-E", "min", minute, 10234.5),
        ("SB1-RS", "min", minute, 1.0), ("fan-2-P", "min", minute, 0.02), ("fan-2-PF", "min", minute, None)}
    assert env.raw == message()


@pytest.mark.parametrize("payload, status, error", [
    (b"{not json", "rejected", "bad_json"),
    (b"\xff\xfe", "rejected", "bad_json"),
    (b"[1, 2]", "rejected", "bad_json"),
    (b"[" * 3000 + b"]" * 3000, "rejected", "too_large"),
    (message(time="2026-12-06T08:01:00"), "rejected", "bad_time"),
    (message(time="yesterday"), "rejected", "bad_time"),
    (message(kind="hour"), "rejected", "bad_kind"),
    (message(meters={}), "rejected", "bad_meters"),
    (message(meters={"SB1": 5}), "rejected", "bad_meters"),
    (message(meters={"M" * 17: {"P": 1}}), "rejected", "field_too_long"),
    (message(meters={"SB1": {"Q" * 9: 1}}), "rejected", "field_too_long"),
    (message(meters={"SB1": {"P": "42"}}), "rejected", "bad_value"),
    (message(meters={"SB1": {"P": True}}), "rejected", "bad_value"),
    (b'{"time": "2026-12-06T08:01:00+08:00", "meters": {"SB1": {"P": NaN}}}', "rejected", "bad_json"),
    (message(meters={f"M{i}": {"P": 1, "E": 2} for i in range(30)}), "rejected", "too_many_readings"),
    (message(device=OTHER_MQTT_MN), "quarantined", "device_mismatch"),
])
def test_a_bad_message_is_one_envelope_with_its_reason(payload, status, error):
    env = read(payload)
    assert (env.status, env.error, env.readings, env.kind) == (status, error, [], "power-readings")
    assert env.detail and env.raw == payload


def test_topic_and_device_are_checked_before_the_payload_is_believed():
    assert (read(message(), f"{PREFIX}/NOBODY/readings").error, read(message(), f"{PREFIX}/OFF/readings").error) \
        == ("unknown_device", "inactive_device")
    for topic in (f"{PREFIX}/{MQTT_MN}/other", f"{PREFIX}/a/b/readings", f"{PREFIX}/{'X' * 25}/readings",
                  f"else/{MQTT_MN}/readings"):
        env = read(message(), topic)
        assert (env.status, env.error, env.point_id) == ("rejected", "bad_topic", None)


def test_unknown_quantities_are_kept_and_counted():
    env = read(message(meters={"SB1": {"P": 1, "Q": 2, "THD": 3}}))
    assert env.status == "accepted" and [r.factor for r in env.readings] == ["SB1-P"]
    assert env.meta["unknown"] == ["SB1-Q", "SB1-THD"] and env.meta["unknown_count"] == 2


# ------------------------------------------------------------------------------------------- the broker's files

def test_hash_is_mosquittos_pbkdf2_sha512_format(tmp_path):
    h = hash_password("s3cret", salt=b"0123456789ab")
    assert h.startswith("$7$101$MDEyMzQ1Njc4OWFi$") and verify_password("s3cret", h)
    assert not verify_password("s3cret!", h) and h != hash_password("s3cret")
    if shutil.which("mosquitto_passwd"):  # a hash the broker's own tool made verifies here
        pw = tmp_path / "pw"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "dev", "s3cret"], check=True)
        theirs = pw.read_text().strip().split(":", 1)[1]
        assert theirs.startswith("$7$") and verify_password("s3cret", theirs)
        assert not verify_password("other", theirs)


def test_files_give_each_device_its_own_topic_and_leave_out_the_unusable():
    acc = SimpleNamespace
    files = auth_files([acc(mn="A1", secret_hash=hash_password("a"), active=True),
                        acc(mn="B+1", secret_hash=hash_password("b"), active=True),
                        acc(mn="C1", secret_hash=hash_password("c"), active=False),
                        acc(mn="D1", secret_hash="plain", active=True)],
                       platform_user="platform", platform_hash=hash_password("p"), topic_prefix="/ecosentry/power/")
    assert files.devices == 1 and [m for m, _ in files.skipped] == ["B+1", "C1", "D1"]
    assert "user A1\ntopic write ecosentry/power/A1/readings\n" in files.acl_file
    assert "user platform\ntopic read ecosentry/power/+/readings\n" in files.acl_file
    assert [line.split(":")[0] for line in files.password_file.splitlines()[1:]] == ["platform", "A1"]


# ------------------------------------------------------------------------------------------- a real broker

@pytest.fixture
async def broker(tmp_path, db_url):
    """A Mosquitto of this test's own on the files ``write_broker_auth`` wrote from the database."""
    if not shutil.which(MOSQUITTO):
        pytest.fail("mosquitto is not installed (apt-get install -y mosquitto)")
    engine, ids = power_database(db_url, mqtt_hashes={mn: hash_password(pw) for mn, pw in SECRETS.items()})
    mqtt = MqttSettings(url="", password="platform-secret", client_id=f"ecosentry-test-{uuid.uuid4().hex[:8]}")
    files = write_broker_auth(engine, mqtt, tmp_path / "passwd", tmp_path / "acl")
    assert files.devices == 2 and files.skipped == [("PWRMQTTOFF", "inactive")]
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {tmp_path / 'passwd'}\n"
                    f"acl_file {tmp_path / 'acl'}\npersistence false\nuser root\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(500):
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.02)
        yield SimpleNamespace(port=port, engine=engine, ids=ids,
                              mqtt=mqtt.model_copy(update={"url": f"mqtt://127.0.0.1:{port}"}))
    finally:
        proc.terminate()
        proc.wait(10)
        engine.dispose()


@pytest.fixture
async def subscriber(broker, tmp_path):
    part = PowerMqttPart(broker.mqtt, device_directory(broker.engine), Spool(tmp_path / "spool"))
    await part.start()
    await asyncio.wait_for(part.subscribed.wait(), 30)
    yield part
    await part.close()


def device(broker, mn: str, password: str | None = None) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", broker.port, username=mn, password=password or SECRETS[mn],
                          identifier=f"{mn}-{uuid.uuid4().hex[:6]}")


async def spooled_until(spool_dir, n: int) -> list:
    for _ in range(1000):
        envs = spooled(spool_dir)
        if len(envs) >= n:
            return envs
        await asyncio.sleep(0.02)
    return spooled(spool_dir)


async def test_a_device_with_its_password_publishes_and_the_platform_spools_one_envelope(broker, subscriber,
                                                                                         tmp_path):
    async with device(broker, MQTT_MN) as client:
        await client.publish(f"{PREFIX}/{MQTT_MN}/readings", message(), qos=1)
    [env] = await spooled_until(tmp_path / "spool", 1)
    assert (env.kind, env.transport, env.status, env.mn, env.point_id) == \
        ("power-readings", "mqtt", "accepted", MQTT_MN, broker.ids[MQTT_MN])
    assert len(env.readings) == 6 and env.raw == message()


async def test_the_broker_refuses_a_wrong_password_and_an_inactive_device(broker):
    with pytest.raises(aiomqtt.MqttError):
        async with device(broker, MQTT_MN, "not-the-secret"):
            pass
    with pytest.raises(aiomqtt.MqttError):
        async with device(broker, "PWRMQTTOFF"):
            pass


async def test_a_device_cannot_publish_on_another_devices_topic(broker, subscriber, tmp_path):
    async with device(broker, OTHER_MQTT_MN) as client:
        # the broker drops what the ACL denies; what the same client sends after it arrives after it would have
        await client.publish(f"{PREFIX}/{MQTT_MN}/readings", message(device=MQTT_MN), qos=1)
        await client.publish(f"{PREFIX}/{OTHER_MQTT_MN}/readings", message(), qos=1)
    envs = await spooled_until(tmp_path / "spool", 1)
    assert [(e.mn, e.status) for e in envs] == [(OTHER_MQTT_MN, "accepted")]


async def test_malformed_messages_are_spooled_with_their_reason_and_counted_once(broker, subscriber, tmp_path):
    before = counters.get("power.mqtt.rejected.bad_json")
    async with device(broker, MQTT_MN) as client:
        await client.publish(f"{PREFIX}/{MQTT_MN}/readings", b"{\"time\": ", qos=1)
        await client.publish(f"{PREFIX}/{MQTT_MN}/readings", message(time="08:01"), qos=1)
        await client.publish(f"{PREFIX}/{MQTT_MN}/readings", message(), qos=1)
    envs = await spooled_until(tmp_path / "spool", 3)
    assert [(e.status, e.error) for e in envs] == [("rejected", "bad_json"), ("rejected", "bad_time"),
                                                   ("accepted", None)]
    assert all(e.point_id == broker.ids[MQTT_MN] for e in envs)
    assert counters.get("power.mqtt.rejected.bad_json") - before == 1
    assert subscriber.subscribed.is_set()  # still subscribed: a bad message is not an error of the subscriber


# ------------------------------------------------------------------------------------------- in the service

async def test_the_service_runs_both_power_gateways_per_the_settings(broker, tmp_path, db_url):
    from ecosentry.protocols.hj212 import build_frame
    from ecosentry.service import Service
    from ecosentry.settings import Settings

    from power_ingest_kit import LOGGER_MN, LOGGER_PW

    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0, power={"mqtt": broker.mqtt.model_dump()})
    svc = Service(st)
    await svc.start(web=False, alarms=False, forward=False)
    try:
        power_gw, mqtt_part = svc.parts["power_hj212"], svc.parts["power_mqtt"]
        assert power_gw.port not in (0, svc.hj212_port)  # its own port, ephemeral like the core's here
        await asyncio.wait_for(mqtt_part.subscribed.wait(), 30)
        before = counters.get("power.hj212.readings")
        r, w = await asyncio.open_connection("127.0.0.1", power_gw.port)
        w.write(build_frame(qn="20261206080100000", st="31", cn="2051", pw=LOGGER_PW, mn=LOGGER_MN, flag=5,
                            cp=[{"DataTime": "20261206080100"}, {"SB1-P-Avg": "42.5"}, {"SB1-E-Avg": "100"}]))
        assert b"CN=9014" in await asyncio.wait_for(r.readuntil(b"\r\n"), 10)  # on the spool
        w.close()
        assert counters.get("power.hj212.readings") - before == 2
    finally:
        await svc.stop()


async def test_no_power_part_runs_unless_asked():
    from ecosentry.contracts.subsystem import ServiceContext
    from ecosentry.settings import Settings
    from ecosentry.subsystems.power.service import parts

    def names(enabled=("gateway",), **power):
        ctx = ServiceContext(settings=Settings(power=power), engine=None, spool=None, directory=None, dispatcher=None,
                             enabled=frozenset(enabled))
        return [p.name for p in parts(ctx)]

    broker_url = {"url": "mqtt://127.0.0.1:1883"}
    assert names() == ["power_hj212"]  # the loggers' gateway by default, MQTT only with a broker configured
    assert names(mqtt=broker_url) == ["power_hj212", "power_mqtt"]
    assert names(hj212_enabled=False, mqtt=broker_url) == ["power_mqtt"]
    assert names((), mqtt=broker_url) == []  # the service's ingest is off


def test_the_power_loggers_port_sits_beside_the_core_gateways_unless_set():
    from ecosentry.subsystems.power.service import power_port

    assert (power_port(9212, None), power_port(0, None), power_port(9212, 0), power_port(0, 9300)) == \
        (9213, 0, 0, 9300)


def test_what_a_simulated_device_sends_reads_back():
    from datetime import timedelta

    from ecosentry.subsystems.power.gateways.mqtt_message import device_payload, topic_of

    at = datetime(2026, 12, 6, 8, 1, 42, tzinfo=timezone(timedelta(hours=8)))
    env = read(device_payload(at, {"SB1": {"P": 1.5, "Ua": 230}}, kind="rtd", device=MQTT_MN),
               topic_of(PREFIX + "/", MQTT_MN))
    assert {(r.factor, r.kind, r.start, r.value) for r in env.readings} == {
        ("SB1-P", "rtd", datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc), 1.5),
        ("SB1-Ua", "rtd", datetime(2026, 12, 6, 0, 1, tzinfo=timezone.utc), 230.0)}


async def test_on_the_shared_broker_only_the_readings_topics_are_taken(tmp_path, db_url):
    """The plain broker of the machine (127.0.0.1:1883, anonymous): the subscriber takes ``<prefix>/+/readings``
    and nothing else under its prefix (a prefix of this test's own keeps other tests' messages out)."""
    try:
        socket.create_connection(("127.0.0.1", 1883), 2).close()
    except OSError:
        pytest.fail("no MQTT broker at 127.0.0.1:1883 (.ci/run starts one)")
    engine, ids = power_database(db_url)
    prefix = f"test-{uuid.uuid4().hex[:10]}/power"
    st = MqttSettings(url="mqtt://127.0.0.1:1883", username="", topic_prefix=prefix, persistent_session=False,
                      client_id=f"ecosentry-test-{uuid.uuid4().hex[:8]}")
    part = PowerMqttPart(st, device_directory(engine), Spool(tmp_path / "spool"))
    await part.start()
    try:
        await asyncio.wait_for(part.subscribed.wait(), 30)
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"dev-{uuid.uuid4().hex[:8]}") as client:
            await client.publish(f"{prefix}/{MQTT_MN}/status", b"online", qos=1)
            await client.publish(f"{prefix}/{MQTT_MN}/readings/extra", message(), qos=1)
            await client.publish(f"{prefix}/NOBODY/readings", message(), qos=1)
            await client.publish(f"{prefix}/{MQTT_MN}/readings", message(), qos=1)
        envs = await spooled_until(tmp_path / "spool", 2)
        assert [(e.mn, e.status, e.error) for e in envs] == [("NOBODY", "quarantined", "unknown_device"),
                                                             (MQTT_MN, "accepted", None)]
        assert envs[1].point_id == ids[MQTT_MN]
    finally:
        await part.close()
        engine.dispose()


def test_the_commands_set_a_devices_secret_and_write_the_brokers_files(tmp_path, db_url):
    import os
    import sys
    from pathlib import Path

    from sqlalchemy import select

    from ecosentry.subsystems.power.schema import power_devices

    engine, _ = power_database(db_url)
    src = Path(__file__).resolve().parents[3] / "src"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOSENTRY_")}
    env.update(PYTHONPATH=str(src), ECOSENTRY_DATABASE_URL=db_url, ECOSENTRY_DATA_DIR=str(tmp_path / "state"),
               LANGUAGE="en")

    def cli(*args, **extra):
        return subprocess.run([sys.executable, "-m", "ecosentry", "power", *args], capture_output=True, text=True,
                              env={**env, **extra}, timeout=120)

    made = cli("mqtt-secret", MQTT_MN)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    with engine.connect() as c:
        stored = c.execute(select(power_devices.c.mqtt_secret_hash).where(power_devices.c.mn == MQTT_MN)).scalar()
    assert len(secret) >= 20 and verify_password(secret, stored) and secret not in stored
    assert cli("mqtt-secret", "NOSUCHDEVICE").returncode == 2
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    refused = cli("mqtt-auth", "--password-file", str(pw), "--acl-file", str(acl))
    assert refused.returncode == 2 and "ECOSENTRY_POWER__MQTT__PASSWORD" in refused.stderr and not pw.exists()
    done = cli("mqtt-auth", "--password-file", str(pw), "--acl-file", str(acl),
               ECOSENTRY_POWER__MQTT__PASSWORD="platform-secret")
    assert done.returncode == 0, done.stderr
    assert "1 devices written" in done.stderr
    assert f"{MQTT_MN}:{stored}\n" in pw.read_text() and f"topic write ecosentry/power/{MQTT_MN}/readings" in \
        acl.read_text()
    assert oct(pw.stat().st_mode & 0o777) == "0o600"
    engine.dispose()


def test_the_longest_values_let_through_fit_the_columns_they_go_to():
    """What the gateways accept never breaks a column of the sink's tables (refused earlier, with a reason)."""
    from ecosentry.store import schema as s
    from ecosentry.subsystems.power.gateways import mqtt_message as mm
    from ecosentry.subsystems.power.gateways.hj212_map import QUANTITIES
    from ecosentry.subsystems.power.schema import power_devices, power_meters, power_readings

    assert power_devices.c.mn.type.length == mm.MAX_MN
    assert power_meters.c.channel.type.length == mm.MAX_CHANNEL
    assert power_readings.c.quantity.type.length == mm.MAX_QUANTITY >= max(map(len, QUANTITIES))
    assert s.raw_frames.c.peer.type.length >= len("mqtt:") + mm.MAX_MN
    reasons = ("too_large", "bad_topic", "bad_json", "bad_time", "bad_kind", "bad_meters", "field_too_long",
               "bad_value", "too_many_readings", "unknown_device", "inactive_device", "device_mismatch")
    assert max(map(len, reasons)) <= s.raw_frames.c.error.type.length
    assert all(f"``{r}``" in mm.__doc__ for r in reasons)


async def test_a_taken_power_loggers_port_stops_the_service_with_the_port_named(tmp_path, db_url):
    from ecosentry.contracts.subsystem import PortInUse
    from ecosentry.service import Service
    from ecosentry.settings import Settings
    from ecosentry.terminal.messages import port_in_use_message

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    try:
        st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                      http_host="127.0.0.1", http_port=0, power={"hj212_port": taken})
        with pytest.raises(PortInUse) as caught:
            await Service(st).start(web=False, alarms=False, forward=False)
        assert (caught.value.what, caught.value.port) == ("hj212", taken)
        assert str(taken) in port_in_use_message(caught.value, {"hj212": "--hj212-port"}, "en")
    finally:
        holder.close()
