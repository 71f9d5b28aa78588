"""What the power ingest tests share: a database with an enterprise and its power devices, and the spool's
envelopes read back."""

from __future__ import annotations

from sqlalchemy import insert

from ecosentry.contracts.envelope import Envelope
from ecosentry.pipeline.spool import SpoolReader
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.power.schema import power_devices

LOGGER_MN = "PWRLOG0000000000000001"
LOGGER_PW = "654321"
MQTT_MN = "PWRMQTT01"
OTHER_MQTT_MN = "PWRMQTT02"


def power_database(db_url: str, *, mqtt_hashes: dict[str, str] | None = None):
    """The migrated database with one enterprise, an HJ 212 power logger and two MQTT devices; returns
    (engine, {mn: device id})."""
    engine = prepare_database(db_url)
    hashes = mqtt_hashes or {}
    with engine.begin() as c:
        c.execute(insert(s.regions).values(code="140000", name="山西省", level="province"))
        c.execute(insert(s.regions).values(code="141000", name="临汾市", level="city", parent_code="140000"))
        ent = c.execute(insert(s.enterprises).values(credit_code="91141000MA0PWR0001", name="临汾测试焦化有限公司",
                                                     region_code="141000")).inserted_primary_key[0]
        ids = {}
        for mn, pw, transport in ((LOGGER_MN, LOGGER_PW, "hj212"), (MQTT_MN, None, "mqtt"),
                                  (OTHER_MQTT_MN, None, "mqtt"), ("PWRMQTTOFF", None, "mqtt")):
            ids[mn] = c.execute(insert(power_devices).values(
                enterprise_id=ent, mn=mn, password=pw, mqtt_secret_hash=hashes.get(mn), transport=transport,
                tz="Asia/Shanghai", active=mn != "PWRMQTTOFF")).inserted_primary_key[0]
    return engine, ids


def spooled(spool_dir) -> list[Envelope]:
    """Every envelope on the spool, in order."""
    return [Envelope.decode(r.payload) for r in SpoolReader(spool_dir).read_batch(10_000)]
