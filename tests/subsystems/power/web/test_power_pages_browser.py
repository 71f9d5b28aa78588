"""The electricity pages in a real browser (Debian's chromium via Playwright) against a running service: the
enterprise's day view draws its chart (state bands, power panels, the finding span) with no script error, on
a phone (390×844) and a PC (1366×768), in Chinese and Vietnamese; the list and the findings page too.
Screenshots in test-artifacts/power-*.png."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "e2e"))
sys.path.insert(0, str(Path(__file__).parent))

from browser_kit import ARGS  # noqa: E402
from helpers import running_service  # noqa: E402
from power_world import seed  # noqa: E402
from work_world import build_world  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[4] / "test-artifacts"))
PHONE, PC = {"width": 390, "height": 844}, {"width": 1366, "height": 768}


@pytest.fixture
def chromium() -> str:
    path = "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI")
        pytest.skip("Debian's chromium is not installed")
    return path


async def _fonts(page) -> None:
    """Wait for the web CJK font (``font-display: swap``: the first paint may still lack some glyphs)."""
    await page.evaluate("""async () => { const text = document.body.innerText;
        await Promise.all(['400', '600', '700'].map(w => document.fonts.load(`${w} 14px "ecosentry CJK"`, text)));
        await document.fonts.ready; }""")


@pytest.mark.browser
async def test_the_day_view_list_and_findings_on_a_phone_and_a_pc(tmp_path, chromium):
    from playwright.async_api import async_playwright
    db_url = f"sqlite:///{tmp_path / 'power.sqlite'}"
    async with running_service(tmp_path, db_url, web=True) as svc:
        w = await asyncio.to_thread(build_world, svc.engine)
        pw = await asyncio.to_thread(seed, w)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            for lang in ("zh", "vi"):
                for label, viewport in (("phone", PHONE), ("pc", PC)):
                    ctx = await browser.new_context(viewport=viewport, extra_http_headers=w.bearer("county_a"),
                                                    locale={"zh": "zh-CN", "vi": "vi-VN"}[lang])
                    page = await ctx.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    await page.goto(f"{svc.url}power/enterprises/{pw.ent_a}?day={pw.yesterday}&lang={lang}")
                    await page.wait_for_selector("#power-chart[data-ready='1']")
                    assert await page.locator("#power-chart .main-svg").count() >= 1
                    # three rows of state bands and the finding span are drawn as shapes
                    assert await page.locator("#power-chart .shapelayer path").count() >= 8
                    words = await page.locator("#power-chart").inner_text()
                    assert ("1号焦炉" in words) and ("1号除尘器" in words)
                    await _fonts(page)
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= viewport["width"] + 1, f"{lang} {label}: the page scrolls sideways ({width})"
                    await page.screenshot(path=str(ARTIFACTS / f"power-view-{lang}-{label}.png"), full_page=True)
                    await page.goto(f"{svc.url}power?lang={lang}")
                    await page.wait_for_selector("#power-enterprises")
                    await _fonts(page)
                    await page.screenshot(path=str(ARTIFACTS / f"power-list-{lang}-{label}.png"), full_page=True)
                    await page.goto(f"{svc.url}power/findings?lang={lang}")
                    await page.wait_for_selector("#power-findings")
                    await _fonts(page)
                    await page.screenshot(path=str(ARTIFACTS / f"power-findings-{lang}-{label}.png"), full_page=True)
                    await ctx.close()
                    # the administrator's registry page and a refused value in the meter form
                    ctx = await browser.new_context(viewport=viewport, extra_http_headers=w.bearer("admin"),
                                                    locale={"zh": "zh-CN", "vi": "vi-VN"}[lang])
                    page = await ctx.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    await page.goto(f"{svc.url}power/enterprises/{pw.ent_a}/registry?lang={lang}")
                    await page.wait_for_selector("#linkage-form")
                    await _fonts(page)
                    await page.screenshot(path=str(ARTIFACTS / f"power-registry-{lang}-{label}.png"), full_page=True)
                    await page.goto(f"{svc.url}power/enterprises/{pw.ent_a}/registry/meters/{pw.meters['SB002']}")
                    await page.fill("input[name=ct_ratio]", "200/0")
                    await page.locator("#power-form button[type=submit]").click()
                    await page.wait_for_selector(".form-error[data-field='ct_ratio']")
                    await _fonts(page)
                    await page.screenshot(path=str(ARTIFACTS / f"power-form-error-{lang}-{label}.png"), full_page=True)
                    await ctx.close()
            await browser.close()
        assert not errors, errors
