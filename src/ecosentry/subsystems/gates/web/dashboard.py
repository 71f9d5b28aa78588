"""``/gates/dashboard``: the alert-period dashboard per region. The reader picks one of the heavy-pollution
alerts of its regions (or above them; the latest by default); the page lists the enterprises with gates in the
alert's region that the reader sees, with passages, entries per emission stage, the share of the grade's
required stage and the violations (the read model is :mod:`..queries.dashboard`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from sqlalchemy import select

from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.subsystems.gates.queries.dashboard import STAGE_COLUMNS, alert_dashboard
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.subsystems.gates.web.words import LEVELS, STAGES, default_tz, gates_settings
from ecosentry.web.forms import not_found, work_render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: How far back the alerts go. [days]
LIST_DAYS = 400


def _alerts(conn, principal, now: datetime) -> list[dict]:
    """The alerts the reader sees (issued for its regions, above them, or over its enterprises), newest first."""
    rows = alerts_overlapping(conn, now - timedelta(days=LIST_DAYS), now + timedelta(days=30))
    if principal.region_codes is not None:
        above = set(region_ancestry(conn, principal.region_code)) if principal.region_code else set()
        if principal.enterprise_ids:
            e = s.enterprises
            for code in set(conn.execute(select(e.c.region_code)
                                         .where(e.c.id.in_(sorted(principal.enterprise_ids)))).scalars()):
                above |= set(region_ancestry(conn, code))
        rows = [a for a in rows if a["region_code"] in principal.region_codes or a["region_code"] in above]
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    return [a | {"region_name": names.get(a["region_code"], a["region_code"])}
            for a in sorted(rows, key=lambda a: a["starts_at"], reverse=True)]


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
        alerts = _alerts(conn, principal, now)
        current = alerts[0] if alerts and not alert else next((a for a in alerts if str(a["id"]) == alert), None)
        if alert and current is None:
            return not_found(request, "alert")
        board = None
        if current is not None:
            end = min(_end(current, now), now)
            board = alert_dashboard(conn, principal.enterprise_clause(s.enterprises.c.id), current["region_code"],
                                    current["starts_at"], max(end, current["starts_at"]), gates_settings(request).grades)
    return work_render(request, "gates_dashboard.html", {
        "alerts": alerts, "current": current, "board": board, "LEVELS": LEVELS, "STAGES": STAGES,
        "columns": STAGE_COLUMNS, "tz": default_tz(request), "now": now})
