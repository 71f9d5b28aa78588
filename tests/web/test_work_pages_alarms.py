"""Alarm centre pages over HTTP: scope, permissions, the lifecycle actions (PRG), CSRF, the live-update row."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, WATER_A, audit_rows, csrf_of, log_in, raise_point_alarm, start  # noqa: E402

from ecosentry.alarms import store  # noqa: E402


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    w.a = raise_point_alarm(w, GAS_A)
    w.b = raise_point_alarm(w, GAS_B, title="焚烧炉 SO2 超标")
    with client:
        yield client, w
    w.engine.dispose()


def test_county_regulator_sees_only_its_county(world):
    client, w = world
    page = client.get("/alarms", headers=w.bearer("county_a"))
    assert page.status_code == 200
    assert f'data-id="{w.a}"' in page.text and f'data-id="{w.b}"' not in page.text
    # titles name the enterprise and point (the title is worded when shown, in the reader's language)
    assert "苏州测试热电有限公司 1号锅炉CEMS：超标：二氧化硫" in page.text and "相城测试化工有限公司" not in page.text
    city = client.get("/alarms", headers=w.bearer("city")).text
    assert f'data-id="{w.a}"' in city and f'data-id="{w.b}"' in city
    out = client.get(f"/alarms/{w.b}", headers=w.bearer("county_a"))
    assert out.status_code == 404 and "此页面不存在，或您的账户无权查看。" in out.text
    # the O&M account sees the alarm of the point it maintains, not the other county's
    om = client.get("/alarms", headers=w.bearer("om_b")).text
    assert f'data-id="{w.b}"' in om and f'data-id="{w.a}"' not in om


def test_anonymous_is_sent_to_login_and_enterprise_may_comment_but_not_act(world):
    client, w = world
    r = client.get(f"/alarms/{w.a}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2Falarms%2F{w.a}"
    ack = client.post(f"/alarms/{w.a}/ack", headers=w.bearer("ent_a"), data={}, follow_redirects=False)
    assert ack.status_code == 403 and "alarms.act" in ack.text
    assert store.get_alarm(w.engine, w.a)["state"] == "active"
    c = client.post(f"/alarms/{w.a}/comment", headers=w.bearer("ent_a"), data={"text": "设备已检修"},
                    follow_redirects=False)
    assert c.status_code == 303
    detail = client.get(f"/alarms/{w.a}", headers=w.bearer("ent_a")).text
    assert "设备已检修" in detail and 'id="form-ack"' not in detail


def test_lifecycle_actions_redirect_and_are_audited_with_the_user(world):
    client, w = world
    h = w.bearer("county_a")
    r = client.post(f"/alarms/{w.a}/ack", headers=h, data={"comment": "已通知企业"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/alarms/{w.a}?done=ack"
    again = client.post(f"/alarms/{w.a}/ack", headers=h, data={}, follow_redirects=False)
    assert again.status_code == 409 and "已由 county_a 于" in again.text
    assert client.post(f"/alarms/{w.a}/assign", headers=h, data={"assignee": "zhang.san"},
                       follow_redirects=False).status_code == 303
    no_reason = client.post(f"/alarms/{w.a}/clear", headers=h, data={"reason": " "}, follow_redirects=False)
    assert no_reason.status_code == 422 and "手动消除告警需要填写原因" in no_reason.text
    assert client.post(f"/alarms/{w.a}/clear", headers=h, data={"reason": "现场核查为仪表漂移"},
                       follow_redirects=False).status_code == 303
    alarm = store.alarm_detail(w.engine, w.a)
    assert alarm["state"] == "cleared" and alarm["cleared_by"] == "county_a" and alarm["assignee"] == "zhang.san"
    assert [e["kind"] for e in alarm["events"]] == ["raised", "acknowledged", "assigned", "cleared"]
    actors = {(r["action"], r["actor"]) for r in audit_rows(w.engine, "alarm", w.a)}
    assert {("acknowledged", "county_a"), ("assigned", "county_a"), ("cleared", "county_a")} <= actors
    page = client.get(f"/alarms/{w.a}?done=clear", headers=h).text
    assert "现场核查为仪表漂移" in page and 'id="form-clear"' not in page


def test_link_a_mark_in_scope_only(world):
    from datetime import datetime, timezone

    from ecosentry.subsystems.monitoring.store.marks import file_mark

    client, w = world
    mine = file_mark(w.engine, point_id=w.points[GAS_A], type="maintenance",
                     start=datetime(2026, 11, 1, 1, tzinfo=timezone.utc), filed_by="ent_a")
    theirs = file_mark(w.engine, point_id=w.points[GAS_B], type="maintenance",
                       start=datetime(2026, 11, 1, 1, tzinfo=timezone.utc), filed_by="om_b")
    h = w.bearer("county_a")
    refused = client.post(f"/alarms/{w.a}/link", headers=h, data={"mark_id": str(theirs)}, follow_redirects=False)
    assert refused.status_code == 422 and f"您的范围内没有标记 {theirs}" in refused.text
    ok = client.post(f"/alarms/{w.a}/link", headers=h, data={"mark_id": str(mine)}, follow_redirects=False)
    assert ok.status_code == 303
    assert [(x["kind"], x["target_id"]) for x in store.alarm_detail(w.engine, w.a)["links"]] == [("mark", str(mine))]
    assert f'href="/marks/{mine}"' in client.get(f"/alarms/{w.a}", headers=h).text


def test_filters_and_bad_filter(world):
    client, w = world
    water = raise_point_alarm(w, WATER_A, type="ALM-DATA-MISSING", title="总排口数据缺失")
    h = w.bearer("admin")
    only_missing = client.get("/alarms?type=ALM-DATA-MISSING", headers=h).text
    assert f'data-id="{water}"' in only_missing and f'data-id="{w.a}"' not in only_missing
    county_b = client.get("/alarms?region=320507", headers=h).text
    assert f'data-id="{w.b}"' in county_b and f'data-id="{w.a}"' not in county_b
    assert f'data-id="{w.a}"' not in client.get("/alarms?state=cleared", headers=h).text
    bad = client.get("/alarms?severity=loud", headers=h)
    assert bad.status_code == 422 and "未知级别" in bad.text
    outside = client.get("/alarms?region=320507", headers=w.bearer("county_a"))
    assert outside.status_code == 422 and "不在您的管辖范围内" in outside.text


def test_live_row_is_rendered_only_in_scope_and_filters(world):
    client, w = world
    row = client.get(f"/alarms/{w.a}/row", headers=w.bearer("county_a"))
    assert row.status_code == 200 and row.text.strip().startswith("<tr") and 'class="sev-critical' in row.text
    assert client.get(f"/alarms/{w.b}/row", headers=w.bearer("county_a")).status_code == 204
    assert client.get(f"/alarms/{w.a}/row?state=cleared", headers=w.bearer("county_a")).status_code == 204
    page = client.get("/alarms", headers=w.bearer("county_a")).text
    assert 'data-stream="/api/v1/alarms/stream?region=320506"' in page


def test_session_forms_need_the_csrf_token(world):
    client, w = world
    log_in(client, "county_a")
    page = client.get(f"/alarms/{w.a}")
    assert page.status_code == 200 and "吴中区执法队" in page.text
    forged = client.post(f"/alarms/{w.a}/ack", data={"comment": "x"}, follow_redirects=False)
    assert forged.status_code == 403 and "表单已过期" in forged.text
    assert store.get_alarm(w.engine, w.a)["state"] == "active"
    ok = client.post(f"/alarms/{w.a}/ack", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert ok.status_code == 303
    assert store.get_alarm(w.engine, w.a)["acknowledged_by"] == "county_a"
