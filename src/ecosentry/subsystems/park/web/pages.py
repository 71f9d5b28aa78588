"""The chemical-park pages: ``/park`` (the parks in scope), ``/park/parks/{park_code}`` (the map drawn on the
server, the live levels per station and pollutant, the warnings) and ``/park/incidents/{event_id}`` (the plume's
threat zones on the same map, the receptors inside them, the ranked sources with their reasons, the incident's
timeline). Scope: :mod:`..queries.scope`; a park or incident outside it answers 404 like one that does not exist.
Times are the park's local time; stations, sources and receptors are shown by name."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.subsystems.park.queries.parkmap import LEVEL_NAMES, park_map
from ecosentry.subsystems.park.queries.scope import park_scope, visible_parks
from ecosentry.subsystems.park.queries.warnings import event_park, incident_view, warning_events
from ecosentry.subsystems.park.said import TRANSLATED_PARAMS
from ecosentry.subsystems.park.substances import SUBSTANCES
from ecosentry.subsystems.park.web.mapdraw import LEVEL_COLOURS, affected_receptors, draw_map
from ecosentry.subsystems.park.names import KIND_NAMES, TIER_NAMES, TRANSITION_NAMES, ZONE_NAMES
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.templating import page_context

router = APIRouter(include_in_schema=False)


def words() -> dict:
    return {"levels": LEVEL_NAMES, "substances": {k: v.name for k, v in SUBSTANCES.items()}, "tiers": TIER_NAMES, "kinds": KIND_NAMES, "transitions": TRANSITION_NAMES,
            "zones": ZONE_NAMES, "colours": LEVEL_COLOURS}


def sentence(gettext, msgid: str, params: dict) -> str:
    """A stored sentence (msgid + parameters) in the reader's language."""
    try:
        return gettext(msgid) % {k: gettext(v) if k in TRANSLATED_PARAMS and isinstance(v, str) else v
                                 for k, v in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        return msgid


@router.get("/park", response_class=HTMLResponse)
def parks(request: Request):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        items = visible_parks(conn, principal)
    return work_render(request, "park_list.html", {"parks": items})


@router.get("/park/parks/{park_code}", response_class=HTMLResponse)
def park_page(request: Request, park_code: str):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    ctx = page_context(request)
    with request.app.state.engine.connect() as conn:
        scope = park_scope(conn, principal, park_code)
        data = park_map(conn, scope) if scope else None
        if data is None:
            return not_found(request, f"no park {park_code} in scope")
        events = warning_events(conn, scope, limit=50)
    for e in events:
        e["said"] = sentence(ctx["_"], e["sentence"].get("msgid", ""), e["sentence"].get("params", {}))
    return work_render(request, "park_map.html", {
        "park": data, "svg": draw_map(data, ctx["_"]), "events": events, "w": words(), "tz": data["tz"]})


@router.get("/park/incidents/{event_id}", response_class=HTMLResponse)
def incident_page(request: Request, event_id: int):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    ctx = page_context(request)
    with request.app.state.engine.connect() as conn:
        code = event_park(conn, event_id)
        scope = park_scope(conn, principal, code) if code else None
        inc = incident_view(conn, scope, event_id) if scope else None
        if inc is None:
            return not_found(request, f"no incident {event_id} in scope")
        data = park_map(conn, scope)
    return work_render(request, "park_incident.html", incident_context(inc, data, ctx["_"]))


@router.get("/park/incidents/{event_id}/report.pdf")
def incident_report(request: Request, event_id: int):
    """The incident report (PDF) in the reader's language and the park's local time."""
    from ecosentry.subsystems.park.reports.incident_report import incident_report_pdf

    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    ctx = page_context(request)
    with request.app.state.engine.connect() as conn:
        code = event_park(conn, event_id)
        scope = park_scope(conn, principal, code) if code else None
        inc = incident_view(conn, scope, event_id) if scope else None
        if inc is None:
            return not_found(request, f"no incident {event_id} in scope")
        data = park_map(conn, scope)
    view = incident_context(inc, data, ctx["_"])
    fmt = ctx["fmt"]
    body = incident_report_pdf(view, ctx["_"], lambda t: fmt.datetime(t, data["tz"]), fmt.number)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="park-incident-{event_id}.pdf"', "Cache-Control": "no-store"})


def incident_context(inc: dict, data: dict, gettext) -> dict:
    """What the incident page and its PDF report show."""
    detail = inc.get("incident") or {}
    zones = detail.get("zones") or []
    release = detail.get("release") or {}
    for e in inc["timeline"]:
        e["said"] = sentence(gettext, e["sentence"].get("msgid", ""), e["sentence"].get("params", {}))
    ranking = []
    for c in detail.get("ranking") or []:
        src = inc["sources"].get(c["source"], {})
        ranking.append({**c, "name": src.get("name") or c["source"],
                        "enterprise_name": src.get("enterprise_name") or c.get("enterprise") or "",
                        "said": sentence(gettext, c.get("msgid", ""), c.get("params", {}))})
    # an enterprise does not see the other enterprises' sources on the map; the ranked ones it is told of
    shown = {x["code"] for x in data["sources"]}
    data = {**data, "sources": data["sources"] + [
        {"code": c["source"], "name": c["name"], "enterprise_name": c["enterprise_name"], "substances": [],
         "x": inc["sources"][c["source"]]["x"], "y": inc["sources"][c["source"]]["y"]}
        for c in ranking if c["source"] not in shown and c["source"] in inc["sources"]]}
    svg = draw_map(data, gettext, zones=zones, wind=detail.get("wind"), highlight=release.get("source"))
    return {"inc": inc, "park": data, "svg": svg, "zones": zones, "release": release, "wind": detail.get("wind"),
            "ranking": ranking, "affected": affected_receptors(data["receptors"], zones), "note": detail.get("note"),
            "w": words(), "tz": data["tz"]}
