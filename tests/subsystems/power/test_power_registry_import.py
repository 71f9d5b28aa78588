"""The fleet file's ``power:`` key through ``ecosentry registry import`` (the core's import calling the power
subsystem's ``registry_import``): good, idempotent, every error with its place, on SQLite and PostgreSQL
(issue 15 item 1)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecosentry.fleet import RegistryError as FleetError
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.credentials import mosquitto_hash, mosquitto_verify
from ecosentry.subsystems.power.registry import RegistryError
from ecosentry.subsystems.power.store.registry import parse_power
from netkit import free_port
from powerkit import CEMENT, COKING, LOGGER, MQTT_DEVICE, MQTT_PASSWORD, fleet

LOCALE = Path(__file__).resolve().parents[3] / "src/ecosentry/subsystems/power/locale"


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    yield eng
    eng.dispose()


def snapshot(engine) -> dict:
    """Every power registry row (without the times a re-import may not touch anyway)."""
    out = {}
    with engine.connect() as conn:
        for t in (ps.power_devices, ps.power_lines, ps.power_meters, ps.power_equipment, ps.power_linkage,
                  ps.power_measures, ps.power_thresholds):
            out[t.name] = sorted(tuple(r) for r in conn.execute(select(t)))
        out["audit"] = conn.scalar(select(func.count()).select_from(s.audit_log))
    return out


def test_a_fleet_with_power_is_stored(engine):
    summary = import_fleet(engine, fleet())
    assert summary.subsystems == {"power_devices": 2, "power_enterprises": 2, "power_lines": 1, "power_meters": 5,
                                  "power_equipment": 5, "power_linkage": 2, "power_measures": 2,
                                  "power_thresholds": 1}
    d, m, e, lk, ms, th = (ps.power_devices, ps.power_meters, ps.power_equipment, ps.power_linkage,
                           ps.power_measures, ps.power_thresholds)
    with engine.connect() as conn:
        ents = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
        devices = {r.mn: r for r in conn.execute(select(d))}
        meters = {r.code: r for r in conn.execute(select(m))}
        equipment = {r.code: r for r in conn.execute(select(e))}
        links = conn.execute(select(lk)).all()
        measures = conn.execute(select(ms.c.level, ms.c.equipment_id, ms.c.measure, ms.c.limit_pct)
                                .order_by(ms.c.level)).all()
        thresholds = conn.execute(select(th)).all()
    logger, mqtt = devices[LOGGER], devices[MQTT_DEVICE]
    assert (logger.enterprise_id, logger.transport, logger.password, logger.mqtt_secret_hash) == (
        ents[COKING], "hj212", "123456", None)
    # the MQTT password is kept only as Mosquitto's hash
    assert mqtt.enterprise_id == ents[CEMENT] and mqtt.password is None and mqtt.transport == "mqtt"
    assert mqtt.mqtt_secret_hash.startswith("$7$") and MQTT_PASSWORD not in mqtt.mqtt_secret_hash
    assert mosquitto_verify(MQTT_PASSWORD, mqtt.mqtt_secret_hash)
    assert (meters["SB001"].device_id, meters["SB001"].channel, meters["SB001"].ct_ratio, meters["SB001"].meter_no) \
        == (logger.id, "SB1", 40.0, "2023-0001")
    assert meters["M1"].device_id == mqtt.id and meters["M1"].channel == "kiln-main"
    assert equipment["oven1"].name == "Coke oven 1" and equipment["oven1"].line_id is not None
    assert equipment["dust1"].name == "dust1" and equipment["dust1"].kind == "dust_removal"
    assert equipment["lights"].safety_load and not equipment["oven1"].safety_load
    assert sorted((r.treatment_id, r.production_id, r.grace_minutes) for r in links) == sorted([
        (equipment["dust1"].id, equipment["oven1"].id, 5), (equipment["bag"].id, equipment["kiln"].id, None)])
    assert [tuple(r) for r in measures] == [("orange", equipment["oven1"].id, "limit", 50.0),
                                            ("red", equipment["oven1"].id, "stop", None)]
    [t] = thresholds
    assert (t.meter_id, t.version, t.on_kw, t.off_kw, t.dwell, t.source) == (meters["SB002"].id, 1, 12, 6, 3,
                                                                             "registry")


def test_a_reimport_changes_nothing(engine):
    import_fleet(engine, fleet())
    before = snapshot(engine)
    summary = import_fleet(engine, fleet())
    assert "power_thresholds" not in summary.subsystems and summary.subsystems["power_meters"] == 5
    assert snapshot(engine) == before  # same hash (the password verified), no new threshold version, no audit


def test_a_changed_file_updates_and_replaces_the_lists(engine):
    import_fleet(engine, fleet())
    changed = fleet()
    coking = changed["power"]["enterprises"][0]
    coking["meters"][1]["thresholds"] = {"on": 15, "off": 7}
    # the two channels swap meters; the treatment's grace changes; the red stop goes, a yellow limit comes
    coking["meters"][0]["channel"], coking["meters"][1]["channel"] = "SB2", "SB1"
    coking["equipment"][1]["grace_minutes"] = 8
    # and the production and treatment units swap meters (each unique per equipment)
    coking["equipment"][0]["meter"], coking["equipment"][1]["meter"] = "SB002", "SB001"
    coking["measures"] = [{"level": "yellow", "equipment": "oven1", "measure": "limit", "limit_pct": 80},
                          {"level": "orange", "equipment": "oven1", "measure": "limit", "limit_pct": 50}]
    # the cement meters are dropped from the file: kept in the database
    changed["power"]["enterprises"] = [coking]
    changed["power"]["devices"][1]["password"] = "a new secret"
    with engine.connect() as conn:
        old_hash = conn.scalar(select(ps.power_devices.c.mqtt_secret_hash)
                               .where(ps.power_devices.c.mn == MQTT_DEVICE))
    summary = import_fleet(engine, changed, actor="tester")
    assert summary.subsystems["power_thresholds"] == 1
    m, th, ms = ps.power_meters, ps.power_thresholds, ps.power_measures
    with engine.connect() as conn:
        channels = dict(conn.execute(select(m.c.code, m.c.channel)).all())
        versions = conn.execute(select(th.c.version, th.c.on_kw, th.c.off_kw, th.c.set_by).order_by(th.c.version)
                                ).all()
        levels = conn.execute(select(ms.c.level, ms.c.limit_pct, ms.c.updated_by).order_by(ms.c.level)).all()
        grace = conn.scalar(select(ps.power_linkage.c.grace_minutes).join(
            ps.power_equipment, ps.power_equipment.c.id == ps.power_linkage.c.treatment_id)
            .where(ps.power_equipment.c.code == "dust1"))
        new_hash = conn.scalar(select(ps.power_devices.c.mqtt_secret_hash)
                               .where(ps.power_devices.c.mn == MQTT_DEVICE))
        audit_rows = conn.execute(select(s.audit_log.c.entity, s.audit_log.c.actor)
                                  .where(s.audit_log.c.entity == "power_threshold")).all()
    assert channels == {"SB001": "SB2", "SB002": "SB1", "SB003": "SB3", "M1": "kiln-main", "M2": "bagfilter"}
    with engine.connect() as conn:
        on = dict(conn.execute(select(ps.power_equipment.c.code, m.c.code)
                               .join_from(ps.power_equipment, m, m.c.id == ps.power_equipment.c.meter_id)).all())
    assert on == {"oven1": "SB002", "dust1": "SB001", "lights": "SB003", "kiln": "M1", "bag": "M2"}
    assert [tuple(v) for v in versions] == [(1, 12, 6, "fleet-import"), (2, 15, 7, "tester")]
    assert [tuple(r) for r in levels] == [("orange", 50, "fleet-import"), ("yellow", 80, "tester")]
    assert grace == 8
    assert new_hash != old_hash and mosquitto_verify("a new secret", new_hash)
    assert ("power_threshold", "tester") in [tuple(r) for r in audit_rows]


def test_the_enterprise_settings_are_imported_audited_and_kept_when_the_file_omits_them(engine):
    f = fleet()
    _coking(f).update(unmetered_kw=8, schedule="continuous")
    import_fleet(engine, f)
    with engine.connect() as conn:
        ents = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
        [row] = conn.execute(select(ps.power_enterprises)).mappings().all()
        [log] = conn.execute(select(s.audit_log).where(s.audit_log.c.entity == "power_enterprise")).mappings().all()
    assert (row["enterprise_id"], row["unmetered_kw"], row["schedule"]) == (ents[COKING], 8.0, "continuous")
    assert log["action"] == "create" and log["after"]["unmetered_kw"] == 8.0
    import_fleet(engine, f)  # the same again: nothing written, no audit row
    import_fleet(engine, fleet())  # a file without the keys keeps what is stored
    with engine.connect() as conn:
        assert conn.execute(select(ps.power_enterprises.c.unmetered_kw, ps.power_enterprises.c.schedule)).all() \
            == [(8.0, "continuous")]
        assert conn.scalar(select(func.count()).select_from(s.audit_log)
                           .where(s.audit_log.c.entity == "power_enterprise")) == 1
    _coking(f).update(unmetered_kw=12.5)
    import_fleet(engine, f)
    with engine.connect() as conn:
        assert conn.scalar(select(ps.power_enterprises.c.unmetered_kw)) == 12.5


def test_a_fleet_without_power_touches_nothing(engine):
    f = fleet()
    del f["power"]
    assert import_fleet(engine, f).subsystems == {}


def _coking(f: dict) -> dict:
    return f["power"]["enterprises"][0]


CASES = [
    # (change, words of the English sentence)
    (lambda f: _coking(f)["equipment"][0].update(role="producer"),
     f"Electricity monitoring: enterprise {COKING}, equipment oven1, role: must be production, treatment or total, not 'producer'"),
    (lambda f: _coking(f)["equipment"][1].update(serves=["oven9"]),
     f"Electricity monitoring: enterprise {COKING}, equipment dust1, serves: 'oven9' is not equipment of enterprise '{COKING}'"),
    (lambda f: _coking(f)["meters"][1].update(thresholds={"on": 5, "off": 6}),
     f"Electricity monitoring: enterprise {COKING}, meter SB002, thresholds.off: 6 is above the on threshold 5"),
    (lambda f: _coking(f)["meters"].append({"id": "SB001", "device": LOGGER, "channel": "SB9"}),
     f"Electricity monitoring: enterprise {COKING}, meters: meter 'SB001' is listed twice"),
    (lambda f: _coking(f)["meters"][2].update(channel="SB1"),
     f"Electricity monitoring: enterprise {COKING}, channel: channel 'SB1' of device '{LOGGER}' is already meter 'SB001'"),
    (lambda f: _coking(f)["meters"][0].update(channel="SB" + "1" * 20),
     f"Electricity monitoring: enterprise {COKING}, meter SB001, channel: 22 characters, at most 16"),
    (lambda f: _coking(f)["meters"][0].update(device="NO-SUCH-DEVICE"),
     f"Electricity monitoring: enterprise {COKING}, meter SB001, device: 'NO-SUCH-DEVICE' is neither a device of the file"),
    (lambda f: _coking(f)["meters"][0].pop("channel"),
     f"Electricity monitoring: enterprise {COKING}, meter SB001, channel: missing (how device '{LOGGER}' names this meter"),
    (lambda f: _coking(f)["equipment"][2].update(meter="SB001"),
     f"Electricity monitoring: enterprise {COKING}, equipment lights, meter: 'SB001' already measures 'oven1'"),
    (lambda f: _coking(f)["measures"].append({"level": "red", "equipment": "lights", "measure": "stop"}),
     f"Electricity monitoring: enterprise {COKING}, measure red/lights, equipment: 'lights' is a declared safety load"),
    (lambda f: _coking(f)["measures"].append({"level": "purple", "equipment": "oven1", "measure": "stop"}),
     f"Electricity monitoring: enterprise {COKING}, measure purple/oven1, level: must be one of yellow, orange, red, not 'purple'"),
    (lambda f: _coking(f)["measures"][0].pop("limit_pct"),
     f"Electricity monitoring: enterprise {COKING}, measure orange/oven1, limit_pct: missing (a limit needs the share"),
    (lambda f: _coking(f)["measures"].append({"level": "red", "equipment": "oven1", "measure": "limit",
                                              "limit_pct": 30}),
     f"Electricity monitoring: enterprise {COKING}, measure red/oven1, level: 'oven1' has two measures at level red"),
    (lambda f: _coking(f).update(credit_code="91000000NOTHERE000"),
     "Electricity monitoring: enterprise 91000000NOTHERE000, credit_code: no enterprise with this credit code"),
    (lambda f: _coking(f).update(unmetered_kw=-8),
     f"Electricity monitoring: enterprise {COKING}, unmetered_kw: must be at least 0"),
    (lambda f: _coking(f).update(schedule="weekends"),
     f"Electricity monitoring: enterprise {COKING}, schedule: must be one of day, continuous, three_shift, night, not 'weekends'"),
    (lambda f: _coking(f).update(tz="Asia/Shanghai"),
     f"Electricity monitoring: enterprise {COKING}, tz: unknown key (known: credit_code, unmetered_kw, schedule, lines"),
    (lambda f: f["power"]["devices"][0].update(transport="lora"),
     f"Electricity monitoring: device {LOGGER}, transport: must be one of hj212, mqtt, csv, not 'lora'"),
    (lambda f: f["power"]["devices"][0].pop("password"),
     f"Electricity monitoring: device {LOGGER}, password: missing"),
    (lambda f: f["power"]["devices"].append({"mn": "X" * 30, "password": "1"}),
     f"Electricity monitoring: device {'X' * 30}, mn: 30 characters, at most 24"),
    (lambda f: f["power"]["devices"].append({"mn": LOGGER, "password": "1"}),
     f"Electricity monitoring: device {LOGGER}, mn: device '{LOGGER}' is listed twice"),
    (lambda f: f["power"]["devices"].append({"mn": "LONELY", "password": "1"}),
     "Electricity monitoring: device LONELY, enterprise: missing (no meter names this device"),
    (lambda f: f["power"]["enterprises"][1]["meters"][0].update(device=LOGGER, channel="SB7"),
     f"Electricity monitoring: device {LOGGER}, enterprise: meters of several enterprises name this device"),
    (lambda f: f["power"].update(enterprises={"credit_code": COKING}),
     "Electricity monitoring: enterprises: must be a list of mappings"),
    (lambda f: _coking(f)["equipment"][0].update(rated_kw=float("nan")),
     f"Electricity monitoring: enterprise {COKING}, equipment oven1, rated_kw: nan is not a finite number"),
    (lambda f: _coking(f)["equipment"][1].update(grace_minutes=10**12),
     f"Electricity monitoring: enterprise {COKING}, equipment dust1, grace_minutes: must be at most 1440"),
]


@pytest.mark.parametrize("change, words", CASES, ids=[w.split(": ", 2)[1][:60] for _, w in CASES])
def test_each_error_names_its_place_and_nothing_is_stored(engine, change, words):
    f = fleet()
    change(f)
    with pytest.raises(FleetError) as err:
        import_fleet(engine, f)
    assert str(err.value).startswith(words), str(err.value)
    with engine.connect() as conn:  # the whole import refused: not even the core's rows
        assert conn.scalar(select(func.count()).select_from(s.enterprises)) == 0
        assert conn.scalar(select(func.count()).select_from(ps.power_devices)) == 0


def test_a_device_of_another_enterprise_in_the_database(engine):
    import_fleet(engine, fleet())
    f = fleet()
    del f["power"]["devices"]
    f["power"]["enterprises"] = [{"credit_code": CEMENT, "meters": [
        {"id": "M9", "device": LOGGER, "channel": "SB9"}], "equipment": []}]
    with pytest.raises(FleetError, match=f"enterprise {CEMENT}, meter M9, device: device '{LOGGER}' belongs to "
                                         "another enterprise"):
        import_fleet(engine, f)


@pytest.mark.parametrize("lang, words", [("zh", "设备 oven1"), ("vi", "thiết bị oven1")])
def test_an_error_is_said_in_the_readers_language(lang, words):
    f = fleet()
    _coking(f)["equipment"][0]["role"] = "producer"
    with pytest.raises(RegistryError) as err:
        parse_power(f["power"])
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    said = err.value.say(lambda m: catalog.get(m).string if catalog.get(m) and catalog.get(m).string else m)
    assert words in said and "'producer'" in said
    assert "must be production" not in said  # the problem too, not only the place


def test_a_registry_file_error_is_said_with_its_line():
    from ecosentry.subsystems.power.registry import load_yaml

    text = "enterprises:\n  - id: E1\n    meters: [{id: M1}]\n    equipment:\n      - {id: a, role: boss, meter: M1}\n"
    with pytest.raises(RegistryError) as err:
        load_yaml(text, "plant.yaml")
    assert str(err.value) == "plant.yaml line 5, role: must be production, treatment or total, not 'boss'"
    with open(LOCALE / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    assert err.value.say(lambda m: catalog.get(m).string) == (
        "plant.yaml 第 5 行, role: 须为 production（生产）、treatment（治污）或 total（总表），而非 'boss'")


def test_the_yaml_fleet_through_the_command(db_url, tmp_path, monkeypatch):
    """``ecosentry registry import`` with a YAML file that has a ``power:`` key prints the power counts."""
    from ecosentry.cli import app
    from ecosentry.settings import get_settings

    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet(), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", db_url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["registry", "import", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "power_meters 5" in result.output and "power_devices 2" in result.output


def test_the_hash_is_mosquittos_own_format(tmp_path):
    """A hash of ``mosquitto_passwd`` verifies with ours, and ours has its shape (the broker reads the same file)."""
    pw = tmp_path / "passwd"
    try:
        subprocess.run(["mosquitto_passwd", "-c", "-b", str(pw), "dev1", "s3cret"], check=True, capture_output=True)
    except FileNotFoundError:
        pytest.skip("mosquitto_passwd not installed")
    theirs = pw.read_text().strip().split(":", 1)[1]
    assert mosquitto_verify("s3cret", theirs) and not mosquitto_verify("other", theirs)
    ours = mosquitto_hash("s3cret", salt=b"0123456789ab")
    _, seven, rounds, salt, key = ours.split("$")
    assert seven == "7" and int(rounds) >= 101 and base64.b64decode(salt) == b"0123456789ab"
    assert base64.b64decode(key) == hashlib.pbkdf2_hmac("sha512", b"s3cret", b"0123456789ab", int(rounds))
    assert len(ours) <= ps.power_devices.c.mqtt_secret_hash.type.length


def _connects(port: int, user: str, password: str) -> int:
    """The broker's CONNACK reason code for these credentials (0: accepted)."""
    import threading

    import paho.mqtt.client as mqtt

    got: list[int] = []
    done = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
    client.username_pw_set(user, password)
    client.on_connect = lambda c, u, flags, rc, props=None: (got.append(rc.value), done.set())
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        done.wait(10)
    finally:
        client.loop_stop()
        client.disconnect()
    return got[0] if got else -1


@pytest.mark.slow
def test_a_real_broker_accepts_the_stored_hash(tmp_path):
    """A Mosquitto broker whose password file is written from ``mqtt_secret_hash`` lets the device in with its
    password and keeps a wrong one out."""
    import getpass
    import shutil
    import time

    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto not installed")
    engine = prepare_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    import_fleet(engine, fleet())
    with engine.connect() as conn:
        hashed = conn.scalar(select(ps.power_devices.c.mqtt_secret_hash).where(ps.power_devices.c.mn == MQTT_DEVICE))
    engine.dispose()
    (tmp_path / "passwd").write_text(f"{MQTT_DEVICE}:{hashed}\n")
    port = free_port()
    # run as the test's user: a broker started by root would switch to "mosquitto", who cannot read tmp_path
    (tmp_path / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\n"
                                             f"password_file {tmp_path / 'passwd'}\nuser {getpass.getuser()}\n")
    broker = subprocess.Popen(["mosquitto", "-c", str(tmp_path / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        import socket

        for _ in range(100):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        assert _connects(port, MQTT_DEVICE, MQTT_PASSWORD) == 0
        assert _connects(port, MQTT_DEVICE, "wrong") != 0
    finally:
        broker.terminate()
        broker.wait(10)


def test_the_fleet_says_the_subsystems_error_in_the_readers_language(engine):
    """The fleet import wraps the subsystem's error with the subsystem's name; both are said in the reader's
    language (the merged catalogues of the core and the installed subsystems)."""
    from ecosentry.locale import translations

    f = fleet()
    _coking(f)["equipment"][0]["role"] = "producer"
    with pytest.raises(FleetError) as err:
        import_fleet(engine, f)
    zh = err.value.say(translations("zh").gettext)
    assert zh.startswith("用电监控：") and "设备 oven1" in zh and "must be" not in zh, zh
    vi = err.value.say(translations("vi").gettext)
    assert "thiết bị oven1" in vi and "must be" not in vi, vi
