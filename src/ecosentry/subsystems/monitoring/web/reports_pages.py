"""Reports page: choose the report (daily, monthly, yearly per point; transmission rates per region; for
Vietnamese stations the daily and monthly report in the Vietnamese layout with QCVN limits), the period and the
format (XLSX or PDF), and download it.

``GET /reports/download`` checks the choice (a point or region in the user's scope, a valid period) and
answers a redirect to the report's API URL (:mod:`ecosentry.subsystems.monitoring.api.reports`), which builds the file; a
wrong choice comes back to the form with a sentence (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ecosentry.auth.guards import report_region
from ecosentry.auth.principal import Principal
from ecosentry.said import Said
from ecosentry.subsystems.monitoring.queries.vn_control import vn_point_ids
from ecosentry.web.forms import FormError, denied_page, error_text, gate, work_render
from ecosentry.web.views.work_scope import visible_points, visible_regions

router = APIRouter(include_in_schema=False)

KINDS = ("daily", "monthly", "yearly", "rates")
#: The Vietnamese station reports (offered when the user sees a Vietnamese station):
#: :mod:`ecosentry.subsystems.monitoring.reports.vn_station`, served by :mod:`.vn_control`.
VN_KINDS = ("vn_daily", "vn_monthly")
FORMATS = ("xlsx", "pdf")


@dataclass
class ReportChoice:
    """What the form asked for (strings as typed)."""

    kind: str = "daily"
    format: str = "xlsx"
    point: str = ""
    region: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    start_day: str = ""
    end_day: str = ""


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError("%(value)s is not a date (YYYY-MM-DD)", field, value=value or "—") from None


def _year(value: str) -> int:
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise FormError("%(value)s is not a year between 2000 and 2100", "year", value=value or "—")
    return int(value)


def _month(value: str) -> str:
    """``YYYY-MM`` checked (:class:`FormError` otherwise)."""
    try:
        year, month = (int(x) for x in value.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise FormError("%(value)s is not a month (YYYY-MM)", "month", value=value or "—") from None
    return f"{_year(str(year))}-{month:02d}"


def report_url(choice: ReportChoice, principal: Principal, vn_points: set[int] | None = None) -> str:
    """The URL of the chosen report; :class:`FormError` when the choice is incomplete or out of scope.
    ``vn_points``: the Vietnamese stations among the user's points (the Vietnamese reports need one)."""
    if choice.kind not in KINDS + VN_KINDS:
        raise FormError("choose a report", "kind")
    if choice.format not in FORMATS:
        raise FormError("choose XLSX or PDF", "format")
    if choice.kind == "rates":
        try:
            region = report_region(principal, choice.region or None)
        except HTTPException as exc:  # the guard's refusal (a Said): shown beside the field in the reader's language
            detail = exc.detail
            raise (FormError(detail.msgid, "region", **detail.params) if isinstance(detail, Said)
                   else FormError(str(detail), "region")) from None
        start, end = _day(choice.start_day, "start_day"), _day(choice.end_day, "end_day")
        if end < start:
            raise FormError("the last day must not be before the first day", "end_day")
        params = {"start_day": start.isoformat(), "end_day": end.isoformat(), "format": choice.format}
        if region:
            params["region"] = region
        return "/api/v1/reports/rates?" + urlencode(params)
    if not choice.point.isdigit() or not principal.sees_point(int(choice.point)):
        raise FormError("choose one of your points", "point")
    if choice.kind in VN_KINDS:
        if vn_points is not None and int(choice.point) not in vn_points:
            raise FormError("choose one of your Vietnamese stations", "point")
        base = f"/vn/control/points/{int(choice.point)}/report?"
        if choice.kind == "vn_daily":
            return base + urlencode({"kind": "daily", "day": _day(choice.day, "day").isoformat(),
                                     "format": choice.format})
        return base + urlencode({"kind": "monthly", "month": _month(choice.month), "format": choice.format})
    base = f"/api/v1/points/{int(choice.point)}/reports/{choice.kind}?"
    if choice.kind == "daily":
        return base + urlencode({"day": _day(choice.day, "day").isoformat(), "format": choice.format})
    if choice.kind == "monthly":
        year, month = (int(x) for x in _month(choice.month).split("-"))
        return base + urlencode({"year": year, "month": month, "format": choice.format})
    return base + urlencode({"year": _year(choice.year), "format": choice.format})


def _page(request: Request, principal: Principal, choice: ReportChoice, error: FormError | None):
    engine = request.app.state.engine
    with engine.connect() as conn:
        points, regions = visible_points(conn, principal), visible_regions(conn, principal)
        vn = vn_point_ids(conn, [p["id"] for p in points])
    today = date.today()
    return work_render(request, "reports.html", {
        "c": choice, "points": points, "regions": regions, "formats": FORMATS,
        "kinds": KINDS + (VN_KINDS if vn else ()), "vn_points": vn,
        "all_regions": principal.region_codes is None, "today": today.isoformat(),
        "error": error_text(request, error) if error else None, "error_field": error.field if error else None,
    }, status_code=422 if error else 200)


def _gate(request: Request):
    principal, denied = gate(request, "data.read")
    if denied is None and principal.role == "public":
        denied = denied_page(request, "Reports are for logged-in accounts; the public page shows published data.")
    return principal, denied


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    today = date.today()
    choice = ReportChoice(day=today.isoformat(), month=today.strftime("%Y-%m"), year=str(today.year),
                          start_day=today.replace(day=1).isoformat(), end_day=today.isoformat())
    return _page(request, principal, choice, None)


@router.get("/reports/download")
def download(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    q = request.query_params
    choice = ReportChoice(**{k: (q.get(k) or "").strip() for k in ReportChoice.__dataclass_fields__})
    try:
        vn = None
        if choice.kind in VN_KINDS and choice.point.isdigit():
            with request.app.state.engine.connect() as conn:
                vn = vn_point_ids(conn, [int(choice.point)])
        url = report_url(choice, principal, vn)
    except FormError as exc:
        return _page(request, principal, choice, exc)
    return RedirectResponse(url, status_code=303)
