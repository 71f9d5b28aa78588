"""The README's first command starts the demo, which shows simulated enterprises with live data."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from demo_banner import password_in, url_in
from helpers import stop_demo

ROOT = Path(__file__).parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_starts_with_the_two_commands():
    cmds = readme_commands()
    assert cmds[:2] == ["./run demo", "./run test"]
    assert "./run test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_demo_from_the_readme_command_shows_live_data(tmp_path):
    cmd = readme_commands()[0].split() + ["--port", "0", "--loggers", "4", "--data-dir", str(tmp_path / "demo"),
                                          "--backfill-hours", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        printed = []
        deadline = time.time() + 120  # includes setting up the virtual environment when it is new
        while (url is None or not any(" admin " in x for x in printed)) and time.time() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "demo exited early"
            printed.append(line)
            url = url or url_in(line)
        assert url, "the demo did not print its URL"
        password = password_in("".join(printed))
        # log in as the printed admin account: the session cookie opens the API and the pages
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login = urllib.request.Request(url + "api/v1/auth/login", method="POST",
                                       data=json.dumps({"username": "admin", "password": password}).encode(),
                                       headers={"Content-Type": "application/json"})
        assert json.load(browser.open(login))["role"] == "admin"
        deadline = time.time() + 60
        points = []
        while time.time() < deadline:
            points = json.load(browser.open(url + "api/v1/points"))["items"]
            if points and all(p["last_received_at"] for p in points):
                break
            time.sleep(1)
        assert len(points) == 4 and all(p["last_received_at"] for p in points)
        html = browser.open(url).read().decode()
        assert "有限公司" in html and 'class="point online' in html, html[-3000:]
    finally:
        stop_demo(proc)
    assert proc.returncode == 0
