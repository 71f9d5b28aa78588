"""The daily report downloads through the API and the CLI."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import httpx
import openpyxl

from ecosentry.api.app import create_app
from helpers import GAS_MN, Logger, minute_frame, running_service, AsUsers

DAY = datetime(2026, 11, 12)


async def test_daily_report_xlsx_and_pdf_from_the_api(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        for m in range(60):
            await lg.send(minute_frame(GAS_MN, DAY + timedelta(hours=8, minutes=m), {"a21026": 12.5, "a19001": 6.0}))
            await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            pid = next(p["id"] for p in (await api.get("/api/v1/points")).json()["items"] if p["mn"] == GAS_MN)
            r = await api.get(f"/api/v1/points/{pid}/reports/daily", params={"day": "2026-11-12", "format": "xlsx"})
            assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
            assert any("日报表" in c for c in cells) and "12.5" in " ".join(cells)
            r = await api.get(f"/api/v1/points/{pid}/reports/daily", params={"day": "2026-11-12", "format": "pdf"})
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
            assert (await api.get("/api/v1/points/999/reports/daily", params={"day": "2026-11-12"})).status_code == 404
            assert (await api.get(f"/api/v1/points/{pid}/reports/daily", params={"day": "12/11/2026"})).status_code == 422


async def test_monthly_yearly_and_rate_reports_from_the_api(tmp_path, db_url):
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        for m in range(60):
            await lg.send(minute_frame(GAS_MN, DAY + timedelta(hours=8, minutes=m), {"a21026": 12.5}))
            await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            pid = next(p["id"] for p in (await api.get("/api/v1/points")).json()["items"] if p["mn"] == GAS_MN)
            r = await api.get(f"/api/v1/points/{pid}/reports/monthly", params={"year": 2026, "month": 11})
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
            assert r.status_code == 200 and "月报表" in text and "12.5" in text
            r = await api.get(f"/api/v1/points/{pid}/reports/yearly", params={"year": 2026, "format": "pdf"})
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
            r = await api.get("/api/v1/reports/rates", params={"start_day": "2026-11-12", "end_day": "2026-11-12",
                                                               "region": "320500"})
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
            assert r.status_code == 200 and "有效传输率" in text and GAS_MN in text
            bad = await api.get(f"/api/v1/points/{pid}/reports/monthly", params={"year": 2026, "month": 13})
            assert bad.status_code == 422
            bad = await api.get("/api/v1/reports/rates", params={"start_day": "2026-11-12", "end_day": "2026-11-01"})
            assert bad.status_code == 422
