"""The public page: published enterprises only, last 30 days of daily values and exceedances, no login,
no minute or raw data; language chosen by ?lang= and remembered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pages_testkit import HOME_NAME, OTHER_NAME, add_days, as_user, ids, publish
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)


def _days(engine, i, values, ago=0):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    first = today - timedelta(days=len(values) + ago)
    add_days(engine, i["other"], "a21026", first, values, "Asia/Shanghai", limit=80.0)
    return first


def test_only_published_enterprises_are_listed(client, engine):
    i = ids(engine)
    assert "No enterprise publishes" in client.get("/public?lang=en").text
    publish(engine, i["other_ent"])
    page = client.get("/public?lang=en").text
    assert OTHER_NAME in page and HOME_NAME not in page
    r = client.get(f"/public/enterprises/{i['home']}")
    assert r.status_code == 404 and "This page does not exist, or your account may not see it." in r.text


def test_daily_values_of_the_last_30_days_with_exceedances(client, engine):
    i = ids(engine)
    publish(engine, i["other_ent"])
    _days(engine, i, [70.0, 85.0, 60.0, 95.5])   # two days above the daily limit of 80
    _days(engine, i, [99.0], ago=40)              # older than 30 days: not shown
    listing = client.get("/public?lang=en").text
    row = listing.split(f'data-enterprise="{i["other_ent"]}"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    page = client.get(f"/public/enterprises/{i['other_ent']}?lang=en").text
    table = page.split('class="latest public-days"')[1].split("</table>")[0]
    assert table.count("cell-exceeded") == 2 and "95.50 ▲" in table and "99.00" not in table
    assert "limit 80.0" in table
    assert "2 days with an exceedance" in page


def test_no_minute_data_for_the_public(client, engine, keys):
    i = ids(engine)
    publish(engine, i["other_ent"])
    assert client.get(f"/points/{i['other']}/chart.json").status_code == 401
    assert client.get(f"/points/{i['other']}").status_code == 303
    # logged-in users see the same public page (published data only)
    as_user(client, keys, "wuzhong")
    assert OTHER_NAME in client.get("/public").text


def test_language_switch_is_remembered(client, engine):
    i = ids(engine)
    publish(engine, i["other_ent"])
    _days(engine, i, [70.0, 85.0])
    r = client.get(f"/public/enterprises/{i['other_ent']}?lang=vi")
    assert r.cookies.get("lang") == "vi" and 'lang="vi"' in r.text
    assert "Dữ liệu công khai" in r.text and "vượt quy chuẩn" in r.text
    again = client.get("/public")  # the cookie keeps Vietnamese
    assert 'lang="vi"' in again.text and "Dữ liệu công khai" in again.text
    zh = client.get("/public?lang=zh").text
    assert "公开数据" in zh
