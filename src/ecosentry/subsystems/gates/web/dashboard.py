"""``/gates/dashboard``: the alert-period dashboard per region. The reader picks one of the heavy-pollution
alerts of its regions (or above them; the latest by default); the page lists the enterprises with gates in the
alert's region that the reader sees, with passages, entries per emission stage, the share of the grade's
required stage and the violations, per region, and the stored findings of the checks job each linked to
``/gates/findings/<id>`` (its evidence: passages with their captures, ledger rows or snapshots). The read models
are :mod:`..queries.dashboard` and :mod:`..queries.findings`."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.queries.dashboard import STAGE_COLUMNS, alert_dashboard, alerts_seen
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.subsystems.gates.queries.findings import finding_detail
from ecosentry.subsystems.gates.rules.checks import DAILY_CODES
from ecosentry.subsystems.gates.web.words import (
    LEVELS, SEVERITIES, STAGES, code_summary, default_tz, finding_sentence, gates_settings, stage_text)
from ecosentry.web.forms import not_found, work_render
from ecosentry.web.templating import page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

def _end(a: dict, now: datetime) -> datetime:
    ends = [t for t in (a.get("ends_at"), a.get("lifted_at")) if t is not None]
    return min(ends) if ends else now


@router.get("/gates/dashboard")
def dashboard_page(request: Request, alert: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        alerts = alerts_seen(conn, principal, now)
        current = alerts[0] if alerts and not alert else next((a for a in alerts if str(a["id"]) == alert), None)
        if alert and current is None:
            return not_found(request, "alert")
        board = None
        if current is not None:
            end = min(_end(current, now), now)
            board = alert_dashboard(conn, principal.enterprise_clause(s.enterprises.c.id), current["region_code"],
                                    current["starts_at"], max(end, current["starts_at"]), gates_settings(request).grades)
    _ = page_context(request)["_"]
    return work_render(request, "gates_dashboard.html", {
        "alerts": alerts, "current": current, "board": board, "LEVELS": LEVELS, "STAGES": STAGES,
        "columns": STAGE_COLUMNS, "tz": default_tz(request), "now": now, "SEVERITIES": SEVERITIES,
        "sentence": lambda f: finding_sentence(_, f)})


@router.get("/gates/findings/{finding_id}")
def finding_page(request: Request, finding_id: int):
    """One stored finding of the checks with its evidence: the passages (with their captures), ledger rows or
    snapshots it names."""
    principal, denied = reader(request)
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        f = finding_detail(conn, principal.enterprise_clause(s.enterprises.c.id), finding_id)
    if f is None:
        return not_found(request, "finding")
    _ = page_context(request)["_"]
    return work_render(request, "gates_finding.html", {
        "f": f, "sentence": finding_sentence(_, f), "summary": code_summary(_, f["code"]),
        "SEVERITIES": SEVERITIES, "stage_text": lambda st: stage_text(_, st),
        "ledger_day": f["code"] in DAILY_CODES})
