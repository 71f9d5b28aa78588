"""Planned work orders created from the board (issue 18 item 2): ``POST /om/orders`` with the form's CSRF token on a
logged-in session; the O&M engineer, the enterprise and the administrator may (``marks.file``, as the API's
``POST /work-orders`` in the access matrix), the regulator may not; only planned kinds and points in scope; a bad
value comes back beside the form in the reader's language and writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecosentry.api.app import create_app
from ecosentry.subsystems.om.schema import om_work_order_events, om_work_orders
from om_pages_world import PASSWORD, add_accounts


@pytest.fixture
def site(om_world):
    eng, st, pts = om_world
    keys = add_accounts(eng)
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        yield eng, st, pts, keys, client


def _orders(eng) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(select(om_work_orders).order_by(om_work_orders.c.id)).mappings()]


def _log_in(client, user: str) -> str:
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    r = client.post("/login", data={"username": user, "password": PASSWORD, "next": "/om/orders", "csrf": token})
    assert r.status_code == 303, r.text
    board = client.get("/om/orders?lang=zh")
    return re.search(r'id="om-new-form">\s*<input type="hidden" name="csrf" value="([^"]+)"', board.text).group(1)


def test_the_engineer_creates_a_planned_order_from_the_board(site):
    eng, st, pts, keys, client = site
    token = _log_in(client, "om_zhang")
    board = client.get("/om/orders?lang=zh").text
    assert "新建计划工单" in board and f'<option value="{pts["a"]}"' in board
    assert f'<option value="{pts["b"]}"' not in board           # not a point it maintains
    assert client.post("/om/orders", data={"kind": "calibration", "point": pts["a"]}).status_code == 403
    assert client.post("/om/orders", data={"kind": "calibration", "point": pts["a"], "csrf": "forged"}
                       ).status_code == 403
    assert _orders(eng) == []
    before = datetime.now(timezone.utc).replace(microsecond=0)
    r = client.post("/om/orders?lang=zh", data={"kind": "calibration", "point": str(pts["a"]), "csrf": token,
                                                 "note": "季度校准"})
    assert r.status_code == 303
    [order] = _orders(eng)
    assert r.headers["location"] == f"/om/orders/{order['id']}?done=created"
    assert (order["kind"], order["point_id"], order["state"], order["created_by"], order["note"]) == \
        ("calibration", pts["a"], "created", "om_zhang", "季度校准")
    assert order["alarm_id"] is None and order["report_deadline"] is None
    assert order["deadline"] - order["created_at"] == timedelta(hours=48) and order["created_at"] >= before
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(om_work_order_events).where(
            om_work_order_events.c.order_id == order["id"], om_work_order_events.c.action == "create")).scalar() == 1
    page = client.get(f"{r.headers['location']}&lang=zh")
    assert page.status_code == 200 and "计划工单已创建" in page.text
    # a deadline of its own, in the point's local time
    r = client.post("/om/orders", data={"kind": "comparison", "point": str(pts["a"]), "csrf": token,
                                        "deadline": "2099-03-01T17:00"})
    assert r.status_code == 303
    assert _orders(eng)[-1]["deadline"] == datetime(2099, 3, 1, 9, 0, tzinfo=timezone.utc)
    client.cookies.clear()


@pytest.mark.parametrize("lang, data, words", [
    ("zh", {"kind": "device_fault"}, "不在可选项中"),                  # an alarm kind is not planned
    ("vi", {"kind": "calibration", "point": ""}, "Hãy chọn điểm quan trắc"),
    ("zh", {"kind": "calibration", "point": "B"}, "不在可选项中"),    # another organisation's point
    ("zh", {"kind": "weekly_inspection", "deadline": "2020-01-01T08:00"}, "期限必须晚于当前时间")])
def test_bad_values_come_back_beside_the_form_and_write_nothing(site, lang, data, words):
    eng, st, pts, keys, client = site
    data = {"point": str(pts["a"]), **data}
    if data["point"] == "B":
        data["point"] = str(pts["b"])
    r = client.post(f"/om/orders?lang={lang}", data=data, headers={"X-API-Key": keys["om_zhang"]})
    assert r.status_code == 422
    assert 'id="om-new-error"' in r.text and words in r.text, r.text[:3000]
    assert _orders(eng) == []


def test_who_may_create_as_in_the_access_matrix(site):
    eng, st, pts, keys, client = site
    for user, status in (("city", 403), ("ent_a", 303), ("admin", 303)):
        r = client.post("/om/orders", data={"kind": "daily_inspection", "point": str(pts["a"])},
                        headers={"X-API-Key": keys[user]})
        assert r.status_code == status, (user, r.status_code)
    assert [o["created_by"] for o in _orders(eng)] == ["ent_a", "admin"]
    assert "om-new-form" not in client.get("/om/orders", headers={"X-API-Key": keys["city"]}).text
