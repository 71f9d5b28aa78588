"""Every page shows only what the logged-in account may see: county regulators their county, the enterprise
its own data, the O&M contractor its points; the anonymous public is sent to the public page or to login."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pages_testkit import HOME_NAME, OTHER_NAME, add_alarm, add_latest, as_user, ids
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)


def test_anonymous_home_goes_to_public_and_inner_pages_to_login(client, engine):
    i = ids(engine)
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/public"
    for path in ("/dashboard", "/map", f"/enterprises/{i['home']}", f"/outlets/{i['home_gas_outlet']}",
                 f"/points/{i['gas']}"):
        r = client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=%2F"), path
    assert client.get(f"/points/{i['gas']}/chart.json").status_code == 401


@pytest.mark.parametrize("user, sees, hidden", [
    ("wuzhong", HOME_NAME, OTHER_NAME),   # county regulator of 吴中区
    ("huqiu", OTHER_NAME, HOME_NAME),     # county regulator of 虎丘区
    ("plant", HOME_NAME, OTHER_NAME),     # the enterprise itself
    ("om", HOME_NAME, OTHER_NAME),        # O&M contractor of the gas point
])
def test_lists_show_only_the_scope(client, engine, keys, user, sees, hidden):
    i = ids(engine)
    for point in ("gas", "other"):  # the dashboard names the enterprises with open alarms at any hour (its rates
        add_alarm(engine, i[point])  # of today name them only once today has a complete hour)
    as_user(client, keys, user)
    for path in ("/", "/dashboard"):
        page = client.get(path).text
        assert sees in page and hidden not in page, path
    markers = client.get("/map/markers.json").json()
    assert [e["name"] for e in markers["enterprises"]] == [sees]


def test_city_regulator_and_admin_see_both_counties(client, engine, keys):
    for user in ("suzhou", "admin"):
        as_user(client, keys, user)
        names = {e["name"] for e in client.get("/map/markers.json").json()["enterprises"]}
        assert names == {HOME_NAME, OTHER_NAME}, user


def test_out_of_scope_objects_are_refused_like_missing_ones(client, engine, keys):
    i = ids(engine)
    as_user(client, keys, "wuzhong")
    for path in (f"/enterprises/{i['other_ent']}", f"/outlets/{i['other_outlet']}", f"/points/{i['other']}"):
        r = client.get(path)
        assert r.status_code == 404 and "此页面不存在，或您的账户无权查看。" in r.text, path
    r = client.get(f"/points/{i['other']}/chart.json")
    assert r.status_code == 404 and r.json()["detail"] == f"没有编号为 {i['other']} 的监测点"  # the reader's language
    assert client.get("/dashboard?region=320505").status_code == 404
    r = client.get("/map/markers.json?region=320505")
    assert r.status_code == 404 and r.json()["detail"] == "没有代码为 '320505' 的行政区"
    assert client.get("/dashboard?region=999999").status_code == 404
    assert client.get("/enterprises/987654").status_code == 404
    assert client.get("/points/987654").status_code == 404


def test_om_contractor_sees_only_its_point_of_the_enterprise(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_latest(engine, i["gas"], {"a21026": 31.5}, now)
    add_latest(engine, i["water"], {"w01018": 44.25}, now)
    as_user(client, keys, "om")
    page = client.get(f"/enterprises/{i['home']}").text
    assert f'data-point="{i["gas"]}"' in page and f'data-point="{i["water"]}"' not in page
    assert client.get(f"/points/{i['water']}").status_code == 404
    home = client.get("/").text
    assert "31.50" in home or "31,50" in home
    assert f'data-point="{i["water"]}"' not in home and "44.25" not in home and "44,25" not in home


def test_alarms_of_other_points_are_not_counted(client, engine, keys):
    i = ids(engine)
    add_alarm(engine, i["other"])
    add_alarm(engine, i["other"], type="ALM-DATA-MISSING")
    add_alarm(engine, i["gas"], type="ALM-LOGGER-OFFLINE")
    as_user(client, keys, "wuzhong")
    page = client.get("/dashboard?lang=en").text
    assert 'data-type="ALM-LOGGER-OFFLINE"' in page and 'data-type="ALM-EXCEEDANCE"' not in page
    as_user(client, keys, "suzhou")
    page = client.get("/dashboard?lang=en").text
    for code in ("ALM-LOGGER-OFFLINE", "ALM-EXCEEDANCE", "ALM-DATA-MISSING"):
        assert f'data-type="{code}"' in page
