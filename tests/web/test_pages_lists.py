"""Issue 11 item 9: long lists are paged, searched, filtered and sorted on the server, with their state in the
query string (``ecosentry.web.listing``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pages_testkit import add_hours, as_user, ids
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)

FACTORS = ("a21026", "a21002", "a19001", "a01012", "a01013", "a01011", "a01014", "a21005", "a34013")


def _hour_rows(html: str) -> list[tuple[str, str]]:
    body = html.split('id="hourly"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"[^\"]*\">\s*<td>([^<]+)</td><td>([^<]+)</td>", body)


def test_point_hourly_table_is_paged_by_day_newest_first(client, engine, keys):
    """Nine factors over a whole day used to make a 216-row table; now 24 rows a page, one local day."""
    i = ids(engine)
    tz = ZoneInfo("Asia/Shanghai")
    yesterday = datetime.now(tz).date() - timedelta(days=1)
    start = datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=tz).astimezone(timezone.utc)
    for code in FACTORS:
        add_hours(engine, i["gas"], code, start, [10.0 + h for h in range(24)])
    as_user(client, keys, "wuzhong")
    page1 = client.get(f"/points/{i['gas']}?day={yesterday}&lang=en").text
    rows = _hour_rows(page1)
    assert len(rows) == 24
    assert 'data-total="216"' in page1 and 'data-pages="9"' in page1
    assert rows[0][0].endswith("23:00") or "11:00 PM" in rows[0][0]  # newest hour first
    assert f'href="/points/{i["gas"]}?day={yesterday}&amp;sort=time&amp;order=desc&amp;page=2"' in page1
    last = client.get(f"/points/{i['gas']}?day={yesterday}&page=9&lang=en").text
    assert len(_hour_rows(last)) == 24 and 'rel="next"' not in last.split('class="pager"', 1)[1]
    assert set(_hour_rows(last)).isdisjoint(rows)
    today = client.get(f"/points/{i['gas']}?day={yesterday + timedelta(days=1)}&lang=en").text  # no hours today
    assert "No hourly values on this day." in today and f"day={yesterday}" in today
    recent = client.get(f"/points/{i['gas']}?lang=en").text  # default: the last 24 hours, paged the same way
    since = datetime.now(timezone.utc) - timedelta(hours=24)
    n = len(FACTORS) * sum(1 for h in range(24) if start + timedelta(hours=h) >= since)
    if n:
        assert len(_hour_rows(recent)) == min(24, n) and f'data-total="{n}"' in recent
    else:  # run after 23:00 Beijing time: none of yesterday's hours is within the last 24 hours, and no table
        assert "No hourly values in the last 24 hours." in recent and 'id="hourly"' not in recent


def _names(html: str) -> list[str]:
    return re.findall(r'<article class="ent" data-enterprise="\d+">\s*<h2><a href="/enterprises/\d+">([^<]+)</a>', html)


def test_enterprise_list_search_filter_sort_and_paging(client, engine, keys):
    from pages_testkit import HOME_NAME, OTHER_NAME, add_alarm

    i = ids(engine)
    add_alarm(engine, i["other"])
    as_user(client, keys, "suzhou")  # the city regulator sees both counties
    assert _names(client.get("/").text) == sorted([HOME_NAME, OTHER_NAME])
    assert _names(client.get("/?sort=name&order=desc").text) == sorted([HOME_NAME, OTHER_NAME], reverse=True)
    assert _names(client.get("/?q=虎丘").text) == [OTHER_NAME]
    assert _names(client.get("/?q=91320506").text) == [HOME_NAME]             # credit code
    assert _names(client.get("/?q=TEST0000000000000HUQIU").text) == [OTHER_NAME]  # a point's MN
    assert _names(client.get("/?region=320505").text) == [OTHER_NAME]
    assert _names(client.get("/?region=320506").text) == [HOME_NAME]
    assert _names(client.get("/?industry=2614 有机化学原料制造").text) == [OTHER_NAME]
    assert _names(client.get("/?state=alarm").text) == [OTHER_NAME]
    assert _names(client.get("/?sort=state").text)[0] == OTHER_NAME            # alarm before the others
    page = client.get("/?q=x%25_&lang=en").text                               # % and _ match themselves
    assert _names(page) == [] and "No enterprise matches the search." in page
    # the state is kept in the sort links and the page links
    page = client.get("/?q=有限&region=320500&sort=region").text
    assert 'href="/?q=%E6%9C%89%E9%99%90&amp;region=320500&amp;sort=region&amp;order=desc"' in page
    as_user(client, keys, "wuzhong")  # a region outside the scope finds nothing
    assert _names(client.get("/?region=320505").text) == []


def test_enterprise_list_pages(engine, keys, client):
    from ecosentry.fleet import import_fleet
    from pages_testkit import PAGES_FLEET

    fleet = {"regions": PAGES_FLEET["regions"], "enterprises": [
        {"credit_code": f"91320506MA1PAGE{n:03d}", "name": f"分页企业{n:02d}", "region": "320506", "outlets": []}
        for n in range(25)]}
    import_fleet(engine, fleet)
    as_user(client, keys, "wuzhong")
    first = client.get("/?q=分页企业").text
    assert _names(first) == [f"分页企业{n:02d}" for n in range(20)]
    assert 'data-total="25"' in first and 'data-pages="2"' in first
    second = client.get("/?q=分页企业&page=2").text
    assert _names(second) == [f"分页企业{n:02d}" for n in range(20, 25)]


def test_registry_lists_sort_by_a_clicked_column_and_page(db_url, tmp_path):
    """The registry administration lists: search (already), sortable columns and page links."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from work_world import start

    def mns(html: str) -> list[str]:
        return re.findall(r'<tr><td><a href="/admin/points/\d+">\d+</a></td><td>([^<]*)</td>', html)

    client, w = start(db_url, tmp_path)
    with client:
        down = client.get("/admin/points?sort=mn&order=desc", headers=w.bearer("admin")).text
        up = client.get("/admin/points?sort=mn&order=asc", headers=w.bearer("admin")).text
        assert len(mns(up)) >= 3 and mns(up) == sorted(mns(up)) and mns(down) == sorted(mns(up), reverse=True)
        assert 'aria-sort="descending"' in down and 'href="/admin/points?sort=mn&amp;order=asc"' in down
        found = client.get("/admin/points?q=GASB&sort=mn", headers=w.bearer("admin")).text
        assert mns(found) == ["TEST0000000000000000GASB"] and 'data-total="1"' in found
        assert client.get("/admin/points?sort=nonsense", headers=w.bearer("admin")).status_code == 200
    w.engine.dispose()
