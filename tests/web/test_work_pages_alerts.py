"""Heavy-pollution alert pages: the list (in force / scheduled / past), the issue form (errors beside the field,
CSRF), the detail with level change, correction, lift and history, the banner on every page for whom the alert
covers, and the scope (a county regulator gets no forms for the city's alert; enterprise A does not see county
B's alert)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import csrf_of, log_in, start  # noqa: E402

from ecosentry.store import pollution_alerts as pa  # noqa: E402
from ecosentry.store.queries import pollution_alerts as q  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)


def local(t: datetime) -> str:
    return t.astimezone(SH).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    w.city_alert = pa.issue(w.engine, region_code="320500", level="orange", starts_at=NOW - timedelta(hours=3),
                            ends_at=NOW + timedelta(days=2), issued_by="苏州市重污染天气应急指挥部",
                            document="苏重应急〔2026〕7号", actor="city")
    w.county_b_alert = pa.issue(w.engine, region_code="320507", level="red", starts_at=NOW - timedelta(hours=1),
                                issued_by="相城区应急指挥部", actor="county_b")
    with client:
        yield client, w
    w.engine.dispose()


def test_list_shows_the_alerts_covering_the_reader(world):
    client, w = world
    page = client.get("/alerts?lang=zh", headers=w.bearer("ent_a")).text
    rows = page.split("<tbody>")[1]
    assert f'data-id="{w.city_alert}"' in rows and f'data-id="{w.county_b_alert}"' not in rows
    assert "橙色预警" in rows and "苏州市" in rows and "苏重应急〔2026〕7号" in rows
    assert local(NOW - timedelta(hours=3))[5:].replace("T", " ") in rows.replace("/", "-") or \
        (NOW - timedelta(hours=3)).astimezone(SH).strftime("%H:%M") in rows   # local time, not UTC
    assert 'id="alert-issue"' not in page   # an enterprise may not issue
    city = client.get("/alerts", headers=w.bearer("city")).text.split("<tbody>")[1]
    assert city.index(f'data-id="{w.county_b_alert}"') < city.index(f'data-id="{w.city_alert}"')   # red first
    assert client.get("/alerts", follow_redirects=False).status_code == 303   # anonymous: log in first


def test_banner_on_every_page_in_the_language(world):
    client, w = world
    zh = client.get("/alarms?lang=zh", headers=w.bearer("ent_a")).text
    since = (NOW - timedelta(hours=3)).astimezone(SH).strftime("%m-%d %H:%M")
    assert 'class="alert-banner level-orange"' in zh and "苏州市" in zh and since in zh
    vi = client.get("/alerts?lang=vi", headers=w.bearer("ent_a")).text
    assert "Cảnh báo cam" in vi.split('class="alert-banners"')[1].split("</div>")[0]
    en = client.get("/audit?lang=en", headers=w.bearer("county_b")).text
    banner = en.split('class="alert-banners"')[1].split("</div>")[0]
    assert banner.index("Red heavy-pollution alert in force in 相城区") < banner.index("Orange")
    pa.lift(w.engine, w.city_alert, actor="city")
    assert "alert-banner" not in client.get("/alerts", headers=w.bearer("ent_a")).text


def test_issue_form_errors_stay_beside_the_field(world):
    client, w = world
    log_in(client, "county_a")
    form = client.get("/alerts/new")
    assert form.status_code == 200 and 'value="320506" selected' in form.text and "320507" not in form.text
    token = csrf_of(form.text)
    data = {"csrf": token, "region_code": "320506", "level": "red", "starts_at": local(NOW + timedelta(hours=1)),
            "ends_at": local(NOW), "issued_by": "吴中区应急指挥部", "lang": "zh"}
    r = client.post("/alerts/new?lang=zh", data=data)
    assert r.status_code == 422 and 'data-field="ends_at"' in r.text and "必须晚于" in r.text
    r = client.post("/alerts/new?lang=zh", data={**data, "ends_at": "", "region_code": "320500"})
    assert r.status_code == 422 and 'data-field="region_code"' in r.text
    r = client.post("/alerts/new", data={**data, "ends_at": "", "csrf": "forged"})
    assert r.status_code == 403
    r = client.post("/alerts/new", data={**data, "ends_at": ""}, follow_redirects=False)
    assert r.status_code == 303
    alert_id = int(r.headers["location"].split("/")[2].split("?")[0])
    assert q.alert(w.engine.connect(), alert_id)["entered_by"] == "county_a"


def test_level_change_correction_and_lift_with_history(world):
    client, w = world
    log_in(client, "city")
    page = client.get(f"/alerts/{w.city_alert}")
    assert 'id="form-level"' in page.text and 'id="form-lift"' in page.text
    token = csrf_of(page.text)
    r = client.post(f"/alerts/{w.city_alert}/level", data={"csrf": token, "level": "red", "at": local(NOW),
                                                           "document": "苏重应急〔2026〕9号"}, follow_redirects=False)
    assert r.status_code == 303
    new_id = int(r.headers["location"].split("/")[2].split("?")[0])
    assert new_id != w.city_alert
    new_page = client.get(f"/alerts/{new_id}?lang=zh").text
    assert 'id="alert-episode"' in new_page and "红色预警" in new_page and "苏重应急〔2026〕9号" in new_page
    r = client.post(f"/alerts/{new_id}/edit", data={"csrf": token, "ends_at": "", "issued_by": "苏州市应急指挥部",
                                                    "document": "苏重应急〔2026〕9号", "note": "延长至解除"},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/alerts/{new_id}/lift", data={"csrf": token, "at": local(NOW + timedelta(hours=5))})
    assert r.status_code == 422 and 'data-field="at"' in r.text
    r = client.post(f"/alerts/{new_id}/lift", data={"csrf": token, "at": local(NOW), "note": "苏重应急〔2026〕10号"},
                    follow_redirects=False)
    assert r.status_code == 303
    final = client.get(f"/alerts/{new_id}?lang=zh").text
    history = final.split('id="alert-history"')[1]
    assert history.index("签发") < history.index("更正") < history.index("解除")
    assert 'id="form-lift"' not in final
    old = client.get(f"/alerts/{w.city_alert}?lang=zh").text.split('id="alert-history"')[1]
    assert "升级" in old


def test_county_reads_the_city_alert_without_forms_and_cannot_post(world):
    client, w = world
    log_in(client, "county_a")
    page = client.get(f"/alerts/{w.city_alert}")
    assert page.status_code == 200 and 'id="form-lift"' not in page.text
    token = csrf_of(client.get("/alerts/new").text)
    r = client.post(f"/alerts/{w.city_alert}/lift", data={"csrf": token})
    assert r.status_code == 422 and pa.get(w.engine, w.city_alert)["lifted_at"] is None
    assert client.get(f"/alerts/{w.county_b_alert}").status_code == 404
    assert client.get("/alerts/new", headers=w.bearer("ent_a")).status_code == 403


def test_public_pages_show_the_alert_over_published_enterprises(world):
    """The anonymous public reads the alert covering a published enterprise (a public notice), without a link
    into the working pages; county B's alert covers no published enterprise and is not shown."""
    import copy

    from work_world import FLEET

    from ecosentry.fleet import import_fleet

    client, w = world
    fleet = copy.deepcopy(FLEET)
    fleet["enterprises"][0]["published"] = True
    import_fleet(w.engine, fleet)
    page = client.get("/public?lang=zh")
    assert page.status_code == 200
    banner = page.text.split('class="alert-banners"')[1].split("</div>")[0]
    assert "苏州市重污染天气橙色预警" in banner and "相城区" not in banner and "/alerts/" not in banner


def test_audit_rows_of_an_alert_reach_the_regulators_of_its_region(world):
    """The city reads the audit rows of county B's alert (its subtree); county A neither reads them nor those
    of the city's alert (above it); the audit page names the object and the actions in the language."""
    client, w = world
    ids = lambda who: {r["entity_id"] for r in client.get(  # noqa: E731
        "/api/v1/audit", params={"entity": "pollution_alert"}, headers=w.bearer(who)).json()["items"]}
    assert ids("city") == {str(w.city_alert), str(w.county_b_alert)}
    assert ids("county_a") == set()
    assert ids("county_b") == {str(w.county_b_alert)}
    page = client.get("/audit?entity=pollution_alert&lang=zh", headers=w.bearer("admin")).text
    assert "重污染天气预警" in page.split("<tbody>")[1]
