"""Alarms: list and detail, acknowledge / assign / comment / clear / link, alarm types, subscriptions.

**Who and what.** The acting user is the authenticated principal. Reading alarms needs ``alarms.read``
(not the public); acknowledge, assign and clear ``alarms.act`` (regulator, admin); comments and links
``alarms.comment``. An alarm belongs to its point, else its enterprise, else its region
(:func:`ecosentry.auth.guards.alarm_clause`); outside the scope it answers 404 like an unknown alarm, and
lists never hold it. **Subscriptions:** a user manages only their own (an admin every one), and subscribes
only to regions inside their scope (403 otherwise; region-wide subscriptions are therefore for regulators
and admins: routing by region would show an enterprise other enterprises' alarms).

Times are ISO 8601 in UTC in answers; a query time without an offset is UTC. Refusals answer with a
sentence: 404 unknown alarm or subscription, 409 the alarm's state does not allow it (acknowledging a
cleared alarm, a duplicate link), 422 a bad value (unknown state, empty reason, unknown region …).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.alarms import store
from ecosentry.alarms import subscriptions as subs
from ecosentry.alarms.catalogue import ALARM_TYPES, ORIGINATOR_KINDS
from ecosentry.catalogue import is_installed_code
from ecosentry.alarms.links import link_target_visible
from ecosentry.alarms.store import AlarmConflict, AlarmError, AlarmNotFound
from ecosentry.alarms.voice import load_voice, reader_language
from ecosentry.alarms.wording import alarm_explanation, alarm_title, type_name
from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.api.timefmt import parse_time
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import alarm_clause, alarm_or_404
from ecosentry.auth.principal import Principal
from ecosentry.locale import LOCALES, accept_languages
from ecosentry.said import N_, Said
from ecosentry.store.audit import jsonable

router = APIRouter(prefix="/api/v1", tags=["alarms"])

Severity = Literal["info", "warning", "critical"]

#: The routes' own refusals (msgids: said in the reader's language, :mod:`ecosentry.web.errors`).
NO_LINK_TARGET = N_("no %(kind)s with id %(id)s")
REGION_OUTSIDE = N_("region %(region)s is outside your scope; subscribe to a region you supervise")
OWN_SUBSCRIPTIONS_ONLY = N_("you may manage only your own subscriptions")
NOT_NULL = N_("%(field)s cannot be null")


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
    user_id: int | None = Field(None, description="the subscriber; default yourself (only an admin names another)")
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
        raise HTTPException(404, e) from None
    except AlarmConflict as e:
        raise HTTPException(409, e) from None
    except AlarmError as e:
        raise HTTPException(422, e) from None


def _detail(engine: Engine, alarm_id: int) -> dict:
    return jsonable(_call(store.alarm_detail, engine, alarm_id))


def _reader(request: Request, principal: Principal) -> str:
    """The language of the ``text`` fields: ``?lang=``, ``Accept-Language``, the user's locale, the default."""
    st = getattr(request.app.state, "settings", None)
    accept = accept_languages(request.headers.get("accept-language", ""))
    for candidate in (request.query_params.get("lang"), *accept, principal.locale):
        if candidate in LOCALES:
            return candidate
    return reader_language(None, getattr(st, "default_locale", "zh"))


def _with_text(request: Request, engine: Engine, principal: Principal, alarms: list[dict]) -> list[dict]:
    """Each alarm with ``text``: title, explanation and type name said in the reader's language with names
    and local times (the stored ``title``/``explanation`` stay the engine's English, for machines)."""
    lang = _reader(request, principal)
    tz = getattr(getattr(request.app.state, "settings", None), "default_tz", "Asia/Shanghai")
    out = []
    with engine.connect() as conn:
        for alarm in alarms:
            voice = load_voice(conn, alarm, lang, tz)
            explanation = alarm_explanation(alarm, voice.names, voice.gettext, voice.when, voice.num)
            out.append({**alarm, "text": {
                "lang": lang, "title": alarm_title(alarm, voice.names, voice.gettext),
                "explanation": explanation if explanation is not None else alarm.get("explanation"),
                "type_name": type_name(str(alarm.get("type")), voice.gettext)}})
    return out


def _visible(engine: Engine, alarm_id: int, principal: Principal) -> dict:
    """The alarm; 404 when unknown or outside the principal's scope."""
    alarm = _call(store.get_alarm, engine, alarm_id)
    alarm_or_404(principal, alarm)
    return alarm


# --------------------------------------------------------------------------- alarm types

@router.get("/alarm-types", summary="The alarm type catalogue and the originator kinds")
def list_alarm_types():
    return {"items": [{"code": t.code, "severity": t.severity, "summary": t.summary, "source": t.source,
                       "originators": list(t.originators)}
                      for t in sorted(ALARM_TYPES.values(), key=lambda t: t.code) if is_installed_code(t.code)],
            "originator_kinds": dict(sorted(ORIGINATOR_KINDS.items()))}


# --------------------------------------------------------------------------- alarms

@router.get("/alarms", summary="Alarms, newest first, with filters and paging")
def list_alarms(request: Request,
                state: list[str] | None = Query(None, description="active | acknowledged | cleared (repeatable)"),
                type: list[str] | None = Query(None, description="ALM code (repeatable)"),
                severity: list[str] | None = Query(None, description="info | warning | critical (repeatable)"),
                region: str | None = Query(None, description="region code: that region and everything below"),
                point_id: int | None = None, enterprise_id: int | None = None,
                since: str | None = Query(None, description="last occurrence at or after (ISO 8601)"),
                p: Page = Depends(paging), engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("alarms.read"))):
    items, total = _call(store.list_alarms, engine, states=state, types=type, severities=severity,
                         region_code=region, point_id=point_id, enterprise_id=enterprise_id,
                         since=parse_time(since, "UTC", "since"), where=[alarm_clause(principal)],
                         offset=p.offset, limit=p.page_size)
    return paged(jsonable(_with_text(request, engine, principal, items)), total, p)


@router.get("/alarms/{alarm_id}", summary="One alarm with its events, links and deliveries")
def get_alarm(request: Request, alarm_id: int, engine: Engine = Depends(get_engine),
              principal: Principal = Depends(requires("alarms.read"))):
    _visible(engine, alarm_id, principal)
    detail = _call(store.alarm_detail, engine, alarm_id)
    return jsonable(_with_text(request, engine, principal, [detail])[0])


@router.post("/alarms/{alarm_id}/ack", summary="Acknowledge an active alarm (stops escalation and repeats)")
def acknowledge(alarm_id: int, body: AckIn | None = None, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("alarms.act"))):
    _visible(engine, alarm_id, principal)
    _call(store.acknowledge, engine, alarm_id, principal.username, body.comment if body else None)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/assign", summary="Set or remove the person responsible")
def assign(alarm_id: int, body: AssignIn, engine: Engine = Depends(get_engine),
           principal: Principal = Depends(requires("alarms.act"))):
    _visible(engine, alarm_id, principal)
    _call(store.assign, engine, alarm_id, body.assignee, principal.username)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/comments", status_code=201, summary="Add a comment")
def add_comment(alarm_id: int, body: CommentIn, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("alarms.comment"))):
    _visible(engine, alarm_id, principal)
    _alarm, event_id = _call(store.add_comment, engine, alarm_id, body.text, principal.username)
    detail = _detail(engine, alarm_id)
    return next(e for e in detail["events"] if e["id"] == event_id)


@router.post("/alarms/{alarm_id}/clear", summary="Clear an alarm by hand, with a reason")
def clear(alarm_id: int, body: ClearIn, engine: Engine = Depends(get_engine),
          principal: Principal = Depends(requires("alarms.act"))):
    _visible(engine, alarm_id, principal)
    _call(store.clear, engine, alarm_id, body.reason, principal.username)
    return _detail(engine, alarm_id)


@router.post("/alarms/{alarm_id}/links", status_code=201, summary="Link the alarm to a mark or a work order")
def add_link(alarm_id: int, body: LinkIn, engine: Engine = Depends(get_engine),
             principal: Principal = Depends(requires("alarms.comment"))):
    _visible(engine, alarm_id, principal)
    # a target outside the scope is as unknown as a missing one; kinds no installed subsystem checks (a work
    # order before the O&M subsystem) are kept as given
    if not link_target_visible(engine, principal, body.kind, body.target_id.strip(), unchecked=True):
        raise HTTPException(422, Said(NO_LINK_TARGET, kind=body.kind, id=body.target_id.strip()))
    return jsonable(_call(store.add_link, engine, alarm_id, body.kind, body.target_id, principal.username))


# --------------------------------------------------------------------------- subscriptions

def _own_subscription(engine: Engine, sub_id: int, principal: Principal) -> dict:
    """The subscription; 404 when unknown or another user's (an admin sees every one)."""
    sub = _call(subs.get_subscription, engine, sub_id)
    if principal.role != "admin" and sub["user_id"] != principal.user_id:
        raise HTTPException(404, Said(subs.NO_SUBSCRIPTION, id=sub_id))
    return sub


def _region_in_scope(principal: Principal, region_code: str) -> None:
    if not principal.sees_region(region_code):
        raise HTTPException(403, Said(REGION_OUTSIDE, region=region_code))


@router.get("/alarm-subscriptions", summary="Alarm subscriptions (your own; an admin: everyone's)")
def list_subscriptions(user_id: int | None = None, region: str | None = None, active: bool | None = None,
                       engine: Engine = Depends(get_engine),
                       principal: Principal = Depends(requires("subscriptions.manage"))):
    if principal.role != "admin":
        if user_id is not None and user_id != principal.user_id:
            return {"items": []}
        user_id = principal.user_id
    return {"items": jsonable(subs.list_subscriptions(engine, user_id=user_id, region_code=region, active=active))}


@router.post("/alarm-subscriptions", status_code=201, summary="Subscribe a user to a region's alarms")
def create_subscription(body: SubscriptionIn, engine: Engine = Depends(get_engine),
                        principal: Principal = Depends(requires("subscriptions.manage"))):
    values = body.model_dump()
    if values["user_id"] is None:
        values["user_id"] = principal.user_id
    if principal.role != "admin" and values["user_id"] != principal.user_id:
        raise HTTPException(403, Said(OWN_SUBSCRIPTIONS_ONLY))
    _region_in_scope(principal, body.region_code)
    return jsonable(_call(subs.create_subscription, engine, **values, actor=principal.username))


@router.get("/alarm-subscriptions/{sub_id}", summary="One subscription")
def get_subscription(sub_id: int, engine: Engine = Depends(get_engine),
                     principal: Principal = Depends(requires("subscriptions.manage"))):
    return jsonable(_own_subscription(engine, sub_id, principal))


@router.patch("/alarm-subscriptions/{sub_id}", summary="Change a subscription")
def update_subscription(sub_id: int, body: SubscriptionPatch, engine: Engine = Depends(get_engine),
                        principal: Principal = Depends(requires("subscriptions.manage"))):
    _own_subscription(engine, sub_id, principal)
    changes = body.model_dump(exclude_unset=True)
    for key in ("channel", "address", "region_code", "min_severity", "active"):
        if key in changes and changes[key] is None:
            raise HTTPException(422, Said(NOT_NULL, field=key))
    if "region_code" in changes:
        _region_in_scope(principal, changes["region_code"])
    return jsonable(_call(subs.update_subscription, engine, sub_id, changes, principal.username))


@router.delete("/alarm-subscriptions/{sub_id}", summary="Delete a subscription (the audit log keeps it)")
def delete_subscription(sub_id: int, engine: Engine = Depends(get_engine),
                        principal: Principal = Depends(requires("subscriptions.manage"))):
    _own_subscription(engine, sub_id, principal)
    return jsonable(_call(subs.delete_subscription, engine, sub_id, principal.username))
