"""The O&M engineer's phone view in a real browser (Debian's chromium via Playwright) at 390 × 844 px against a
running server: the engineer logs in through the login page, opens ``/om/my``, picks two photos in the real file
input of an order on site and uploads them through the form (the core's CSRF token included), sees them on the
card, ticks the checklist, types a reading and finishes the order; nothing on the page is wider than the phone and
the buttons are big enough for a thumb. Screenshots of the phone view and of the regulator's board in zh and vi
(``ECOSENTRY_SHOTS`` names a folder to copy them to, e.g. ``docs/img``)."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parents[2] / "web"))

from browser_kit import ARGS  # noqa: E402
from omkit import om_server  # noqa: E402
from om_pages_world import PASSWORD, add_accounts, add_checks, add_orders, photo  # noqa: E402

from ecosentry.subsystems.om.schema import om_work_order_photos, om_work_orders  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI")
        pytest.skip("Debian's chromium is not installed")
    return CHROMIUM


def _settle_fonts(page) -> None:
    """The CJK web font swaps in after the first paint; make chromium shape the words again once it is ready."""
    page.evaluate("document.fonts.ready.then(() => true)")
    page.add_style_tag(content='* { font-feature-settings: "liga" 1; }')
    page.evaluate("document.fonts.ready.then(() => true)")


def _log_in(browser, base: str, username: str, viewport: dict, lang: str):
    ctx = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN" if lang == "zh" else "vi-VN")
    page = ctx.new_page()
    page.goto(f"{base}/login?next=/om/my&lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return ctx, page


def _keep(shot: Path) -> None:
    if os.environ.get("ECOSENTRY_SHOTS"):
        shutil.copy(shot, Path(os.environ["ECOSENTRY_SHOTS"]) / shot.name)


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_engineer_uploads_photos_and_finishes_on_a_phone(om_world, tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    eng, st, pts = om_world
    now = datetime.now(timezone.utc).replace(microsecond=0)
    add_accounts(eng)
    o = add_orders(eng, st, pts, now)
    add_checks(eng, st, pts, now)
    files = []
    for i in (1, 2):
        f = tmp_path / f"IMG_20261206_0{i}.jpg"
        f.write_bytes(photo(i, size=(1280, 960)))
        files.append(str(f))
    shots = []
    with om_server(eng, st) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for lang in ("zh", "vi"):
            ctx, page = _log_in(browser, base, "om_zhang", PHONE, lang)
            page.goto(f"{base}/om/my?lang={lang}")
            card = page.locator(f"#order-{o.on_site}")
            assert card.count() == 1 and page.locator("#order-%d" % o.overdue).count() == 1
            if lang == "zh":
                # the real form: two photos from the "camera", uploaded with the session's CSRF token
                file_input = card.locator("input[type=file]")
                assert file_input.get_attribute("capture") == "environment"
                assert file_input.get_attribute("accept") == "image/*"
                file_input.set_input_files(files)
                card.locator(".om-photos-form button[type=submit]").click()
                page.wait_for_url(f"**/om/my?done=photos&n=2&order={o.on_site}#order-{o.on_site}")
                card = page.locator(f"#order-{o.on_site}")
                assert card.locator(".form-ok").count() == 1
                page.wait_for_function(
                    f"[...document.querySelectorAll('#order-{o.on_site} .om-thumbs img')]"
                    ".every(i => i.complete && i.naturalWidth > 0)")
            assert card.locator(".om-thumbs img").count() == 2
            # nothing wider than the phone; buttons and ticks big enough for a thumb
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            heights = page.evaluate("[...document.querySelectorAll('button.om-big')].map(b => b.getBoundingClientRect()"
                                    ".height)")
            assert heights and min(heights) >= 48, heights
            boxes = page.evaluate("[...document.querySelectorAll('.om-check')].map(b => b.getBoundingClientRect()"
                                  ".height)")
            assert boxes and min(boxes) >= 44, boxes
            _settle_fonts(page)
            shot = tmp_path / f"om-my-phone-{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            shots.append(shot)
            ctx.close()

        # finishing through the form: the checklist ticked, a reading typed
        ctx, page = _log_in(browser, base, "om_zhang", PHONE, "zh")
        page.goto(f"{base}/om/my?lang=zh")
        card = page.locator(f"#order-{o.on_site}")
        for box in card.locator(".om-checklist input[type=checkbox]").all():
            box.check()
        card.locator("input[name='reading.a21026']").fill("41.5")
        card.locator("button[data-action=finish]").click()
        page.wait_for_url("**/om/my?done=finish*")
        assert page.locator(f"#order-{o.on_site}").count() == 0
        ctx.close()

        # the regulator's board at a PC's width, in both languages
        for lang in ("zh", "vi"):
            ctx, page = _log_in(browser, base, "city", DESKTOP, lang)
            page.goto(f"{base}/om/orders?lang={lang}")
            assert page.locator("#om-board .om-card").count() == 5
            assert page.locator("#om-board .om-card.overdue").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            _settle_fonts(page)
            shot = tmp_path / f"om-board-{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            shots.append(shot)
            if lang == "zh":
                # one order with its trail and photos; the calibration history with its drift chart drawn
                page.goto(f"{base}/om/orders/{o.on_site}?lang=zh")
                assert page.locator("#om-photos img").count() == 2 and page.locator("#om-trail li").count() == 5
                _settle_fonts(page)
                page.screenshot(path=str(tmp_path / "om-order-zh.png"), full_page=True)
                page.goto(f"{base}/om/calibrations?point={pts['a']}&factor=a21026&lang=zh")
                page.wait_for_selector("#om-drift-chart[data-ready='1']")
                assert page.locator("#om-drift-chart .main-svg").count() >= 1
                _settle_fonts(page)
                shot = tmp_path / "om-calibrations-zh.png"
                page.screenshot(path=str(shot), full_page=True)
                shots.append(shot)
            ctx.close()
        browser.close()
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(om_work_order_photos)).scalar_one() == 2
        order = c.execute(select(om_work_orders).where(om_work_orders.c.id == o.on_site)).mappings().one()
    assert order["state"] == "done" and order["readings"] == {"a21026": 41.5}
    assert order["checklist"] and all(order["checklist"].values())
    for shot in shots:
        assert shot.stat().st_size > 20_000
        _keep(shot)
