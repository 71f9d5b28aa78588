"""The supervision API (/api/v1/alarms/{id}/disposal…) on SQLite and PostgreSQL: a case from push to close with
what each party must do next, multipart feedback with evidence, and the refusals (403 the other party's step,
409 a step out of turn, 422 an over-long text or a bad file, 404 outside the scope)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from work_world import GAS_A, GAS_B, raise_point_alarm, start  # noqa: E402

API = "/api/v1/alarms"


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    w.a = raise_point_alarm(w, GAS_A)
    w.b = raise_point_alarm(w, GAS_B)
    with client:
        yield client, w
    w.engine.dispose()


def test_a_case_through_the_api(world):
    client, w = world
    county, ent, city = w.bearer("county_a"), w.bearer("ent_a"), w.bearer("city")
    before = client.get(f"{API}/{w.a}/disposal", headers=ent).json()
    assert before == {"alarm_id": w.a, "disposal": None, "next": None}

    assert client.post(f"{API}/{w.a}/disposal/push", headers=county,
                       json={"request": "查" * 2001}).status_code == 422
    r = client.post(f"{API}/{w.a}/disposal/push", headers=county,
                    json={"request": "请核查并反馈", "feedback_due": "2030-12-07T10:00:00"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["disposal"]["feedback_due_at"] == "2030-12-07T02:00:00+00:00"  # 10:00 in the deployment's zone
    assert body["next"]["party"] == "enterprise" and body["next"]["step"] == "handle" and not body["next"]["yours"]
    seen = client.get(f"{API}/{w.a}/disposal", headers=ent).json()["next"]
    assert seen["yours"] and seen["step"] == "handle" and not seen["overdue"]
    assert client.get(f"{API}/{w.a}/disposal", headers=city).json()["disposal"]["pushed_by"] == "county_a"
    assert client.post(f"{API}/{w.a}/disposal/push", headers=city, json={"request": "again"}).status_code == 409

    assert client.post(f"{API}/{w.a}/disposal/handle", headers=county, json={}).status_code == 403
    assert client.post(f"{API}/{w.a}/disposal/feedback", headers=ent,
                       data={"cause": "x", "measures": "y"}).status_code == 409  # not acknowledged yet
    assert client.post(f"{API}/{w.a}/disposal/handle", headers=ent, json={"comment": "已签收"}).status_code == 200
    bad = client.post(f"{API}/{w.a}/disposal/feedback", headers=ent, data={"cause": "泵故障", "measures": "更换"},
                      files=[("files", ("page.html", b"<script>alert(1)</script>", "text/html"))])
    assert bad.status_code == 422 and "仅接受" in bad.json()["detail"]  # the reader's language (zh)
    fb = client.post(f"{API}/{w.a}/disposal/feedback", headers=ent, data={"cause": "泵故障", "measures": "更换"},
                     files=[("files", ("记录.pdf", b"%PDF-1.7 ok", "application/octet-stream"))])
    assert fb.status_code == 200, fb.text
    (f,) = fb.json()["disposal"]["steps"][-1]["files"]
    assert f["content_type"] == "application/pdf" and f["url"].endswith(f"/disposal/files/{f['id']}")
    assert client.get(f["url"], headers=city).content == b"%PDF-1.7 ok"
    assert client.get(f["url"].replace(f"/{w.a}/", f"/{w.b}/"), headers=city).status_code == 404

    assert client.post(f"{API}/{w.a}/disposal/verify", headers=county,
                       json={"decision": "return"}).status_code == 422  # a return needs its reason
    assert client.post(f"{API}/{w.a}/disposal/verify", headers=county,
                       json={"decision": "accept"}).status_code == 200
    done = client.post(f"{API}/{w.a}/disposal/close", headers=county, json={"summary": "结案"}).json()
    assert done["disposal"]["state"] == "closed" and done["next"] is None
    steps = done["disposal"]["steps"]
    assert [(x["step"], x["actor"], x["party"]) for x in steps] == [
        ("push", "county_a", "regulator"), ("handle", "ent_a", "enterprise"), ("feedback", "ent_a", "enterprise"),
        ("accept", "county_a", "regulator"), ("close", "county_a", "regulator")]
    assert all(datetime.fromisoformat(x["at"]).tzinfo == timezone.utc for x in steps)
    # the other county sees neither the alarm nor its case
    assert client.get(f"{API}/{w.a}/disposal", headers=w.bearer("county_b")).status_code == 404
