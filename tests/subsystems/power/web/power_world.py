"""The world of the electricity page tests: the working-page world (two counties of one city, accounts of
every role, ``tests/web/work_world.py``) plus, for each of its two enterprises, power rows written directly
into the subsystem's tables (a logger, meters, a line, production and treatment equipment, their linkage, a
threshold version, a day of minute readings and findings), as the ingest and the rules would leave them.

Enterprise A (吴中区): coke oven ``oven1`` (200 kW while running, 06:00–22:00 local yesterday) served by the
dust collector ``dust1`` (off 13:00–13:40 while the oven ran: a closed PWR-TREAT-OFF; no readings
18:00–18:20), a total meter; today both run for the last hour and an open PWR-METER-OFFLINE stands.
Enterprise B (相城区): one production unit, no findings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "web"))

from work_world import World, start  # noqa: E402

from ecosentry.subsystems.power.schema import (power_devices, power_equipment, power_findings,  # noqa: E402
                                               power_linkage, power_lines, power_meters, power_readings,
                                               power_thresholds)

TZ = ZoneInfo("Asia/Shanghai")
ENT_A = "91320506MA1TEST001"
ENT_B = "91320507MA1TEST002"
TREAT_OFF = "Treatment %(treatment)s was off for %(minutes)s minutes from %(start)s while %(production)s ran."


@dataclass
class PowerWorld:
    world: World
    ent_a: int
    ent_b: int
    yesterday: date
    eq: dict
    meters: dict


def _minutes(day: date, a: time, b: time) -> range:
    return range(a.hour * 60 + a.minute, b.hour * 60 + b.minute)


def seed(w: World) -> PowerWorld:
    now = datetime.now(timezone.utc)
    today = now.astimezone(TZ).date()
    yesterday = today - timedelta(days=1)
    a, b = w.enterprises[ENT_A], w.enterprises[ENT_B]
    eq, meters = {}, {}
    with w.engine.begin() as c:
        dev = c.execute(insert(power_devices).values(enterprise_id=a, mn="PWRTEST0000000000000A01", password="123456",
                                                     transport="hj212", tz="Asia/Shanghai", active=True)
                        ).inserted_primary_key[0]
        line = c.execute(insert(power_lines).values(enterprise_id=a, code="L1", name="1号焦炉生产线")
                         ).inserted_primary_key[0]
        for code, ch, rated in (("SB001", "SB1", 250.0), ("SB002", "SB2", 90.0), ("SB000", "SB0", 400.0)):
            meters[code] = c.execute(insert(power_meters).values(enterprise_id=a, code=code, device_id=dev, channel=ch,
                                                                 ct_ratio=40.0, phases=3, rated_kw=rated)
                                     ).inserted_primary_key[0]
        for code, name, role, kind, meter, rated, normal in (
                ("oven1", "1号焦炉", "production", None, "SB001", 250.0, 200.0),
                ("dust1", "1号除尘器", "treatment", "dust_removal", "SB002", 90.0, 75.0),
                ("total", "总表", "total", None, "SB000", 400.0, None)):
            eq[code] = c.execute(insert(power_equipment).values(
                enterprise_id=a, code=code, name=name, role=role, kind=kind, line_id=line if role == "production"
                else None, meter_id=meters[meter], rated_kw=rated, normal_kw=normal, safety_load=False)
            ).inserted_primary_key[0]
        c.execute(insert(power_linkage).values(treatment_id=eq["dust1"], production_id=eq["oven1"], grace_minutes=5))
        c.execute(insert(power_thresholds).values(meter_id=meters["SB001"], version=1, on_kw=30.0, off_kw=15.0, dwell=3,
                                                  source="set", valid_from=datetime(2020, 1, 1, tzinfo=timezone.utc),
                                                  set_by="admin", set_at=datetime(2020, 1, 1, tzinfo=timezone.utc)))
        # enterprise B: one unit
        mb = c.execute(insert(power_meters).values(enterprise_id=b, code="SB001", ct_ratio=1.0, phases=3, rated_kw=50.0)
                       ).inserted_primary_key[0]
        c.execute(insert(power_equipment).values(enterprise_id=b, code="kiln", name="回转窑", role="production",
                                                 meter_id=mb, rated_kw=50.0, safety_load=False))
        rows = []
        t0 = datetime.combine(yesterday, time(0), TZ).astimezone(timezone.utc)
        for i in range(1440):
            at = t0 + timedelta(minutes=i)
            oven_on = 360 <= i < 1320
            dust_on = oven_on and not (780 <= i < 820)
            rows.append({"meter_id": meters["SB001"], "quantity": "P", "at": at, "value": 200.0 if oven_on else 2.0,
                         "received_at": at})
            if not (1080 <= i < 1100):
                rows.append({"meter_id": meters["SB002"], "quantity": "P", "at": at, "value": 75.0 if dust_on else 0.5,
                             "received_at": at})
            rows.append({"meter_id": meters["SB000"], "quantity": "P", "at": at,
                         "value": 20.0 + (200.0 if oven_on else 0) + (75.0 if dust_on else 0), "received_at": at})
            rows.append({"meter_id": mb, "quantity": "P", "at": at, "value": 40.0, "received_at": at})
        last = now.replace(second=0, microsecond=0)
        for k in range(1, 61):
            at = last - timedelta(minutes=k)
            if at < datetime.combine(yesterday + timedelta(days=1), time(0), TZ).astimezone(timezone.utc):
                break
            rows += [{"meter_id": meters["SB001"], "quantity": "P", "at": at, "value": 190.0, "received_at": at},
                     {"meter_id": meters["SB002"], "quantity": "P", "at": at, "value": 70.0, "received_at": at}]
        c.execute(insert(power_readings), rows)
        off_start = datetime.combine(yesterday, time(13, 0), TZ)
        c.execute(insert(power_findings).values(
            enterprise_id=a, code="PWR-TREAT-OFF", severity="critical", key="dust1,oven1",
            start_at=off_start.astimezone(timezone.utc), end_at=(off_start + timedelta(minutes=40)).astimezone(timezone.utc),
            detected_at=(off_start + timedelta(minutes=4)).astimezone(timezone.utc),
            params={"msgid": TREAT_OFF, "treatment": "dust1", "production": "oven1", "minutes": 40,
                    "start": off_start.strftime("%Y-%m-%d %H:%M"), "grace": 5},
            evidence={"minutes": 40}, updated_at=now))
        c.execute(insert(power_findings).values(
            enterprise_id=a, code="PWR-METER-OFFLINE", severity="warning", key="total",
            start_at=now - timedelta(minutes=50), end_at=None, detected_at=now - timedelta(minutes=35),
            params={"equipment": "total", "minutes": 50, "start": "x"}, evidence={}, updated_at=now))
    return PowerWorld(w, a, b, yesterday, eq, meters)


def start_power(db_url: str, tmp_path):
    client, w = start(db_url, tmp_path)
    return client, seed(w)
