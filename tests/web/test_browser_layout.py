"""Issue 11 item 9 in Debian's chromium (Playwright) at 1280 × 800: the header is one line in zh, vi and en;
the point page with a full day of nine factors is a reasonable height (its hourly table is paged); the map
draws the offline base layer under the markers; the enterprise list has its search and sort controls.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from browser_kit import ARGS
from layout_kit import serve
from pages_testkit import PAGES_FLEET, add_alarm, add_hours, add_latest, add_users, ids, publish

from ecosentry.service import prepare_database
from ecosentry.fleet import import_fleet

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
FACTORS = ("a21026", "a21002", "a19001", "a01012", "a01013", "a01011", "a01014", "a21005", "a34013")
#: The point page with 24 hourly rows, live values, chart, rates, reports, marks and alarms fits in this. [px]
POINT_PAGE_MAX = 3000




@pytest.mark.browser
async def test_header_one_line_point_page_height_map_base_layer(tmp_path, chromium):
    from playwright.async_api import async_playwright

    engine = prepare_database(f"sqlite:///{tmp_path / 'layout.sqlite'}")
    import_fleet(engine, PAGES_FLEET)
    keys = add_users(engine, only=("admin",))
    i = ids(engine)
    now = datetime.now(timezone.utc)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    for code in FACTORS:  # 30 hours × 9 factors: 216 rows in the last 24 hours, the old table's height
        add_hours(engine, i["gas"], code, start, [10.0 + h for h in range(30)])
    add_latest(engine, i["gas"], {"a21026": 20.0}, now)
    add_alarm(engine, i["other"])
    publish(engine, i["other_ent"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with serve(engine) as url:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            ctx = await browser.new_context(viewport={"width": 1280, "height": 800},
                                            extra_http_headers={"Authorization": f"Bearer {keys['admin']}"})
            page = await ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            for lang in ("zh", "vi", "en"):
                await page.goto(f"{url}/?lang={lang}")
                # one line: the header is as tall as its tallest item plus its padding, not two rows of links
                header, line = await page.evaluate("""() => {
                    const h = document.querySelector('header.top');
                    const items = [...h.querySelectorAll('.brand, .main-nav > *')].filter(e => e.offsetParent);
                    const tops = new Set(items.map(e => Math.round(e.getBoundingClientRect().top / 8)));
                    const cs = getComputedStyle(h);
                    const tallest = Math.max(...items.map(e => e.getBoundingClientRect().height));
                    return [h.getBoundingClientRect().height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom),
                            tallest];
                }""")
                assert header <= line + 1, f"the header wraps in {lang}: {header} px for items {line} px tall"
                await page.screenshot(path=str(ARTIFACTS / f"layout-list-{lang}.png"))
                assert await page.locator("form.list-filters input[name=q]").count() == 1
                assert await page.locator("th.sortable a[data-sort=state]").count() == 1

                await page.goto(f"{url}/points/{i['gas']}?lang={lang}")
                height = await page.evaluate("document.body.scrollHeight")
                assert height <= POINT_PAGE_MAX, f"point page {height} px tall in {lang}"
                assert await page.locator("#hourly tbody tr").count() <= 24
                await page.screenshot(path=str(ARTIFACTS / f"layout-point-{lang}.png"), full_page=True)

            await page.goto(f"{url}/map?lang=vi")
            await page.wait_for_selector("#map[data-ready='1']")
            await page.wait_for_selector("#map[data-base]")
            assert await page.locator(".leaflet-base-pane path").count() >= 1  # land, lakes, borders drawn
            await page.screenshot(path=str(ARTIFACTS / "layout-map-vi.png"))
            await browser.close()
    engine.dispose()
    assert not errors, errors
