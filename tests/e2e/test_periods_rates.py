"""Days, months, exceedance and rates from data that arrived over TCP, through the API."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import httpx
import pytest

from ecosentry.api.app import create_app
from ecosentry.fleet import import_fleet
from ecosentry.subsystems.monitoring import schema as ms
from helpers import FLEET, GAS_MN, Logger, minute_frame, running_service, AsUsers

DAY = datetime(2026, 11, 10)  # local (Asia/Shanghai)


def fleet_with_limits() -> dict:
    f = copy.deepcopy(FLEET)
    gas_point = f["enterprises"][0]["outlets"][0]["points"][0]
    gas_point["factors"][0] = {"code": "a21026", "range": [0, 200],
                               "limits": [{"kind": "hour", "upper": 35, "valid_from": "2020-01-01",
                                           "standard": "ultra-low"}]}
    return f


async def test_day_month_exceedance_and_rates(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        import_fleet(svc.engine, fleet_with_limits())
        lg = await Logger.connect(svc.hj212_port)
        # 24 hours × 45 minutes of SO2: hours 0-21 at 20 + h/10; hour 22 only 44 minutes (invalid);
        # hour 5 at 40 mg/m³ (above the 35 limit); hour 23 absent.
        await lg.send_all(minute_frame(GAS_MN, DAY + timedelta(hours=h, minutes=m),
                                       {"a21026": 40.0 if h == 5 else 20 + h / 10})
                          for h in range(23) for m in range(44 if h == 22 else 45))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            pid = (await api.get("/api/v1/points")).json()["items"][0]["id"]
            q = {"start": "2026-11-10T00:00:00", "end": "2026-11-11T00:00:00"}
            hours = (await api.get(f"/api/v1/points/{pid}/hourly", params={**q, "factor": "a21026"})).json()["items"]
            assert len(hours) == 23
            h5 = hours[5]
            # no reference-O2 折算 sent, so the measured mean is judged: (40 − 35)/35 = 0.142857…
            assert h5["value"] == 40.0 and h5["valid"] is True
            full = (await api.get(f"/api/v1/points/{pid}/hourly", params=q)).json()
            assert full["total"] == 23
            days = (await api.get(f"/api/v1/points/{pid}/periods", params={**q, "period": "day"})).json()["items"]
            so2 = next(d for d in days if d["factor"] == "a21026")
            # 22 valid hours (0–21); mean = (Σ_{h≠5, h<22} (20 + h/10) + 40) / 22
            expected = (sum(20 + h / 10 for h in range(22) if h != 5) + 40.0) / 22
            assert so2["valid"] is True and so2["n_valid"] == 22 and so2["value"] == pytest.approx(expected, rel=1e-12)
            assert so2["start"] == "2026-11-10T00:00:00+08:00"
            months = (await api.get(f"/api/v1/points/{pid}/periods",
                                    params={"period": "month", "start": "2026-11-01T00:00:00",
                                            "end": "2026-12-01T00:00:00"})).json()["items"]
            m = next(x for x in months if x["factor"] == "a21026")
            assert m["valid"] is False and m["n_valid"] == 1 and m["n_expected"] == 30
            rates = (await api.get(f"/api/v1/points/{pid}/rates", params=q)).json()
            r = next(x for x in rates["factors"] if x["factor"] == "a21026")
            # 24 expected hourly groups, 23 received, 22 valid → 23/24, 22/24, product 22/24
            assert r["counts"]["expected"] == 24 and r["counts"]["received"] == 23
            assert r["counts"]["valid_groups"] == 22
            assert r["trans_rate"] == pytest.approx(23 / 24) and r["effe_rate"] == pytest.approx(22 / 24)
            assert r["effe_trans_rate"] == pytest.approx(23 / 24 * 22 / 24)
            # 即时 (realtime): these hours of 2026-11-10 arrived days later (now), past the 1 h grace → back-fill,
            # so none counts as received in real time; 补全 (above) counts all 23
            rt = (await api.get(f"/api/v1/points/{pid}/rates", params={**q, "mode": "realtime"})).json()
            rs = next(x for x in rt["factors"] if x["factor"] == "a21026")
            assert rs["counts"]["received"] == 0 and rs["trans_rate"] == 0
        from sqlalchemy import select

        from ecosentry.store import schema as s
        with svc.engine.connect() as c:
            row = c.execute(select(s.hourly_values).where(
                s.hourly_values.c.factor_code == "a21026",
                s.hourly_values.c.value == 40.0)).mappings().one()
            other = c.execute(select(s.hourly_values.c.exceeded).where(
                s.hourly_values.c.factor_code == "a21026", s.hourly_values.c.value == 20.0)).scalar_one()
        assert row["exceeded"] is True and row["multiple"] == pytest.approx((40 - 35) / 35) and row["limit_value"] == 35
        assert other is False


async def test_bulk_recompute_gives_the_same_figures(tmp_path, db_url):
    from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range
    from ecosentry.store import schema as s
    from sqlalchemy import delete, select
    from zoneinfo import ZoneInfo

    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        await lg.send_all(minute_frame(GAS_MN, DAY + timedelta(hours=3, minutes=m), {"a21026": float(m)})
                          for m in range(50))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.begin() as c:
            before = c.execute(select(s.hourly_values.c.value).where(s.hourly_values.c.factor_code == "a21026")).scalar_one()
            c.execute(delete(s.hourly_values))
            c.execute(delete(s.derived_periods))
        z = ZoneInfo("Asia/Shanghai")
        seen = []
        totals = recompute_range(svc.engine, svc.directory, DAY.replace(tzinfo=z), (DAY + timedelta(days=1)).replace(tzinfo=z),
                                 progress=lambda i, n: seen.append((i, n)))
        # 2 points; gas has 3 registered factors, water 3 → 6 factors × 24 hours
        assert totals["points"] == 2 and totals["hours"] == 6 * 24 and seen[-1] == (2, 2)
        with svc.engine.connect() as c:
            rows = c.execute(select(s.hourly_values).where(s.hourly_values.c.factor_code == "a21026")).mappings().all()
        assert len(rows) == 24
        filled = [r for r in rows if r["n_records"]]
        assert len(filled) == 1 and filled[0]["value"] == before == sum(range(50)) / 50
        assert sum(1 for r in rows if r["reason"] == "no data") == 23


async def test_a_filed_mark_recomputes_the_hours_it_touches(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        # two full hours 00:00–02:00 local
        await lg.send_all(minute_frame(GAS_MN, DAY + timedelta(hours=h, minutes=m), {"a21026": 10.0})
                          for h in range(2) for m in range(60))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            pid = next(p["id"] for p in (await api.get("/api/v1/points")).json()["items"] if p["mn"] == GAS_MN)
            q = {"start": "2026-11-10T00:00:00", "end": "2026-11-10T02:00:00", "factor": "a21026"}
            before = (await api.get(f"/api/v1/points/{pid}/hourly", params=q)).json()["items"]
            assert [h["valid"] for h in before] == [True, True]
            # a 10-minute calibration at 01:20 makes the 01:00 hour invalid (reference notes §2.4)
            r = await api.post(f"/api/v1/points/{pid}/marks", headers={"X-Test-User": "ent-user"},
                               json={"type": "calibration", "start": "2026-11-10T01:20:00",
                                     "end": "2026-11-10T01:30:00", "factor_codes": ["a21026"]})
            assert r.status_code == 201, r.text
            mark_id = r.json()["id"]
            after = (await api.get(f"/api/v1/points/{pid}/hourly", params=q)).json()["items"]
            assert [h["valid"] for h in after] == [True, False] and "CN-MARK" in after[1]["reason"]
            rates = (await api.get(f"/api/v1/points/{pid}/rates", params=q)).json()
            so2 = next(f for f in rates["factors"] if f["factor"] == "a21026")
            assert so2["counts"]["valid_groups"] == 1 and so2["effe_rate"] == pytest.approx(1 / 2)
            # the regulator rejects it: the hour is valid again
            r = await api.post(f"/api/v1/marks/{mark_id}/review", json={"decision": "rejected", "comment": "no record"},
                               headers={"X-Test-User": "regulator"})
            assert r.status_code == 200, r.text
            again = (await api.get(f"/api/v1/points/{pid}/hourly", params=q)).json()["items"]
            assert [h["valid"] for h in again] == [True, True]
            audit = (await api.get("/api/v1/audit", params={"entity": "mark", "entity_id": str(mark_id)})).json()
            assert {a["actor"] for a in audit["items"]} >= {"ent-user", "regulator"}


async def test_region_rates_sum_counts_over_points(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        # gas: one full hour of SO2 only (its other 2 factors send nothing)
        await lg.send_all(minute_frame(GAS_MN, DAY + timedelta(minutes=m), {"a21026": 5.0}) for m in range(60))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            q = {"region": "320500", "start": "2026-11-10T00:00:00", "end": "2026-11-10T02:00:00"}
            r = (await api.get("/api/v1/rates", params=q)).json()
        # gas point: 3 factors × 2 hours = 6 expected, 1 received; water point: 3 × 2 = 6 expected, 0 received
        gas = next(p for p in r["points"] if p["mn"] == GAS_MN)
        assert gas["counts"]["expected"] == 6 and gas["counts"]["received"] == 1
        assert r["region_rates"]["counts"]["expected"] == 12 and r["region_rates"]["counts"]["received"] == 1
        assert r["region_rates"]["trans_rate"] == pytest.approx(1 / 12)
        # summed, not averaged: the mean of the points' rates would be (1/6 + 0)/2 = 1/12 here too, so check
        # the enterprise line carries the summed counts
        assert r["enterprises"][0]["counts"]["expected"] == 12


async def test_platform_computes_the_hourly_corrected_value_when_the_logger_sends_none(tmp_path, db_url):
    from sqlalchemy import select

    from ecosentry.store import schema as s

    async with running_service(tmp_path, db_url) as svc:  # the gas outlet's reference O2 is 6 %
        lg = await Logger.connect(svc.hj212_port)
        await lg.send_all(minute_frame(GAS_MN, DAY + timedelta(hours=1, minutes=m),
                                       {"a21026": 30.0, "a19001": 9.0 if m < 30 else 11.0}) for m in range(60))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            zs = c.execute(select(s.hourly_values.c.zs_value).where(s.hourly_values.c.factor_code == "a21026")).scalar_one()
    # mean of minute 折算 (HJ 212 App. D eq. (28)): ½·30·15/12 + ½·30·15/10 = 18.75 + 22.5 = 41.25
    assert zs == pytest.approx(0.5 * 30 * 15 / 12 + 0.5 * 30 * 15 / 10)


async def test_substitute_values_are_revisions_beside_the_raw_totals(tmp_path, db_url):
    from sqlalchemy import select

    from ecosentry.store import schema as s

    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        # SO2 emission amounts (-Cou, kg per minute): hours 0–19 valid at 0.1 kg/min (6 kg/h) except hour 7 at
        # 0.2 kg/min (12 kg/h); hours 20–23 missing → a 4-hour gap in a quarter where everything else is missing
        from ecosentry.protocols.hj212 import build_frame, parse_frame
        frames = []
        for h in range(20):
            for m in range(60):
                cou = 0.2 if h == 7 else 0.1
                frame = minute_frame(GAS_MN, DAY + timedelta(hours=h, minutes=m), {"a21026": 30.0})
                # add -Cou to the group: rebuild with the codec
                f = parse_frame(frame)
                groups = f.cp_groups()
                groups[1]["a21026-Cou"] = f"{cou}"
                frames.append(build_frame(qn=f.qn, st=f.st, cn=f.cn, pw=f.pw, mn=f.mn, flag=f.flag, cp=groups))
        await lg.send_all(frames)
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            day = c.execute(select(s.derived_periods).where(s.derived_periods.c.factor_code == "a21026",
                                                            s.derived_periods.c.period == "day")).mappings().one()
            revs = c.execute(select(ms.revisions).where(ms.revisions.c.factor_code == "a21026")
                             .order_by(ms.revisions.c.period_start)).mappings().all()
    raw = 19 * 6.0 + 12.0  # 126 kg from the 20 valid hours
    assert day["cou"] == pytest.approx(raw)
    # α for the quarter up to the day's end is far below 75 % (only 20 valid hours since 1 October), so
    # HJ 75 gives no substitute: the hours are listed as revisions without a value and the total stays raw
    assert len(revs) == 4 and all(r["substitute"] is None for r in revs)
    assert day["n_substituted"] == 0 and day["cou_substituted"] == pytest.approx(raw)


async def test_seasonal_limit_switches_on_its_date(tmp_path, db_url, sqlite_migrated_template):
    import shutil

    from sqlalchemy import select

    from ecosentry.store import schema as s

    async with running_service(tmp_path, db_url) as svc:
        f = fleet_with_limits()
        so2 = f["enterprises"][0]["outlets"][0]["points"][0]["factors"][0]
        # year-round 35; a stricter winter limit of 20 (heating season from 15 Nov by default [R])
        so2["limits"].append({"kind": "hour", "upper": 20, "valid_from": "2020-01-01", "season": "winter"})
        import_fleet(svc.engine, f)
        lg = await Logger.connect(svc.hj212_port)
        await lg.send_all(minute_frame(GAS_MN, d + timedelta(minutes=m), {"a21026": 30.0})
                          for d in (datetime(2026, 11, 14, 9), datetime(2026, 11, 16, 9))  # the day before / after 15 Nov
                          for m in range(60))
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            rows = c.execute(select(s.hourly_values.c.exceeded, s.hourly_values.c.limit_value)
                             .where(s.hourly_values.c.factor_code == "a21026")
                             .order_by(s.hourly_values.c.period_start)).all()
    # 30 mg/m³: within 35 on 14 Nov, above the winter 20 on 16 Nov, multiple (30 − 20)/20 = 0.5
    assert [(r.exceeded, r.limit_value) for r in rows] == [(False, 35.0), (True, 20.0)]

    bad = fleet_with_limits()
    bad["enterprises"][0]["outlets"][0]["points"][0]["factors"][0]["limits"][0]["season"] = "monsoon"
    from ecosentry.fleet import RegistryError
    with pytest.raises(RegistryError, match="season"):
        from ecosentry.service import prepare_database
        # a fresh database: a copy of the migrated template (migrating a new file costs ~1 s of CPU)
        shutil.copyfile(sqlite_migrated_template, tmp_path / "x.sqlite")
        import_fleet(prepare_database(f"sqlite:///{tmp_path / 'x.sqlite'}"), {**bad, "regions": FLEET["regions"]})


async def test_wastewater_hour_from_the_loggers_hourly_record_when_no_minute_data(tmp_path, db_url):
    from sqlalchemy import select

    from ecosentry.store import schema as s
    from helpers import WATER_MN

    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        # an analyser that reports once per hour (CN 2061 only): COD 42.0 at 09:00, COD with flag D at 10:00
        await lg.send(minute_frame(WATER_MN, DAY + timedelta(hours=9), {"w01018": 42.0}, cn="2061", st="32"))
        await lg.reply()
        await lg.send(minute_frame(WATER_MN, DAY + timedelta(hours=10), {"w01018": 55.0}, cn="2061", st="32",
                                   data_flag="D"))
        await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        with svc.engine.connect() as c:
            rows = c.execute(select(s.hourly_values.c.value, s.hourly_values.c.valid, s.hourly_values.c.flag)
                             .where(s.hourly_values.c.factor_code == "w01018")
                             .order_by(s.hourly_values.c.period_start)).all()
    assert [(r.value, r.valid, r.flag) for r in rows] == [(42.0, True, "N"), (55.0, False, "D")]
