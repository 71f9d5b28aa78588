"""The supervision (督办) of an alarm in a real browser (Debian's chromium via Playwright) against a running
service, in Chinese: the county regulator pushes the alarm, the enterprise acknowledges it and answers with an
evidence file, the regulator sees what it must check; the city's open alarm list shows the case live.
Screenshots of the panel as the enterprise and as the regulator (desktop and phone) in test-artifacts/."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from browser_kit import ARGS

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import running_service  # noqa: E402
from test_browser_work_pages import ARTIFACTS, DESKTOP, PHONE, _log_in, _shoot  # noqa: E402
from work_world import GAS_A, build_world, raise_point_alarm  # noqa: E402


@pytest.mark.browser
async def test_push_feedback_and_check_in_the_browser(tmp_path, chromium):
    from playwright.async_api import async_playwright

    db_url = f"sqlite:///{tmp_path / 'work.sqlite'}"
    async with running_service(tmp_path, db_url, web=True) as svc:
        w = await asyncio.to_thread(build_world, svc.engine)
        aid = raise_point_alarm(w, GAS_A, title="SO2 小时均值超标")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        base = svc.url
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            city, cpage = await _log_in(browser, base, "city", errors=errors)
            await cpage.wait_for_selector("#live-status[data-state='open']")

            reg, page = await _log_in(browser, base, "county_a", errors=errors)
            await page.goto(f"{base}alarms/{aid}")
            await page.fill("#form-push textarea[name=request]", "请于24小时内核查二氧化硫超标原因，反馈整改措施并上传运行记录。")
            await page.locator("#form-push button").click()
            await page.wait_for_selector("#disposal-state.dsp-pushed")
            # the city's open list learns it at once (live update of the row)
            await cpage.wait_for_selector(f"#alarm-table tr[data-id='{aid}'][data-disposal='pushed']")

            ent, epage = await _log_in(browser, base, "ent_a", errors=errors)
            await epage.goto(f"{base}alarms/{aid}")
            assert "待您签收" in await epage.locator("#disposal-next").inner_text()
            await epage.locator("#form-handle button").click()
            await epage.wait_for_selector("#form-feedback")
            assert "待您反馈，截止" in await epage.locator("#disposal-next").inner_text()
            await _shoot(epage, "work-disposal-enterprise-desktop")
            await epage.fill("#form-feedback textarea[name=cause]", "脱硫塔1号浆液循环泵故障，循环量不足。")
            await epage.fill("#form-feedback textarea[name=measures]", "已切换备用泵并检修故障泵，二氧化硫浓度恢复至30 mg/m³以下。")
            await epage.set_input_files("#form-feedback input[name=files]", files=[
                {"name": "运行记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 records"}])
            await epage.locator("#form-feedback button").click()
            await epage.wait_for_selector("#disposal-state.dsp-feedback")
            await epage.set_viewport_size(PHONE)
            await _shoot(epage, "work-disposal-enterprise-phone")

            await page.goto(f"{base}alarms/{aid}")
            assert "待您核查反馈，截止" in await page.locator("#disposal-next").inner_text()
            assert "运行记录.pdf" in await page.locator("#disposal").inner_text()
            await _shoot(page, "work-disposal-regulator-desktop")
            await page.set_viewport_size(PHONE)
            await _shoot(page, "work-disposal-regulator-phone")
            await page.set_viewport_size(DESKTOP)
            await page.goto(f"{base}alarms")
            await _shoot(page, "work-disposal-list-desktop")
            for c in (city, reg, ent):
                await c.close()
            await browser.close()
        assert errors == []
