"""Server-rendered pages: the home list of enterprises and points (``/``) and the point page
(``/points/{id}``); the other pages are modules of :mod:`ecosentry.web.views`, included by :func:`mount_web`.

Front-end assets are served from installed packages (plotly.js from the plotly wheel, Leaflet from
xstatic-leaflet); nothing is loaded from a CDN. Every page shows only what the request's principal sees
(:mod:`ecosentry.web.views.site_state`); the anonymous public is sent to ``/public``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly
import xstatic.pkg.leaflet
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from ecosentry.api.routes.periods import point_rate_counts
from ecosentry.api.routes.points import get_point
from ecosentry.auth.deps import current_principal
from ecosentry.rules.cn.rates import RateSettings
from ecosentry.web.errors import install_error_pages
from ecosentry.web.listing import ListQuery, page_of
from ecosentry.web.templating import render
from ecosentry.web.views import routers as view_routers
from ecosentry.web.views.point_chart import DEFAULT_HOURS
from ecosentry.web.views.site_details import (KINDS, day_hours, limits_in_force, live_values, point_rates,
                                              recent_alarms, recent_marks, report_links)
from ecosentry.web.views.site_state import (factor_catalogue, login_redirect, point_states, require_point,
                                            visible_tree)

HERE = Path(__file__).parent
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)


def home_context(engine, principal, now: datetime) -> dict:
    """Enterprises and points in the scope, with their state and latest minute (or real-time) values."""
    with engine.connect() as conn:
        ents = visible_tree(conn, principal)
        states = point_states(conn, ents, now)
        pids = [pt["id"] for x in ents for pt in x["points"]]
        live = live_values(conn, pids)
        factors = factor_catalogue(conn)
    n_points = len(pids)
    online = sum(1 for pid in pids if states[pid].online)
    return {"ents": ents, "states": states, "live": live, "factors": factors, "n_points": n_points,
            "online": online, "now": now}


#: Rows of the point page's hourly table per page (one row per hour and factor).
HOURS_PER_PAGE = 24


def _chosen_day(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return min(day, today)


def point_context(engine, principal, point_id: int, now: datetime, request: Request | None = None) -> dict:
    """Everything the point page shows around its chart; the hourly table shows one local day (``?day=``,
    default today), newest hour first, :data:`HOURS_PER_PAGE` rows a page (``?page=``)."""
    with engine.connect() as conn:
        require_point(conn, principal, point_id)
    pt = get_point(engine, point_id)
    with engine.connect() as conn:
        ent = visible_tree(conn, principal, enterprise_id=pt["enterprise_id"])[0]
        states = point_states(conn, [ent], now)
        live = live_values(conn, [point_id])
        limits = limits_in_force(conn, [point_id], now.astimezone(ZoneInfo(pt["tz"])).date())
        alarms = recent_alarms(conn, [point_id], None, now)
        today = now.astimezone(ZoneInfo(pt["tz"])).date()
        day = _chosen_day(request.query_params.get("day") if request is not None else None, today)
        lq = (ListQuery.from_request(request, sorts=("time",), default_sort="time", default_desc=True,
                                     keep=("day",), per_page=HOURS_PER_PAGE) if request is not None
              else ListQuery(path=f"/points/{point_id}", sort="time", desc=True, per_page=HOURS_PER_PAGE))
        hours, n_hours = page_of(day_hours(conn, point_id, day, pt["tz"]), lq)
        factors = factor_catalogue(conn)
    end = now.replace(minute=0, second=0, microsecond=0)
    per_factor = point_rate_counts(engine, point_id, end - timedelta(hours=24), end, pt["tz"], "backfilled",
                                   RateSettings())
    return {"pt": pt, "state": states[point_id], "live": live, "limits": limits, "alarms": alarms,
            "factors": factors, "kinds": KINDS, "rates": point_rates(engine, [pt], now)[point_id],
            "factor_rates": per_factor, "marks": recent_marks(engine, [point_id], now),
            "reports": report_links(point_id, pt["tz"], now), "point_of": {point_id: pt},
            "chart_hours": DEFAULT_HOURS, "hours": hours, "n_hours": n_hours, "hours_lq": lq, "day": day,
            "today": today, "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < today else None}


def mount_web(app: FastAPI) -> None:
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor/plotly", StaticFiles(directory=PLOTLY_DIR), name="plotly")
    app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    for router in view_routers():
        app.include_router(router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        if current_principal(request).is_public:
            return RedirectResponse("/public", status_code=303)
        ctx = home_context(request.app.state.engine, current_principal(request), datetime.now(timezone.utc))
        return render(request, "home.html", ctx)

    @app.get("/points/{point_id}", response_class=HTMLResponse, include_in_schema=False)
    def point_page(request: Request, point_id: int):
        if (redirect := login_redirect(request)) is not None:
            return redirect
        ctx = point_context(request.app.state.engine, current_principal(request), point_id,
                            datetime.now(timezone.utc), request)
        return render(request, "point.html", ctx)
