"""Server-rendered pages. Front-end assets are served from installed packages (plotly.js from the
plotly wheel); nothing is loaded from a CDN."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import plotly
import xstatic.pkg.leaflet
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

from ecosentry.api.routes.enterprises import enterprises_with_points
from ecosentry.api.routes.points import get_point, latest
from ecosentry.api.timefmt import iso
from ecosentry.store import schema as s
from ecosentry.web.templating import render
from ecosentry.web.views import routers as view_routers

HERE = Path(__file__).parent
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)


def mount_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor/plotly", StaticFiles(directory=PLOTLY_DIR), name="plotly")
    app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    for router in view_routers():
        app.include_router(router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        engine = request.app.state.engine
        ents, total = enterprises_with_points(engine)
        now = datetime.now(timezone.utc)
        lv = s.latest_values
        with engine.connect() as conn:
            rows = conn.execute(select(lv).where(lv.c.kind.in_(("rtd", "min")))).mappings().all()
            names = dict(conn.execute(select(s.factors.c.code, s.factors.c.name_zh)).all())
            units = dict(conn.execute(select(s.factors.c.code, s.factors.c.unit)).all())
        latest_by_point: dict[int, dict[str, dict]] = {}
        last_seen: dict[int, datetime] = {}
        for r in rows:
            cur = latest_by_point.setdefault(r["point_id"], {}).get(r["factor_code"])
            if cur is None or r["period_start"] > cur["period_start"]:
                latest_by_point[r["point_id"]][r["factor_code"]] = dict(r)
            last_seen[r["point_id"]] = max(last_seen.get(r["point_id"], r["received_at"]), r["received_at"])
        n_points = sum(len(o["points"]) for e in ents for o in e["outlets"])
        online = sum(1 for t in last_seen.values() if now - t < timedelta(minutes=10))
        return render(request, "home.html", {
            "ents": ents, "total": total, "latest": latest_by_point, "last_seen": last_seen, "now": now,
            "names": names, "units": units, "n_points": n_points, "online": online,
            "fmt_time": lambda t, tz: iso(t, tz)[11:19] if t else "—",
            "is_online": lambda pid: pid in last_seen and now - last_seen[pid] < timedelta(minutes=10),
        })

    @app.get("/points/{point_id}", response_class=HTMLResponse, include_in_schema=False)
    def point_page(request: Request, point_id: int):
        engine = request.app.state.engine
        pt = get_point(engine, point_id)
        lat = latest(point_id, engine=engine, kind=None, tz=None)
        by_factor: dict[str, dict] = {}
        for item in lat["items"]:
            row = by_factor.setdefault(item["factor"], {"factor": item["factor"], "name_zh": item["name_zh"],
                                                        "unit": item["unit"]})
            row[item["kind"]] = item
        return render(request, "point.html", {"pt": pt, "latest": list(by_factor.values()),
                                                                  "kinds": KIND_LABELS})


KIND_LABELS = {"rtd": "实时 real-time", "min": "分钟 minute", "hour": "小时 hour", "day": "日 day"}
