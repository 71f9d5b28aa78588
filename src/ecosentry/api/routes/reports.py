"""Report downloads: the HJ 76 daily report (hourly rows) per point, as XLSX or PDF."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.reports.model import ReportError, build_daily_report
from ecosentry.reports.pdf import daily_report_pdf
from ecosentry.reports.xlsx import daily_report_xlsx

router = APIRouter(prefix="/api/v1", tags=["reports"])

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def render_daily(engine: Engine, point_id: int, day: date, fmt: str) -> bytes:
    report = build_daily_report(engine, point_id, day)
    return daily_report_xlsx(report) if fmt == "xlsx" else daily_report_pdf(report)


@router.get("/points/{point_id}/reports/daily", summary="Daily report (日报表, hourly rows) as XLSX or PDF")
def daily_report(point_id: int, day: date, format: Literal["xlsx", "pdf"] = "xlsx",
                 engine: Engine = Depends(get_engine)):
    """``day`` is the local calendar day of the point (YYYY-MM-DD)."""
    try:
        data = render_daily(engine, point_id, day, format)
    except ReportError as exc:
        raise HTTPException(404, str(exc)) from None
    name = f"daily-{point_id}-{day.isoformat()}.{format}"
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})
