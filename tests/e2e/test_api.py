"""The REST API over data that arrived through the real TCP gateway."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from ecosentry.api.app import create_app
from helpers import GAS_MN, WATER_MN, Logger, minute_frame, running_service, AsUsers

T0 = datetime(2026, 11, 22, 9, 0, 0)  # Beijing time


async def _populate(svc) -> None:
    lg = await Logger.connect(svc.hj212_port)
    for i in range(60):  # one full hour of gas minute data, minute 30 flagged D (fault)
        await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": 10.0 + i % 5},
                                   data_flag="D" if i == 30 else "N"))
        await lg.reply()
    for i in range(3):  # water, 10-minute data: only 30 minutes of the hour
        await lg.send(minute_frame(WATER_MN, T0 + timedelta(minutes=10 * i), {"w01018": 40.0 + i}, st="32"))
        await lg.reply()
    await lg.close()
    await svc.drain()
    await svc.worker.flush()


@pytest.fixture
async def api(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        await _populate(svc)
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_points_list_and_pagination(api):
    r = await api.get("/api/v1/points", params={"page_size": 1})
    body = r.json()
    assert r.status_code == 200 and body["total"] == 2 and len(body["items"]) == 1 and body["page"] == 1
    r2 = (await api.get("/api/v1/points", params={"page_size": 1, "page": 2})).json()
    assert {body["items"][0]["mn"], r2["items"][0]["mn"]} == {GAS_MN, WATER_MN}
    assert (await api.get("/api/v1/points", params={"region": "320500"})).json()["total"] == 2
    assert (await api.get("/api/v1/points", params={"region": "110000"})).json()["total"] == 0
    gas = next(p for p in [body["items"][0], r2["items"][0]] if p["mn"] == GAS_MN)
    assert gas["enterprise_name"] == "苏州测试热电有限公司" and gas["medium"] == "gas"
    assert gas["last_received_at"].endswith("+08:00")


async def test_latest_series_and_time_zones(api):
    points = (await api.get("/api/v1/points")).json()["items"]
    gas = next(p for p in points if p["mn"] == GAS_MN)
    latest = (await api.get(f"/api/v1/points/{gas['id']}/latest")).json()
    so2 = next(i for i in latest["items"] if i["factor"] == "a21026" and i["kind"] == "min")
    assert so2["time"] == "2026-11-22T09:59:00+08:00" and so2["value"] == 10.0 + 59 % 5
    assert so2["name_zh"] and so2["unit"]
    q = {"factor": "a21026", "kind": "min", "start": "2026-11-22T09:00:00", "end": "2026-11-22T10:00:00",
         "page_size": 25}
    page1 = (await api.get(f"/api/v1/points/{gas['id']}/series", params=q)).json()
    assert page1["total"] == 60 and len(page1["items"]) == 25
    assert page1["items"][0]["time"] == "2026-11-22T09:00:00+08:00"
    page3 = (await api.get(f"/api/v1/points/{gas['id']}/series", params={**q, "page": 3})).json()
    assert len(page3["items"]) == 10 and page3["items"][-1]["time"] == "2026-11-22T09:59:00+08:00"
    # the same instant asked and answered in UTC
    utc = (await api.get(f"/api/v1/points/{gas['id']}/series",
                         params={**q, "start": "2026-11-22T01:00:00Z", "end": "2026-11-22T01:01:00Z", "tz": "UTC"})).json()
    assert [i["time"] for i in utc["items"]] == ["2026-11-22T01:00:00+00:00"]
    assert utc["items"][0]["flag"] == "N"


async def test_hourly_values_with_validity(api):
    points = (await api.get("/api/v1/points")).json()["items"]
    gas = next(p for p in points if p["mn"] == GAS_MN)
    water = next(p for p in points if p["mn"] == WATER_MN)
    q = {"start": "2026-11-22T09:00:00", "end": "2026-11-22T10:00:00"}
    h = (await api.get(f"/api/v1/points/{gas['id']}/hourly", params=q)).json()["items"]
    assert len(h) == 1
    assert h[0]["valid"] is True and h[0]["valid_minutes"] == 59 and h[0]["received_minutes"] == 60
    assert h[0]["time"] == "2026-11-22T09:00:00+08:00"
    expected = sum(10.0 + i % 5 for i in range(60) if i != 30) / 59
    assert h[0]["value"] == pytest.approx(expected, abs=1e-9)
    w = (await api.get(f"/api/v1/points/{water['id']}/hourly", params=q)).json()["items"]
    assert w[0]["valid"] is False and w[0]["valid_minutes"] == 30 and w[0]["reason"]


async def test_bad_api_calls_get_clear_errors(api):
    r = await api.get("/api/v1/points/99999/latest")
    assert r.status_code == 404 and "99999" in r.json()["detail"]
    points = (await api.get("/api/v1/points")).json()["items"]
    pid = points[0]["id"]
    r = await api.get(f"/api/v1/points/{pid}/series", params={"factor": "a21026", "start": "yesterday"})
    assert r.status_code == 422 and "ISO 8601" in r.json()["detail"]
    r = await api.get(f"/api/v1/points/{pid}/series", params={"factor": "a21026", "tz": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"].startswith("未知时区 'Mars/Olympus'")  # zh default
    r = await api.get(f"/api/v1/points/{pid}/series", params={"factor": "a21026", "kind": "weekly"})
    assert r.status_code == 422
    r = await api.get("/api/v1/points", params={"page_size": 0}, headers={"Accept-Language": "vi"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "'0' phải từ 1 trở lên"
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "ecosentry"
