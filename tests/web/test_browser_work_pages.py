"""The working pages in a real browser (Debian's chromium via Playwright) against a running service: a county
regulator logs in, sees only that county's alarms, gets a new alarm live, acknowledges it; an enterprise user
files a mark with an evidence upload and the regulator approves it; a report is downloaded; the language is
switched; the administrator's registry and audit pages. Screenshots at 1280 and 390 px in test-artifacts/."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from browser_kit import ARGS

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import running_service  # noqa: E402
from work_world import GAS_A, GAS_B, PASSWORD, build_world, raise_point_alarm  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}




async def _log_in(browser, base: str, username: str, viewport=DESKTOP, errors: list | None = None):
    context = await browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    page = await context.new_page()
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(base + "login?next=/alarms")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.locator("form.login-form button[type=submit]").click()
    await page.wait_for_url("**/alarms")
    return context, page


async def _shoot(page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
async def test_county_regulator_alarms_marks_reports_and_admin(tmp_path, chromium):
    from playwright.async_api import async_playwright

    db_url = f"sqlite:///{tmp_path / 'work.sqlite'}"
    async with running_service(tmp_path, db_url, web=True) as svc:
        w = await asyncio.to_thread(build_world, svc.engine)
        mine = raise_point_alarm(w, GAS_A, title="SO2 小时均值超标")
        theirs = raise_point_alarm(w, GAS_B, title="焚烧炉 SO2 超标")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        base = svc.url
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)

            # --- the county regulator: only the county's alarms, live updates, acknowledge
            reg, page = await _log_in(browser, base, "county_a", errors=errors)
            await page.wait_for_selector("#live-status[data-state='open']")
            assert await page.locator(f"#alarm-table tr[data-id='{mine}']").count() == 1
            assert await page.locator(f"#alarm-table tr[data-id='{theirs}']").count() == 0
            alarm, _change, _ = await svc.dispatcher.raise_alarm(
                type="ALM-DEVICE-FAULT", source_type="point", source_id=w.points[GAS_A], severity=None,
                title="分析仪故障 (flag D)", explanation="二氧化硫分析仪报告故障标记 D。", evidence={"flag": "D"},
                point_id=w.points[GAS_A], factor_codes=["a21026"], at=datetime.now(timezone.utc))
            live = page.locator(f"#alarm-table tr[data-id='{alarm['id']}']")
            await live.wait_for()  # inserted by the EventSource, no reload
            assert "1号锅炉CEMS：设备故障：二氧化硫" in await live.inner_text()  # worded when shown
            assert await page.locator("#alarm-count").get_attribute("data-total") == "2"
            await _shoot(page, "work-alarms-desktop")
            await page.locator(f"#alarm-table tr[data-id='{mine}'] a").first.click()
            await page.wait_for_selector("#form-ack")
            await page.fill("#form-ack input[name=comment]", "已通知企业核查")
            await page.locator("#form-ack button").click()
            await page.wait_for_selector(".form-ok")
            assert await page.locator("#alarm-state.state-acknowledged").count() == 1
            await _shoot(page, "work-alarm-desktop")

            # --- the enterprise files a mark with an evidence file
            ent, epage = await _log_in(browser, base, "ent_a", errors=errors)
            await epage.goto(base + "marks/new")
            await epage.select_option("#point-select", str(w.points[GAS_A]))
            await epage.wait_for_selector("#mark-form")
            await epage.select_option("select[name=type]", "calibration")
            await epage.check("input[name=factor_codes][value=a21026]")
            await epage.fill("input[name=start]", "2026-11-20T09:00")
            await epage.fill("input[name=end]", "2026-11-20T10:30")
            await epage.fill("textarea[name=reason]", "季度校准，标气更换")
            await epage.set_input_files("input[name=evidence]", files=[
                {"name": "校准记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 calibration"}])
            await _shoot(epage, "work-mark-new-desktop")
            await epage.locator("#mark-form button[type=submit]").click()
            await epage.wait_for_selector("#evidence-list a")
            mark_url = epage.url.split("?")[0]
            assert "校准记录.pdf" in await epage.locator("#evidence-list").inner_text()

            # --- the regulator approves it
            await page.goto(mark_url)
            await page.fill("#form-review textarea[name=comment]", "记录齐全，同意")
            await page.locator("#form-review button[value=approved]").click()
            await page.wait_for_selector("#mark-status.status-approved")
            await _shoot(page, "work-mark-desktop")
            await page.goto(base + "marks")
            await _shoot(page, "work-marks-desktop")

            # --- a report download
            await page.goto(base + "reports")
            await page.check("input[name=kind][value=daily]")
            await page.select_option("select[name=point]", str(w.points[GAS_A]))
            await page.check("input[name=format][value=pdf]")
            await _shoot(page, "work-reports-desktop")
            async with page.expect_download() as info:
                await page.locator("#report-form button[type=submit]").click()
            download = await info.value
            assert download.suggested_filename.startswith(f"daily-{w.points[GAS_A]}-") \
                and download.suggested_filename.endswith(".pdf")
            assert (Path(await download.path()).read_bytes())[:4] == b"%PDF"

            # --- switch the language
            await page.goto(base + "alarms")
            await page.locator(".lang-switch a[data-lang='vi']").click()
            await page.wait_for_selector("html[lang='vi']")
            await _shoot(page, "work-alarms-vi-desktop")
            await page.locator(".lang-switch a[data-lang='zh']").click()
            await page.wait_for_selector("html[lang='zh-CN']")

            # --- the administrator: registry, a refused value, the audit log
            adm, apage = await _log_in(browser, base, "admin", errors=errors)
            await apage.goto(base + "admin")
            await _shoot(apage, "work-admin-desktop")
            await apage.goto(base + f"admin/points/{w.points[GAS_B]}")
            await apage.fill("input[name=tz]", "Mars/Olympus")
            await apage.locator("#admin-form button[type=submit]").click()
            await apage.wait_for_selector(".form-error[data-field='tz']")
            await _shoot(apage, "work-admin-point-error-desktop")
            await apage.goto(base + f"admin/users/{w.users['om_b']}")
            assert await apage.locator("label[data-field='region_code']").is_hidden()  # not an om's scope
            assert await apage.locator("label[data-field='maintained_points']").is_visible()
            await apage.goto(base + "audit")
            await _shoot(apage, "work-audit-desktop")

            # --- the same pages on a phone
            phone, ppage = await _log_in(browser, base, "county_a", viewport=PHONE, errors=errors)
            await ppage.wait_for_selector("#live-status[data-state='open']")
            await _shoot(ppage, "work-alarms-phone")
            for path, name in ((f"alarms/{mine}", "work-alarm-phone"), ("marks", "work-marks-phone"),
                               (mark_url.split("/", 3)[3], "work-mark-phone"), ("reports", "work-reports-phone"),
                               ("audit", "work-audit-phone")):
                await ppage.goto(base + path)
                await _shoot(ppage, name)
            aphone = await adm.new_page()
            await aphone.set_viewport_size(PHONE)
            await aphone.goto(base + f"admin/users/{w.users['om_b']}")
            await _shoot(aphone, "work-admin-user-phone")
            for ctx in (reg, ent, adm, phone):
                await ctx.close()
            await browser.close()
        assert errors == []
