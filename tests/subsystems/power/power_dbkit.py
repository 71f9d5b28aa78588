"""A migrated database (SQLite and PostgreSQL) with one metered enterprise, for the engine and threshold tests:
production unit ``P1`` (meter ``SB1``), its treatment ``T1`` (meter ``SB2``, serves P1), thresholds set by a
person (on 10 kW, off 5 kW, dwell 3); readings written minute by minute with :func:`write_minutes`."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from pgdb import make_pg_database

from ecosentry.auth.deps import hash_api_key
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.db import make_engine
from ecosentry.subsystems.power.schema import (power_devices, power_equipment, power_linkage, power_meters,
                                               power_readings, power_thresholds)

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
#: Accounts of the page tests: a city regulator, the metered enterprise, another enterprise; their API keys.
USERS = {"linfen": {"role": "regulator", "region_code": "141000"}, "plant": {"role": "enterprise", "enterprise_id": 1},
         "other": {"role": "enterprise", "enterprise_id": 2}}
KEYS = {name: f"es_{name:_<9}power_test_key_0000000" for name in USERS}
WRITTEN = ("power_findings", "power_readings", "alarm_deliveries", "alarm_events", "alarms", "audit_log")


#: The thresholds both meters have from the registry (version 1).
REGISTRY_THRESHOLDS = [{"meter_id": m, "version": 1, "on_kw": 10, "off_kw": 5, "dwell": 3, "source": "registry",
                        "valid_from": T0 - timedelta(days=30), "set_by": "import", "set_at": T0 - timedelta(days=30)}
                       for m in (1, 2)]


def build(url: str) -> None:
    eng = prepare_database(url)
    with eng.begin() as c:
        c.execute(insert(s.regions), [{"code": "140000", "name": "山西省", "level": "province"},
                                      {"code": "141000", "name": "临汾市", "parent_code": "140000", "level": "city"}])
        c.execute(insert(s.enterprises).values(id=1, credit_code="91141000MA0EXAMPL1", name="临汾焦化",
                                               region_code="141000"))
        c.execute(insert(s.enterprises).values(id=2, credit_code="91141000MA0EXAMPL2", name="别家",
                                               region_code="141000"))
        for name, u in USERS.items():
            uid = c.execute(insert(s.users).values(username=name, **u).returning(s.users.c.id)).scalar_one()
            c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=KEYS[name][:12],
                                                key_hash=hash_api_key(KEYS[name]), created_at=T0))
        c.execute(insert(power_devices).values(id=1, enterprise_id=1, mn="PWR0001", transport="hj212",
                                               tz="Asia/Shanghai"))
        c.execute(insert(power_meters), [
            {"id": 1, "enterprise_id": 1, "code": "SB1", "device_id": 1, "channel": "SB1", "rated_kw": 200},
            {"id": 2, "enterprise_id": 1, "code": "SB2", "device_id": 1, "channel": "SB2", "rated_kw": 50}])
        c.execute(insert(power_equipment), [
            {"id": 1, "enterprise_id": 1, "code": "P1", "name": "焦炉", "role": "production", "meter_id": 1,
             "rated_kw": 200, "normal_kw": 150},
            {"id": 2, "enterprise_id": 1, "code": "T1", "name": "除尘", "role": "treatment", "kind": "dust_removal",
             "meter_id": 2, "rated_kw": 50, "normal_kw": 40}])
        c.execute(insert(power_linkage).values(treatment_id=2, production_id=1, grace_minutes=5))
        c.execute(insert(power_thresholds), REGISTRY_THRESHOLDS)
    eng.dispose()


@pytest.fixture(scope="session")
def _power_sqlite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("power-engine") / "template.sqlite"
    build(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _power_pg(pg_server):
    url, drop = make_pg_database(pg_server)
    build(url)
    yield url
    drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def power_db(request, tmp_path):
    """An engine on a fresh copy of the metered database."""
    if request.param == "sqlite":
        path = tmp_path / "power.sqlite"
        shutil.copyfile(request.getfixturevalue("_power_sqlite"), path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("_power_pg")
        raw = create_engine(url)
        with raw.begin() as c:
            c.exec_driver_sql(f"TRUNCATE {', '.join(WRITTEN)} RESTART IDENTITY CASCADE")
            c.exec_driver_sql("DELETE FROM power_thresholds")
            c.execute(insert(power_thresholds), REGISTRY_THRESHOLDS)
            c.exec_driver_sql("UPDATE power_equipment SET code = CASE id WHEN 1 THEN 'P1' ELSE 'T1' END")
        raw.dispose()
        eng = make_engine(url)
    yield eng
    eng.dispose()


def write_minutes(eng, start_minute: int, production: list[float], treatment: list[float], t0: datetime = T0) -> None:
    """Power readings of P1 (SB1) and T1 (SB2) from minute ``start_minute`` after T0, one a minute; each
    received at the end of its minute. ``None`` = no reading."""
    rows = []
    for meter, values in ((1, production), (2, treatment)):
        for i, v in enumerate(values):
            if v is None:
                continue
            at = t0 + timedelta(minutes=start_minute + i)
            rows.append({"meter_id": meter, "quantity": "P", "at": at, "value": v,
                         "received_at": at + timedelta(minutes=1)})
    with eng.begin() as c:
        c.execute(insert(power_readings), rows)
