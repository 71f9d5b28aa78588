"""The ranking page in a real browser (Debian's chromium via Playwright), desktop width, zh and vi: the formula
is set as a formula (a fraction over the weights' sum when it is not 1, the weights as set), the components are a
table one per line, nothing overflows the page, and the current month to date is shown labelled provisional.
Screenshots ``om-ranking-zh.png``, ``om-ranking-vi.png`` (``ECOSENTRY_SHOTS`` names a folder to copy them to, e.g.
``docs/img``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "web"))

from assesskit import MONTH, NOW, build_november, settings_for_example  # noqa: E402
from browser_kit import ARGS  # noqa: E402
from omkit import om_server  # noqa: E402
from om_pages_world import PASSWORD, add_accounts  # noqa: E402

from ecosentry.subsystems.om.store.assessment import assess_stored_month  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI")
        pytest.skip("Debian's chromium is not installed")
    return CHROMIUM


def _log_in(browser, base: str, username: str, lang: str):
    ctx = browser.new_context(viewport=DESKTOP, device_scale_factor=1, locale="zh-CN" if lang == "zh" else "vi-VN")
    page = ctx.new_page()
    page.goto(f"{base}/login?next=/om/ranking&lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return ctx, page


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_ranking_page_reads_well_in_zh_and_vi(om_world, tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    eng, st, pts = om_world
    build_november(eng, pts)
    add_accounts(eng)
    om = settings_for_example(st)
    om.assessment.weights.eff = 0.5          # Σw = 1.1: the fraction is shown
    assess_stored_month(eng, MONTH, om, NOW)
    with om_server(eng, st) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for lang in ("zh", "vi"):
            ctx, page = _log_in(browser, base, "admin", lang)
            page.goto(f"{base}/om/ranking?month={MONTH}&org=ORG-QY&lang={lang}")
            page.evaluate("document.fonts.ready.then(() => true)")
            shot = tmp_path / f"om-ranking-{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("ECOSENTRY_SHOTS"):
                shutil.copy(shot, Path(os.environ["ECOSENTRY_SHOTS"]) / shot.name)
            formula = page.locator("#formula")
            assert formula.locator(".om-frac").count() == 1
            num = formula.locator(".om-num").inner_text()
            assert "0.5" in num and "0.15" in num and "E" in num and "C" in num
            assert formula.locator(".om-den").inner_text().strip() == "1.1"
            assert "/ 1" not in formula.inner_text()
            assert page.locator("#components tr[data-component]").count() == 5
            # each component on its own line, the weight in a column of its own
            tops = page.evaluate("[...document.querySelectorAll('#components tr[data-component]')]"
                                 ".map(r => r.getBoundingClientRect().top)")
            assert tops == sorted(tops) and len(set(tops)) == 5
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            ctx.close()
        browser.close()
