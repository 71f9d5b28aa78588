"""The marks API over HTTP (httpx.ASGITransport): life cycle, multipart evidence, refusals, audit."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from helpers import AsUsers

from ecosentry.api.app import create_app
from ecosentry.subsystems.monitoring.api import marks

ENT = {"X-Test-User": "ent-user"}
REG = {"X-Test-User": "regulator-1"}


@pytest.fixture
async def client(engine):
    app = create_app(engine)
    if not any(getattr(r, "path", "") == "/api/v1/marks/{mark_id}" for r in app.routes):
        app.include_router(marks.router)
    # an English reader: the refusals below are the store's msgids (zh/vi readers get them translated)
    async with httpx.AsyncClient(transport=AsUsers(app, engine), base_url="http://test",
                                 headers={"Accept-Language": "en"}) as c:
        yield c


async def test_lifecycle_over_http(client, gas_point):
    # file an open mark; no offset → the point's time zone (Asia/Shanghai, +08:00)
    r = await client.post(f"/api/v1/points/{gas_point}/marks", headers=ENT, json={
        "type": "calibration", "start": "2026-11-20T08:50:00", "factor_codes": ["a21026"], "reason": "零点校准"})
    assert r.status_code == 201, r.text
    mark = r.json()
    mid = mark["id"]
    assert mark["start"] == "2026-11-20T08:50:00+08:00" and mark["end"] is None and mark["open"] is True
    assert (mark["status"], mark["filed_by"], mark["family"]) == ("filed", "ent-user", "equipment_maintenance")

    # real multipart upload, then download: same bytes, sha256 returned
    payload = bytes(range(256)) * 40 + "校准记录".encode()
    r = await client.post(f"/api/v1/marks/{mid}/evidence", headers=ENT,
                          files={"file": ("校准记录.pdf", payload, "application/pdf")})
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["sha256"] == hashlib.sha256(payload).hexdigest() and ev["size"] == len(payload)
    assert ev["filename"] == "校准记录.pdf" and ev["uploaded_by"] == "ent-user"
    r = await client.get(f"/api/v1/marks/{mid}/evidence/{ev['id']}")
    assert r.status_code == 200
    assert r.content == payload and hashlib.sha256(r.content).hexdigest() == ev["sha256"]
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]

    r = await client.get(f"/api/v1/marks/{mid}")
    assert [e["sha256"] for e in r.json()["evidence"]] == [ev["sha256"]]

    r = await client.post(f"/api/v1/marks/{mid}/review", headers=REG, json={"decision": "approved", "comment": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["reviewed_by"] == "regulator-1"

    r = await client.post(f"/api/v1/marks/{mid}/close", headers=ENT, json={"end": "2026-11-20T01:10:00Z"})
    assert r.status_code == 200 and r.json()["end"] == "2026-11-20T09:10:00+08:00"

    r = await client.get(f"/api/v1/points/{gas_point}/marks",
                         params={"start": "2026-11-20T09:00:00", "end": "2026-11-20T10:00:00"})
    assert [m["id"] for m in r.json()["items"]] == [mid]
    r = await client.get(f"/api/v1/points/{gas_point}/marks",
                         params={"start": "2026-11-20T09:10:00", "end": "2026-11-20T10:00:00"})
    assert r.json()["items"] == []

    r = await client.delete(f"/api/v1/marks/{mid}")       # no header → the default test account
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert (await client.get(f"/api/v1/points/{gas_point}/marks")).json()["items"] == []
    r = await client.get(f"/api/v1/points/{gas_point}/marks", params={"include_deleted": "true"})
    assert [m["id"] for m in r.json()["items"]] == [mid]

    r = await client.get("/api/v1/audit", params={"entity": "mark", "entity_id": mid})
    items = list(reversed(r.json()["items"]))
    assert [(a["action"], a["actor"]) for a in items] == [
        ("file", "ent-user"), ("attach_evidence", "ent-user"), ("review", "regulator-1"), ("close", "ent-user"),
        ("delete", "tester")]
    assert items[0]["before"] is None and items[-1]["after"]["deleted_at"] is not None
    assert items[3]["before"]["end"] is None and items[3]["after"]["end"] == "2026-11-20T01:10:00+00:00"


async def test_refusals_over_http(client, gas_point):
    url = f"/api/v1/points/{gas_point}/marks"
    r = await client.post(url, json={"type": "fault", "start": "2026-11-20T09:00", "end": "2026-11-20T08:00"})
    assert r.status_code == 422 and "must be after start" in r.json()["detail"]
    r = await client.post(url, json={"type": "holiday", "start": "2026-11-20T08:00"})
    assert r.status_code == 422 and "unknown mark type 'holiday'" in r.json()["detail"]
    r = await client.post(url, json={"type": "fault", "start": "2026-11-20T08:00", "factor_codes": ["w01018"]})
    assert r.status_code == 422 and "not monitored" in r.json()["detail"]
    r = await client.post(url, json={"type": "fault", "start": "yesterday"})
    assert r.status_code == 422 and "ISO 8601" in r.json()["detail"]
    r = await client.post("/api/v1/points/9999/marks", json={"type": "fault", "start": "2026-11-20T08:00"})
    assert r.status_code == 404 and r.json()["detail"] == "no point with id 9999"

    r = await client.post(url, json={"type": "stopped", "start": "2026-11-20T08:00", "end": "2026-11-20T12:00"})
    mid = r.json()["id"]
    r = await client.post(f"/api/v1/marks/{mid}/evidence", files={"file": ("empty.pdf", b"", "application/pdf")})
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = await client.post(f"/api/v1/marks/{mid}/review", json={"decision": "rejected"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = await client.post(f"/api/v1/marks/{mid}/review", json={"decision": "approved"})
    assert r.status_code == 422 and "only filed marks can be reviewed" in r.json()["detail"]
    r = await client.post(f"/api/v1/marks/{mid}/review", json={"decision": "perhaps"})
    assert r.status_code == 422
    r = await client.post(f"/api/v1/marks/{mid}/close", json={"end": "2026-11-20T13:00"})
    assert r.status_code == 422 and "already closed" in r.json()["detail"]

    for method, path in (("GET", "/api/v1/marks/777"), ("DELETE", "/api/v1/marks/777"),
                         ("GET", f"/api/v1/marks/{mid}/evidence/777")):
        r = await client.request(method, path)
        assert r.status_code == 404, (method, path)
    r = await client.post("/api/v1/marks/777/evidence", files={"file": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 404
