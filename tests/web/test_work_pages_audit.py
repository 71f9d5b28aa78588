"""Audit page: filters, scope (a regulator reads its own county's objects), before/after diff, export link."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, raise_point_alarm, start  # noqa: E402

from ecosentry.alarms import store as alarms  # noqa: E402
from ecosentry.subsystems.monitoring.store.marks import file_mark  # noqa: E402
from ecosentry.web.views.audit_pages import diff  # noqa: E402


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    t0 = datetime(2026, 11, 1, 1, tzinfo=timezone.utc)
    w.mark_a = file_mark(w.engine, point_id=w.points[GAS_A], type="maintenance", start=t0, filed_by="ent_a")
    w.mark_b = file_mark(w.engine, point_id=w.points[GAS_B], type="calibration", start=t0, filed_by="om_b")
    w.alarm_a = raise_point_alarm(w, GAS_A)
    alarms.acknowledge(w.engine, w.alarm_a, "county_a", "收到")
    with client:
        yield client, w
    w.engine.dispose()


def test_admin_filters_by_object_and_actor(world):
    client, w = world
    page = client.get(f"/audit?entity=alarm&entity_id={w.alarm_a}", headers=w.bearer("admin"))
    assert page.status_code == 200
    assert "acknowledged" in page.text and "raise" in page.text and "file" not in page.text.split("<tbody>")[1]
    # the acknowledgement's diff shows the state change before → after
    assert "<th>state</th><td class=\"before\">active</td>" in page.text
    by_om = client.get("/audit?actor=om_b", headers=w.bearer("admin")).text
    assert f"#{w.mark_b}" in by_om and "county_a" not in by_om.split("<tbody>")[1]


def test_regulator_reads_only_its_scope_and_others_are_refused(world):
    client, w = world
    county = client.get("/audit?entity=mark", headers=w.bearer("county_a")).text
    rows = county.split("<tbody>")[1]
    assert f'entity_id={w.mark_a}"' in rows and f'entity_id={w.mark_b}"' not in rows
    assert client.get("/audit", headers=w.bearer("ent_a")).status_code == 403
    assert client.get("/audit", follow_redirects=False).status_code == 303


def test_export_link_carries_the_filters_and_days(world):
    client, w = world
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the mark was filed (and audited) today
    first, last = today - timedelta(days=3), today + timedelta(days=1)
    page = client.get(f"/audit?entity=mark&actor=ent_a&since={first}&until={last}", headers=w.bearer("admin")).text
    start = page.index('id="audit-export" href="') + len('id="audit-export" href="')
    href = page[start:page.index('"', start)].replace("&amp;", "&")
    url = urlparse(href)
    assert url.path == "/api/v1/audit/export.csv"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q == {"entity": "mark", "actor": "ent_a", "since": f"{first}T00:00:00+08:00",
                 "until": f"{last + timedelta(days=1)}T00:00:00+08:00"}
    csv = client.get(href, headers=w.bearer("admin"))
    lines = csv.text.strip().splitlines()
    assert csv.status_code == 200 and len(lines) == 2 and f",file,mark,{w.mark_a}," in lines[1]
    bad = client.get("/audit?since=2026-11-30&until=2026-11-01&lang=en", headers=w.bearer("admin"))
    assert bad.status_code == 422 and "must not be after" in bad.text


@pytest.mark.parametrize("lang, wrong_order, not_a_day", [
    ("zh", "起始日期不能晚于结束日期", "&#39;30.11.2026&#39; 不是日期（YYYY-MM-DD）"),
    ("vi", "Ngày đầu không được sau ngày cuối", "&#39;30.11.2026&#39; không phải ngày (YYYY-MM-DD)"),
])
def test_a_bad_day_is_refused_in_the_readers_language(world, lang, wrong_order, not_a_day):
    client, w = world
    bad = client.get(f"/audit?since=2026-11-30&until=2026-11-01&lang={lang}", headers=w.bearer("admin"))
    assert bad.status_code == 422 and f'role="alert">{wrong_order}</p>' in bad.text
    bad = client.get(f"/audit?since=30.11.2026&lang={lang}", headers=w.bearer("admin"))
    assert bad.status_code == 422 and f'role="alert">{not_a_day}</p>' in bad.text


def test_diff_puts_changed_fields_first():
    changes = diff({"state": "active", "severity": "critical", "gone": 1}, {"state": "cleared",
                                                                           "severity": "critical", "new": 2})
    assert [(c.key, c.changed) for c in changes] == [("state", True), ("gone", True), ("new", True),
                                                     ("severity", False)]
    assert diff(None, None) == []
    assert [(c.before, c.after) for c in diff(None, {"a": 1})] == [(None, 1)]


def test_a_subsystems_codes_are_said_in_words(world):
    """The audit page names the subsystems' actions and objects by their words (Subsystem.audit_words), the
    core's by its own; a code nobody names stays as it is."""
    client, w = world
    from ecosentry.store import audit

    with w.engine.begin() as conn:
        audit.record(conn, "donre", "vn_map_parameter", "point", w.points[GAS_A], None, {"raw_name": "Flow_In"})
        audit.record(conn, "clerk", "place", "gate_hold", 7, None, {"reason": "inspection"})
        audit.record(conn, "ops", "photo", "om_work_order", 3, None, {"photos": 1})
        audit.record(conn, "retention", "retention", "store", None, None, {"dropped": 0})
        audit.record(conn, "someone", "mystery_action", "mystery_thing", 1, None, None)
    page = client.get("/audit?lang=zh", headers=w.bearer("admin")).text
    body = re.sub(r"<[^>]+>", " ", page.split("<tbody>", 1)[1])  # the rows' text (links keep the codes)
    for words in ("参数已映射", "设立", "法律保全", "已添加照片", "工单", "保存期清理", "存储的数据"):
        assert words in body, words
    for code in ("vn_map_parameter", "gate_hold", "om_work_order", "store "):
        assert code not in body, code
    assert "mystery_action" in body and "mystery_thing" in body
