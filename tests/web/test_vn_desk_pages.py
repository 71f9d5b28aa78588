"""The DONRE desk beyond reception (issue 14 items 1, 5, 6): the connection register from a fleet file and the
file log, the officer's entries (audited), the forwarding view with a real FTP receiver and the re-send, and the
provincial transmission report in XLSX and PDF with Vietnamese text. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "gateways"))
sys.path.insert(0, str(HERE.parent / "subsystems" / "monitoring" / "forward"))

from forward_testkit import MonreFtp, wait_for  # noqa: E402
from vn_desk_world import OTHER_STATION, client_for, keys_for  # noqa: E402
from vn_testkit import FLEET, GAS, VN, WATER, file_bytes, file_name  # noqa: E402

from ecosentry.fleet import import_fleet  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.subsystems.monitoring import schema as ms  # noqa: E402
from ecosentry.subsystems.monitoring.forward.queue import add_target, enqueue_for_targets  # noqa: E402
from ecosentry.subsystems.monitoring.forward.runner import ForwardRunner  # noqa: E402
from ecosentry.subsystems.monitoring.forward.settings import ForwardSettings  # noqa: E402
from ecosentry.subsystems.monitoring.queries import vn_register  # noqa: E402
from ecosentry.subsystems.monitoring.reports.vn_transmission import (build_transmission_report,  # noqa: E402
                                                                     transmission_pdf, transmission_xlsx)
from ecosentry.subsystems.monitoring.store.vn import record_files  # noqa: E402
from ecosentry.web.i18n import translations  # noqa: E402

REGISTERED = copy.deepcopy(FLEET)
REGISTERED["enterprises"][0]["vn_register"] = {"category": "art97-risk-500", "district": "Huyện Đông Anh",
                                               "industrial_zone": "KCN Thăng Long"}
REGISTERED["enterprises"][0]["outlets"][0]["points"][0]["installed_on"] = "2024-11-15"


def _log_row(point_id: int, station: str, t: datetime, received: datetime, status: str = "accepted", **kw) -> dict:
    name = file_name(station, t.astimezone(VN).replace(tzinfo=None))
    delay = (received - t).total_seconds()
    return {"station": station, "point_id": point_id, "file_name": name, "file_time": t, "received_at": received,
            "delay_s": delay, "late": delay > 300, "backfill": delay > 3600, "status": status,
            "sha256": "0" * 64, "size": 10, "transport": "ftp", **kw}


@pytest.fixture
def world(db_url, tmp_path):
    engine = prepare_database(db_url)
    summary = import_fleet(engine, REGISTERED)
    keys = keys_for(engine)
    with engine.connect() as c:
        pts = dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())
        ents = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    # the water station connected (first file) on 3 Jan 2025, three days after the deadline; the gas station
    # has sent nothing
    first = datetime(2025, 1, 3, 3, 0, tzinfo=timezone.utc)
    record_files(engine, [_log_row(pts[WATER], WATER, first, first + timedelta(minutes=1))])
    with client_for(engine, tmp_path) as client:
        yield engine, client, keys, pts, ents, summary
    engine.dispose()


def _h(keys, who):
    return {"Authorization": f"Bearer {keys[who]}"}


def test_the_register_says_each_step_with_its_date_and_who_is_late(world):
    engine, client, keys, pts, ents, summary = world
    assert summary.subsystems == {"vn_register_facilities": 1, "vn_register_stations": 1}
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        entries = vn_register.register(conn, s.points.c.id.is_not(None), s.enterprises.c.id.is_not(None), now)
    (fac,) = entries
    steps = {x.mn: st for x, st in fac.stations}
    water, gas = steps[WATER], steps[GAS]
    assert (water.obliged, water.installed, water.connected, water.transmitting) == (
        date(2022, 1, 10), date(2024, 11, 15), date(2025, 1, 3), date(2025, 1, 3))
    assert water.installed_entered and water.step == "transmitting" and water.late(date(2026, 1, 1)) == 3
    assert gas.step == "obliged" and gas.connected is None
    today = now.astimezone(VN).date()
    assert fac.steps.connected is None and fac.steps.late(today) == (today - date(2024, 12, 31)).days
    (group,) = vn_register.late_groups(entries, today)
    assert (group["district"], group["industrial_zone"]) == ("Huyện Đông Anh", "KCN Thăng Long")
    page = client.get("/vn/register", headers=_h(keys, "donre"))
    assert page.status_code == 200 and "Huyện Đông Anh" in page.text and WATER in page.text


def test_the_officer_enters_the_register_audited_and_a_facility_cannot(world):
    engine, client, keys, pts, ents, _ = world
    gas = pts[GAS]
    r = client.post(f"/vn/register/station/{gas}", data={"installed_on": "2024-12-20", "note": "biên bản số 12"},
                    headers=_h(keys, "donre"), follow_redirects=False)
    assert r.status_code == 303
    with engine.connect() as c:
        row = c.execute(select(ms.vn_register_stations).where(ms.vn_register_stations.c.point_id == gas)).first()
        audit = c.execute(select(s.audit_log).where(s.audit_log.c.entity == "vn_register_station",
                                                    s.audit_log.c.entity_id == str(gas))).mappings().all()
    assert row.installed_on == date(2024, 12, 20) and row.updated_by == "donre"
    assert len(audit) == 1 and audit[0]["actor"] == "donre" and audit[0]["after"]["installed_on"] == "2024-12-20"
    # the other facility joins the register (a DONRE account), a wrong category is refused with its reason
    other = ents["VN0100000000000002"]
    ok = client.post(f"/vn/register/facility/{other}", data={"category": "art98", "district": "Quận Long Biên"},
                     headers=_h(keys, "donre"), follow_redirects=False)
    assert ok.status_code == 303
    bad = client.post(f"/vn/register/facility/{other}", data={"category": "art-99"}, headers=_h(keys, "donre"))
    assert bad.status_code == 422 and "art97-iz" in bad.text
    # a facility account may read its own register lines but not write them
    denied = client.post(f"/vn/register/station/{gas}", data={"installed_on": "2020-01-01"},
                         headers=_h(keys, "facility"))
    assert denied.status_code == 403
    own = client.get("/vn/register", headers=_h(keys, "facility")).text
    assert WATER in own and OTHER_STATION not in own
    with engine.connect() as c:
        assert c.scalar(select(ms.vn_register_stations.c.installed_on)
                        .where(ms.vn_register_stations.c.point_id == gas)) == date(2024, 12, 20)


@pytest.mark.parametrize("lang, category, day, period", [
    ("vi", "cơ sở {id}: Loại theo Nghị định 08 không xác định &#39;art-99&#39;; chọn một trong: art97-iz",
     "trạm {id}, installed_on: &#39;20/12/2024&#39; không phải ngày (YYYY-MM-DD)",
     "2026-13-01 không phải ngày (YYYY-MM-DD)"),
    ("zh", "设施 {id}：未知的第 08 号议定类别 &#39;art-99&#39;；可选：art97-iz",
     "站点 {id}，installed_on：&#39;20/12/2024&#39; 不是日期（YYYY-MM-DD）", "2026-13-01 不是日期（YYYY-MM-DD）"),
])
def test_the_register_and_the_report_refuse_in_the_readers_language(world, lang, category, day, period):
    """A wrong category, a day that is not YYYY-MM-DD on the register's forms and on the report's period are
    said in the officer's language (were the English sentence of the store on the Vietnamese desk)."""
    engine, client, keys, pts, ents, _ = world
    other = ents["VN0100000000000002"]
    bad = client.post(f"/vn/register/facility/{other}?lang={lang}", data={"category": "art-99"},
                      headers=_h(keys, "donre"))
    assert bad.status_code == 422 and f'role="alert">{category.format(id=other)}' in bad.text, bad.text
    bad = client.post(f"/vn/register/station/{pts[GAS]}?lang={lang}", data={"installed_on": "20/12/2024"},
                      headers=_h(keys, "donre"))
    assert bad.status_code == 422 and f'role="alert">{day.format(id=pts[GAS])}</p>' in bad.text
    bad = client.get(f"/vn/report?end_day=2026-13-01&lang={lang}", headers=_h(keys, "donre"))
    assert bad.status_code == 422 and f'role="alert">{period}</p>' in bad.text


def test_forwarding_view_shows_failures_and_the_officer_sends_again(world, tmp_path):
    engine, client, keys, pts, *_ = world
    asyncio.run(_forwarding(engine, client, keys, pts, tmp_path))


async def _forwarding(engine, client, keys, pts, tmp_path) -> None:
    monre = MonreFtp(tmp_path / "monre")
    monre.start()
    port = monre.port
    monre.stop()  # MONRE's receiver is down: the attempts fail with the reason
    target = add_target(engine, name="MONRE", kind="vn-ftp", host="127.0.0.1", port=port, username=MonreFtp.USER,
                        password=MonreFtp.PASSWORD, remote_path="/")
    t = datetime.now(VN).replace(second=0, microsecond=0, tzinfo=None) - timedelta(hours=1)
    rows = []
    for mn in (WATER, OTHER_STATION):
        name = file_name(mn, t)
        rows.append({"id": None, "transport": "ftp", "status": "accepted", "mn": mn, "cn": "vn-txt", "qn": None,
                     "point_id": pts[mn], "detail": json.dumps({"file": name}), "raw": file_bytes(t)})
    assert enqueue_for_targets(engine, rows) == 2
    settings = ForwardSettings(poll_every=0.05, backoff_base=0.05, backoff_max=0.2, connect_timeout=1.0,
                               max_attempts=1)
    q = ms.forward_queue

    def statuses():
        with engine.connect() as c:
            return sorted(c.execute(select(q.c.status)).scalars())

    runner = ForwardRunner(engine, settings, feed=False)
    task = asyncio.create_task(runner.run())
    try:
        await wait_for(lambda: statuses() == ["failed", "failed"], "both items given up")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 10)
    page = await asyncio.to_thread(client.get, "/vn/forwarding", headers=_h(keys, "donre"))
    assert page.status_code == 200 and "MONRE" in page.text and 'id="failure-table"' in page.text
    with engine.connect() as c:
        reason = c.scalar(select(ms.forward_deliveries.c.detail).where(ms.forward_deliveries.c.ok.is_(False)))
    assert reason and reason.split(":")[0] in page.text       # the failure's reason, as the runner logged it
    # ... and said in the officer's words: MONRE's receiver was stopped, the connection refused
    assert "nơi nhận từ chối kết nối" in page.text, reason
    facility = await asyncio.to_thread(client.get, "/vn/forwarding", headers=_h(keys, "facility"))
    assert facility.status_code == 403
    # the officer sends every given-up file again: audited, back in the queue, delivered once MONRE is up
    r = await asyncio.to_thread(client.post, f"/vn/forwarding/{target.id}/resend", data={"all_failed": "1"},
                                headers=_h(keys, "donre"), follow_redirects=False)
    assert r.status_code == 303 and "resent=2" in r.headers["location"]
    assert statuses() == ["pending", "pending"]
    with engine.connect() as c:
        audit = c.execute(select(s.audit_log).where(s.audit_log.c.action == "resend")).mappings().all()
    assert len(audit) == 1 and audit[0]["actor"] == "donre" and len(audit[0]["after"]["pending"]) == 2
    monre.start()
    runner = ForwardRunner(engine, settings, feed=False)
    task = asyncio.create_task(runner.run())
    try:
        await wait_for(lambda: statuses() == ["delivered", "delivered"], "both items delivered")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 10)
        monre.stop()
    assert sorted(monre.renames) == sorted(file_name(mn, t) for mn in (WATER, OTHER_STATION))
    page = await asyncio.to_thread(client.get, "/vn/forwarding", headers=_h(keys, "donre"))
    assert file_name(OTHER_STATION, t) in page.text or file_name(WATER, t) in page.text   # the last delivery


def test_the_provincial_report_renders_in_vietnamese(world, tmp_path):
    engine, client, keys, pts, *_ = world
    day = date(2025, 1, 3)
    # 3 Jan 2025: the water station sent one file at 10:00 (on time); an exceeded hour on the gas station
    with engine.begin() as c:
        c.execute(s.hourly_values.insert().values(
            point_id=pts[GAS], factor_code="a21026", period_start=datetime(2025, 1, 3, 2, tzinfo=timezone.utc),
            value=600.0, valid=True, valid_minutes=60, received_minutes=60, n_records=12,
            computed_at=datetime.now(timezone.utc), exceeded=True, limit_value=500.0))
    tr = translations("vi")
    now = datetime(2025, 1, 4, 12, tzinfo=timezone.utc)
    report = build_transmission_report(engine, s.points.c.id.is_not(None), s.enterprises.c.id.is_not(None),
                                       province="Hà Nội", start_day=day, end_day=day, now=now)
    xlsx = load_workbook(io.BytesIO(transmission_xlsx(report, tr.gettext)))
    ws = xlsx.active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in cells for v in row if v is not None]
    title = tr.gettext("Provincial report on the reception of automatic monitoring data")
    assert title != "Provincial report on the reception of automatic monitoring data"   # said in Vietnamese
    assert title in flat
    water_row = next(row for row in cells if row[1] == "Trạm nước thải")
    # the water station on 3 Jan 2025 (connected at its first file, 10:00 local): 168 slots from 10:00 to
    # midnight, one covered
    counts = dict(zip(("expected", "on_time", "late", "backfilled", "missing"), water_row[5:10]))
    assert counts == {"expected": 168, "on_time": 1, "late": 0, "backfilled": 0, "missing": 167}
    gas_row = next(row for row in cells if row[1] == "Trạm khí thải")
    assert gas_row[-2:] == [1, 0]       # one exceeded hour, no exceeded day
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(transmission_pdf(report, tr.gettext))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in (title, "Công ty Phúc Chính", "Trạm nước thải", "Huyện Đông Anh", "KCN Thăng Long"):
        assert words in text, words
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    # the page's download, in the DONRE officer's language
    r = client.get("/vn/report?format=pdf&start_day=2025-01-03&end_day=2025-01-03", headers=_h(keys, "donre"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    (tmp_path / "page.pdf").write_bytes(r.content)
    words = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "page.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    # Vietnamese numbers: the water station's completeness 1/168 = 0,60 %, never with a decimal point
    assert "0,60%" in words and not re.search(r"\d\.\d+%", words), words
    x = client.get("/vn/report?format=xlsx&start_day=2025-01-03&end_day=2025-01-03", headers=_h(keys, "facility"))
    assert x.status_code == 200 and x.content[:2] == b"PK"
    fac = load_workbook(io.BytesIO(x.content)).active
    names = {c.value for row in fac.iter_rows() for c in row}
    assert "Trạm nước thải" in names and "Trạm nước Sông Hồng" not in names
