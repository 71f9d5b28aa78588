"""The parameter mapping page in a real browser (Debian's chromium via Playwright) against a running service:
station files arrive through the folder gateway; the DONRE officer logs in (Vietnamese), maps an unknown name
in ppm to SO2 on the page, and the next file the service receives is read with it (100 ppm → 261.84 mg/Nm³ at
QCVN 19:2009's 25 °C). Screenshots in test-artifacts/."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from browser_kit import ARGS

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import running_service  # noqa: E402
from vn_mapping_kit import KHI, populate, station_file  # noqa: E402
from work_world import PASSWORD  # noqa: E402

from ecosentry.gateways.folder_settings import FolderSettings  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.subsystems.monitoring import schema as ms  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))


def _drop(inbox: Path, station: str, t: datetime) -> None:
    name, data = station_file(station, t)
    tmp = inbox / f".{name}.part"
    tmp.write_bytes(data)
    tmp.rename(inbox / name)  # whole, as an uploader's rename


async def _until(engine, query, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            got = conn.execute(query).first()
        if got is not None:
            return got
        assert time.monotonic() < deadline, f"nothing for {query} after {timeout} s"
        await asyncio.sleep(0.2)


@pytest.mark.browser
async def test_officer_maps_a_name_in_the_browser_and_the_service_reads_the_next_file_with_it(tmp_path, chromium):
    from playwright.async_api import async_playwright

    db_url = f"sqlite:///{tmp_path / 'vn.sqlite'}"
    engine = prepare_database(db_url)
    points = populate(engine)
    pid = points[KHI]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=15)
    t0 -= timedelta(minutes=t0.minute % 5)
    folder = FolderSettings(dirs=[inbox], poll_interval=0.1, stable_polls=1, quiet_s=0.0)
    o, u = s.observations, ms.vn_unmapped
    async with running_service(tmp_path, db_url, web=True, vn_folder=folder) as svc:
        _drop(inbox, KHI, t0)
        await _until(engine, select(u.c.n_lines).where(u.c.point_id == pid, u.c.raw_name == "Nong do SO2"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
            page = await context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(svc.url + "login?next=/vn/mapping&lang=vi")
            await page.fill("input[name=username]", "donre")
            await page.fill("input[name=password]", PASSWORD)
            await page.locator("form.login-form button[type=submit]").click()
            await page.wait_for_url("**/vn/mapping*")
            await page.evaluate("document.fonts.ready")
            assert (await page.locator("h1").inner_text()).startswith("Ánh xạ thông số")
            await page.screenshot(path=str(ARTIFACTS / "vn-mapping-open.png"), full_page=True)
            row = page.locator('#unmapped tr[data-name="Nong do SO2"]')
            await row.locator("select[name=factor_code]").select_option("a21026")
            await row.locator("button[type=submit]").click()
            await page.wait_for_selector("p.done")
            assert "Nong do SO2" in await page.locator("p.done").inner_text()
            rule = page.locator('#rules tr[data-factor="a21026"]')
            assert "24.465 L/mol" in await rule.inner_text() and "donre" in await rule.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "vn-mapping-mapped.png"), full_page=True)
            await browser.close()
        assert errors == []
        # the next file the running service receives is read with the officer's rule
        t1 = t0 + timedelta(minutes=5)
        _drop(inbox, KHI, t1)
        value = (await _until(engine, select(o.c.value).where(o.c.point_id == pid, o.c.factor_code == "a21026",
                                                              o.c.period_start == t1)))[0]
        assert value == pytest.approx(261.84, abs=0.01)  # 100 ppm × 64.06 g/mol ÷ 24.4654 L/mol
        a = s.audit_log
        with engine.connect() as conn:
            audit = conn.execute(select(a.c.actor, a.c.action).where(a.c.entity == "point",
                                                                     a.c.entity_id == str(pid))).all()
        assert [tuple(r) for r in audit] == [("donre", "vn_map_parameter")]
    engine.dispose()
