"""The audit API: logins are audited; filters, paging and the CSV export; a regulator sees the rows about
objects in their scope and their own actions only."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from authkit import COUNTY_B, PASSWORD
from authkit import make_app


def test_logins_are_audited_and_filterable(world, tmp_path):
    with TestClient(make_app(world.engine, tmp_path)) as c:
        c.post("/api/v1/auth/login", json={"username": "m-city", "password": "wrong password"})
        token = c.post("/api/v1/auth/login", json={"username": "m-city", "password": PASSWORD}).json()["csrf_token"]
        assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
        admin = world.headers["admin"]
        r = c.get("/api/v1/audit", headers=admin, params={"entity": "user", "actor": "m-city"})
        assert r.status_code == 200
        assert [x["action"] for x in r.json()["items"]] == ["logout", "login", "login_failed"]  # newest first
        assert r.json()["items"][1]["after"] == {"client": "testclient"}
        assert r.json()["items"][1]["at"].endswith("+00:00")
        page = c.get("/api/v1/audit", headers=admin, params={"page_size": 2, "page": 2, "entity": "user"}).json()
        assert page["page"] == 2 and len(page["items"]) == 2 and page["total"] > 4
        r = c.get("/api/v1/audit", headers=admin, params={"action": "login_failed", "since": "2000-01-01",
                                                          "until": "2999-01-01"})
        assert [x["actor"] for x in r.json()["items"]] == ["m-city"]
        bad = c.get("/api/v1/audit", headers=admin, params={"since": "yesterday"})
        assert bad.status_code == 422 and "since" in bad.json()["detail"]
        assert c.get("/api/v1/audit", headers=admin, params={"since": "2026-02-01",
                                                             "until": "2026-01-01"}).status_code == 422


def test_csv_export_streams_every_matching_row(world, tmp_path):
    from ecosentry.api.routes import audit as audit_route

    for _ in range(5):
        world.mark(world.points["MATRIXA0000000000000GAS1"])
    with TestClient(make_app(world.engine, tmp_path)) as c:
        old = audit_route.CSV_CHUNK
        audit_route.CSV_CHUNK = 2  # several chunks
        try:
            r = c.get("/api/v1/audit/export.csv", headers=world.headers["admin"], params={"entity": "mark"})
        finally:
            audit_route.CSV_CHUNK = old
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert 'filename="audit-log.csv"' in r.headers["content-disposition"]
        assert r.content.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert len(rows) == 5 and [int(x["id"]) for x in rows] == sorted(int(x["id"]) for x in rows)
        assert {x["action"] for x in rows} == {"file"} and json.loads(rows[0]["after"])["reason"] == "matrix"


def test_regulator_sees_rows_about_their_scope_and_their_own_actions(world, tmp_path):
    a_mark = world.mark(world.points["MATRIXA0000000000000GAS1"])
    b_mark = world.mark(world.points["MATRIXB0000000000000GAS1"])
    b_region_alarm = world.alarm(region=COUNTY_B)
    with TestClient(make_app(world.engine, tmp_path)) as c:
        # county A acts on something of its own (a subscription): its own action is visible
        c.post("/api/v1/alarm-subscriptions", headers=world.headers["county_a"],
               json={"channel": "email", "address": "a@example.org", "region_code": "320506"})
        rows = c.get("/api/v1/audit", headers=world.headers["county_a"], params={"page_size": 1000}).json()["items"]
        about = {(x["entity"], x["entity_id"]) for x in rows}
        assert ("mark", str(a_mark)) in about and ("mark", str(b_mark)) not in about
        assert ("alarm", str(b_region_alarm)) not in about
        assert any(x["entity"] == "alarm_subscription" and x["actor"] == "m-county_a" for x in rows)
        assert not any(x["entity"] == "user" and x["actor"] != "m-county_a" for x in rows)
        city = {(x["entity"], x["entity_id"]) for x in
                c.get("/api/v1/audit", headers=world.headers["city"], params={"page_size": 1000}).json()["items"]}
        assert {("mark", str(a_mark)), ("mark", str(b_mark)), ("alarm", str(b_region_alarm))} <= city
        assert c.get("/api/v1/audit", headers=world.headers["enterprise_a"]).status_code == 403
        assert c.get("/api/v1/audit").status_code == 401
