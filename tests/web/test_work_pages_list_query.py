"""The alarm centre's and the mark list's search (alarm title, enterprise, point; mark reason) and sortable
columns in the query string, on top of their filters and pages (issue 11 item 9)."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, WATER_A, raise_point_alarm, start  # noqa: E402


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    now = datetime.now(timezone.utc)
    w.ids = {"so2": raise_point_alarm(w, GAS_A, title="SO2 小时均值超标", at=now - timedelta(hours=3)),
             "cod": raise_point_alarm(w, WATER_A, type="ALM-DATA-MISSING", title="COD 数据缺失", at=now - timedelta(hours=1)),
             "burn": raise_point_alarm(w, GAS_B, title="焚烧炉 SO2 超标", at=now - timedelta(hours=2))}
    with client:
        yield client, w
    w.engine.dispose()


def _order(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr[^>]*data-id="(\d+)"', html)]


def test_search_and_sort_the_alarm_list(world):
    client, w = world
    i = w.ids
    get = lambda q="": client.get("/alarms" + q, headers=w.bearer("city")).text  # noqa: E731
    assert _order(get()) == [i["cod"], i["burn"], i["so2"]]                   # newest first by default
    assert _order(get("?sort=last&order=asc")) == [i["so2"], i["burn"], i["cod"]]
    assert _order(get("?q=SO2")) == [i["burn"], i["so2"]]                     # in the title
    assert _order(get("?q=焚烧炉CEMS")) == [i["burn"]]                         # in the point's name
    assert _order(get("?sort=title&order=asc")) == [i["cod"], i["so2"], i["burn"]]
    page = get("?q=SO2&sort=title&order=asc")
    # the header links keep the search and turn the order round on the sorted column
    assert 'href="/alarms?state=open&amp;q=SO2&amp;sort=title"' in page  # descending is the default order
    assert 'name="q" value="SO2"' in page
    # the scope still applies to a search: county A never finds county B's alarm
    assert _order(client.get("/alarms?q=焚烧炉", headers=w.bearer("county_a")).text) == []


def test_search_and_sort_the_mark_list(world):
    from work_world import GAS_A as gas_a  # noqa: F401  (the fleet's points)
    from ecosentry.subsystems.monitoring.store.marks import file_mark

    client, w = world
    t0 = datetime(2026, 11, 20, 1, tzinfo=timezone.utc)
    ids = [file_mark(w.engine, point_id=w.points[mn], type="maintenance", start=t0 + timedelta(hours=k),
                     end=t0 + timedelta(hours=k, minutes=30), reason=reason, filed_by="fixture")
           for k, (mn, reason) in enumerate([(GAS_A, "更换采样探头"), (WATER_A, "清洗管路"), (GAS_B, "校准")])]
    get = lambda q="": client.get("/marks" + q, headers=w.bearer("city")).text  # noqa: E731
    order = lambda html: list(dict.fromkeys(int(x) for x in re.findall(r'<a href="/marks/(\d+)">', html)))  # noqa: E731
    assert order(get("?sort=start&order=asc")) == ids
    assert order(get("?sort=start&order=desc")) == ids[::-1]
    assert order(get("?q=探头")) == [ids[0]]                 # in the reason
    assert order(get("?q=焚烧炉")) == [ids[2]]               # in the point's name
    page = get("?q=管路&sort=start&order=asc")
    assert order(page) == [ids[1]] and 'href="/marks?q=%E7%AE%A1%E8%B7%AF&amp;sort=start&amp;order=desc"' in page
    assert order(client.get("/marks?q=焚烧炉", headers=w.bearer("county_a")).text) == []   # the scope holds


def test_sort_the_audit_log(world):
    client, w = world
    rows = lambda html: [int(x) for x in re.findall(r'<tr data-id="(\d+)"', html)]  # noqa: E731
    newest = client.get("/audit", headers=w.bearer("admin")).text
    oldest = client.get("/audit?sort=at&order=asc", headers=w.bearer("admin")).text
    assert len(rows(newest)) >= 2 and rows(oldest) == rows(newest)[::-1]
    assert 'aria-sort="descending"' in newest and 'href="/audit?sort=at&amp;order=asc"' in newest
    by_actor = rows(client.get("/audit?sort=actor&order=asc", headers=w.bearer("admin")).text)
    assert sorted(by_actor) == sorted(rows(newest))
