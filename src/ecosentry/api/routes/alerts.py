"""Heavy-pollution weather alerts (重污染天气预警): list, one alert, issue, lift.

**Who.** Everyone sees the alerts covering them (``alerts.read``; :mod:`ecosentry.auth.alert_scope`: an
enterprise the alerts of its region and the regions above it, a regulator those of its subtree and above, the
public those covering the published enterprises, without the accounts' user names). Issuing and lifting need
``alerts.issue`` (regulator, admin) and an alert of the regulator's own subtree: a county regulator sees the
city's alert but gets 403 when it tries to lift it; an alert it cannot see answers 404 like an unknown one.

**Times.** Answers are ISO 8601 in ``tz`` (default UTC); a time given without an offset is local time of the
deployment (``ECOSENTRY_DEFAULT_TZ``), as a regulator reads it from the notice. A level change is a new alert
(see :mod:`ecosentry.store.pollution_alerts`): ``POST /alerts/{id}/level`` ends the running alert at ``at`` and
answers the new one (201).
Refusals: 404 unknown alert, 409 its state does not allow it (already lifted, overlapping another alert of
the same region), 422 a bad value (a sentence naming the field).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.api.timefmt import TimeZoneQuery, iso, parse_time, time_range_refused
from ecosentry.auth.alert_scope import alert_regions, issue_scope, may_issue_for
from ecosentry.auth.deps import requires
from ecosentry.auth.principal import Principal
from ecosentry.said import N_, Said
from ecosentry.store import pollution_alerts as writes
from ecosentry.store.pollution_alerts import AlertConflict, AlertError, AlertNotFound
from ecosentry.store.queries.pollution_alerts import alert_detail, alert_list, status

router = APIRouter(prefix="/api/v1", tags=["alerts"])

Level = Literal["yellow", "orange", "red"]


class AlertIn(BaseModel):
    region_code: str = Field(..., min_length=1, max_length=12, description="GB/T 2260 code; its subtree is covered")
    level: Level
    starts_at: str = Field(..., description="ISO 8601; without offset: the deployment's local time")
    ends_at: str | None = Field(None, description="planned end; null = until lifted")
    issued_by: str = Field(..., min_length=1, max_length=200, description="issuing authority (应急指挥部)")
    document: str | None = Field(None, max_length=100, description="the notice's number (文号)")
    note: str | None = Field(None, max_length=writes.MAX_NOTE)


class LevelIn(BaseModel):
    level: Level
    at: str | None = Field(None, description="when the new level applies (ISO 8601; default now)")
    document: str | None = Field(None, max_length=100, description="the new notice's number (文号)")
    ends_at: str | None = Field(None, description="planned end of the new alert (default: the running one's)")
    note: str | None = Field(None, max_length=writes.MAX_NOTE)


class LiftIn(BaseModel):
    at: str | None = Field(None, description="when it was lifted (ISO 8601; default now; not in the future)")
    note: str | None = Field(None, max_length=writes.MAX_NOTE, description="the lifting notice's number or reason")


def _local_tz(request: Request) -> str:
    return getattr(getattr(request.app.state, "settings", None), "default_tz", "Asia/Shanghai")


def _json(row: dict, principal: Principal, tz: str, now: datetime) -> dict:
    out = {"id": row["id"], "region_code": row["region_code"], "region_name": row.get("region_name"),
           "level": row["level"], "status": status(row, now), "starts_at": iso(row["starts_at"], tz),
           "ends_at": iso(row["ends_at"], tz), "lifted_at": iso(row["lifted_at"], tz),
           "issued_by": row["issued_by"], "document": row["document"], "note": row["note"]}
    if not principal.is_public:  # the accounts' names stay inside
        out.update(entered_by=row["entered_by"], entered_at=iso(row["entered_at"], tz), lifted_by=row["lifted_by"])
    return out


#: The routes' refusals of an alert outside the reader's area (msgids: said in the reader's language).
NO_ALERT = N_("no alert with the number %(id)s")
REGION_OUTSIDE_AREA = N_("region %(region)s is outside your area; issue alerts for your own region and the regions "
                         "below it")
ISSUER_LIFTS = N_("alert %(id)s was issued for %(region)s, above your area; its issuer lifts it")
ISSUER_CHANGES_LEVEL = N_("alert %(id)s was issued for %(region)s, above your area; its issuer changes its level")

def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except AlertNotFound as e:
        raise HTTPException(404, e) from None
    except AlertConflict as e:
        raise HTTPException(409, e) from None
    except AlertError as e:
        raise HTTPException(422, Said("%(field)s: %(error)s", field=e.field, error=e) if e.field else e) from None


def _visible(engine: Engine, principal: Principal, alert_id: int) -> dict:
    with engine.connect() as conn:
        row = alert_detail(conn, alert_id)
        regions = alert_regions(conn, principal)
    if row is None or (regions is not None and row["region_code"] not in regions):
        raise HTTPException(404, Said(NO_ALERT, id=alert_id))
    return row


@router.get("/alerts", summary="Heavy-pollution alerts covering you: in force, scheduled, past, or by period")
def list_alerts(request: Request,
                state: Literal["in_force", "scheduled", "past", "all"] = Query(
                    "in_force", description="in force at `at`, scheduled after it, past by it, or all"),
                at: str | None = Query(None, description="the moment of `state` (default now)"),
                start: str | None = Query(None, description="only alerts whose period meets [start, end)"),
                end: str | None = None, region: str | None = Query(None, description="issued for this region"),
                tz: TimeZoneQuery = None, p: Page = Depends(paging), engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("alerts.read"))):
    local = _local_tz(request)
    now = parse_time(at, local, "at") or datetime.now(timezone.utc)
    t0, t1 = parse_time(start, local, "start"), parse_time(end, local, "end")
    if t0 is not None and t1 is not None and t0 >= t1:
        raise time_range_refused()
    with engine.connect() as conn:
        regions = alert_regions(conn, principal)
        rows, total = alert_list(conn, regions, when=None if state == "all" else state, at=now, start=t0, end=t1,
                                 region=region, offset=p.offset, limit=p.page_size)
    return paged([_json(r, principal, tz or "UTC", now) for r in rows], total, p)


@router.get("/alerts/{alert_id}", summary="One heavy-pollution alert")
def get_alert(alert_id: int, tz: TimeZoneQuery = None, engine: Engine = Depends(get_engine),
              principal: Principal = Depends(requires("alerts.read"))):
    return _json(_visible(engine, principal, alert_id), principal, tz or "UTC", datetime.now(timezone.utc))


@router.post("/alerts", status_code=201, summary="Issue an alert for a region of yours (its subtree is covered)")
def issue_alert(request: Request, body: AlertIn, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("alerts.issue"))):
    if not may_issue_for(principal, body.region_code):
        raise HTTPException(403, Said(REGION_OUTSIDE_AREA, region=body.region_code))
    local = _local_tz(request)
    alert_id = _call(writes.issue, engine, region_code=body.region_code, level=body.level,
                     starts_at=parse_time(body.starts_at, local, "starts_at"),
                     ends_at=parse_time(body.ends_at, local, "ends_at"), issued_by=body.issued_by,
                     document=body.document, note=body.note, actor=principal.username, scope=issue_scope(principal))
    return get_alert(alert_id, None, engine, principal)


@router.post("/alerts/{alert_id}/lift", summary="Lift (解除) an alert now or at a past time")
def lift_alert(request: Request, alert_id: int, body: LiftIn | None = None, engine: Engine = Depends(get_engine),
               principal: Principal = Depends(requires("alerts.issue"))):
    row = _visible(engine, principal, alert_id)
    if not may_issue_for(principal, row["region_code"]):
        raise HTTPException(403, Said(ISSUER_LIFTS, id=alert_id, region=row["region_code"]))
    body = body or LiftIn()
    _call(writes.lift, engine, alert_id, at=parse_time(body.at, _local_tz(request), "at"), note=body.note,
          actor=principal.username, scope=issue_scope(principal))
    return get_alert(alert_id, None, engine, principal)


@router.post("/alerts/{alert_id}/level", status_code=201,
             summary="Upgrade or downgrade a running alert: it ends at `at` and the next one, at the new level, "
                     "begins then (answered)")
def change_level(request: Request, alert_id: int, body: LevelIn, engine: Engine = Depends(get_engine),
                 principal: Principal = Depends(requires("alerts.issue"))):
    row = _visible(engine, principal, alert_id)
    if not may_issue_for(principal, row["region_code"]):
        raise HTTPException(403, Said(ISSUER_CHANGES_LEVEL, id=alert_id, region=row["region_code"]))
    local = _local_tz(request)
    ends = "keep" if "ends_at" not in body.model_fields_set else parse_time(body.ends_at, local, "ends_at")
    new_id = _call(writes.change_level, engine, alert_id, level=body.level, at=parse_time(body.at, local, "at"),
                   document=body.document, note=body.note, ends_at=ends, actor=principal.username,
                   scope=issue_scope(principal))
    return get_alert(new_id, None, engine, principal)
