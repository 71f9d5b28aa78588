"""The core's page modules (the registry's administration, alarms, heavy-pollution alerts, the audit trail, log-in, the map and its base
layer); :func:`routers` lists their routers. A subsystem adds pages through its declaration
(:attr:`ecosentry.contracts.subsystem.Subsystem.pages`), not here."""

from __future__ import annotations

from fastapi import APIRouter

from ecosentry.web.views import admin_pages, alarms_pages, alerts_pages, audit_pages, auth_pages, basemap, map

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """The core's page routers, in the order they are mounted."""
    return [m.router for m in (admin_pages, alarms_pages, alerts_pages, audit_pages, auth_pages, basemap, map)]
