"""The web shell: static assets, error pages, the core's page modules (:mod:`ecosentry.web.views`) and the pages
of every installed subsystem (:attr:`ecosentry.contracts.subsystem.Subsystem.pages`).

Front-end assets are served from installed packages (plotly.js from the plotly wheel, Leaflet from
xstatic-leaflet); nothing is loaded from a CDN.
"""

from __future__ import annotations

from pathlib import Path

import plotly
import xstatic.pkg.leaflet
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ecosentry.installed import each
from ecosentry.reports.fonts import variable_font_path
from ecosentry.web.errors import install_error_pages
from ecosentry.web.views import routers as view_routers

HERE = Path(__file__).parent
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)


def mount_web(app: FastAPI) -> None:
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor/plotly", StaticFiles(directory=PLOTLY_DIR), name="plotly")
    app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    # Noto Sans SC from the same wheel as the PDFs' font: the pages' last CJK fallback (style.css), fetched by
    # a browser only when no CJK font of its system comes earlier in the font stack
    app.mount("/vendor/fonts", StaticFiles(directory=variable_font_path().parent), name="fonts")
    for router in view_routers():
        app.include_router(router)
    for _, router in each("pages"):
        app.include_router(router)
