"""The first pages in a real browser (Debian's chromium via Playwright) against a running service: the home
list and the point page of a logged-in administrator (API key), with live data sent over HJ 212."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from browser_kit import ARGS

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import FLEET, GAS_MN, WATER_MN, Logger, minute_frame, running_service  # noqa: E402
from pages_testkit import add_users  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))




@pytest.mark.browser
async def test_home_and_point_page_show_live_data_and_chart(tmp_path, chromium):
    from playwright.async_api import async_playwright

    db_url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    keys = add_users(engine, only=("admin",))
    engine.dispose()
    async with running_service(tmp_path, db_url, web=True) as svc:
        now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, second=0, microsecond=0)
        lg = await Logger.connect(svc.hj212_port)
        for i in range(120, 0, -1):
            t = now - timedelta(minutes=i)
            await lg.send(minute_frame(GAS_MN, t, {"a21026": 25 + (i % 7), "a21002": 40.0, "a19001": 6.2},
                                       data_flag="C" if i == 50 else "N"))
            await lg.reply()
        for i in range(12, 0, -1):
            await lg.send(minute_frame(WATER_MN, now - timedelta(minutes=10 * i), {"w01018": 35.5, "w00000": 120.0},
                                       st="32"))
            await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            errors: list[str] = []
            for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
                ctx = await browser.new_context(viewport=viewport, locale="zh-CN",
                                                extra_http_headers={"Authorization": f"Bearer {keys['admin']}"})
                page = await ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(svc.url)
                await page.get_by_text("苏州测试热电有限公司").wait_for()
                assert await page.locator(".point.online").count() == 2
                # the latest SO2 minute value is on the card
                card = page.locator(f".point:has-text('{GAS_MN}')")
                assert "二氧化硫" in await card.inner_text()
                await page.screenshot(path=str(ARTIFACTS / f"home-{name}.png"), full_page=True)
                await page.locator(f".point:has-text('{GAS_MN}') .ph a").click()
                await page.wait_for_selector("#chart[data-ready='1']", timeout=30000)
                # one panel per factor, drawn by the plotly.js served from the installed wheel
                assert await page.locator("#chart .main-svg").count() >= 1
                assert await page.locator("#chart .scatterlayer .trace").count() >= 3
                hourly = await page.locator("#hourly").inner_text()
                assert "有效" in hourly or "无效" in hourly
                await page.screenshot(path=str(ARTIFACTS / f"point-{name}.png"), full_page=True)
                await ctx.close()
            await browser.close()
            assert errors == []
