"""``/om/ranking?month=YYYY-MM``: the O&M organisations of a month ranked by their stored score (issue 18 items
6, 7), each component, the rates of their points, response and repair times, overdue work, unsupported marks,
unexplained door openings and failed checks, with the formula and the weights the month was scored with;
``&org=CODE`` drills down to the organisation's stations with their health codes (green/yellow/red).
``/om/ranking/report.xlsx`` and ``/om/ranking/report.pdf`` are the month's assessment as a workbook and a PDF,
from the same view. The scope is the read model's (:mod:`..queries.assessment`): an O&M account sees its own
organisation, a regulator or an enterprise the organisations that keep points in its scope and only those
stations."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.subsystems.om.queries import assessment as q
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.words import COMPONENTS, GRADES, HEALTH, formula_parts, formula_text
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.templating import page_context

__all__ = ["router", "ranking_view"]

router = APIRouter(include_in_schema=False)

def _settings(request: Request) -> OmSettings:
    return getattr(getattr(request.app.state, "settings", None), "om", None) or OmSettings()


def default_month(request: Request, conn, principal) -> str:
    """The newest stored month, else the last finished one."""
    from ecosentry.subsystems.om.store.assessment import last_finished_month

    months = q.stored_months(conn)
    if months:
        return months[0]
    return last_finished_month(datetime.now(timezone.utc), ZoneInfo(_settings(request).timezone))


def ranking_view(conn, principal, month: str, org: str | None, settings: OmSettings) -> dict | None:
    """What the page and the reports show; None when ``org`` is given and not visible."""
    rows = q.ranking(conn, principal, month)
    chosen = None
    if org:
        chosen = next((r for r in rows if r["code"] == org), None)
        if chosen is None:
            return None
    for r in rows:
        d = r["detail"]
        r["components"] = d.get("components", {})
        r["transmission_rate"] = d.get("transmission_rate")
        r["effective_transmission_rate"] = d.get("effective_transmission_rate")
        r["unexplained_doors"] = d.get("findings", {}).get("OM-DOOR-UNEXPLAINED", 0)
    first = rows[0]["detail"] if rows else {}
    weights = first.get("weights") or settings.assessment.weights.model_dump()
    penalty = first.get("overdue_penalty", settings.assessment.overdue_penalty)
    stations = q.stations(conn, principal, month, chosen["organisation_id"]) if chosen else []
    until = None
    if first.get("provisional") and first.get("until"):
        until = datetime.fromisoformat(first["until"]).astimezone(ZoneInfo(settings.timezone))
    # every station of the visible organisations, for the reports (the page shows the chosen one's)
    return {"month": month, "months": q.stored_months(conn), "rows": rows, "org": chosen, "stations": stations,
            "weights": weights, "penalty": penalty, "settings": settings.assessment,
            "provisional": bool(first.get("provisional")), "until": until}


def report_stations(conn, principal, view: dict) -> list[dict]:
    """The stations of every organisation in the view (for the reports), with the organisation's name."""
    out = []
    for r in view["rows"]:
        for st in q.stations(conn, principal, view["month"], r["organisation_id"]):
            out.append({**st, "organisation": r["name"]})
    return out


def _month_of(request: Request, conn, principal, month: str | None) -> str | None:
    if month is None or month == "":
        return default_month(request, conn, principal)
    return month if q.parse_month(month) else None


def _view(request: Request, month: str | None, org: str | None, *, report: bool) -> tuple[dict | None, Response | None]:
    """The ranking of the month asked for (the default month when none), its formula in the reader's words and,
    for a report, every visible organisation's stations; or the refusal / 404 to answer instead."""
    principal, denied = gate(request, "marks.read")
    if denied:
        return None, denied
    settings = _settings(request)
    with request.app.state.engine.connect() as conn:
        chosen = _month_of(request, conn, principal, month)
        if chosen is None:
            return None, not_found(request, f"no month {month!r}")
        view = ranking_view(conn, principal, chosen, org, settings)
        if view is not None and report:
            view["stations"] = report_stations(conn, principal, view)
    if view is None:
        return None, not_found(request, f"no organisation {org!r} in scope")
    view["formula"] = formula_text(view["weights"], view["penalty"], page_context(request)["_"])
    return view, None


@router.get("/om/ranking", response_class=HTMLResponse)
def ranking_page(request: Request, month: str | None = None, org: str | None = None):
    view, answer = _view(request, month, org, report=False)
    if answer is not None:
        return answer
    view.update(GRADES=GRADES, HEALTH=HEALTH, COMPONENTS=COMPONENTS,
                parts=formula_parts(view["weights"], view["penalty"]))
    return work_render(request, "om_ranking.html", view)


def _report(request: Request, month: str | None, kind: str) -> Response:
    from ecosentry.subsystems.om.reports.assessment_report import assessment_pdf, assessment_xlsx

    view, answer = _view(request, month, None, report=True)
    if answer is not None:
        return answer
    ctx = page_context(request)
    _ = ctx["_"]
    if kind == "pdf":
        body, media = assessment_pdf(view, _, ctx["fmt"]), "application/pdf"
    else:
        body, media = assessment_xlsx(view, _, ctx["fmt"]), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="om-assessment-{view["month"]}.{kind}"',
        "Cache-Control": "no-store"})


@router.get("/om/ranking/report.xlsx")
def ranking_xlsx(request: Request, month: str | None = None):
    """The month's assessment as an Excel workbook (ranking, stations), in the reader's language."""
    return _report(request, month, "xlsx")


@router.get("/om/ranking/report.pdf")
def ranking_pdf(request: Request, month: str | None = None):
    """The month's assessment as PDF (A4 landscape), in the reader's language."""
    return _report(request, month, "pdf")
