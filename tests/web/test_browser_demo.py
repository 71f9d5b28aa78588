"""The running demo (`./run demo`) in a real browser: a county regulator logs in through the form, sees only
its county, downloads a report and switches to Vietnamese; screenshots at desktop and phone width."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from demo_banner import deployment_language_env, password_in, url_in  # noqa: E402
from helpers import stop_demo  # noqa: E402

ROOT = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", ROOT / "test-artifacts"))
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--no-proxy-server"]


def start_demo(tmp_path: Path) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([str(ROOT / "run"), "demo", "--port", "0", "--loggers", "8", "--data-dir",
                             str(tmp_path / "demo"), "--backfill-hours", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=deployment_language_env())
    printed, url = [], None
    deadline = time.time() + 120
    while (url is None or not any(" county " in x for x in printed)) and time.time() < deadline:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, "demo exited early:\n" + "".join(printed)
        printed.append(line)
        url = url or url_in(line)
    assert url, "the demo did not print its URL"
    password = password_in("".join(printed))
    return proc, url, password


def api(url: str, path: str, username: str, password: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.open(urllib.request.Request(url + "api/v1/auth/login", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"username": username, "password": password}).encode()))
    return json.load(opener.open(url + path))


@pytest.mark.browser
@pytest.mark.slow
def test_county_regulator_in_the_running_demo(tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    proc, url, password = start_demo(tmp_path)
    try:
        me = api(url, "api/v1/auth/me", "county", password)
        county = me["region_code"]
        everything = api(url, "api/v1/enterprises?page_size=500", "admin", password)["items"]
        inside = {e["name"] for e in everything if e["region_code"] == county}
        outside = {e["name"] for e in everything if e["region_code"] != county}
        assert inside and outside, "the demo fleet spans several counties"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.goto(url + "login?next=/")
            page.fill("#username", "county")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/$"))
            html = page.content()
            # only the county's enterprises are listed
            assert all(name in html for name in inside), "an enterprise of the county is missing"
            assert not any(name in html for name in outside), "an enterprise outside the county is shown"
            page.screenshot(path=str(ARTIFACTS / "demo-county-home-desktop.png"), full_page=True)
            page.goto(url + "dashboard")
            page.screenshot(path=str(ARTIFACTS / "demo-county-dashboard-desktop.png"), full_page=True)
            # a daily report of one of its points, from the reports page's link target (the API)
            point = api(url, "api/v1/points", "county", password)["items"][0]
            today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
            with page.expect_download() as dl:
                page.evaluate("u => { const a = document.createElement('a'); a.href = u; a.download = '';"
                              " document.body.appendChild(a); a.click(); }",
                              url + f"api/v1/points/{point['id']}/reports/daily?format=xlsx&day={today}")
            target = tmp_path / "daily.xlsx"
            dl.value.save_as(str(target))
            assert target.read_bytes()[:2] == b"PK"
            # switch to Vietnamese with the language switcher; the choice sticks
            page.click("a[data-lang=vi]")
            page.wait_for_load_state()
            assert "Tổng quan" in page.inner_text("nav")
            page.goto(url + "map")
            assert "Tổng quan" in page.inner_text("nav")
            page.screenshot(path=str(ARTIFACTS / "demo-county-map-vi-desktop.png"), full_page=True)
            # the gates' alert-period dashboard: a long finding sentence (a ledger's day, said once) wraps inside
            # its column instead of running over the evidence link beside it
            deadline = time.time() + 90
            page.goto(url + "gates/dashboard")
            while not page.locator("#dashboard-findings td.gt-sentence").count() and time.time() < deadline:
                time.sleep(3)
                page.goto(url + "gates/dashboard")
            assert page.locator("#dashboard-findings td.gt-sentence").count(), "no gates finding in 90 s"
            over = page.evaluate("() => [...document.querySelectorAll('#dashboard-findings td')]"
                                 ".filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.innerText)")
            assert over == [], over
            page.screenshot(path=str(ARTIFACTS / "demo-county-gates-dashboard-vi-desktop.png"), full_page=True)
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.context.add_cookies(page.context.cookies())
            phone.goto(url + "dashboard")
            phone.screenshot(path=str(ARTIFACTS / "demo-county-dashboard-vi-phone.png"), full_page=True)
            browser.close()
    finally:
        stop_demo(proc)
