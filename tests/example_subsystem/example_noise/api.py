"""The subsystem's API route: ``GET /api/v1/noise/readings``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.api.timefmt import iso
from ecosentry.auth.deps import requires
from example_noise.queries import latest_readings

router = APIRouter(prefix="/api/v1/noise", tags=["noise"])


@router.get("/readings", dependencies=[Depends(requires("data.read"))])
def readings(request: Request, meter: str | None = Query(None, description="one meter's serial; omitted = all"),
             limit: int = Query(100, ge=1, le=5000), engine: Engine = Depends(get_engine)) -> dict:
    """The newest boundary noise readings, newest first: LAeq [dB(A)], day or night, the limit and whether the
    reading was above it; times with the sites' offset (``ECOSENTRY_NOISE__TZ``)."""
    tz = request.app.state.settings.noise.tz
    return {"items": [{**r, "measured_at": iso(r["measured_at"], tz)} for r in latest_readings(engine, meter, limit)]}
