"""The JSON API of the monthly assessment and of the coverage (``/api/v1/om/...``), beside :mod:`.api`.

* ``GET /api/v1/om/assessments?month=YYYY-MM`` (``marks.read``): the stored ranking of the month the caller sees
  (:mod:`.queries.assessment`: an O&M account its own organisation, others the organisations keeping points in
  their scope), each with its score, grade, rank, counts, components, weights and formula, and its stations in
  the caller's scope with their health codes; 422 for a month that is not ``YYYY-MM``.
* ``GET /api/v1/om/coverage?region=`` (``marks.read``): door access and video of the key units' station rooms
  (应装尽装、应联尽联) per region, the totals and every key unit with its gaps (:mod:`.queries.coverage`); a region
  outside the caller's scope answers 404 like an unknown one.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import NO_REGION_IN_SCOPE
from ecosentry.auth.principal import Principal
from ecosentry.said import N_, Said
from ecosentry.subsystems.om.queries import assessment as q
from ecosentry.subsystems.om.queries.coverage import coverage
from ecosentry.subsystems.om.rules.coverage import RegionCoverage
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.words import GAPS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/om", tags=["om"])


def _settings(request: Request) -> OmSettings:
    return getattr(request.app.state.settings, "om", None) or OmSettings()


@router.get("/assessments")
def assessments(month: str = Query(..., description="local month YYYY-MM"),
                principal: Principal = Depends(requires("marks.read")), engine: Engine = Depends(get_engine)):
    """The month's stored assessment in the caller's scope, best first."""
    if q.parse_month(month) is None:
        raise HTTPException(422, Said(N_("month must be YYYY-MM, not %(value)r"), value=month))
    with engine.connect() as conn:
        rows = q.ranking(conn, principal, month)
        items = []
        for r in rows:
            stations = q.stations(conn, principal, month, r["organisation_id"])
            items.append({"organisation": {"code": r["code"], "name": r["name"]}, "rank": r["rank"],
                          "score": r["score"], "grade": r["grade"], "points": r["points"],
                          "assessment": r["detail"],
                          "stations": [{"point_id": s["point_id"], "mn": s["mn"], "name": s["point_name"],
                                        "enterprise": s["enterprise_name"], "score": s["score"], "health": s["health"],
                                        "critical": s["critical"]} for s in stations]})
    # the current month to date is stored provisionally (``detail.provisional``) until it has ended
    provisional = any(r["detail"].get("provisional") for r in rows)
    return {"month": month, "provisional": provisional, "items": items}


def _region(r: RegionCoverage, names: dict[str, str]) -> dict:
    return {"region_code": r.region_code or None, "region_name": names.get(r.region_code), "key_units": r.units,
            "door_installed": r.door_installed, "video_installed": r.video_installed, "installed": r.installed,
            "door_networked": r.door_networked, "video_networked": r.video_networked, "networked": r.networked,
            "installed_share": r.installed_share, "networked_share": r.networked_share}


@router.get("/coverage")
def coverage_route(request: Request, region: str | None = Query(None, description="GB/T 2260 code (and below)"),
                   principal: Principal = Depends(requires("marks.read")), engine: Engine = Depends(get_engine)):
    """Door access and video coverage of the key units per region, with the gaps."""
    if region and not principal.sees_region(region):
        raise HTTPException(404, Said(NO_REGION_IN_SCOPE, region=region))
    st = _settings(request).coverage
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        data = coverage(conn, principal, st, now, region or None)
    names = data["region_names"]
    return {"as_of": now.isoformat(), "door_window_hours": st.door_window_hours,
            "camera_window_hours": st.camera_window_hours,
            "regions": [_region(r, names) for r in data["regions"]], "total": _region(data["total"], names),
            "units": [{"enterprise_id": u.unit.enterprise_id, "enterprise": u.unit.name,
                       "region_code": u.unit.region_code, "installed": u.installed, "networked": u.networked,
                       "door_installed": u.door_installed, "video_installed": u.video_installed,
                       "door_networked": u.door_networked, "video_networked": u.video_networked,
                       "gaps": [{"code": c, "where": w, "explanation": GAPS[c]} for c, w in u.gaps]}
                      for u in data["units"]]}
