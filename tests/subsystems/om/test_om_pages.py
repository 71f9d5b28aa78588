"""The O&M pages through the application as each role sees them (the O&M engineer of point A, the city's regulator,
the enterprise of A, the engineer of another organisation who must not see A), on SQLite and PostgreSQL: the
work-order board with its columns, filters and overdue orders; one order with its trail, source alarm, photos,
readings and checklist and the actions as forms (refusals of the state machine said in the reader's language, the
core's CSRF check on a logged-in session); photos uploaded through the page and the API into the picture store,
checked (a bad file stores nothing) and served only to who sees the order; the engineer's phone view; the
calibration history of an analyser with its out-of-control periods and drift chart."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecosentry.api.app import create_app
from ecosentry.metrics import counters
from ecosentry.subsystems.om.schema import om_work_order_events, om_work_order_photos, om_work_orders
from ecosentry.subsystems.om.store.photos import photo_store
from om_pages_world import PASSWORD, add_accounts, add_checks, add_orders, photo


@pytest.fixture
def site(om_world):
    eng, st, pts = om_world
    now = datetime.now(timezone.utc).replace(microsecond=0)
    keys = add_accounts(eng)
    orders = add_orders(eng, st, pts, now)
    checks = add_checks(eng, st, pts, now)
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        yield {"eng": eng, "st": st, "pts": pts, "keys": keys, "o": orders, "checks": checks, "client": client}


def get(w, user, path, lang="zh"):
    sep = "&" if "?" in path else "?"
    return w["client"].get(f"{path}{sep}lang={lang}", headers={"X-API-Key": w["keys"][user]})


def post(w, user, path, data=None, files=None, lang="zh"):
    return w["client"].post(f"{path}?lang={lang}", data=data or {}, files=files,
                            headers={"X-API-Key": w["keys"][user]})


def cards(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-order="(\d+)"', html)}


def column(html: str, states: str) -> set[int]:
    part = html[html.index(f'data-column="{states}"'):]
    return cards(part[:part.index("</section>")])


def count(eng, table, *where) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


# --------------------------------------------------------------------------------------------- the board

def test_the_board_shows_each_role_its_orders_by_state(site):
    w, o = site, site["o"]
    mine = get(w, "om_zhang", "/om/orders")
    assert mine.status_code == 200, mine.text
    assert cards(mine.text) == {o.overdue, o.alarm, o.on_site, o.done}
    assert column(mine.text, "created") == {o.alarm} and column(mine.text, "assigned") == {o.overdue}
    assert column(mine.text, "on_site") == {o.on_site} and column(mine.text, "done") == {o.done}
    # names, not codes: the kind, the enterprise, the point, the engineer, the source alarm's type, local time
    for word in ("周巡检", "数据缺失", "石家庄热电", "1号排口", "张工", "河北清源环境运维有限公司"):
        assert word in mine.text, word
    assert "weekly_inspection" not in mine.text.split('id="om-board"')[1]
    overdue = mine.text[mine.text.index(f'data-order="{o.overdue}"') - 40:]
    assert 'om-card overdue' in overdue[:80] and "已逾期" in overdue[:900]
    assert "+08:00" not in mine.text and "UTC" not in mine.text
    city = get(w, "city", "/om/orders")
    assert cards(city.text) == {o.overdue, o.alarm, o.on_site, o.done, o.other}
    assert cards(get(w, "ent_a", "/om/orders").text) == {o.overdue, o.alarm, o.on_site, o.done}
    assert cards(get(w, "om_li", "/om/orders").text) == {o.other}
    anonymous = w["client"].get("/om/orders")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_the_board_filters_by_organisation_enterprise_kind_and_overdue(site):
    w, o = site, site["o"]
    page = get(w, "city", "/om/orders").text
    org = re.search(r'<option value="(\d+)"[^>]*>河北清源环境运维有限公司</option>', page).group(1)
    ent_b = re.search(r'<option value="(\d+)"[^>]*>石家庄水泥</option>', page).group(1)
    assert cards(get(w, "city", f"/om/orders?organisation={org}").text) == {o.overdue, o.alarm, o.on_site, o.done}
    assert cards(get(w, "city", f"/om/orders?enterprise={ent_b}").text) == {o.other}
    assert cards(get(w, "city", "/om/orders?kind=weekly_inspection").text) == {o.overdue, o.other}
    assert cards(get(w, "city", "/om/orders?overdue=1").text) == {o.overdue}
    bad = get(w, "city", "/om/orders?kind=fishing", "vi")
    assert bad.status_code == 200 and 'role="alert"' in bad.text and cards(bad.text) == set()
    vi = get(w, "city", "/om/orders", "vi").text
    assert "Phiếu công việc" in vi and "quá hạn" in vi


# --------------------------------------------------------------------------------------------- one order

def test_an_order_page_shows_its_trail_alarm_readings_checklist_and_the_readers_actions(site):
    w, o = site, site["o"]
    r = get(w, "om_zhang", f"/om/orders/{o.done}")
    assert r.status_code == 200, r.text
    trail = r.text[r.text.index('id="om-trail"'):r.text.index("</ol>", r.text.index('id="om-trail"'))]
    assert trail.count("<li") == 5 and "张工" in trail and "标记为到场" in trail and "更换采样滤芯" in trail
    assert "二氧化硫" in r.text and "35.2" in r.text            # the reading, by the factor's name
    assert "采样探头" in r.text and "om-no" in r.text           # the checklist, ticked and not
    assert 'id="form-approve"' not in r.text                  # the review is the regulator's
    reg = get(w, "city", f"/om/orders/{o.done}")
    assert 'id="form-approve"' in reg.text and 'id="form-reject"' in reg.text and 'id="om-photos-form"' not in reg.text
    alarm = get(w, "ent_a", f"/om/orders/{o.alarm}")
    assert alarm.status_code == 200 and 'id="om-alarm"' in alarm.text and "数据缺失" in alarm.text
    assert 'id="form-assign"' in alarm.text and ">张工</option>" in alarm.text
    assert get(w, "om_li", f"/om/orders/{o.done}").status_code == 404
    assert get(w, "om_zhang", f"/om/orders/{o.other}").status_code == 404
    assert get(w, "om_zhang", "/om/orders/999999").status_code == 404
    vi = get(w, "city", f"/om/orders/{o.done}", "vi").text
    assert "Phê duyệt" in vi and "Nhật ký" in vi


def test_actions_go_through_the_state_machine_and_refusals_are_said_in_the_readers_language(site):
    w, o, eng = site, site["o"], site["eng"]
    events = count(eng, om_work_order_events)
    # finishing an order nobody has accepted: refused by the rule, in Chinese and in Vietnamese, nothing written
    r = post(w, "om_zhang", f"/om/orders/{o.alarm}/finish")
    assert r.status_code == 409 and "已创建" in r.text and 'id="om-error"' in r.text
    r = post(w, "om_zhang", f"/om/orders/{o.alarm}/finish", lang="vi")
    assert r.status_code == 409 and "đã tạo" in r.text.lower()
    assert count(eng, om_work_order_events) == events
    # assigning to someone who does not maintain the point is refused; to its engineer it goes
    r = post(w, "ent_a", f"/om/orders/{o.alarm}/assign", {"assignee": "om_li", "note": "请尽快处理", "action": "assign"})
    assert r.status_code == 422 and "om_li" in r.text and ">请尽快处理</textarea>" in r.text   # the note kept
    r = post(w, "ent_a", f"/om/orders/{o.alarm}/assign", {"assignee": "om_zhang", "back": "order"})
    assert r.status_code == 303 and r.headers["location"] == f"/om/orders/{o.alarm}?done=assign"
    # the review: a reason is needed to reject, the engineer may not review, the regulator approves
    r = post(w, "city", f"/om/orders/{o.done}/reject", {"note": " ", "action": "reject"})
    assert r.status_code == 422 and "说明" in r.text
    assert post(w, "om_zhang", f"/om/orders/{o.done}/approve").status_code == 403
    assert post(w, "om_li", f"/om/orders/{o.overdue}/accept").status_code == 404
    r = post(w, "city", f"/om/orders/{o.done}/approve", {"note": "合格"})
    assert r.status_code == 303
    with eng.connect() as c:
        states = dict(c.execute(select(om_work_orders.c.id, om_work_orders.c.state)).all())
    assert states[o.done] == "reviewed" and states[o.alarm] == "assigned"
    page = get(w, "city", f"/om/orders/{o.done}?done=approve")
    assert 'id="om-done"' in page.text and "合格" in page.text
    assert count(eng, om_work_order_events) == events + 2


def test_the_engineer_finishes_on_the_phone_with_checklist_and_readings(site):
    w, o = site, site["o"]
    r = get(w, "om_zhang", "/om/my")
    assert r.status_code == 200
    assert cards(r.text) == {o.overdue, o.on_site, o.alarm}           # own open orders, and one to take
    assert 'capture="environment"' in r.text and 'accept="image/*"' in r.text and " multiple" in r.text
    assert 'data-action="accept"' in r.text and 'id="finish-' + str(o.on_site) + '"' in r.text
    assert "二氧化硫" in r.text                                         # a reading field by the factor's name
    bad = post(w, "om_zhang", f"/om/orders/{o.on_site}/finish", {"back": "my", "reading.a21026": "abc"})
    assert bad.status_code == 422 and "abc" in bad.text and f'id="order-{o.on_site}"' in bad.text
    r = post(w, "om_zhang", f"/om/orders/{o.on_site}/finish",
             {"back": "my", "check.zero": "1", "check.span": "1", "reading.a21026": "41,5", "note": "零点量程正常"})
    assert r.status_code == 303 and r.headers["location"] == f"/om/my?done=finish&order={o.on_site}#order-{o.on_site}"
    order = get(w, "city", f"/om/orders/{o.on_site}").text
    assert "41.5" in order and "零点量程正常" in order
    taken = post(w, "om_zhang", f"/om/orders/{o.alarm}/assign", {"back": "my", "assignee": "om_zhang"})
    assert taken.status_code == 303
    assert o.alarm in cards(get(w, "om_zhang", "/om/my").text)
    assert get(w, "city", "/om/my").status_code == 403                # a regulator takes no orders
    assert cards(get(w, "om_li", "/om/my").text) == {o.other}


def test_a_logged_in_session_needs_the_forms_csrf_token(site):
    w, o = site, site["o"]
    client = w["client"]
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    r = client.post("/login", data={"username": "om_zhang", "password": PASSWORD, "next": "/om/my", "csrf": token})
    assert r.status_code == 303, r.text
    page = client.get("/om/my")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post(f"/om/orders/{o.overdue}/accept", data={"back": "my"}).status_code == 403
    assert client.post(f"/om/orders/{o.overdue}/accept", data={"back": "my", "csrf": "forged"}).status_code == 403
    r = client.post(f"/om/orders/{o.overdue}/accept", data={"back": "my", "csrf": token})
    assert r.status_code == 303
    client.cookies.clear()


# --------------------------------------------------------------------------------------------- photos

def _stored_files(st) -> int:
    root = photo_store(st).root
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_photos_are_checked_stored_and_served_only_to_who_sees_the_order(site):
    w, o, eng, st = site, site["o"], site["eng"], site["st"]
    one, two = photo(1), photo(2, kind="PNG")
    refused = counters.get("om_photo_refused")
    # a file that is not a picture among good ones: nothing stored, the reason said with the file's name
    r = post(w, "om_zhang", f"/om/orders/{o.on_site}/photos",
             {"back": "my"}, files=[("photos", ("a.jpg", one, "image/jpeg")),
                                    ("photos", ("notes.txt", b"not a photo", "image/jpeg"))])
    assert r.status_code == 422 and "notes.txt" in r.text and "JPEG" in r.text
    assert count(eng, om_work_order_photos) == 0 and _stored_files(st) == 0
    assert counters.get("om_photo_refused") == refused + 1
    r = post(w, "om_zhang", f"/om/orders/{o.on_site}/photos", {"back": "order"}, files=[])
    assert r.status_code == 422 and "至少" in r.text
    # two photos from the phone: stored, linked, listed
    r = post(w, "om_zhang", f"/om/orders/{o.on_site}/photos", {"back": "my"},
             files=[("photos", ("IMG_0001.jpg", one, "image/jpeg")), ("photos", ("IMG_0002.png", two, "image/png"))])
    assert r.status_code == 303 and r.headers["location"] == f"/om/my?done=photos&n=2&order={o.on_site}#order-{o.on_site}"
    assert count(eng, om_work_order_photos) == 2 and _stored_files(st) == 2
    with eng.connect() as c:
        shas = dict(c.execute(select(om_work_order_photos.c.filename, om_work_order_photos.c.sha256)).all())
    page = get(w, "city", f"/om/orders/{o.on_site}").text
    assert all(f"/om/orders/{o.on_site}/photos/{sha}" in page for sha in shas.values())
    # served to the engineer, the regulator and the enterprise; not to another organisation, not via another order
    url = f"/om/orders/{o.on_site}/photos/{shas['IMG_0001.jpg']}"
    for user in ("om_zhang", "city", "ent_a"):
        got = get(w, user, url)
        assert got.status_code == 200 and got.content == one and got.headers["content-type"] == "image/jpeg"
    assert get(w, "om_li", url).status_code == 404
    assert get(w, "city", f"/om/orders/{o.done}/photos/{shas['IMG_0001.jpg']}").status_code == 404
    assert get(w, "city", f"/om/orders/{o.on_site}/photos/{'0' * 64}").status_code == 404
    assert get(w, "city", f"/om/orders/{o.on_site}/photos/..%2F..%2Fetc").status_code == 404
    # the same photo again: stored once
    r = post(w, "om_zhang", f"/om/orders/{o.on_site}/photos", {}, files=[("photos", ("again.jpg", one, "image/jpeg"))])
    assert r.status_code == 303 and count(eng, om_work_order_photos) == 2
    # an order that is not on site takes none; the regulator uploads none; another organisation sees no order
    r = post(w, "om_zhang", f"/om/orders/{o.overdue}/photos", {}, files=[("photos", ("x.jpg", one, "image/jpeg"))])
    assert r.status_code == 409 and "已派单" in r.text
    assert post(w, "city", f"/om/orders/{o.on_site}/photos", {},
                files=[("photos", ("x.jpg", one, "image/jpeg"))]).status_code == 403
    assert post(w, "om_li", f"/om/orders/{o.on_site}/photos", {},
                files=[("photos", ("x.jpg", one, "image/jpeg"))]).status_code == 404


def test_photos_larger_than_the_setting_are_refused(om_world):
    eng, st, pts = om_world
    st = st.model_copy(update={"om": st.om.model_copy(update={"photos": st.om.photos.model_copy(
        update={"max_bytes": 20_000, "max_files": 2})})})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    keys = add_accounts(eng)
    o = add_orders(eng, st, pts, now)
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        big = photo(3, size=(1600, 1200))
        assert len(big) > 20_000
        headers = {"X-API-Key": keys["om_zhang"]}
        r = client.post(f"/om/orders/{o.on_site}/photos?lang=vi", headers=headers,
                        files=[("photos", ("big.jpg", big, "image/jpeg"))])
        assert r.status_code == 422 and "big.jpg" in r.text and "20000" in r.text
        small = photo(4, size=(64, 48))
        r = client.post(f"/om/orders/{o.on_site}/photos", headers=headers,
                        files=[("photos", (f"{i}.jpg", small, "image/jpeg")) for i in range(3)])
        assert r.status_code == 422
        r = client.post(f"/api/v1/om/work-orders/{o.on_site}/photos", headers={**headers, "Accept-Language": "zh"},
                        files=[("photos", ("big.jpg", big, "image/jpeg"))])
        assert r.status_code == 422 and "big.jpg" in r.json()["message"] and "20000" in r.json()["detail"]
    assert count(eng, om_work_order_photos) == 0 and _stored_files(st) == 0


def test_the_api_uploads_photos_to_an_order(site):
    w, o, eng = site, site["o"], site["eng"]
    client, one = w["client"], photo(5)

    def up(user, order, files, lang="zh"):
        return client.post(f"/api/v1/om/work-orders/{order}/photos", files=files,
                           headers={"X-API-Key": w["keys"][user], "Accept-Language": lang})

    r = up("om_zhang", o.on_site, [("photos", ("p.jpg", one, "image/jpeg"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == 1 and body["photos"][0]["content_type"] == "image/jpeg"
    assert get(w, "city", body["photos"][0]["url"]).content == one
    assert up("om_zhang", o.on_site, [("photos", ("p.jpg", one, "image/jpeg"))]).json()["already"] == 1
    assert up("city", o.on_site, [("photos", ("p.jpg", one, "image/jpeg"))]).status_code == 403
    assert up("om_li", o.on_site, [("photos", ("p.jpg", one, "image/jpeg"))]).status_code == 404
    r = up("om_zhang", o.overdue, [("photos", ("p.jpg", one, "image/jpeg"))], "vi")
    assert r.status_code == 409 and "đã giao" in r.json()["message"]
    r = up("om_zhang", o.on_site, [("photos", ("p.gif", b"GIF89a....", "image/gif"))])
    assert r.status_code == 422 and "p.gif" in r.json()["message"]
    assert count(eng, om_work_order_photos) == 1


# --------------------------------------------------------------------------------------------- calibrations

def test_the_calibration_history_of_an_analyser(site):
    w, pts = site, site["pts"]
    listing = get(w, "om_zhang", "/om/calibrations")
    assert listing.status_code == 200 and "二氧化硫" in listing.text and f'data-point="{pts["a"]}"' in listing.text
    assert 'id="om-no-analysers"' in get(w, "om_li", "/om/calibrations").text
    url = f"/om/calibrations?point={pts['a']}&factor=a21026"
    for user in ("om_zhang", "city", "ent_a"):
        r = get(w, user, url)
        assert r.status_code == 200, (user, r.text[:300])
    text = r.text
    assert 'data-verdict="fail"' in text and "与漂移值矛盾" in text          # 4.1 % recorded as a pass
    periods = text[text.index('id="om-periods"'):text.index("</table>", text.index('id="om-periods"'))]
    assert 'data-reason="failed" data-closed="1"' in periods and 'data-reason="overdue" data-closed="0"' in periods
    assert 'id="om-drift-chart"' in text and "/vendor/plotly/plotly.min.js" in text and "±2.5" in text
    assert "石家庄热电" in text and "气态污染物分析仪" in text
    assert get(w, "om_li", url).status_code == 404
    assert get(w, "city", f"/om/calibrations?point=999999&factor=a21026").status_code == 404
    bad = get(w, "city", url + "&from=yesterday")
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    vi = get(w, "city", url, "vi").text
    assert "Lịch sử hiệu chuẩn" in vi or "hiệu chuẩn" in vi
    assert "quá hạn hiệu chuẩn" in vi.lower() or "hiệu chuẩn quá hạn" in vi.lower()
    js = w["client"].get("/om/calibrations/chart.js")
    assert js.status_code == 200 and "Plotly.newPlot" in js.text
