"""Mark pages over HTTP: filing with evidence (multipart), validation, review, close, scope, downloads."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, audit_rows, start  # noqa: E402

from ecosentry.subsystems.monitoring.store import marks as store  # noqa: E402


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    with client:
        yield client, w
    w.engine.dispose()


def _file(client, w, user="ent_a", mn=GAS_A, **fields):
    data = {"point_id": str(w.points[mn]), "type": "maintenance", "start": "2026-11-20T09:00",
            "end": "2026-11-20T11:30", "reason": "更换采样探头", "factor_codes": ["a21026", "a21002"], **fields}
    files = [("evidence", ("维护记录.pdf", b"%PDF-1.4 maintenance record", "application/pdf")),
             ("evidence", ("photo.jpg", b"\xff\xd8\xff photo", "image/jpeg"))]
    return client.post("/marks/new", headers=w.bearer(user), data=data, files=files, follow_redirects=False)


def test_enterprise_files_a_mark_with_evidence(world):
    client, w = world
    form = client.get(f"/marks/new?point={w.points[GAS_A]}", headers=w.bearer("ent_a"))
    assert form.status_code == 200 and "日常维护" in form.text and 'value="a21026"' in form.text
    r = _file(client, w)
    assert r.status_code == 303
    mark_id = int(re.match(r"/marks/(\d+)\?done=filed", r.headers["location"]).group(1))
    mark = store.get_mark(w.engine, mark_id)
    assert mark["filed_by"] == "ent_a" and mark["status"] == "filed" and mark["factor_codes"] == ["a21002", "a21026"]
    # 09:00 local time of the point (Asia/Shanghai) is 01:00 UTC
    assert mark["start"].isoformat() == "2026-11-20T01:00:00+00:00"
    assert [e["filename"] for e in mark["evidence"]] == ["维护记录.pdf", "photo.jpg"]
    page = client.get(r.headers["location"], headers=w.bearer("ent_a")).text
    assert "维护记录.pdf" in page and "更换采样探头" in page and 'id="form-review"' not in page
    ev = mark["evidence"][0]
    dl = client.get(f"/marks/{mark_id}/evidence/{ev['id']}", headers=w.bearer("county_a"))
    assert dl.status_code == 200 and dl.content == b"%PDF-1.4 maintenance record"
    assert [r["action"] for r in audit_rows(w.engine, "mark", mark_id)] == ["file", "attach_evidence", "attach_evidence"]
    assert {r["actor"] for r in audit_rows(w.engine, "mark", mark_id)} == {"ent_a"}


def test_filing_errors_are_shown_in_the_form(world):
    client, w = world
    other = _file(client, w, mn=GAS_B)
    assert other.status_code == 422 and "请选择您的监测点" in other.text
    backwards = _file(client, w, end="2026-11-20T08:00")
    assert backwards.status_code == 422 and "必须晚于开始时间" in backwards.text
    assert 'value="2026-11-20T08:00"' in backwards.text  # the typed values stay in the form
    factor = _file(client, w, factor_codes=["w01018"])
    assert factor.status_code == 422 and "不监测因子" in factor.text
    bad_time = _file(client, w, start="yesterday")
    assert bad_time.status_code == 422 and "不是日期时间" in bad_time.text
    empty = client.post("/marks/new", headers=w.bearer("ent_a"),
                        data={"point_id": str(w.points[GAS_A]), "type": "fault", "start": "2026-11-20T09:00"},
                        files=[("evidence", ("empty.txt", b"", "text/plain"))], follow_redirects=False)
    assert empty.status_code == 422 and "为空" in empty.text
    assert client.get("/marks/new", headers=w.bearer("county_a")).status_code == 403
    with w.engine.connect() as conn:
        from sqlalchemy import func, select

        from ecosentry.store import schema as s
        assert conn.execute(select(func.count()).select_from(s.marks)).scalar_one() == 0


def test_regulator_reviews_and_scope_hides_other_counties(world):
    client, w = world
    mark_id = int(_file(client, w).headers["location"].split("/")[2].split("?")[0])
    assert client.get(f"/marks/{mark_id}", headers=w.bearer("county_b")).status_code == 404
    assert f'data-id="{mark_id}"' not in client.get("/marks", headers=w.bearer("county_b")).text
    assert f'data-id="{mark_id}"' in client.get("/marks?status=filed", headers=w.bearer("county_a")).text
    assert client.post(f"/marks/{mark_id}/review", headers=w.bearer("ent_a"), data={"decision": "approved"},
                       follow_redirects=False).status_code == 403
    page = client.get(f"/marks/{mark_id}", headers=w.bearer("county_a")).text
    assert 'id="form-review"' in page
    r = client.post(f"/marks/{mark_id}/review", headers=w.bearer("county_a"),
                    data={"decision": "approved", "comment": "记录齐全"}, follow_redirects=False)
    assert r.status_code == 303
    mark = store.get_mark(w.engine, mark_id)
    assert (mark["status"], mark["reviewed_by"], mark["review_comment"]) == ("approved", "county_a", "记录齐全")
    twice = client.post(f"/marks/{mark_id}/review", headers=w.bearer("county_a"), data={"decision": "rejected"},
                        follow_redirects=False)
    assert twice.status_code == 422 and "只能审核待审核的标记" in twice.text
    assert f'data-id="{mark_id}"' in client.get("/marks?status=approved", headers=w.bearer("county_a")).text


def test_close_an_open_mark_and_add_evidence(world):
    client, w = world
    r = _file(client, w, end="")
    mark_id = int(r.headers["location"].split("/")[2].split("?")[0])
    assert store.get_mark(w.engine, mark_id)["end"] is None
    early = client.post(f"/marks/{mark_id}/close", headers=w.bearer("ent_a"), data={"end": "2026-11-20T08:00"},
                        follow_redirects=False)
    assert early.status_code == 422 and "必须晚于开始时间" in early.text
    assert client.post(f"/marks/{mark_id}/close", headers=w.bearer("ent_a"), data={"end": "2026-11-20T12:00"},
                       follow_redirects=False).status_code == 303
    assert store.get_mark(w.engine, mark_id)["end"].isoformat() == "2026-11-20T04:00:00+00:00"
    up = client.post(f"/marks/{mark_id}/evidence", headers=w.bearer("ent_a"),
                     files=[("evidence", ("close-report.txt", "维修完毕".encode(), "text/plain"))],
                     follow_redirects=False)
    assert up.status_code == 303
    assert "close-report.txt" in client.get(f"/marks/{mark_id}", headers=w.bearer("ent_a")).text
