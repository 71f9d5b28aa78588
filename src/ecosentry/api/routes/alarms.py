"""Alarms: list and detail, acknowledge / assign / comment / clear / link, alarm types, subscriptions.

**Actor (who did it).** As for marks, the acting user is taken **unchecked** from the header
``X-Ecosentry-User`` (default ``"anonymous"``) until authentication arrives; do not expose these routes
beyond a trusted network yet.

Times are ISO 8601 in UTC in answers; a query time without an offset is UTC. Refusals answer with a
sentence: 404 unknown alarm or subscription, 409 the alarm's state does not allow it (acknowledging a
cleared alarm, a duplicate link), 422 a bad value (unknown state, empty reason, unknown region …).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.alarms import store
from ecosentry.alarms import subscriptions as subs
from ecosentry.alarms.catalogue import ALARM_TYPES, ORIGINATOR_KINDS
from ecosentry.alarms.store import AlarmConflict, AlarmError, AlarmNotFound
from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.api.routes.marks import actor
from ecosentry.api.timefmt import parse_time
from ecosentry.store.audit import jsonable

router = APIRouter(prefix="/api/v1", tags=["alarms"])

Severity = Literal["info", "warning", "critical"]


class AckIn(BaseModel):
    comment: str | None = None


class AssignIn(BaseModel):
    assignee: str | None = Field(..., max_length=64, description="user name; null removes the assignee")


class CommentIn(BaseModel):
    text: str = Field(..., min_length=1)


class ClearIn(BaseModel):
    reason: str = Field(..., description="why the alarm is cleared by hand (required)")


class LinkIn(BaseModel):
    kind: Literal["mark", "work_order"]
    target_id: str = Field(..., min_length=1, max_length=64)


class SubscriptionIn(BaseModel):
    user_id: int
    channel: Literal["email", "webhook", "sms", "live"]
    address: str = Field(..., min_length=1, max_length=300, description="e-mail, URL, phone number or user name")
    region_code: str
    alarm_types: list[str] | None = Field(None, description="ALM codes; null = every type")
    min_severity: Severity = "info"
    active: bool = True


class SubscriptionPatch(BaseModel):
    channel: Literal["email", "webhook", "sms", "live"] | None = None
    address: str | None = Field(None, min_length=1, max_length=300)
    region_code: str | None = None
    alarm_types: list[str] | None = None
    min_severity: Severity | None = None
    active: bool | None = None


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except AlarmNotFound as e:
        raise HTTPException(404, str(e)) from None
    except AlarmConflict as e:
        raise HTTPException(409, str(e)) from None
    except AlarmError as e:
        raise HTTPException(422, str(e)) from None


def _detail(engine: Engine, alarm_id: int) -> dict:
    return jsonable(_call(store.alarm_detail, engine, alarm_id))


# --------------------------------------------------------------------------- alarm types

@router.get("/alarm-types", summary="The alarm type catalogue and the originator kinds")
def list_alarm_types():
    return {"items": [{"code": t.code, "severity": t.severity, "summary": t.summary, "source": t.source,
                       "originators": list(t.originators)} for t in sorted(ALARM_TYPES.values(), key=lambda t: t.code)],
            "originator_kinds": dict(sorted(ORIGINATOR_KINDS.items()))}


# --------------------------------------------------------------------------- alarms

@router.get("/alarms", summary="Alarms, newest first, with filters and paging")
def list_alarms(state: list[str] | None = Query(None, description="active | acknowledged | cleared (repeatable)"),
                type: list[str] | None = Query(None, description="ALM code (repeatable)"),
                severity: list[str] | None = Query(None, description="info | warning | critical (repeatable)"),
                region: str | None = Query(None, description="region code: that region and everything below"),
                point_id: int | None = None, enterprise_id: int | None = None,
                since: str | None = Query(None, description="last occurrence at or after (ISO 8601)"),
                p: Page = Depends(paging), engine: Engine = Depends(get_engine)):
    items, total = _call(store.list_alarms, engine, states=state, types=type, severities=severity,
                         region_code=region, point_id=point_id, enterprise_id=enterprise_id,
                         since=parse_time(since, "UTC", "since"), offset=p.offset, limit=p.page_size)
    return paged(jsonable(items), total, p)


@router.get("/alarms/{alarm_id}", summary="One alarm with its events, links and deliveries")
def get_alarm(alarm_id: int, engine: Engine = Depends(get_engine)):
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/ack", summary="Acknowledge an active alarm (stops escalation and repeats)")
def acknowledge(alarm_id: int, body: AckIn | None = None, engine: Engine = Depends(get_engine),
                user: str = Depends(actor)):
    _call(store.acknowledge, engine, alarm_id, user, body.comment if body else None)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/assign", summary="Set or remove the person responsible")
def assign(alarm_id: int, body: AssignIn, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    _call(store.assign, engine, alarm_id, body.assignee, user)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/comments", status_code=201, summary="Add a comment")
def add_comment(alarm_id: int, body: CommentIn, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    _alarm, event_id = _call(store.add_comment, engine, alarm_id, body.text, user)
    detail = _detail(engine, alarm_id)
    return next(e for e in detail["events"] if e["id"] == event_id)


@router.post("/alarms/{alarm_id}/clear", summary="Clear an alarm by hand, with a reason")
def clear(alarm_id: int, body: ClearIn, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    _call(store.clear, engine, alarm_id, body.reason, user)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/links", status_code=201, summary="Link the alarm to a mark or a work order")
def add_link(alarm_id: int, body: LinkIn, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    return jsonable(_call(store.add_link, engine, alarm_id, body.kind, body.target_id, user))


# --------------------------------------------------------------------------- subscriptions

@router.get("/alarm-subscriptions", summary="Alarm subscriptions")
def list_subscriptions(user_id: int | None = None, region: str | None = None, active: bool | None = None,
                       engine: Engine = Depends(get_engine)):
    return {"items": jsonable(subs.list_subscriptions(engine, user_id=user_id, region_code=region, active=active))}


@router.post("/alarm-subscriptions", status_code=201, summary="Subscribe a user to a region's alarms")
def create_subscription(body: SubscriptionIn, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    return jsonable(_call(subs.create_subscription, engine, **body.model_dump(), actor=user))


@router.get("/alarm-subscriptions/{sub_id}", summary="One subscription")
def get_subscription(sub_id: int, engine: Engine = Depends(get_engine)):
    return jsonable(_call(subs.get_subscription, engine, sub_id))


@router.patch("/alarm-subscriptions/{sub_id}", summary="Change a subscription")
def update_subscription(sub_id: int, body: SubscriptionPatch, engine: Engine = Depends(get_engine),
                        user: str = Depends(actor)):
    changes = body.model_dump(exclude_unset=True)
    for key in ("channel", "address", "region_code", "min_severity", "active"):
        if key in changes and changes[key] is None:
            raise HTTPException(422, f"{key} cannot be null")
    return jsonable(_call(subs.update_subscription, engine, sub_id, changes, user))


@router.delete("/alarm-subscriptions/{sub_id}", summary="Delete a subscription (the audit log keeps it)")
def delete_subscription(sub_id: int, engine: Engine = Depends(get_engine), user: str = Depends(actor)):
    return jsonable(_call(subs.delete_subscription, engine, sub_id, user))
