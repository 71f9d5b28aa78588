"""The regional view during an alert in chromium, in Chinese, on a phone and on a PC: cards that fit the phone's
width, the table on the PC; screenshots kept (``ECOSENTRY_SHOTS`` names a folder to copy them to)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "web"))

from alert_world import build  # noqa: E402
from browser_kit import ARGS  # noqa: E402
from layout_kit import serve  # noqa: E402
from test_power_alert_pages import add_users  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI")
        pytest.skip("Debian's chromium is not installed")
    return CHROMIUM


@pytest.mark.parametrize("device,viewport", [("phone", {"width": 390, "height": 844}),
                                             ("pc", {"width": 1366, "height": 900})])
def test_regional_view_on_a_phone_and_a_pc(tmp_path, chromium, device, viewport):
    from playwright.sync_api import sync_playwright

    engine = prepare_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ids = build(engine)
    keys = add_users(engine, ids)
    shot = tmp_path / f"power-alert-{device}-zh.png"
    with serve(engine) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        ctx = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN",
                                  extra_http_headers={"Authorization": f"Bearer {keys['city']}"})
        page = ctx.new_page()
        page.goto(f"{base}/power/alerts/{ids['alert'][1]}?lang=zh")
        page.wait_for_load_state("networkidle")
        # the CJK web font (no system CJK font here) swaps in after the first paint, and chromium keeps the
        # words it shaped before the swap as empty boxes: once the font is ready, a font-feature change makes it
        # shape every word again (the page itself is unchanged)
        page.evaluate("document.fonts.ready.then(() => true)")
        page.add_style_tag(content='* { font-feature-settings: "liga" 1; }')
        page.evaluate("document.fonts.ready.then(() => true)")
        assert page.locator("h1").inner_text().endswith("预警期间执行情况")
        cards, table = page.locator("#power-cards"), page.locator("#power-enterprises")
        if device == "phone":
            assert cards.is_visible() and not table.is_visible()
            assert page.locator("#power-cards li.breach").count() == 1
            assert "违反" in page.locator("#power-cards li.breach").inner_text()
            # nothing wider than the phone but the effect tables, which scroll inside their own box
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        else:
            assert table.is_visible() and not cards.is_visible()
            assert table.locator("tr[data-verdict]").count() == 4
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 20_000
    if os.environ.get("ECOSENTRY_SHOTS"):
        shutil.copy(shot, Path(os.environ["ECOSENTRY_SHOTS"]) / shot.name)
    engine.dispose()
