"""The subsystem's page: ``/noise``, the newest readings of the boundary meters, open to the public like the
published monitoring data (GB 12348-2008 results of key sites are disclosed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.web.templating import render
from example_noise.queries import latest_readings
from example_noise.rules import BOUNDARY_LIMITS

router = APIRouter(include_in_schema=False)


@router.get("/noise", response_class=HTMLResponse)
def noise_page(request: Request) -> Response:
    st = request.app.state.settings.noise
    day, night = BOUNDARY_LIMITS[st.zone_class]
    return render(request, "noise.html", {"readings": latest_readings(request.app.state.engine, limit=50),
                                          "zone_class": st.zone_class, "day_limit": day, "night_limit": night,
                                          "tz": st.tz})
