"""The station-room time line in Debian's chromium (Playwright) against a real server: in Vietnamese (the longest
words) on a PC the page fits 1280 px with the "Station rooms" entry in the menu, the snapshot's thumbnail is a real
picture loaded through the scoped route, no script error; on a phone the time line fits the screen. Screenshots in
test-artifacts/."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest

from omkit import KEYS, om_server
from test_om_rooms_page import DAY, populate

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server"]
ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[3] / "test-artifacts"))


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI")
        pytest.skip("Debian's chromium is not installed")
    return CHROMIUM


def png(width: int, height: int) -> bytes:
    """A real grey PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.mark.browser
@pytest.mark.parametrize("device,viewport", [("pc", {"width": 1280, "height": 900}),
                                             ("phone", {"width": 390, "height": 844})])
def test_the_room_page_in_a_browser(om_world, chromium, device, viewport):
    from playwright.sync_api import sync_playwright

    engine, st, ids = om_world
    room, snap = populate(engine, st, ids, picture=png(64, 48))
    errors: list[str] = []
    with om_server(engine, st) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport=viewport, locale="vi-VN",
                                      extra_http_headers={"X-API-Key": KEYS["om_zhang"]})
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/om/rooms/{room}?day={DAY}&lang=vi")
        page.wait_for_load_state("load")
        assert page.locator("#om-timeline li").count() == 8
        thumb = page.locator(f'img[src="/om/rooms/{room}/snapshots/{snap}"]')
        thumb.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 48]
        assert page.locator("h1").inner_text().startswith("热电1号站房")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the page is {width} px wide on a {viewport['width']} px screen"
        if device == "pc":
            assert page.locator('a[href="/om/rooms"]').count() >= 1          # the menu entry ("More")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"om-room-{device}-vi.png"), full_page=True)
        browser.close()
    assert not errors, errors
