"""Enterprise, outlet and point pages: live values, limits, rates, marks, alarms, report links, and the
chart data (real-time/minute/hour/day with invalid hours and marks as spans)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pages_testkit import OTHER_NAME, add_alarm, add_hours, add_latest, add_mark, as_user, ids
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)
from sqlalchemy import insert

from ecosentry.store import schema as s


def _hour(now, back):
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=back)


def test_enterprise_page(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_latest(engine, i["other"], {"a21026": 88.5, "a19001": 10.9}, now)
    add_alarm(engine, i["other"])
    add_mark(engine, i["other"], _hour(now, 5), _hour(now, 3))
    as_user(client, keys, "huqiu")
    page = client.get(f"/enterprises/{i['other_ent']}?lang=en").text
    assert OTHER_NAME in page and "91320505MA1TEST002" in page
    assert f'href="/outlets/{i["other_outlet"]}"' in page and f'href="/points/{i["other"]}"' in page
    assert "88.50" in page and "Sulphur dioxide" in page
    assert 'data-state="alarm"' in page
    alarms = page.split('id="alarm-list"')[1].split("</table>")[0]
    assert "Exceedance" in alarms and "Critical" in alarms and "Unacknowledged" in alarms
    marks = page.split('id="mark-list"')[1].split("</table>")[0]
    assert "Maintenance" in marks and "Filed" in marks and "test maintenance" in marks


def test_outlet_page_has_limits_rates_and_report_links(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_latest(engine, i["other"], {"a21026": 95.0}, now)
    add_hours(engine, i["other"], "a21026", _hour(now, 3), [90.0, 110.0, 70.0], limit=100.0)
    as_user(client, keys, "huqiu")
    page = client.get(f"/outlets/{i['other_outlet']}?lang=en").text
    live = page.split('class="latest live"')[1].split("</table>")[0]
    assert "≤ 100.0" in live and "≤ 80.0" in live  # hourly and daily limits of GB 18484-2020 (fleet)
    assert "Last 24 hours" in page and "Transmission rate" in page
    links = [x.split('"')[0] for x in page.split('href="')[1:] if "/reports/" in x]
    assert any("/reports/daily?day=" in x and x.endswith("format=xlsx") for x in links)
    assert any("/reports/monthly?year=" in x and x.endswith("format=pdf") for x in links)
    daily = next(x for x in links if "/reports/daily?day=" in x and x.endswith("format=xlsx"))
    assert daily.startswith(f"/api/v1/points/{i['other']}/reports/daily?day=")
    r = client.get(daily.replace("&amp;", "&"))
    assert r.status_code == 200 and r.content[:2] == b"PK"  # an XLSX file


def test_point_page_lists_hourly_validity_and_factor_rates(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_hours(engine, i["other"], "a21026", _hour(now, 4), [50.0, None, 120.0], limit=100.0, invalid={1})
    as_user(client, keys, "admin")
    page = client.get(f"/points/{i['other']}?lang=en").text
    hourly = page.split('id="hourly"')[1].split("</table>")[0]
    assert hourly.count('class="ok') == 2 and hourly.count('class="bad') == 1 and 'class="ok exceeded"' in hourly
    assert "fewer than 45 valid minutes" in hourly and "exceeded" in hourly
    rates = page.split('id="factor-rates"')[1].split("</table>")[0]
    assert "2/24" in rates and "0/24" in rates  # SO2: two valid of 24 expected hours; O2: none
    assert "/vendor/plotly/plotly.min.js" in page and "/static/point.js" in page


def test_chart_data_of_every_kind(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    start = _hour(now, 4)
    add_hours(engine, i["other"], "a21026", start, [50.0, None, 120.0], limit=100.0, invalid={1})
    with engine.begin() as c:
        c.execute(insert(s.observations), [
            {"point_id": i["other"], "factor_code": "a21026", "kind": "min", "period_start": start + timedelta(minutes=k),
             "value": 40.0 + k, "flag": "N" if k != 3 else "C", "received_at": now} for k in range(5)])
    add_mark(engine, i["other"], start, start + timedelta(hours=2), type="calibration")
    as_user(client, keys, "huqiu")
    d = client.get(f"/points/{i['other']}/chart.json?kind=min").json()
    assert d["tz"] == "Asia/Shanghai" and d["kind"] == "min"
    so2 = next(f for f in d["factors"] if f["code"] == "a21026")
    assert so2["v"] == [40.0, 41.0, 42.0, 43.0, 44.0] and so2["flag"][3] == "C"
    assert so2["limit"] == {"upper": 100.0, "lower": None, "standard": "GB 18484-2020"}
    local = (start + timedelta(hours=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert so2["invalid"] == [[local.strftime("%Y-%m-%d %H:%M:%S"),
                               (local + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")]]
    assert [(m["type"], m["status"]) for m in d["marks"]] == [("calibration", "filed")]
    h = client.get(f"/points/{i['other']}/chart.json?kind=hour").json()
    so2 = next(f for f in h["factors"] if f["code"] == "a21026")
    assert so2["valid"] == [True, False, True] and so2["exceeded"] == [False, None, True]
    day = client.get(f"/points/{i['other']}/chart.json?kind=day").json()
    assert next(f for f in day["factors"] if f["code"] == "a21026")["limit"]["upper"] == 80.0  # daily limit
    assert client.get(f"/points/{i['other']}/chart.json?kind=rtd&hours=2").json()["kind"] == "rtd"
    # the panels' names and the time axis speak the reader's language (the chart is drawn by a script)
    vi = client.get(f"/points/{i['other']}/chart.json?kind=min&lang=vi").json()
    assert next(f for f in vi["factors"] if f["code"] == "a21026")["name"] == "Lưu huỳnh đioxit (SO2)"
    assert vi["tz_label"] == "Giờ Trung Quốc (Thượng Hải)" and d["tz_label"] == "中国（上海）时间"
    assert next(f for f in d["factors"] if f["code"] == "a21026")["name"] == "二氧化硫"


def test_chart_data_refuses_bad_input(client, engine, keys):
    i = ids(engine)
    as_user(client, keys, "admin")
    assert client.get(f"/points/{i['other']}/chart.json?kind=week").status_code == 422
    assert client.get(f"/points/{i['other']}/chart.json?hours=0").status_code == 422
    assert client.get(f"/points/{i['other']}/chart.json?hours=100000").status_code == 422
    assert client.get("/points/424242/chart.json").status_code == 404
