"""Pages of compliance during heavy-pollution alerts: ``/power/alerts`` (the alerts a reader's regions had) and
``/power/alerts/{id}`` (the regional view: which enterprises comply, which do not, with the numbers; the
control effect per industry and county), with the report as XLSX and PDF (``…/report.xlsx``, ``…/report.pdf``).

"City and county receive at once; a phone and a PC are enough" (Linfen, ``shared/reference/subsystems.md``
§1.2): a county officer sees the city's alert with the enterprises of the county; the page lays out as cards on
a phone and as a table on a PC. Numbers come from :mod:`..queries.compliance`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.auth.principal import Principal
from ecosentry.store.queries.pollution_alerts import alert as alert_row
from ecosentry.subsystems.power.queries.compliance import alert_compliance, visible_alerts
from ecosentry.subsystems.power.reports.alert_report import (LEVEL_MSGIDS, VERDICT_MSGIDS, alert_report_pdf,
                                                             alert_report_xlsx, alert_tables)
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.web.forms import denied_page, gate, not_found
from ecosentry.web.templating import page_context, render

__all__ = ["router", "power_settings"]

router = APIRouter(include_in_schema=False)

#: How far back the list of alerts goes. [days]
LIST_DAYS = 400


def power_settings(request: Request) -> PowerSettings:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "power", None) or PowerSettings()


def _reader(request: Request) -> tuple[Principal, Response | None]:
    principal, denied = gate(request, "data.read")
    if denied is None and principal.is_public:
        denied = denied_page(request, "Compliance during alerts is shown to logged-in regulators and enterprises.")
    return principal, denied


def _sees_alert(conn, principal: Principal, a: dict) -> bool:
    """Issued for the reader's regions or above them (a county officer sees the city's alert)."""
    if principal.region_codes is None:
        return True
    ids = {x["id"] for x in visible_alerts(conn, a["starts_at"], a["starts_at"] + timedelta(seconds=1),
                                           principal.region_codes, principal.region_code)}
    return a["id"] in ids


@router.get("/power/alerts", response_class=HTMLResponse)
def alerts_page(request: Request):
    principal, denied = _reader(request)
    if denied:
        return denied
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        alerts = visible_alerts(conn, now - timedelta(days=LIST_DAYS), now + timedelta(days=30),
                                principal.region_codes, principal.region_code, principal.enterprise_ids)
    return render(request, "power_alerts.html", {"alerts": alerts, "now": now, "LEVELS": LEVEL_MSGIDS})


def _compliance(request: Request, alert_id: int):
    principal, denied = _reader(request)
    if denied:
        return None, denied
    with request.app.state.engine.connect() as conn:
        a = alert_row(conn, alert_id)
        if a is None:
            return None, not_found(request, "alert")
        rep = alert_compliance(conn, alert_id, power_settings(request), enterprise_ids=principal.enterprise_ids)
        # an enterprise (or a park) sees the alerts that cover its own enterprises
        if not (_sees_alert(conn, principal, a) or rep.enterprises):
            return None, not_found(request, "alert")
    return rep, None


@router.get("/power/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int):
    rep, denied = _compliance(request, alert_id)
    if denied:
        return denied
    counts = {v: sum(e.verdict == v for e in rep.enterprises) for v in VERDICT_MSGIDS}
    verdict = request.query_params.get("verdict", "")
    shown = [e for e in rep.enterprises if not verdict or e.verdict == verdict]
    order = {"breach": 0, "no_data": 1, "complies": 2}
    shown.sort(key=lambda e: (order[e.verdict], e.enterprise["region_code"], e.enterprise["name"]))
    _ = page_context(request)["_"]
    return render(request, "power_alert.html", {
        "rep": rep, "a": rep.alert, "counts": counts, "shown": shown, "verdict": verdict,
        "VERDICTS": VERDICT_MSGIDS, "LEVELS": LEVEL_MSGIDS,
        "tables": alert_tables(rep, _)[1:]})


def _download(request: Request, alert_id: int, kind: str) -> Response:
    rep, denied = _compliance(request, alert_id)
    if denied:
        return denied
    ctx = page_context(request)
    _, fmt = ctx["_"], ctx["fmt"]
    body = (alert_report_xlsx if kind == "xlsx" else alert_report_pdf)(rep, _, lambda t: fmt.datetime(t))
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if kind == "xlsx"
             else "application/pdf")
    name = f"alert-{alert_id}-{rep.alert['starts_at']:%Y%m%d}.{kind}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})


@router.get("/power/alerts/{alert_id}/report.xlsx")
def alert_report_xlsx_page(request: Request, alert_id: int):
    return _download(request, alert_id, "xlsx")


@router.get("/power/alerts/{alert_id}/report.pdf")
def alert_report_pdf_page(request: Request, alert_id: int):
    return _download(request, alert_id, "pdf")
