"""Issue 11 item 2: data are expected from a point's connection (联网) time, and every place that shows a
rate gives the same figure for the same scope and period.

Minute frames go over real TCP into the running service; the rates are read from the ``/rates`` APIs, the
dashboard's figures, the rate report and ``ecosentry compute`` on the same minutes exported as CSV. The
clock is fixed in the past (``NOW``) so the test does not depend on the hour it runs at.
"""

from __future__ import annotations

import copy
import csv
import json
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.api.app import create_app
from ecosentry.auth.deps import principal_for_user
from ecosentry.subsystems.monitoring.reports.rate_report import build_rate_report
from ecosentry.subsystems.monitoring.rules.cn.rates import expected_hours
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import file_mark, review_mark
from ecosentry.fleet import import_fleet
from ecosentry.subsystems.monitoring.web.dashboard import overview
from helpers import FLEET, GAS_MN, AsUsers, Logger, api_user, minute_frame, running_service

CST = timezone(timedelta(hours=8))
#: "Now" of the test: 20 Nov 2026, 15:20 local; the point went live at 12:00 that day.
NOW = datetime(2026, 11, 20, 15, 20, tzinfo=CST)
FACTORS = ("a21026", "a21002", "a19001")


def fleet(connected_at: str) -> dict:
    f = copy.deepcopy(FLEET)
    outlets = f["enterprises"][0]["outlets"]
    outlets[0]["points"][0]["connected_at"] = connected_at
    outlets[1]["points"][0]["connected_at"] = None  # never connected, never sent: it owes no data
    return f


async def send(port: int, hours: list[int], csv_rows: list[list[str]]) -> None:
    lg = await Logger.connect(port)
    for h in hours:
        for m in range(60):
            t = datetime(2026, 11, 20, h, m)
            values = {"a21026": 20.0 + m % 7, "a21002": 40.0 + m % 5, "a19001": 6.0 + (m % 3) / 10}
            await lg.send(minute_frame(GAS_MN, t, values))
            await lg.reply()
            csv_rows += [[GAS_MN, f, t.isoformat(), str(v)] for f, v in values.items()]
    await lg.close()


def compute_rates(tmp_path, rows: list[list[str]], *args: str) -> dict:
    data = tmp_path / "data.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["point", "factor", "time", "value"])
        w.writerows(rows)
    # the command in this process (typer's runner): a new process spent ~1.5 s of CPU importing the command line
    out = CliRunner().invoke(cli.app, ["compute", "--input", str(data), "--output", str(tmp_path / "periods.csv"),
                                       "--rates", str(tmp_path / "rates.json"), "--tz", "Asia/Shanghai", *args])
    assert out.exit_code == 0, out.output
    return json.loads((tmp_path / "rates.json").read_text(encoding="utf-8"))["points"][GAS_MN]["total"]


async def rates_everywhere(svc, tmp_path, rows, start_day: date, connected: str) -> dict[str, tuple]:
    """(effective transmission rate, expected, received) from the API, the region API, the dashboard, the
    report and ``ecosentry compute``, over start_day … 20 Nov up to NOW."""
    transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
    q = {"start": f"{start_day.isoformat()}T00:00:00", "end": NOW.replace(tzinfo=None).isoformat()}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        with svc.engine.connect() as c:
            pid = c.execute(select(s.points.c.id).where(s.points.c.mn == GAS_MN)).scalar_one()
        point = (await api.get(f"/api/v1/points/{pid}/rates", params=q)).json()["point"]
        region = (await api.get("/api/v1/rates", params={**q, "region": "320506"})).json()["region_rates"]
    api_user(svc.engine, "county-admin")
    with svc.engine.connect() as c:
        uid = c.execute(select(s.users.c.id).where(s.users.c.username == "county-admin")).scalar_one()
    dash = overview(svc.engine, principal_for_user(svc.engine, uid), "320506", NOW, "Asia/Shanghai")["rates"]
    report = build_rate_report(svc.engine, "320506", start_day, date(2026, 11, 20), now=NOW).total
    comp = compute_rates(tmp_path, rows, "--from", start_day.isoformat(), "--to", NOW.replace(tzinfo=None).isoformat(),
                         "--connected", f"{GAS_MN}={connected}", *(["--marks", str(tmp_path / "marks.csv")]
                                                                    if (tmp_path / "marks.csv").exists() else []))
    return {
        "api": (point["effe_trans_rate"], point["counts"]["expected"], point["counts"]["received"]),
        "region api": (region["effe_trans_rate"], region["counts"]["expected"], region["counts"]["received"]),
        "dashboard": (dash.effe_trans_rate, dash.counts.expected, dash.counts.received),
        "report": (report.effe_trans_rate, report.counts.expected, report.counts.received),
        "compute": (comp["effective_transmission_rate"], comp["counts"]["expected"], comp["counts"]["received"]),
    }


async def test_a_point_connected_today_that_sent_everything_is_at_100_percent_everywhere(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        import_fleet(svc.engine, fleet("2026-11-20T12:00"))
        rows: list[list[str]] = []
        await send(svc.hj212_port, [12, 13, 14], rows)   # every minute of every hour since it went live
        await svc.drain()
        await svc.worker.flush()
        # the report's period starts on the 1st: before the fix the days before 12:00 on the 20th counted
        # as expected (9 / (19 days × 24 h × 3 factors) ≈ 0.7 %)
        got = await rates_everywhere(svc, tmp_path, rows, date(2026, 11, 1), "2026-11-20T12:00")
    # 3 whole hours (12, 13, 14; 15:00 has not ended at 15:20) × 3 assessed factors, all received and valid
    assert got == {k: (pytest.approx(1.0), 9, 9) for k in got}, got


async def test_worked_example_mid_period_connection_and_a_stop_mark(tmp_path, db_url):
    """Connected 20 Nov 10:30: the first whole hour is 11:00. Hours 11–14 ended by 15:20 (4 hours); the
    13:00 hour is under an approved 停运 mark and the point sends nothing in it: 3 expected hours per
    factor. Data: 11:00 and 12:00 in full, nothing at 14:00 → received 2 of 3 per factor: transmission rate
    2/3, validity rate 2/3 (the missing hour is not a valid group), effective transmission rate 4/9."""
    assert [h.hour for h in expected_hours(datetime(2026, 11, 20, tzinfo=CST), NOW, now=NOW,
                                           connected_at=datetime(2026, 11, 20, 10, 30, tzinfo=CST))] == [11, 12, 13, 14]
    async with running_service(tmp_path, db_url) as svc:
        import_fleet(svc.engine, fleet("2026-11-20T10:30"))
        with svc.engine.connect() as c:
            pid = c.execute(select(s.points.c.id).where(s.points.c.mn == GAS_MN)).scalar_one()
        mark = file_mark(svc.engine, point_id=pid, type="stopped", start=datetime(2026, 11, 20, 13, tzinfo=CST),
                         end=datetime(2026, 11, 20, 14, tzinfo=CST), reason="boiler stopped")
        review_mark(svc.engine, mark, "approved", "county")
        (tmp_path / "marks.csv").write_text(
            "point,factor,type,start,end\n"
            f"{GAS_MN},,stopped,2026-11-20T13:00:00,2026-11-20T14:00:00\n", encoding="utf-8")
        rows: list[list[str]] = []
        await send(svc.hj212_port, [11, 12], rows)
        await svc.drain()
        await svc.worker.flush()
        got = await rates_everywhere(svc, tmp_path, rows, date(2026, 11, 20), "2026-11-20T10:30")
    assert got == {k: (pytest.approx(4 / 9), 9, 6) for k in got}, got
