"""The FastAPI application: REST API under /api/v1 (OpenAPI at /docs) and the web pages."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from ecosentry import __version__
from ecosentry.settings import Settings
from ecosentry.alarms.channels.live import LiveHub
from ecosentry.api.routes import alarms, enterprises, evidence, live, marks, periods, points, reports, system


def create_app(engine: Engine, service=None) -> FastAPI:
    app = FastAPI(title="ecosentry", version=__version__,
                  description="Pollution-source supervision: HJ 212 data, registry, derived values.")
    app.state.engine = engine
    app.state.service = service
    app.state.settings = service.settings if service is not None else Settings()
    app.include_router(points.router)
    app.include_router(enterprises.router)
    app.include_router(periods.router)
    app.include_router(marks.router)
    app.include_router(reports.router)
    app.include_router(system.router)
    # the live stream first: /api/v1/alarms/stream must not be read as /api/v1/alarms/{alarm_id}
    app.state.live_hub = getattr(service, "live_hub", None) or LiveHub()
    app.include_router(live.router)
    app.include_router(alarms.router)
    app.include_router(evidence.router)
    from ecosentry.web.pages import mount_web

    mount_web(app)
    return app
