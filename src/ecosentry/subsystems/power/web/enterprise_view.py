"""The electricity pages a regulator and an enterprise read: ``/power`` (the metered enterprises in scope,
each "now"), ``/power/enterprises/{id}`` (one enterprise's day: production and treatment on one time axis with
state bands, finding spans, linkage and load share) with its data ``/power/enterprises/{id}/day.json``, and
the script that draws it (``/power/assets/view.js``; plotly.js is the core's ``/vendor/plotly``, no CDN).

Scope: an enterprise outside the principal's scope answers 404, as the core's enterprise pages do
(:func:`ecosentry.web.views.site_state.require_enterprise`). Times are the enterprise's local time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from ecosentry.auth.guards import NO_ENTERPRISE
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.subsystems.power.queries.registry import enterprise_head, enterprise_zone, metered_enterprises
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.subsystems.power.web.view_model import enterprise_day, enterprises_now
from ecosentry.subsystems.power.web.words import KIND_NAMES, ROLE_NAMES, SEVERITY_NAMES, STATE_NAMES
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.templating import page_context
from ecosentry.web.views.site_state import region_scope, visible_regions

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
#: The scripts this subsystem serves (name → file).
ASSETS = {"view.js": STATIC / "view.js"}
#: The refusals of the day's data (its script shows them; said in the reader's language, ecosentry.web.errors).
NOT_A_DAY = N_("%(value)r is not a day (YYYY-MM-DD)")
LOG_IN_FOR_ELECTRICITY = N_("log in to see an enterprise's electricity")
NO_ASSET = N_("no such asset")


def power_settings(request: Request) -> PowerSettings:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "power", None) or PowerSettings()


def default_tz(request: Request) -> str:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "default_tz", None) or "Asia/Shanghai"


def words() -> dict:
    """Names the templates show for roles, kinds, states and severities (msgids)."""
    return {"roles": ROLE_NAMES, "kinds": KIND_NAMES, "states": STATE_NAMES, "severities": SEVERITY_NAMES}


def _visible(request: Request, principal, enterprise_id: int) -> bool:
    with request.app.state.engine.connect() as conn:
        return principal.sees_enterprise(enterprise_id) and enterprise_head(conn, enterprise_id) is not None


def parse_day(value: str | None, today: date) -> date:
    """``YYYY-MM-DD`` (today when empty); 400 for anything else."""
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, Said(NOT_A_DAY, value=value)) from None


@router.get("/power/assets/{name}", include_in_schema=False)
def asset(name: str):
    if name not in ASSETS:
        raise HTTPException(404, Said(NO_ASSET))
    return FileResponse(ASSETS[name], media_type="text/javascript")


@router.get("/power", response_class=HTMLResponse)
def power_list(request: Request, q: str = "", region: str = "", only: str = ""):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    if principal.is_public:
        return not_found(request, "the electricity pages are not public")
    engine = request.app.state.engine
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        regions = region_scope(conn, principal, region or None)
        ents = metered_enterprises(conn, principal.enterprise_clause(s.enterprises.c.id), q=q or None,
                                   regions=regions)
        state = enterprises_now(conn, [e["id"] for e in ents], now, power_settings(request))
        choices = visible_regions(conn, principal)
    if only == "findings":
        ents = [e for e in ents if state[e["id"]]["open"]]
    elif only == "stopped":
        ents = [e for e in ents if state[e["id"]]["stopped"] or state[e["id"]]["no_data"]]
    return work_render(request, "power_list.html", {
        "ents": ents, "state": state, "q": q, "region": region, "only": only, "regions": choices, "w": words()})


@router.get("/power/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_view(request: Request, enterprise_id: int, day: str | None = None):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    if principal.is_public or not _visible(request, principal, enterprise_id):
        return not_found(request, f"no enterprise {enterprise_id} in scope")
    engine = request.app.state.engine
    now = datetime.now(timezone.utc)
    ctx = page_context(request)
    with engine.connect() as conn:
        head = enterprise_head(conn, enterprise_id)
        tz = enterprise_zone(conn, enterprise_id, default_tz(request))
        today = now.astimezone(ZoneInfo(tz)).date()
        the_day = parse_day(day, today)
        data = enterprise_day(conn, enterprise_id, the_day, tz, now, power_settings(request), ctx["_"])
    return work_render(request, "power_enterprise.html", {
        "ent": head, "tz": tz, "d": data, "day": the_day, "today": today,
        "prev_day": the_day - timedelta(days=1), "next_day": the_day + timedelta(days=1) if the_day < today else None,
        "may_edit": principal.may("registry.edit"), "may_link": principal.may("limits.edit"), "w": words()})


@router.get("/power/enterprises/{enterprise_id}/day.json")
def enterprise_day_json(request: Request, enterprise_id: int, day: str | None = None):
    principal, denied = gate(request, "data.read")
    if denied:
        raise HTTPException(401, Said(LOG_IN_FOR_ELECTRICITY))
    if principal.is_public or not _visible(request, principal, enterprise_id):
        raise HTTPException(404, Said(NO_ENTERPRISE, id=enterprise_id))
    now = datetime.now(timezone.utc)
    ctx = page_context(request)
    with request.app.state.engine.connect() as conn:
        tz = enterprise_zone(conn, enterprise_id, default_tz(request))
        the_day = parse_day(day, now.astimezone(ZoneInfo(tz)).date())
        data = enterprise_day(conn, enterprise_id, the_day, tz, now, power_settings(request), ctx["_"])
    data["tz_label"] = ctx["fmt"].zone(tz)
    for f in data["findings"]:
        f.pop("started"), f.pop("ended")
    return JSONResponse(data)
