"""``/gates/holds``: a regulator places and releases legal holds from the page (SQLite and PostgreSQL): whole local
days of an enterprise of their scope, a reason required, audited both ways; the retention's ``held`` clause then
keeps the enterprise's records of those days; the enterprise's own accounts get the 403 page, a regulator of another
region the 404 page; the page in zh and vi."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import literal, select

from ecosentry.store.audit import list_audit
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.store.holds import ENTITY, held
from gates_pages_world import auth, site as world_site


site = pytest.fixture(world_site, name="site")


def _holds(w) -> list[dict]:
    with w["engine"].connect() as c:
        return [dict(r) for r in c.execute(select(gs.gates_holds).order_by(gs.gates_holds.c.id)).mappings()]


def _held(w, enterprise: int, at: datetime) -> bool:
    with w["engine"].connect() as c:
        return bool(c.scalar(select(held(literal(enterprise), literal(at)))))


@pytest.mark.parametrize("lang, words", [("zh", ("证据保全", "设立保全", "文书号", "暂无保全。")),
                                         ("vi", ("Lưu giữ chứng cứ", "Đặt lệnh lưu giữ", "Số văn bản",
                                                 "Không có lệnh lưu giữ."))])
def test_the_regulator_gets_the_page_and_the_enterprise_does_not(site, lang, words):
    w, client = site
    page = client.get(f"/gates/holds?lang={lang}", headers=auth(w, "city"))
    assert page.status_code == 200
    assert all(x in page.text for x in words), page.text[-2500:]
    assert f'<option value="{w["a"]}">' in page.text and f'<option value="{w["b"]}">' in page.text
    assert client.get("/gates/holds", headers=auth(w, "plantA")).status_code == 403
    # the regulator of another city has no gated enterprise: the form is not offered
    other = client.get(f"/gates/holds?lang={lang}", headers=auth(w, "taiyuan"))
    assert other.status_code == 200 and 'id="hold-form"' not in other.text


def test_a_hold_placed_on_whole_local_days_keeps_those_records_until_released(site):
    w, client = site
    h = auth(w, "city")
    r = client.post("/gates/holds", data={"enterprise": str(w["a"]), "first": "2026-12-01", "last": "2026-12-03",
                                          "reason": "2026年12月重污染预警期间检查", "case_ref": "临环罚〔2026〕17号"},
                    headers=h)
    assert r.status_code == 303 and "placed=" in r.headers["location"]
    [hold] = _holds(w)
    # local days of Shanxi (UTC+8): from 2026-12-01 00:00 to the end of 2026-12-03
    assert hold["start"] == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert hold["end"] == datetime(2026, 12, 3, 16, 0, tzinfo=timezone.utc) - timedelta(microseconds=1)
    assert (hold["placed_by"], hold["case_ref"], hold["released_at"]) == ("city", "临环罚〔2026〕17号", None)
    assert _held(w, w["a"], datetime(2026, 12, 3, 15, 59, tzinfo=timezone.utc))
    assert not _held(w, w["a"], datetime(2026, 12, 3, 16, 0, tzinfo=timezone.utc))
    assert not _held(w, w["b"], datetime(2026, 12, 2, tzinfo=timezone.utc))
    page = client.get(r.headers["location"] + "&lang=zh", headers=h).text
    assert "保全已设立并记入日志" in page and "临环罚〔2026〕17号" in page and "2026/12/1 00:00" in page and "2026/12/3 23:59" in page
    [placed] = list_audit(w["engine"], entity=ENTITY)
    assert (placed["actor"], placed["action"], placed["entity_id"]) == ("city", "place", str(hold["id"]))

    # released from the page, with its reason: the records are no longer held
    url = f"/gates/holds/{hold['id']}/release"
    assert client.post(url, data={"reason": "检查结束"}, headers=auth(w, "plantA")).status_code == 403
    assert client.post(url, data={"reason": "x"}, headers=auth(w, "taiyuan")).status_code == 404
    r = client.post(url, data={"reason": "检查结束"}, headers=h)
    assert r.status_code == 303 and f"released_id={hold['id']}" in r.headers["location"]
    [after] = _holds(w)
    assert (after["released_by"], after["release_reason"]) == ("city", "检查结束")
    assert not _held(w, w["a"], datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert {e["action"] for e in list_audit(w["engine"], entity=ENTITY)} == {"place", "release"}
    # a second release is said on the page, nothing changes
    r = client.post(url, data={}, headers=h)
    assert "problem=released" in r.headers["location"]
    assert "该保全已解除" in client.get(r.headers["location"] + "&lang=zh", headers=h).text
    # the standing list is empty; the released one shows on asking
    assert 'id="no-holds"' in client.get("/gates/holds", headers=h).text
    assert f'data-hold="{hold["id"]}"' in client.get("/gates/holds?released=1", headers=h).text


@pytest.mark.parametrize("form, problem, said", [
    ({"first": "2026-12-03", "last": "2026-12-01", "reason": "检查"}, "days", "截止日不得早于起始日"),
    ({"first": "12/01/2026", "last": "2026-12-01", "reason": "检查"}, "days", "截止日不得早于起始日"),
    ({"first": "2026-12-01", "last": "2026-12-01", "reason": "  "}, "reason", "保全须注明理由"),
])
def test_a_refused_form_is_said_on_the_page_and_changes_nothing(site, form, problem, said):
    w, client = site
    h = auth(w, "city")
    r = client.post("/gates/holds", data={"enterprise": str(w["a"]), **form}, headers=h)
    assert r.status_code == 303 and f"problem={problem}" in r.headers["location"]
    assert said in client.get(r.headers["location"] + "&lang=zh", headers=h).text
    assert _holds(w) == []


def test_an_enterprise_outside_the_scope_is_not_found(site):
    w, client = site
    data = {"enterprise": str(w["a"]), "first": "2026-12-01", "last": "2026-12-01", "reason": "检查"}
    assert client.post("/gates/holds", data=data, headers=auth(w, "taiyuan")).status_code == 404
    assert client.post("/gates/holds", data={**data, "enterprise": "999999"},
                       headers=auth(w, "city")).status_code == 404
    assert client.post("/gates/holds/999999/release", data={}, headers=auth(w, "city")).status_code == 404
    assert _holds(w) == []
