"""Threshold pages (issue 15 item 3): ``/power/enterprises/{id}/thresholds`` (each meter's thresholds in force)
and ``/power/meters/{id}/thresholds`` (the version in force, every version with who, when, why and what the
learning saw, and the form a regulator sets new ones with, a reason required).

Reading needs ``data.read`` on the enterprise (not the anonymous public); setting needs ``limits.edit`` (the
people who set emission limits set these too). The store (:mod:`..store.thresholds`) versions and audits.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.subsystems.power.queries import thresholds as queries
from ecosentry.subsystems.power.store.thresholds import ThresholdError, set_thresholds
from ecosentry.web.forms import (FormError, check_csrf, error_text, gate, local_time, not_found, see_other,
                                 work_render)

router = APIRouter(include_in_schema=False)

EDIT = "limits.edit"


def _reader(request: Request):
    principal, denied = gate(request, "data.read")
    if denied is None and principal.role == "public":
        denied = not_found(request, "thresholds are not public")
    return principal, denied


def _meter(request: Request, principal, meter_id: int) -> dict | None:
    with request.app.state.engine.connect() as conn:
        m = queries.meter(conn, meter_id)
    return m if m is not None and principal.sees_enterprise(m["enterprise_id"]) else None


def _meter_context(request: Request, principal, m: dict, values: dict | None = None) -> dict:
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        versions = queries.history(conn, m["id"])
        force = queries.in_force(conn, [m["id"]], now).get(m["id"])
    return {"meter": m, "versions": versions, "in_force": force, "tz": m.get("tz") or "Asia/Shanghai",
            "may_edit": principal.may(EDIT), "v": values or {}, "error": None, "error_field": None}


@router.get("/power/enterprises/{enterprise_id}/thresholds", response_class=HTMLResponse)
def enterprise_thresholds(request: Request, enterprise_id: int):
    principal, denied = _reader(request)
    if denied:
        return denied
    if not principal.sees_enterprise(enterprise_id):
        return not_found(request, "enterprise not visible")
    with request.app.state.engine.connect() as conn:
        name = queries.enterprise_name(conn, enterprise_id)
        meters = queries.meters_with_thresholds(conn, enterprise_id, datetime.now(timezone.utc))
    if name is None:
        return not_found(request, "no such enterprise")
    return work_render(request, "power_thresholds.html", {"enterprise_id": enterprise_id, "enterprise_name": name,
                                                          "meters": meters})


@router.get("/power/meters/{meter_id}/thresholds", response_class=HTMLResponse)
def meter_thresholds(request: Request, meter_id: int):
    principal, denied = _reader(request)
    if denied:
        return denied
    m = _meter(request, principal, meter_id)
    if m is None:
        return not_found(request, "meter not visible")
    return work_render(request, "power_meter_thresholds.html", _meter_context(request, principal, m))


@router.post("/power/meters/{meter_id}/thresholds", response_class=HTMLResponse)
async def set_meter_thresholds(request: Request, meter_id: int):
    principal, denied = gate(request, EDIT)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    m = _meter(request, principal, meter_id)
    if m is None:
        return not_found(request, "meter not visible")
    values = {k: str(form.get(k) or "").strip()[:4000] for k in ("on_kw", "off_kw", "dwell", "dwell_off", "reason",
                                                               "valid_from")}
    tz = m.get("tz") or "Asia/Shanghai"
    try:
        if not values["on_kw"]:
            raise FormError("the on threshold is required", "on_kw")
        valid_from = local_time(values["valid_from"], tz, "valid_from")
        set_thresholds(request.app.state.engine, meter_id, on_kw=values["on_kw"], off_kw=values["off_kw"] or "0",
                       dwell=values["dwell"] or "3", dwell_off=values["dwell_off"] or "2", actor=principal.username or "", reason=values["reason"],
                       valid_from=valid_from)
    except (FormError, ThresholdError) as exc:
        ctx = _meter_context(request, principal, m, values)
        ctx.update(error=error_text(request, exc, tz), error_field=getattr(exc, "field", None))
        return work_render(request, "power_meter_thresholds.html", ctx, status_code=422)
    return see_other(f"/power/meters/{meter_id}/thresholds", done="set")
