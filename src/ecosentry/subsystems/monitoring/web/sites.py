"""Enterprise and outlet pages (``/enterprises/{id}``, ``/outlets/{id}``): state, live values, limits, rates,
alarms, marks and report links of the points the principal sees. The point page with its charts is
``/points/{id}`` (:mod:`ecosentry.web.pages`)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ecosentry.auth.deps import current_principal
from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.queries.vn_control import vn_point_ids
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings, rates_from_counts, sum_counts
from ecosentry.store.queries.sites import outlet_enterprise
from ecosentry.web.alarm_text import localise_for
from ecosentry.web.templating import render
from ecosentry.subsystems.monitoring.web.site_details import (KINDS, limits_in_force, live_values, point_rates, recent_alarms,
                                              recent_marks, report_links)
from ecosentry.web.views.site_state import (factor_catalogue, login_redirect, point_states, require_enterprise,
                                            visible_tree)

#: The refusal of an outlet that is not there or not in the account's scope (said in the reader's language).
NO_OUTLET = N_("there is no outlet with id %(id)s")
router = APIRouter(include_in_schema=False)


def site_context(engine, principal, enterprise_id: int, outlet_id: int | None, now: datetime) -> dict:
    """Template context of an enterprise page (or, with ``outlet_id``, of one outlet's page)."""
    with engine.connect() as conn:
        require_enterprise(conn, principal, enterprise_id)
        ent = visible_tree(conn, principal, enterprise_id=enterprise_id, outlet_id=outlet_id)[0]
        points = [pt for o in ent["outlets"] for pt in o["points"]]
        pids = [pt["id"] for pt in points]
        tz = points[0]["tz"] if points else "Asia/Shanghai"
        ctx = {"ent": ent, "points": points, "states": point_states(conn, [ent], now),
               "live": live_values(conn, pids), "limits": limits_in_force(conn, pids, now.astimezone(ZoneInfo(tz)).date()),
               "alarms": recent_alarms(conn, pids, enterprise_id if outlet_id is None else None, now),
               "factors": factor_catalogue(conn), "kinds": KINDS, "now": now, "tz": tz}
    rates = point_rates(engine, points, now)
    today = [r["today"].counts for r in rates.values() if r["today"] is not None]
    ctx["rates"] = rates
    ctx["ent_rate"] = rates_from_counts(sum_counts(today), settings=RateSettings(), mode="backfilled") if today else None
    ctx["marks"] = recent_marks(engine, pids, now)
    with engine.connect() as conn:
        vn = vn_point_ids(conn, [pt["id"] for pt in points])
    ctx["reports"] = {pt["id"]: report_links(pt["id"], pt["tz"], now, vn=pt["id"] in vn) for pt in points}
    ctx["vn_points"] = vn
    ctx["point_of"] = {pt["id"]: pt for pt in points}
    return ctx


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(request: Request, enterprise_id: int):
    if (redirect := login_redirect(request)) is not None:
        return redirect
    ctx = site_context(request.app.state.engine, current_principal(request), enterprise_id, None,
                       datetime.now(timezone.utc))
    ctx["alarms"] = localise_for(request, ctx["alarms"])
    return render(request, "enterprise.html", ctx)


@router.get("/outlets/{outlet_id}", response_class=HTMLResponse)
def outlet_page(request: Request, outlet_id: int):
    if (redirect := login_redirect(request)) is not None:
        return redirect
    engine = request.app.state.engine
    with engine.connect() as conn:
        enterprise_id = outlet_enterprise(conn, outlet_id)
    principal = current_principal(request)
    if enterprise_id is None or not principal.sees_enterprise(enterprise_id):
        raise HTTPException(404, Said(NO_OUTLET, id=outlet_id))
    ctx = site_context(engine, principal, enterprise_id, outlet_id, datetime.now(timezone.utc))
    if not ctx["ent"]["outlets"]:  # the outlet has points, none of them in this account's scope: as if missing
        raise HTTPException(404, Said(NO_OUTLET, id=outlet_id))
    ctx["outlet"] = ctx["ent"]["outlets"][0]
    ctx["alarms"] = localise_for(request, ctx["alarms"])
    return render(request, "outlet.html", ctx)
