"""Report downloads (HJ 76 layouts): daily (hourly rows), monthly (daily rows), yearly (monthly rows) per point,
and the transmission-rate report per region; XLSX or PDF.

Scope: a point report needs the point in the principal's scope (404 otherwise); the region report covers a
region inside the scope (admin: any; a regulator: its subtree, by default its own region; other roles
download their points' reports instead, 403).

A refusal's ``detail`` (an unknown point, 404; a period the report cannot have, 422) is in the reader's
language, chosen as for the evidence pack (``?lang=``, the ``lang`` cookie, the account's locale, the browser's
``Accept-Language``, then ``ECOSENTRY_DEFAULT_LOCALE``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.api.timefmt import TimeZoneQuery
from ecosentry.auth.deps import current_principal
from ecosentry.auth.guards import point_or_404, report_region
from ecosentry.auth.principal import Principal
from ecosentry.said import Said
from ecosentry.web.i18n import reader_gettext
from ecosentry.subsystems.monitoring.reports.model import ReportError, build_daily_report
from ecosentry.subsystems.monitoring.reports.pdf import daily_report_pdf
from ecosentry.subsystems.monitoring.reports.periodic import (build_monthly_report, build_yearly_report, monthly_report_pdf,
                                       monthly_report_xlsx, yearly_report_pdf, yearly_report_xlsx)
from ecosentry.subsystems.monitoring.reports.rate_report import build_rate_report, rate_report_pdf, rate_report_xlsx
from ecosentry.subsystems.monitoring.reports.xlsx import daily_report_xlsx

router = APIRouter(prefix="/api/v1", tags=["reports"])

Format = Literal["xlsx", "pdf"]
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
#: The downloads' documented answer (OpenAPI): the file, XLSX or PDF, never JSON (schemathesis, issue 19).
DOWNLOAD = {200: {"description": "the report file", "content": {media: {} for media in MEDIA.values()}}}
RENDER: dict[str, tuple[Callable, Callable]] = {
    "daily": (daily_report_xlsx, daily_report_pdf),
    "monthly": (monthly_report_xlsx, monthly_report_pdf),
    "yearly": (yearly_report_xlsx, yearly_report_pdf),
    "rates": (rate_report_xlsx, rate_report_pdf),
}


def render(kind: str, fmt: str, build: Callable[[], object]) -> bytes:
    """Build a report and render it; ReportError (unknown point) and ValueError (bad period) pass through."""
    xlsx, pdf = RENDER[kind]
    report = build()
    return xlsx(report) if fmt == "xlsx" else pdf(report)


def _download(request: Request, principal: Principal, kind: str, fmt: str, name: str,
              build: Callable[[], object]) -> Response:
    try:
        data = render(kind, fmt, build)
    except ReportError as exc:
        raise HTTPException(404, exc.say(reader_gettext(request, principal))) from None
    except ValueError as exc:
        detail = exc.say(reader_gettext(request, principal)) if isinstance(exc, Said) else str(exc)
        raise HTTPException(422, detail) from None
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/points/{point_id}/reports/daily", summary="Daily report (日报表, hourly rows)",
            response_class=Response, responses=DOWNLOAD)
def daily_report(request: Request, point_id: int, day: date, format: Format = "xlsx",
                 engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    """``day`` is the local calendar day of the point (YYYY-MM-DD)."""
    point_or_404(principal, point_id)
    return _download(request, principal, "daily", format, f"daily-{point_id}-{day}",
                     lambda: build_daily_report(engine, point_id, day))


@router.get("/points/{point_id}/reports/monthly", summary="Monthly report (月报表, daily rows)",
            response_class=Response, responses=DOWNLOAD)
def monthly_report(request: Request, point_id: int, year: int, month: int = Query(..., ge=1, le=12),
                   format: Format = "xlsx", engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    point_or_404(principal, point_id)
    return _download(request, principal, "monthly", format, f"monthly-{point_id}-{year}-{month:02d}",
                     lambda: build_monthly_report(engine, point_id, year, month))


@router.get("/points/{point_id}/reports/yearly", summary="Yearly report (年报表, monthly rows)",
            response_class=Response, responses=DOWNLOAD)
def yearly_report(request: Request, point_id: int, year: int, format: Format = "xlsx",
                  engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    point_or_404(principal, point_id)
    return _download(request, principal, "yearly", format, f"yearly-{point_id}-{year}",
                     lambda: build_yearly_report(engine, point_id, year))


@router.get("/reports/rates", summary="Transmission-rate report (有效传输率) of a region, counts summed",
            response_class=Response, responses=DOWNLOAD)
def rate_report(request: Request, start_day: date, end_day: date, region: str | None = None,
                tz: TimeZoneQuery = "Asia/Shanghai", mode: Literal["backfilled", "realtime"] = "backfilled", format: Format = "xlsx",
                engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    """``end_day`` is inclusive (local days)."""
    region = report_region(principal, region)
    return _download(request, principal, "rates", format, f"rates-{region or 'all'}-{start_day}-{end_day}",
                     lambda: build_rate_report(engine, region, start_day, end_day, tz, mode=mode))
