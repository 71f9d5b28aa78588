"""A constructed heavy-pollution alert scenario in the database (shared by the compliance, report and page
tests): a city (潍坊市) with two counties, four enterprises with emission-reduction lists and one outside.

Local day D = 2026-01-20 (Asia/Shanghai). Alert 1: 潍坊市 yellow, D 00:00–24:00; alert 2: 奎文区 orange
D 12:00–18:00 (overlaps 1); alert 3: another city, red. Readings: ``BASELINE_DAYS`` normal days before D, then D.

* A 奎文 steel (3110): kiln limit 50 % from yellow (runs at 45 %: complies); mill stop from orange (runs
  12:00–13:00: breaches alert 2, not alert 1); fan a safety load named for a stop (never ordered).
* B 寒亭 steel (3110): line limit 50 % from yellow, runs at 100 %: breach.
* C 寒亭 chemicals (2614): reactor stop from yellow, stops at 00:00: complies, −100 %.
* E 寒亭 chemicals (2614): reactor stop from yellow, its meter silent during the alert: no data.
* F 太原 (another city) with a list: not in alert 1's region.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, insert

from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.settings import PowerSettings

TZ = ZoneInfo("Asia/Shanghai")
D0 = datetime(2026, 1, 20, tzinfo=TZ)
D1 = D0 + timedelta(days=1)
BASELINE_DAYS = 7
SETTINGS = PowerSettings.model_validate({"orders": {"baseline_days": BASELINE_DAYS}})

REGIONS = [("370000", "山东省", None, "province"), ("370700", "潍坊市", "370000", "city"),
           ("370705", "奎文区", "370700", "county"), ("370703", "寒亭区", "370700", "county"),
           ("140000", "山西省", None, "province"), ("140100", "太原市", "140000", "city")]
#: code → (credit code, name, industry, region)
ENTERPRISES = {"A": ("91370705MA3STEEL1", "潍坊奎文钢铁有限公司", "3110 炼钢", "370705"),
               "B": ("91370703MA3STEEL2", "潍坊寒亭钢铁有限公司", "3110 炼钢", "370703"),
               "C": ("91370703MA3CHEM01", "潍坊寒亭化工有限公司", "2614 有机化学原料制造", "370703"),
               "E": ("91370703MA3CHEM02", "潍坊东风化工有限公司", "2614 有机化学原料制造", "370703"),
               "F": ("91140100MA0STEEL3", "太原钢铁有限公司", "3110 炼钢", "140100")}
#: enterprise → [(equipment, role, safety_load, normal kW)]
EQUIPMENT = {"A": [("kiln", "production", False, 200.0), ("mill", "production", False, 100.0),
                   ("fan", "production", True, 10.0), ("dust", "treatment", False, 40.0)],
             "B": [("line", "production", False, 200.0)], "C": [("reactor", "production", False, 150.0)],
             "E": [("reactor", "production", False, 80.0)], "F": [("bf", "production", False, 500.0)]}
#: enterprise → [(level, equipment, measure, limit_pct)]
MEASURES = {"A": [("yellow", "kiln", "limit", 50.0), ("yellow", "fan", "stop", None), ("orange", "mill", "stop", None)],
            "B": [("yellow", "line", "limit", 50.0)], "C": [("yellow", "reactor", "stop", None)],
            "E": [("yellow", "reactor", "stop", None)], "F": [("yellow", "bf", "stop", None)]}


def during(ent: str, eq: str, normal: float, minutes: np.ndarray) -> np.ndarray:
    """Power during day D (minutes since local midnight)."""
    if (ent, eq) == ("A", "kiln"):
        return np.full(minutes.size, 0.45 * normal)
    if (ent, eq) == ("A", "mill"):
        return np.where((minutes < 13 * 60) | (minutes >= 18 * 60), normal, 0.5)
    if ent == "C" or (ent == "F"):
        return np.full(minutes.size, 0.3)
    if ent == "E":
        return np.full(minutes.size, np.nan)
    return np.full(minutes.size, normal)


def build(engine: Engine) -> dict:
    """Write the world; returns ids: enterprises by letter, alerts 1–3."""
    now = datetime.now(timezone.utc)
    rng = np.random.default_rng(15)
    ids: dict = {"ent": {}, "alert": {}}
    with engine.begin() as c:
        for code, name, parent, level in REGIONS:
            c.execute(insert(s.regions).values(code=code, name=name, parent_code=parent, level=level))
        for letter, (credit, name, industry, region) in ENTERPRISES.items():
            eid = c.execute(insert(s.enterprises).values(credit_code=credit, name=name, industry=industry,
                                                         region_code=region).returning(s.enterprises.c.id)).scalar_one()
            ids["ent"][letter] = eid
            dev = c.execute(insert(ps.power_devices).values(enterprise_id=eid, mn=f"PWR{letter}000000001",
                                                            transport="hj212", tz="Asia/Shanghai")
                            .returning(ps.power_devices.c.id)).scalar_one()
            eq_ids = {}
            for k, (eq, role, safety, normal) in enumerate(EQUIPMENT[letter], start=1):
                mid = c.execute(insert(ps.power_meters).values(enterprise_id=eid, code=f"SB{k:03d}", device_id=dev,
                                                               channel=f"SB{k}", rated_kw=normal * 1.2)
                                .returning(ps.power_meters.c.id)).scalar_one()
                eq_ids[eq] = c.execute(insert(ps.power_equipment).values(
                    enterprise_id=eid, code=eq, name=f"{eq} ({letter})", role=role, meter_id=mid, rated_kw=normal * 1.2,
                    normal_kw=normal, safety_load=safety).returning(ps.power_equipment.c.id)).scalar_one()
                minutes = np.arange((BASELINE_DAYS + 1) * 1440)
                before = normal * (1 + 0.02 * rng.standard_normal(BASELINE_DAYS * 1440))
                on_day = during(letter, eq, normal, np.arange(1440))
                values = np.concatenate([before, on_day])
                start = (D0 - timedelta(days=BASELINE_DAYS)).astimezone(timezone.utc)
                rows = [{"meter_id": mid, "quantity": "P", "at": start + timedelta(minutes=int(i)), "value": float(v),
                         "received_at": now} for i, v in zip(minutes, values) if np.isfinite(v)]
                c.execute(insert(ps.power_readings), rows)
            for level, eq, measure, pct in MEASURES[letter]:
                c.execute(insert(ps.power_measures).values(enterprise_id=eid, level=level, equipment_id=eq_ids[eq],
                                                           measure=measure, limit_pct=pct))
        for k, (region, level, h0, h1) in enumerate([("370700", "yellow", 0, 24), ("370705", "orange", 12, 18),
                                                      ("140100", "red", 0, 24)], start=1):
            ids["alert"][k] = c.execute(insert(s.pollution_alerts).values(
                region_code=region, level=level, starts_at=D0 + timedelta(hours=h0), ends_at=D0 + timedelta(hours=h1),
                issued_by="潍坊市重污染天气应急指挥部" if region != "140100" else "太原市重污染天气应急指挥部",
                document=f"潍应急〔2026〕{k}号", entered_by="test", entered_at=now)
                .returning(s.pollution_alerts.c.id)).scalar_one()
    return ids
