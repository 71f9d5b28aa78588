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
    today = client.get(f"/points/{i['gas']}?lang=en").text  # default: today, which has no hours here
    assert "No hourly values on this day." in today and f"day={yesterday}" in today
