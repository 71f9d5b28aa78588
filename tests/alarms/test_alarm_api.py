"""The alarms API over HTTP (httpx.ASGITransport) on SQLite and PostgreSQL: list filters and paging, detail,
acknowledge / assign / comment / clear / link with their refusals, alarm types, subscriptions CRUD."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sys
from pathlib import Path

import httpx
import pytest

from alarm_testkit import (  # noqa: F401  (fixtures)
    CITY, COUNTY, _pg_session_db, _sqlite_template, alarm_db_url, engine, gas_point, user_ids, water_point)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from helpers import AsUsers  # noqa: E402

from ecosentry.alarms import store
from ecosentry.api.app import create_app
from ecosentry.subsystems.monitoring.store.marks import file_mark

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
CITY_USER = {"X-Test-User": "city-officer"}


@pytest.fixture
async def client(engine):
    app = create_app(engine)
    # an English reader: the refusals' sentences below are the stores' msgids (said in zh/vi to those readers)
    async with httpx.AsyncClient(transport=AsUsers(app, engine), base_url="http://test",
                                 headers={"Accept-Language": "en"}) as c:
        yield c


def raise_(engine, point, type="ALM-DATA-MISSING", severity="warning", at=T0):
    return store.raise_alarm(engine, type=type, source_type="point", source_id=point, severity=severity,
                             title=f"{type} at point {point}", explanation="why", evidence={"n": 1},
                             point_id=point, at=at)[0]


async def test_list_filters_paging_and_detail(client, engine, gas_point, water_point):
    missing = raise_(engine, gas_point)
    water = raise_(engine, water_point, at=T0 + timedelta(hours=1))
    exc = raise_(engine, gas_point, "ALM-EXCEEDANCE", "critical", T0 + timedelta(hours=2))

    r = await client.get("/api/v1/alarms")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 3 and [a["id"] for a in body["items"]] == [exc["id"], water["id"], missing["id"]]
    assert body["items"][0]["last_at"] == "2026-11-20T03:00:00+00:00"

    async def ids(**params) -> list[int]:
        r = await client.get("/api/v1/alarms", params=params)
        assert r.status_code == 200, r.text
        return sorted(a["id"] for a in r.json()["items"])

    assert await ids(type="ALM-EXCEEDANCE") == [exc["id"]]
    assert await ids(severity=["warning", "info"]) == sorted([missing["id"], water["id"]])
    assert await ids(point_id=water_point) == [water["id"]]
    assert await ids(region=CITY) == sorted([missing["id"], water["id"], exc["id"]])
    assert await ids(region="110000") == []
    assert await ids(since="2026-11-20T09:30:00+08:00") == sorted([water["id"], exc["id"]])
    assert await ids(enterprise_id=exc["enterprise_id"], state="active") == sorted(
        [missing["id"], water["id"], exc["id"]])
    r = await client.get("/api/v1/alarms", params={"page": 2, "page_size": 2})
    assert r.json()["total"] == 3 and [a["id"] for a in r.json()["items"]] == [missing["id"]]

    r = await client.get("/api/v1/alarms", params={"state": "open"})
    assert r.status_code == 422 and "unknown state open" in r.json()["detail"]
    r = await client.get("/api/v1/alarms", params={"since": "yesterday"})
    assert r.status_code == 422 and "not an ISO 8601 time" in r.json()["detail"]

    r = await client.get(f"/api/v1/alarms/{exc['id']}")
    detail = r.json()
    assert detail["type"] == "ALM-EXCEEDANCE" and detail["region_code"] == COUNTY
    assert [e["kind"] for e in detail["events"]] == ["raised"] and detail["links"] == []
    assert detail["deliveries"] == []
    r = await client.get("/api/v1/alarms/999999")
    assert r.status_code == 404 and r.json()["detail"] == "no alarm with id 999999"


async def test_lifecycle_over_http(client, engine, gas_point):
    alarm = raise_(engine, gas_point)
    aid = alarm["id"]
    r = await client.post(f"/api/v1/alarms/{aid}/ack", headers=CITY_USER, json={"comment": "on it"})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert r.json()["acknowledged_by"] == "city-officer"
    r = await client.post(f"/api/v1/alarms/{aid}/ack", headers=CITY_USER)
    assert r.status_code == 409 and "already acknowledged" in r.json()["detail"]

    r = await client.post(f"/api/v1/alarms/{aid}/assign", headers=CITY_USER, json={"assignee": "county-officer"})
    assert r.status_code == 200 and r.json()["assignee"] == "county-officer"
    r = await client.post(f"/api/v1/alarms/{aid}/comments", headers=CITY_USER, json={"text": "pump broken"})
    assert r.status_code == 201 and (r.json()["kind"], r.json()["comment"]) == ("commented", "pump broken")
    r = await client.post(f"/api/v1/alarms/{aid}/comments", json={"text": "   "})
    assert r.status_code == 422 and r.json()["detail"] == "the comment is empty"

    mark_id = file_mark(engine, point_id=gas_point, type="fault", start=T0, filed_by="ent")
    r = await client.post(f"/api/v1/alarms/{aid}/links", headers=CITY_USER,
                          json={"kind": "mark", "target_id": str(mark_id)})
    assert r.status_code == 201 and r.json()["target_id"] == str(mark_id)
    r = await client.post(f"/api/v1/alarms/{aid}/links", json={"kind": "mark", "target_id": str(mark_id)})
    assert r.status_code == 409
    r = await client.post(f"/api/v1/alarms/{aid}/links", json={"kind": "mark", "target_id": "8888"})
    assert r.status_code == 422 and r.json()["detail"] == "no mark with id 8888"
    r = await client.post(f"/api/v1/alarms/{aid}/links", json={"kind": "ticket", "target_id": "1"})
    assert r.status_code == 422

    r = await client.post(f"/api/v1/alarms/{aid}/clear", headers=CITY_USER, json={"reason": " "})
    assert r.status_code == 422 and "needs a reason" in r.json()["detail"]
    r = await client.post(f"/api/v1/alarms/{aid}/clear", headers=CITY_USER, json={"reason": "pump replaced"})
    assert r.status_code == 200 and (r.json()["state"], r.json()["clear_reason"]) == ("cleared", "pump replaced")
    r = await client.post(f"/api/v1/alarms/{aid}/ack", headers=CITY_USER)
    assert r.status_code == 409 and "is cleared" in r.json()["detail"] and "cannot be changed" in r.json()["detail"]
    r = await client.post("/api/v1/alarms/4242/ack")
    assert r.status_code == 404

    r = await client.get(f"/api/v1/alarms/{aid}")
    assert [(e["kind"], e["actor"]) for e in r.json()["events"]] == [
        ("raised", "data"), ("acknowledged", "city-officer"), ("assigned", "city-officer"),
        ("commented", "city-officer"), ("linked", "city-officer"), ("cleared", "city-officer")]
    r = await client.get("/api/v1/audit", params={"entity": "alarm", "entity_id": aid})
    assert [x["action"] for x in r.json()["items"]][::-1] == [
        "raise", "acknowledged", "assigned", "commented", "link", "cleared"]


async def test_alarm_types(client):
    r = await client.get("/api/v1/alarm-types")
    assert r.status_code == 200
    types = {t["code"]: t for t in r.json()["items"]}
    assert types["ALM-TOXIC-GAS"]["originators"] == ["park_sensor"]
    assert types["ALM-EXCEEDANCE"]["severity"] == "critical"
    assert {"point", "enterprise", "gate", "park_sensor"} <= set(r.json()["originator_kinds"])


async def test_subscriptions_crud(client, user_ids):
    new = {"user_id": user_ids["city-officer"], "channel": "email", "address": "city@eco.example",
           "region_code": CITY, "alarm_types": ["ALM-EXCEEDANCE"], "min_severity": "warning"}
    r = await client.post("/api/v1/alarm-subscriptions", headers=CITY_USER, json=new)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert (sub["username"], sub["alarm_types"], sub["active"]) == ("city-officer", ["ALM-EXCEEDANCE"], True)

    for bad, message in (({"region_code": "999999"}, "no region with code '999999'"),
                         ({"alarm_types": ["ALM-NOPE"]}, "unknown alarm type(s) ALM-NOPE"),
                         ({"user_id": 777}, "no user with id 777")):
        r = await client.post("/api/v1/alarm-subscriptions", json={**new, **bad})
        assert r.status_code == 422 and message in r.json()["detail"]
    r = await client.post("/api/v1/alarm-subscriptions", json={**new, "channel": "pigeon"})
    assert r.status_code == 422

    r = await client.patch(f"/api/v1/alarm-subscriptions/{sub['id']}", headers=CITY_USER,
                           json={"alarm_types": None, "active": False})
    assert r.status_code == 200 and (r.json()["alarm_types"], r.json()["active"]) == (None, False)
    r = await client.patch(f"/api/v1/alarm-subscriptions/{sub['id']}", json={"channel": None})
    assert r.status_code == 422 and r.json()["detail"] == "channel cannot be null"

    r = await client.get("/api/v1/alarm-subscriptions", params={"user_id": user_ids["city-officer"]})
    assert [x["id"] for x in r.json()["items"]] == [sub["id"]]
    assert (await client.get("/api/v1/alarm-subscriptions", params={"active": True})).json()["items"] == []
    r = await client.get(f"/api/v1/alarm-subscriptions/{sub['id']}")
    assert r.status_code == 200 and r.json()["address"] == "city@eco.example"

    r = await client.delete(f"/api/v1/alarm-subscriptions/{sub['id']}", headers=CITY_USER)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/alarm-subscriptions/{sub['id']}")
    assert r.status_code == 404 and r.json()["detail"] == f"no alarm subscription with id {sub['id']}"
    r = await client.get("/api/v1/audit", params={"entity": "alarm_subscription", "entity_id": sub["id"]})
    assert [x["action"] for x in r.json()["items"]] == ["delete", "update", "create"]


async def test_subscription_refusals_and_malformed_bodies_in_the_readers_language(client, user_ids):
    """The subscriptions' refusals (store and route) and FastAPI's validation errors are said in the reader's
    language (web/errors), the validation answer keeping FastAPI's shape (loc, type, msg)."""
    zh, vi = {"Accept-Language": "zh-CN,zh;q=0.9"}, {"Accept-Language": "vi"}
    new = {"user_id": user_ids["city-officer"], "channel": "email", "address": "city@eco.example",
           "region_code": CITY, "alarm_types": None, "min_severity": "warning"}
    r = await client.post("/api/v1/alarm-subscriptions", headers=zh, json={**new, "region_code": "999999"})
    assert r.status_code == 422 and r.json()["detail"] == "没有代码为 '999999' 的行政区"
    r = await client.post("/api/v1/alarm-subscriptions", headers=vi, json={**new, "alarm_types": ["ALM-NOPE"]})
    assert r.status_code == 422 and r.json()["detail"].startswith("Loại cảnh báo không xác định ALM-NOPE; ")
    r = await client.post("/api/v1/alarm-subscriptions", headers={**CITY_USER, **zh},
                          json={**new, "user_id": user_ids["county-officer"]})
    assert r.status_code == 403 and r.json()["detail"] == "您只能管理自己的订阅"
    r = await client.post("/api/v1/alarm-subscriptions", headers={"X-Test-User": "county-officer", **zh},
                          json={**new, "user_id": user_ids["county-officer"]})
    assert r.status_code == 403 and r.json()["detail"] == "行政区 320500 不在您的辖区内；请订阅您监管的行政区"

    async def invalid(body, headers, **kw) -> list[tuple]:
        r = await client.post("/api/v1/alarm-subscriptions", headers=headers, json=body, **kw) if body is not None \
            else await client.post("/api/v1/alarm-subscriptions", headers=headers, **kw)
        assert r.status_code == 422, r.text
        return [(tuple(e["loc"]), e["type"], e["msg"]) for e in r.json()["detail"]]

    assert await invalid({**new, "channel": "pigeon"}, zh) == [
        (("body", "channel"), "literal_error", "'pigeon' 不是以下取值之一：'email', 'webhook', 'sms', 'live'")]
    assert await invalid({**new, "channel": "pigeon"}, {}) == [  # the client's English reader
        (("body", "channel"), "literal_error", "'pigeon' is not one of 'email', 'webhook', 'sms', 'live'")]
    assert await invalid({k: v for k, v in new.items() if k != "address"} | {"user_id": "abc"}, vi) == [
        (("body", "user_id"), "int_parsing", "'abc' không phải là số nguyên"),
        (("body", "address"), "missing", "Bắt buộc phải có giá trị này")]
    assert await invalid({**new, "address": "x" * 301}, zh) == [
        (("body", "address"), "string_too_long", "最多允许 300 个字符")]
    [(loc, kind, msg)] = await invalid(None, {**zh, "Content-Type": "application/json"}, content=b'{"channel": ')
    assert (loc[0], kind, msg) == ("body", "json_invalid", "请求体不是有效的 JSON")

    r = await client.post("/api/v1/alarm-subscriptions", headers=CITY_USER, json=new)
    sub = r.json()
    r = await client.patch(f"/api/v1/alarm-subscriptions/{sub['id']}", headers=vi, json={"channel": None})
    assert r.status_code == 422 and r.json()["detail"] == "channel không được là null"
    r = await client.get(f"/api/v1/alarm-subscriptions/{sub['id'] + 1000}", headers=vi)
    assert r.status_code == 404 and r.json()["detail"] == f"Không có đăng ký nhận cảnh báo số {sub['id'] + 1000}"
    r = await client.get("/api/v1/audit", headers=zh, params={"since": "2026-11-02", "until": "2026-11-01"})
    assert r.status_code == 422 and r.json()["detail"] == "since 必须早于 until"


async def test_alarm_store_refusals_in_the_readers_language(client, engine, gas_point):
    """The alarm store's own refusals (an unknown filter value, a link kind it does not know) are msgids: the API
    says them in the reader's language, ``str()`` stays the English sentence of the logs."""
    zh, vi = {"Accept-Language": "zh-CN,zh;q=0.9"}, {"Accept-Language": "vi"}
    r = await client.get("/api/v1/alarms", params={"state": "open"}, headers=zh)
    assert r.status_code == 422 and r.json()["detail"] == "未知的状态 open；可用：active, acknowledged, cleared"
    r = await client.get("/api/v1/alarms", params={"severity": ["loud", "fatal"], "lang": "vi"})
    assert r.status_code == 422
    assert r.json()["detail"] == "Mức độ nghiêm trọng không xác định fatal, loud; hãy dùng: info, warning, critical"
    r = await client.get("/api/v1/alarms", params={"state": "open"})  # the client's English reader
    assert r.json()["detail"] == "unknown state open; use active, acknowledged, cleared"

    aid = raise_(engine, gas_point)["id"]
    with pytest.raises(store.AlarmError) as refused:
        store.add_link(engine, aid, "ticket", "1", "city-officer")
    assert str(refused.value) == "link kind must be one of mark, work_order, not 'ticket'"
    from ecosentry.locale import translations
    assert refused.value.say(translations("zh").gettext) == "关联种类必须是 mark, work_order 之一，不能是 'ticket'"
    assert refused.value.say(translations("vi").gettext) == \
        "Loại liên kết phải là một trong mark, work_order, không phải 'ticket'"
    with pytest.raises(store.AlarmError) as refused:
        raise_(engine, gas_point, type="ALM-NOPE")
    assert refused.value.say(translations("vi").gettext).startswith("Loại cảnh báo không xác định 'ALM-NOPE'; ")


def test_alarm_text_in_the_requested_language(db_url, tmp_path):
    """``text`` says the alarm in ``?lang=`` (or Accept-Language) with names and local times; the stored
    English ``title`` stays for machines."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from work_world import GAS_A, raise_point_alarm, start

    client, w = start(db_url, tmp_path)
    with client:
        alarm_id = raise_point_alarm(w, GAS_A, type="ALM-LOGGER-OFFLINE", title="TEST: logger offline")
        with w.engine.begin() as c:
            from ecosentry.store import schema as s
            c.execute(s.alarms.update().where(s.alarms.c.id == alarm_id).values(
                evidence={"last_received_at": "2026-11-20T01:00:00+00:00", "threshold_minutes": 10.0}))
        vi = client.get(f"/api/v1/alarms/{alarm_id}?lang=vi", headers=w.bearer("county_a")).json()
        assert vi["title"] == "TEST: logger offline"
        assert vi["text"]["lang"] == "vi" and vi["text"]["title"].startswith("苏州测试热电有限公司 1号锅炉CEMS")
        assert "09:00" in vi["text"]["explanation"] and "không gửi số liệu" in vi["text"]["explanation"]
        zh = client.get("/api/v1/alarms", headers={**w.bearer("county_a"), "Accept-Language": "zh-CN"}).json()
        assert zh["items"][0]["text"]["lang"] == "zh" and zh["items"][0]["text"]["type_name"] == "数采仪离线"
    w.engine.dispose()
