"""The enterprise's emission-reduction list and baseline: ``/power/enterprises/{id}/measures``.

The list as declared (per level: stop, or limit to N % per unit) and as it applies at each level (a measure
declared for yellow applies at orange and red too; the strictest wins: :mod:`..rules.measures`), the declared
safety loads, and the hourly baseline: the computed one (the median of the last normal production days, from
the meters) and the edited ones, with who, when and why. The enterprise and its regulators may edit the
baseline (``POST …/baseline``, audited by :mod:`..store.baselines`). The administrators and the regulators of
the enterprise's region (``limits.edit``, as the linkage: the list is the yardstick of its compliance, which an
enterprise may not loosen itself) add, change and remove measures (``POST …/measures``, checked and audited by
:mod:`..store.measures_edit`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.auth.principal import Principal
from ecosentry.subsystems.power.queries.compliance import computed_baseline
from ecosentry.subsystems.power.queries.measures import (baseline_rows, declared_measures, enterprise_row,
                                                         equipment_rows, latest_alert, measure_rows)
from ecosentry.subsystems.power.reports.alert_report import LEVEL_MSGIDS
from ecosentry.subsystems.power.rules.measures import LEVELS, measures_at_level, valid
from ecosentry.store.registry_edit import RegistryEditError
from ecosentry.subsystems.power.store.baselines import BaselineError, save_baseline
from ecosentry.subsystems.power.store.measures_edit import delete_measure, save_measure
from ecosentry.subsystems.power.web.alerts import power_settings
from ecosentry.web.forms import check_csrf, denied_page, error_text, gate, not_found, see_other, work_render

__all__ = ["router", "may_edit_baseline"]

router = APIRouter(include_in_schema=False)

#: Roles that may edit a baseline of an enterprise they see (the enterprise itself, its regulators).
EDITORS = frozenset({"admin", "regulator", "enterprise"})
#: The computed baseline shown is that of the latest alert within these days, else of today. [days]
ALERT_DAYS = 400


def may_edit_baseline(principal: Principal, enterprise_id: int) -> bool:
    return principal.role in EDITORS and principal.sees_enterprise(enterprise_id)


def _page(request: Request, enterprise_id: int, *, error: str | None = None, form: dict | None = None,
          status: int = 200, measure_error: str | None = None, measure_field: str | None = None,
          measure_form: dict | None = None):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    if principal.is_public or not principal.sees_enterprise(enterprise_id):
        return not_found(request, "enterprise")
    settings = power_settings(request)
    with request.app.state.engine.connect() as conn:
        ent = enterprise_row(conn, enterprise_id)
        if ent is None:
            return not_found(request, "enterprise")
        rows = measure_rows(conn, enterprise_id)
        declared = declared_measures(conn, enterprise_id)
        equipment = equipment_rows(conn, enterprise_id)
        baselines = baseline_rows(conn, enterprise_id)
        # the baseline of the latest alert over the enterprise (what its compliance was judged on), else today's
        now = datetime.now(timezone.utc)
        alert = latest_alert(conn, enterprise_id, now - timedelta(days=ALERT_DAYS), now + timedelta(days=1))
        before = alert["starts_at"] if alert is not None and alert["starts_at"] <= now else now
        computed = computed_baseline(conn, enterprise_id, before, settings)
    applies = {lv: measures_at_level(declared, lv) for lv in LEVELS}
    unusable = [r for r, m in zip(rows, declared) if not valid(m)]
    named = sorted({m.equipment for m in declared} - {e["code"] for e in equipment if e["safety_load"]})
    standing = next((b for b in baselines if b["alert_id"] is None), None)
    start = form or {"hours": [round(v, 1) if isinstance(v, (int, float)) and v == v else "" for v in (
        standing["hours_kwh"] if standing else (computed.kwh.tolist() if computed is not None else [""] * 24))],
        "reason": ""}
    return work_render(request, "power_measures.html", {
        "ent": ent, "rows": rows, "unusable": unusable, "applies": applies, "named": named, "LEVELS": LEVEL_MSGIDS, "levels": LEVELS,
        "names": {e["code"]: e["name"] for e in equipment},
        "computed_total": sum(v for v in computed.kwh.tolist() if v == v) if computed is not None else None,
        "safety": [e for e in equipment if e["safety_load"]], "baselines": baselines, "computed": computed,
        "baseline_days": settings.orders.baseline_days, "before": before, "may_edit": may_edit_baseline(principal, enterprise_id),
        "form": start, "error": error, "may_edit_measures": principal.may("limits.edit"),
        "production": [e for e in equipment if e["role"] == "production" and not e["safety_load"]],
        "measure_error": measure_error, "measure_field": measure_field, "mv": measure_form or {}},
        status_code=status)


@router.get("/power/enterprises/{enterprise_id}/measures", response_class=HTMLResponse)
def measures_page(request: Request, enterprise_id: int):
    return _page(request, enterprise_id)


@router.post("/power/enterprises/{enterprise_id}/baseline", response_class=HTMLResponse)
async def baseline_edit(request: Request, enterprise_id: int):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    if not may_edit_baseline(principal, enterprise_id):
        return denied_page(request, "Only the enterprise and its regulators may edit its baseline.")
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    hours = [str(form.get(f"h{h}", "")).strip()[:40] for h in range(24)]
    reason = str(form.get("reason", ""))
    try:
        with request.app.state.engine.begin() as conn:
            if enterprise_row(conn, enterprise_id) is None:
                return not_found(request, "enterprise")
            save_baseline(conn, enterprise_id, hours, actor=principal.username, reason=reason)
    except BaselineError as exc:
        return _page(request, enterprise_id, error=error_text(request, exc),
                     form={"hours": hours, "reason": reason[:2000]}, status=422)
    return see_other(f"/power/enterprises/{enterprise_id}/measures", saved=1)


@router.post("/power/enterprises/{enterprise_id}/measures", response_class=HTMLResponse)
async def measures_edit(request: Request, enterprise_id: int):
    """Add, change (``id``) or remove (``action=delete``) one measure of the list (``limits.edit``; audited)."""
    principal, denied = gate(request, "limits.edit")
    if denied:
        return denied
    if not principal.sees_enterprise(enterprise_id):
        return not_found(request, "enterprise")
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    values = {k: v[:4000] for k, v in form.items() if isinstance(v, str)}
    engine = request.app.state.engine
    with engine.connect() as conn:
        if enterprise_row(conn, enterprise_id) is None:
            return not_found(request, "enterprise")
    raw_id = values.get("id", "").strip()
    measure_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 12 else None
    if raw_id and measure_id is None:
        return not_found(request, "measure")
    if values.get("action") == "delete":
        if measure_id is None or not delete_measure(engine, enterprise_id, measure_id, principal.username or ""):
            return not_found(request, "measure")
        return see_other(f"/power/enterprises/{enterprise_id}/measures", measures="removed")
    try:
        save_measure(engine, enterprise_id, measure_id, values, principal.username or "")
    except RegistryEditError as exc:
        return _page(request, enterprise_id, measure_error=error_text(request, exc), measure_field=exc.field,
                     measure_form=values, status=404 if exc.field is None else 422)
    return see_other(f"/power/enterprises/{enterprise_id}/measures", measures="saved")
