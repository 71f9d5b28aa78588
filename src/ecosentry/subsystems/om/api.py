"""The O&M JSON API (``/api/v1/om/...``): work orders, station-room door events, calibration records.

**Who.** Like the marks API (:mod:`ecosentry.subsystems.monitoring.api.marks`): reading orders needs
``marks.read``; creating orders and moving them through the visit (assign, accept, arrive, finish, cancel,
reopen), and filing calibration records, ``marks.file`` (enterprise, O&M, admin); the review (approve, reject)
``marks.review`` (regulator, admin). An order belongs to its point: outside the principal's scope it answers 404
like an unknown order (an O&M account sees the points it maintains, ``point_maintainers``). Writes made with the
session cookie pass the core's CSRF check (``X-CSRF-Token``); API keys and bearer tokens need none.

**Door controllers** push ``POST /api/v1/om/doors/events`` with headers ``X-Door-Id`` and ``X-Door-Secret`` and
the JSON ``{"time": ISO 8601, "event": "open" | "close"}``: unauthenticated → 401, malformed → 422, each counted
once (``/api/v1/stats``: ``om_door_unauthenticated``, ``om_door_malformed``) and logged, nothing stored; a good
event is stored once and the room's recent window is checked (``OM-DOOR-UNEXPLAINED``).

Refusals answer ``{"detail": English, "message": in the reader's language}``: 404 unknown (or unseen), 409 a
transition the order's state does not allow, 422 a bad value.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from ecosentry.alarms import store as alarm_store
from ecosentry.api.deps import get_engine
from ecosentry.api.timefmt import iso, parse_time
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import alarm_visible, need, point_or_404
from ecosentry.auth.principal import Principal
from ecosentry.web.i18n import reader_gettext
from ecosentry.metrics import counters
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.subsystems.om.gateways.push_body import Malformed, door_event as parse_door_event
from ecosentry.subsystems.om.rules.workorders import ACTIONS, TransitionRefused
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store import calibrations as cal_store
from ecosentry.subsystems.om.store import doors as door_store
from ecosentry.subsystems.om.store import workorders as store

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/om", tags=["om"])

#: Actions of the review (the regulator's), the rest are the visit's.
REVIEW_ACTIONS = ("approve", "reject")
#: How far in the future a time given by a client may be (its clock is a little ahead) [ours].
FUTURE_SLACK = timedelta(minutes=5)


class OrderIn(BaseModel):
    kind: str = Field(..., description="device_fault | data_missing | offline | drift (from an alarm); "
                                       "daily_inspection | weekly_inspection | calibration | verification | comparison")
    point_id: int | None = Field(None, description="the point; omitted when alarm_id is given")
    alarm_id: int | None = Field(None, description="the alarm the order answers")
    deadline: str | None = Field(None, description="ISO 8601; omitted = the rule's deadline")
    assignee: str | None = Field(None, max_length=100)
    note: str | None = None


class ActionIn(BaseModel):
    assignee: str | None = Field(None, max_length=100, description="assign: the engineer")
    note: str | None = None
    at: str | None = Field(None, description="ISO 8601; omitted = now (an app offline on site sends its time)")
    photos: list[dict[str, Any]] | None = Field(None, description="stored-file references of photos taken on site")
    readings: dict[str, Any] | None = None
    checklist: dict[str, Any] | None = None


class CheckJson(BaseModel):
    point_id: int
    factor: str
    time: str = Field(..., description="ISO 8601; without offset = the point's local time")
    kind: str = Field(..., description="zero | span")
    result: str = Field(..., description="pass | fail")
    drift_pct: float | None = None
    analyser: str | None = Field(None, max_length=60)
    reading: float | None = None
    reference: float | None = None


def _settings(request: Request) -> OmSettings:
    return getattr(request.app.state.settings, "om", None) or OmSettings()


def _refuse(request: Request, status: int, said: Said, principal: Principal | None = None) -> JSONResponse:
    """``{"detail": English, "message": the reader's language}``: ``?lang=``, cookie, the account's locale,
    ``Accept-Language``, the deployment's default (:func:`ecosentry.web.i18n.reader_gettext`, as the core's
    refusals)."""
    gettext = reader_gettext(request, principal)
    return JSONResponse({"detail": str(said), "message": said.say(gettext)}, status_code=status)


def _tz(engine: Engine, point_id: int, default: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(s.points.c.tz).where(s.points.c.id == point_id)).scalar() or default


def _out(order: dict, tz: str) -> dict:
    out = {k: order[k] for k in ("id", "point_id", "kind", "state", "alarm_id", "assignee", "created_by", "photos",
                                 "readings", "checklist", "note")}
    for k in ("created_at", "fault_start", "deadline", "report_deadline", *store.STAMPS):
        out[k] = iso(order[k], tz)
    out["actions"] = [a for a, moves in ACTIONS.items() if order["state"] in moves]
    return out


def _visible_order(engine: Engine, order_id: int, principal: Principal) -> dict | None:
    try:
        order = store.get_order(engine, order_id)
    except store.OrderNotFound:
        return None
    return order if principal.sees_point(order["point_id"]) else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _client_time(value: str | None, tz: str, now: datetime) -> datetime:
    if value is None:
        return now
    at = parse_time(value, tz, "at")
    if at > now + FUTURE_SLACK:
        raise store.OrderRefused(N_("The time %(at)s is in the future."), at=at)
    return at


@router.get("/work-orders", summary="Work orders of the points in the caller's scope, newest first")
def list_orders(request: Request, state: list[str] | None = Query(None), point_id: int | None = None,
                engine: Engine = Depends(get_engine), principal: Principal = Depends(requires("marks.read"))):
    rows = store.list_orders(engine, point_clause=principal.point_clause(wo.c.point_id), states=state,
                             point_ids=[point_id] if point_id else None)
    default = _settings(request).timezone
    return {"items": [_out(r, _tz(engine, r["point_id"], default)) for r in rows]}


@router.post("/work-orders", status_code=201, summary="Create a work order, planned or answering an alarm")
def create_order(body: OrderIn, request: Request, engine: Engine = Depends(get_engine),
                 principal: Principal = Depends(requires("marks.file"))):
    st = _settings(request)
    if body.point_id is not None:
        point_or_404(principal, body.point_id)
    if body.alarm_id is not None:
        try:
            alarm = alarm_store.get_alarm(engine, body.alarm_id)
        except alarm_store.AlarmNotFound:
            alarm = None
        if alarm is None or not alarm_visible(principal, alarm):
            return _refuse(request, 404, store.OrderNotFound(N_("no alarm with id %(id)s"), id=body.alarm_id),
                           principal)
    now = _now()
    try:
        tz = _tz(engine, body.point_id, st.timezone) if body.point_id else st.timezone
        deadline = parse_time(body.deadline, tz, "deadline") if body.deadline else None
        order = store.create_order(engine, kind=body.kind, at=now, actor=principal.username,
                                   settings=st.deadlines, zone=ZoneInfo(st.timezone), point_id=body.point_id,
                                   alarm_id=body.alarm_id, deadline=deadline, assignee=body.assignee, note=body.note)
    except store.OrderNotFound as e:
        return _refuse(request, 404, e, principal)
    except (store.OrderRefused, TransitionRefused) as e:
        return _refuse(request, 422, e, principal)
    if not principal.sees_point(order["point_id"]):   # an alarm seen through its enterprise, of an unseen point
        return _refuse(request, 404, store.OrderNotFound(N_("no alarm with id %(id)s"), id=body.alarm_id), principal)
    return _out(order, _tz(engine, order["point_id"], st.timezone))


@router.get("/work-orders/{order_id}", summary="One work order with the audit of its transitions")
def get_order(order_id: int, request: Request, engine: Engine = Depends(get_engine),
              principal: Principal = Depends(requires("marks.read"))):
    order = _visible_order(engine, order_id, principal)
    if order is None:
        return _refuse(request, 404, store.OrderNotFound(N_("no work order with id %(id)s"), id=order_id), principal)
    tz = _tz(engine, order["point_id"], _settings(request).timezone)
    events = [{"at": iso(e["at"], tz), "actor": e["actor"], "action": e["action"], "from": e["from_state"],
               "to": e["to_state"], "note": e["note"]} for e in store.order_events(engine, order_id)]
    return {**_out(order, tz), "events": events}


@router.post("/work-orders/{order_id}/{action}", summary="Move a work order: assign, accept, arrive, finish, "
             "approve, reject, reopen, cancel")
def act(order_id: int, action: str, body: ActionIn, request: Request, engine: Engine = Depends(get_engine),
        principal: Principal = Depends(requires("marks.read"))):
    if action not in ACTIONS:
        return _refuse(request, 404, Said(N_("%(value)s is not a work-order action."), value=action), principal)
    needed = "marks.review" if action in REVIEW_ACTIONS else "marks.file"
    need(principal, needed)   # 401 / 403 like any route needing the action
    order = _visible_order(engine, order_id, principal)
    if order is None:
        return _refuse(request, 404, store.OrderNotFound(N_("no work order with id %(id)s"), id=order_id), principal)
    tz = _tz(engine, order["point_id"], _settings(request).timezone)
    try:
        at = _client_time(body.at, tz, _now())
        after = store.transition(engine, order_id, action, at, principal.username, assignee=body.assignee,
                                 note=body.note, record=body.model_dump(include={"photos", "readings", "checklist"}))
    except TransitionRefused as e:
        return _refuse(request, 409, e, principal)
    except store.OrderRefused as e:
        return _refuse(request, 422, e, principal)
    return _out(after, tz)


# ------------------------------------------------------------------------------------------- door controllers

def _door_refused(request: Request, status: int, counter: str, said: Said, door_id: str | None) -> JSONResponse:
    counters.inc(counter)
    log.warning("door event refused (%s) from controller %r at %s: %s", counter, door_id,
                request.client.host if request.client else "?", said)
    return _refuse(request, status, said)


@router.post("/doors/events", status_code=201, summary="A station-room door controller pushes one open/close event")
async def door_event(request: Request, engine: Engine = Depends(get_engine)):
    door_id = request.headers.get("x-door-id")
    secret = request.headers.get("x-door-secret")
    if not door_id or not secret:
        return _door_refused(request, 401, "om_door_unauthenticated",
                             Said(N_("A door controller sends its id and secret (X-Door-Id, X-Door-Secret).")),
                             door_id)
    with engine.connect() as conn:
        room = door_store.authenticate(conn, door_id, secret)
    if room is None:
        return _door_refused(request, 401, "om_door_unauthenticated",
                             Said(N_("Unknown door controller or wrong secret.")), door_id)
    now = _now()
    try:
        event, at = parse_door_event(await request.body(), now, FUTURE_SLACK)
    except Malformed as e:
        return _door_refused(request, 422, "om_door_malformed", e, door_id)
    stored = door_store.store_event(engine, room["id"], at, event, "http", now)
    st = _settings(request)
    findings = door_store.check_room(engine, room["id"], now, window=timedelta(hours=st.door_window_hours),
                                     settings=st.consistency, zone=ZoneInfo(st.timezone))
    return JSONResponse({"stored": stored, "room": room["code"], "unexplained_openings": len(findings)},
                        status_code=201 if stored else 200)


# ------------------------------------------------------------------------------------------- calibrations

def _checks_refused(request: Request, e: Said, principal: Principal) -> JSONResponse:
    counters.inc("om_calibration_refused")
    log.warning("calibration records refused from %s: %s", principal.username, e)
    return _refuse(request, 422, e, principal)


@router.post("/calibrations", status_code=201, summary="File zero/span check records (all or none)")
def file_checks(body: list[CheckJson], request: Request, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("marks.file"))):
    st = _settings(request)
    checks = []
    try:
        for c in body:
            point_or_404(principal, c.point_id)
            at = parse_time(c.time, _tz(engine, c.point_id, st.timezone), "time")
            checks.append(cal_store.CheckIn(c.point_id, c.factor, at, c.kind, c.result, c.drift_pct, c.analyser,
                                            c.reading, c.reference))
        return cal_store.record_checks(engine, checks, source="api", actor=principal.username,
                                       settings=st.calibration, now=_now())
    except cal_store.CalibrationRefused as e:
        return _checks_refused(request, e, principal)


@router.post("/calibrations/csv", status_code=201, summary="Import zero/span checks from a CSV body (all or none)")
async def import_checks(request: Request, engine: Engine = Depends(get_engine),
                        principal: Principal = Depends(requires("marks.file"))):
    st = _settings(request)
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return _checks_refused(request, cal_store.CalibrationRefused(N_("the CSV is not UTF-8 text")), principal)

    def parse_and_record() -> dict:   # the database (and the recomputation the filing causes) off the event loop
        with engine.connect() as conn:
            checks = cal_store.parse_csv(conn, text, st.timezone)
        for c in checks:
            point_or_404(principal, c.point_id)
        return cal_store.record_checks(engine, checks, source="csv", actor=principal.username,
                                       settings=st.calibration, now=_now())

    try:
        return await asyncio.to_thread(parse_and_record)
    except cal_store.CalibrationRefused as e:
        return _checks_refused(request, e, principal)


@router.get("/points/{point_id}/invalid-periods", summary="Out-of-control periods of a factor (data invalid)")
def invalid_periods(point_id: int, factor: str, request: Request, start: str | None = None, end: str | None = None,
                    engine: Engine = Depends(get_engine), principal: Principal = Depends(requires("data.read"))):
    point_or_404(principal, point_id)
    st = _settings(request)
    tz = _tz(engine, point_id, st.timezone)
    now = _now()
    t0 = parse_time(start, tz, "start") or datetime(2000, 1, 1, tzinfo=timezone.utc)
    t1 = parse_time(end, tz, "end") or now
    with engine.connect() as conn:
        periods = cal_store.invalid_periods(conn, point_id, factor, t0, t1, now, st.calibration)
    return {"point_id": point_id, "factor": factor,
            "periods": [{"start": iso(a, tz), "end": iso(b, tz), "open": b >= now} for a, b in periods]}
