"""Points, their latest values, series and derived hourly values.

Scope (:mod:`ecosentry.auth.guards`): lists hold only the principal's points; a point outside the scope
answers 404 like an unknown one. The public sees the points of published enterprises.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import Engine

from ecosentry.api.deps import Page, get_engine, paged, paging, plain_json
from ecosentry.auth.deps import current_principal
from ecosentry.auth.guards import NO_POINT, point_or_404
from ecosentry.auth.principal import Principal
from ecosentry.api.timefmt import TimeZoneQuery, iso, parse_time, time_range_refused
from ecosentry.said import Said
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text
from ecosentry.web.i18n import reader_gettext
from ecosentry.store.queries.points import (hourly_page, last_received, latest_rows, observation_page,
                                            point_factor_ranges, point_page, point_row)

router = APIRouter(prefix="/api/v1", tags=["points"])

Kind = Literal["rtd", "min", "hour", "day", "state", "runtime"]


def get_point(engine: Engine, point_id: int, principal: Principal | None = None) -> dict:
    """The point with its outlet, enterprise and region; 404 when unknown or outside ``principal``'s scope."""
    if principal is not None:
        point_or_404(principal, point_id)
    with engine.connect() as conn:
        row = point_row(conn, point_id)
    if row is None:
        raise HTTPException(404, Said(NO_POINT, id=point_id))
    return row


@router.get("/points", summary="List monitoring points")
def list_points(engine: Engine = Depends(get_engine), p: Page = Depends(paging),
                region: str | None = Query(None, description="GB/T 2260 code: this region and below"),
                enterprise_id: int | None = None, principal: Principal = Depends(current_principal)):
    with engine.connect() as conn:
        rows, total = point_page(conn, principal.point_clause(s.points.c.id), enterprise_id=enterprise_id,
                                 region=region, offset=p.offset, limit=p.page_size)
        last = last_received(conn)
    return paged([{**r, "last_received_at": iso(last.get(r["id"]), r["tz"])} for r in rows], total, p)


@router.get("/points/{point_id}", summary="One monitoring point")
def point_detail(point_id: int, engine: Engine = Depends(get_engine),
                 principal: Principal = Depends(current_principal)):
    pt = get_point(engine, point_id, principal)
    with engine.connect() as conn:
        factors = point_factor_ranges(conn, point_id)
    return {**pt, "factors": factors}


@router.get("/points/{point_id}/latest", summary="Latest value of every factor of a point")
def point_latest(point_id: int, engine: Engine = Depends(get_engine),
                 kind: Kind | None = Query(None, description="only this data kind"),
                 tz: TimeZoneQuery = None,
                 principal: Principal = Depends(current_principal)):
    point_or_404(principal, point_id)
    return latest(point_id, engine=engine, kind=kind, tz=tz)


def latest(point_id: int, engine: Engine, kind: str | None = None, tz: str | None = None) -> dict:
    """Latest value of every factor of a point (no scope check: the caller checks)."""
    pt = get_point(engine, point_id)
    tz = tz or pt["tz"]
    with engine.connect() as conn:
        rows = latest_rows(conn, point_id, kind)
    return {"point_id": point_id, "mn": pt["mn"], "tz": tz, "items": [
        {"factor": r["factor_code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "unit": r["unit"],
         "kind": r["kind"], "time": iso(r["period_start"], tz), "value": r["value"], "flag": r["flag"],
         "zs_value": r["zs_value"], "received_at": iso(r["received_at"], tz)} for r in rows]}


@router.get("/points/{point_id}/series", summary="Values of one factor of a point over a time range")
def series(point_id: int, factor: str, kind: Kind = "min", start: str | None = None, end: str | None = None,
           tz: TimeZoneQuery = None, engine: Engine = Depends(get_engine), p: Page = Depends(paging),
           principal: Principal = Depends(current_principal)):
    """``start``/``end``: ISO 8601; without an offset they are local time of ``tz`` (default the point's).
    Default range: the 24 h before ``end`` (default now). Times are interval starts (HJ 212 DataTime)."""
    pt = get_point(engine, point_id, principal)
    tz = tz or pt["tz"]
    t1 = parse_time(end, tz, "end") or datetime.now(timezone.utc)
    t0 = parse_time(start, tz, "start") or t1 - timedelta(hours=24)
    if t0 >= t1:
        raise time_range_refused()
    with engine.connect() as conn:
        rows, total = observation_page(conn, point_id, factor, kind, t0, t1, offset=p.offset, limit=p.page_size)
    items = [{"time": iso(r["period_start"], tz), "value": r["value"], "min": r["min"], "max": r["max"],
              "cou": r["cou"], "flag": r["flag"], "eflag": r["eflag"], "zs_value": r["zs_value"],
              "zs_min": r["zs_min"], "zs_max": r["zs_max"], "sample_time": iso(r["sample_time"], tz)} for r in rows]
    return plain_json({**paged(items, total, p), "point_id": point_id, "factor": factor, "kind": kind, "tz": tz,
                       "start": iso(t0, tz), "end": iso(t1, tz)})


@router.get("/points/{point_id}/hourly", summary="Derived hourly values with validity (45-valid-minute rule)")
def hourly(point_id: int, request: Request, factor: str | None = None, start: str | None = None,
           end: str | None = None, tz: TimeZoneQuery = None, engine: Engine = Depends(get_engine),
           p: Page = Depends(paging), principal: Principal = Depends(current_principal)):
    """``complete`` is false for the hour still in progress: its validity can still change. ``reason`` is the
    stored machine reason (fragments joined by ``"; "``), ``reason_text`` the same said in the reader's language
    (``?lang=``, cookie, the user's locale, ``Accept-Language``: the refusals' order, :func:`reader_gettext`): an
    out-of-control hour says why."""
    say = reader_gettext(request, principal)
    pt = get_point(engine, point_id, principal)
    tz = tz or pt["tz"]
    now = datetime.now(timezone.utc)
    t1 = parse_time(end, tz, "end") or now
    t0 = parse_time(start, tz, "start") or t1 - timedelta(hours=24)
    with engine.connect() as conn:
        rows, total = hourly_page(conn, point_id, t0, t1, factor, offset=p.offset, limit=p.page_size)
    items = [{"factor": r["factor_code"], "time": iso(r["period_start"], tz), "value": r["value"],
              "zs_value": r["zs_value"], "min": r["min"], "max": r["max"], "cou": r["cou"], "flag": r["flag"],
              "valid": r["valid"], "valid_minutes": r["valid_minutes"], "received_minutes": r["received_minutes"],
              "n_records": r["n_records"], "reason": r["reason"], "reason_text": reason_text(r["reason"], say),
              "complete": r["period_start"] + timedelta(hours=1) <= now} for r in rows]
    return plain_json({**paged(items, total, p), "point_id": point_id, "tz": tz, "start": iso(t0, tz),
                       "end": iso(t1, tz)})
