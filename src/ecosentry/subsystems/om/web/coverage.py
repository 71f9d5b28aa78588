"""``/om/coverage``: door access and video of the key units' station rooms per region (应装尽装、应联尽联, issue 18
item 5), the figure city meetings report: per region the key units, how many have door access and video installed
and how many are networked (each device reported within its window), the shares, and the list of gaps (which
enterprise, which room or point, what is missing). ``?region=`` narrows to a region of the reader's scope. The
figures are :func:`..queries.coverage.coverage`'s, the same as ``GET /api/v1/om/coverage``."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.subsystems.om.queries.coverage import coverage
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.words import GAPS
from ecosentry.web.forms import gate, not_found, work_render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/om/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, region: str | None = None):
    principal, denied = gate(request, "marks.read")
    if denied:
        return denied
    if region and not principal.sees_region(region):
        return not_found(request, f"region {region!r} not in scope")
    settings = getattr(getattr(request.app.state, "settings", None), "om", None) or OmSettings()
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        data = coverage(conn, principal, settings.coverage, now, region or None)
    return work_render(request, "om_coverage.html", {**data, "region": region or "", "GAPS": GAPS,
                                                     "settings": settings.coverage, "now": now})
