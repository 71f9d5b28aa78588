"""The map (``/map``): enterprises and outlets coloured by state (normal, exceedance, offline, alarm), with
Leaflet served from the installed xstatic-leaflet package.

Tiles come from the ``map_tile_url`` setting (a Leaflet URL template such as
``https://tiles.example.org/{z}/{x}/{y}.png``; default empty = no tile server). Without tiles, or when the
tile server does not answer, the map draws plain region outlines computed from the enterprises' locations
(:mod:`ecosentry.web.views.outline`), labelled as such, so it works offline. Markers and outlines come from
``/map/markers.json``, filtered by the principal's scope.

The public (anonymous or a public account) may see no alarms and no raw data (docs/access.md): for it the
markers carry only the published enterprises' names, places and outlets, linked to their public pages
(:func:`public_markers`), no state, no alarm count and no point.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.auth.deps import current_principal
from ecosentry.store.queries.sites import all_regions
from ecosentry.web.templating import render
from ecosentry.web.views.outline import region_outlines
from ecosentry.web.views.site_state import STATES, login_redirect, point_states, region_scope, visible_tree

router = APIRouter(include_in_schema=False)


def tile_url(request: Request) -> str:
    """The configured tile URL template, or ``""`` (no tile server)."""
    return getattr(request.app.state.settings, "map_tile_url", "") or ""


def public_markers(data: dict) -> dict:
    """``data`` (of :func:`map_data`) cut to what the public may see: names, places, region outlines."""
    def ent(m: dict) -> dict:
        return {"id": m["id"], "name": m["name"], "region_code": m["region_code"], "region_name": m["region_name"],
                "lon": m["lon"], "lat": m["lat"], "url": f"/public/enterprises/{m['id']}",
                "outlets": [{"id": o["id"], "name": o["name"], "medium": o["medium"], "lon": o["lon"],
                             "lat": o["lat"], "url": f"/public/enterprises/{m['id']}"} for o in m["outlets"]]}

    return {"region": data["region"], "enterprises": [ent(m) for m in data["enterprises"]],
            "unplaced": [{"id": m["id"], "name": m["name"]} for m in data["unplaced"]], "counts": {},
            "outlines": data["outlines"]}


def map_data(engine, principal, region: str | None, now: datetime) -> dict:
    """Markers (enterprises with their outlets), counts per state and region outlines, within the scope."""
    with engine.connect() as conn:
        regions = region_scope(conn, principal, region)
        ents = visible_tree(conn, principal, regions)
        states = point_states(conn, ents, now)
        region_info = all_regions(conn)
    markers, unplaced = [], []
    for x in ents:
        st = states[-x["id"]]
        outlets = []
        for o in x["outlets"]:
            o_state = [states[pt["id"]].state for pt in o["points"]]
            outlets.append({"id": o["id"], "name": o["name"], "medium": o["medium"], "lon": o["lon"], "lat": o["lat"],
                            "state": min(o_state, key=STATES.index) if o_state else "offline",
                            "url": f"/outlets/{o['id']}",
                            "points": [{"id": pt["id"], "name": pt["name"], "state": states[pt["id"]].state,
                                        "url": f"/points/{pt['id']}"} for pt in o["points"]]})
        item = {"id": x["id"], "name": x["name"], "region_code": x["region_code"], "region_name": x["region_name"],
                "lon": x["lon"], "lat": x["lat"], "state": st.state, "open_alarms": st.open_alarms,
                "url": f"/enterprises/{x['id']}", "outlets": outlets}
        (markers if x["lon"] is not None and x["lat"] is not None else unplaced).append(item)
    counts = {k: sum(1 for m in markers + unplaced if m["state"] == k) for k in STATES}
    return {"region": region, "enterprises": markers, "unplaced": [{"id": m["id"], "name": m["name"],
                                                                     "state": m["state"]} for m in unplaced],
            "counts": counts, "outlines": region_outlines(markers, region_info)}


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, region: str | None = None):
    if (redirect := login_redirect(request)) is not None:
        return redirect
    principal = current_principal(request)
    with request.app.state.engine.connect() as conn:
        region_scope(conn, principal, region)  # 403/404 before the page loads its markers
    return render(request, "map.html", {"region": region, "tile_url": tile_url(request)})


@router.get("/map/markers.json")
def map_markers(request: Request, region: str | None = None):
    """Enterprises and outlets with their state, and region outlines (GeoJSON), for the map page."""
    principal = current_principal(request)
    data = map_data(request.app.state.engine, principal, region, datetime.now(timezone.utc))
    if not principal.may("alarms.read"):  # the public: no alarm, no state (docs/access.md)
        data = public_markers(data)
    return {**data, "tile_url": tile_url(request)}
