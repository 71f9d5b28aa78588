"""The overview, map, enterprise, point and public pages in Debian's chromium (Playwright) against a running
service: real HJ 212 minute data over TCP, a county regulator who sees only its county, the map without a
tile server (region outlines), the chart with invalid hours and marks, the public page without login, the
language switch, and the phone layout (390 px: folded menu, no page-wide horizontal scrolling).
Screenshots at 1280 px and 390 px go to ``test-artifacts/``."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from browser_kit import ARGS

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import GAS_MN, Logger, minute_frame, running_service  # noqa: E402
from pages_testkit import (OTHER_NAME, PAGES_FLEET, add_alarm, add_days, add_hours, add_latest, add_mark,  # noqa: E402
                           add_users, ids, publish)

from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
VIEWPORTS = (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844}))




def _seed(engine) -> dict:
    """Hourly and daily values, an exceedance, an alarm and a mark at the second county's point."""
    i = ids(engine)
    now = datetime.now(timezone.utc)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=8)
    add_hours(engine, i["other"], "a21026", start, [60, 70, 120, None, 85, 130, 90, 75], limit=100.0, invalid={3})
    add_latest(engine, i["other"], {"a21026": 75.0, "a19001": 10.8}, now)
    add_alarm(engine, i["other"])
    add_mark(engine, i["other"], start + timedelta(hours=5), start + timedelta(hours=7), type="calibration")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=ZoneInfo("Asia/Shanghai"))
    # the dashboard lists today's exceedances: before 03:00 Beijing time the exceeded hours above are yesterday's
    i["exceeded_today"] = any(start + timedelta(hours=k) >= midnight for k in (2, 5))
    add_days(engine, i["other"], "a21026", today - timedelta(days=12),
             [62, 70, 88, 75, 64, 91, 58, 66, 72, 79, 83, 69], "Asia/Shanghai", limit=80.0)
    publish(engine, i["other_ent"])
    return i


async def _send_minutes(svc) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, second=0, microsecond=0)
    lg = await Logger.connect(svc.hj212_port)
    for k in range(150, 0, -1):
        await lg.send(minute_frame(GAS_MN, now - timedelta(minutes=k), {"a21026": 25 + (k % 9), "a21002": 40.0 + (k % 5),
                                                                       "a19001": 6.2}))
        await lg.reply()
    await lg.close()
    await svc.drain()
    await svc.worker.flush()


async def _no_page_wide_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    view = await page.evaluate("window.innerWidth")
    assert width <= view + 1, f"the page scrolls sideways ({width} px in {view} px)"


@pytest.mark.browser
async def test_pages_for_a_county_regulator_and_the_public(tmp_path, chromium):
    from playwright.async_api import async_playwright

    db_url = f"sqlite:///{tmp_path / 'pages.sqlite'}"
    engine = prepare_database(db_url)
    import_fleet(engine, PAGES_FLEET)
    keys = add_users(engine)
    i = _seed(engine)
    engine.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with running_service(tmp_path, db_url, web=True) as svc:
        await _send_minutes(svc)
        base = svc.url.rstrip("/")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            errors: list[str] = []
            for name, viewport in VIEWPORTS:
                # the city regulator (both counties), in Chinese
                ctx = await browser.new_context(viewport=viewport, locale="zh-CN",
                                                extra_http_headers={"Authorization": f"Bearer {keys['suzhou']}"})
                page = await ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))

                await page.goto(f"{base}/dashboard")
                assert (await page.locator("#kpi-online b").inner_text()).endswith("%")
                assert "超标" in await page.locator("#alarms-by-type").inner_text()
                if i["exceeded_today"]:
                    assert OTHER_NAME in await page.locator("#exceedances").inner_text()
                else:
                    assert await page.locator("#exceedances").count() == 0
                if name == "phone":
                    assert await page.locator(".main-nav").is_hidden()
                    await page.locator(".nav-burger").click()
                    assert await page.locator(".main-nav").is_visible()
                    await page.locator(".nav-burger").click()
                    await _no_page_wide_scroll(page)
                await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)

                await page.goto(f"{base}/map")
                await page.wait_for_selector("#map[data-ready='1']", timeout=30000)
                assert await page.locator("#outline-note").is_visible()  # no tile server configured
                assert await page.locator("path.site-marker").count() == 2
                assert await page.locator("path.marker-alarm").count() == 1
                assert await page.locator(".region-label").count() == 2  # 吴中区, 虎丘区
                await page.locator("path.marker-alarm").click()
                await page.locator(".leaflet-popup").get_by_text(OTHER_NAME).wait_for()
                if name == "phone":
                    await _no_page_wide_scroll(page)
                await page.screenshot(path=str(ARTIFACTS / f"map-{name}.png"), full_page=True)

                await page.goto(f"{base}/enterprises/{i['other_ent']}")
                assert "超标" in await page.locator("#alarm-list").inner_text()
                assert "校准" in await page.locator("#mark-list").inner_text()
                await page.screenshot(path=str(ARTIFACTS / f"enterprise-{name}.png"), full_page=True)

                await page.goto(f"{base}/points/{i['other']}")
                await page.wait_for_selector("#chart[data-ready='1']", timeout=30000)
                await page.select_option("#kind", "hour")
                await page.wait_for_selector("#chart[data-ready='1'][data-kind='hour']", timeout=30000)
                # invalid hour and mark as shaded spans, limits as dashed lines
                assert await page.locator("#chart .shapelayer path").count() >= 3
                assert "无效" in await page.locator("#hourly").inner_text()
                if name == "phone":
                    await _no_page_wide_scroll(page)
                await page.screenshot(path=str(ARTIFACTS / f"point-chart-{name}.png"), full_page=True)

                # the gas point received real minute data over HJ 212: its minute chart draws lines
                await page.goto(f"{base}/points/{i['gas']}")
                await page.wait_for_selector("#chart[data-ready='1']", timeout=30000)
                assert await page.locator("#chart .scatterlayer .trace").count() >= 3
                await ctx.close()

                # the county regulator of 吴中区 sees only its own county on the map
                ctx = await browser.new_context(viewport=viewport, locale="zh-CN",
                                                extra_http_headers={"Authorization": f"Bearer {keys['wuzhong']}"})
                page = await ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{base}/map")
                await page.wait_for_selector("#map[data-ready='1']", timeout=30000)
                assert await page.locator("path.site-marker").count() == 1
                assert OTHER_NAME not in await page.locator("#map-list").inner_text()
                await ctx.close()

                # the public, without login, switching to Vietnamese
                ctx = await browser.new_context(viewport=viewport, locale="zh-CN")
                page = await ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(base)
                assert page.url.endswith("/public")
                await page.get_by_role("link", name=OTHER_NAME).click()
                await page.wait_for_url(f"**/public/enterprises/{i['other_ent']}")
                assert await page.locator("td.cell-exceeded").count() == 3
                if name == "phone":
                    await page.locator(".nav-burger").click()
                await page.locator("a[data-lang='vi']").click()
                await page.get_by_text("ngày vượt quy chuẩn").first.wait_for()
                if name == "phone":
                    await _no_page_wide_scroll(page)
                await page.screenshot(path=str(ARTIFACTS / f"public-{name}.png"), full_page=True)
                await ctx.close()
            await browser.close()
            assert errors == []
