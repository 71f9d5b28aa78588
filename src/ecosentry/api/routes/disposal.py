"""The supervision (督办) of an alarm: read the case, take a step, download an evidence file.

**Who.** Reading needs ``alarms.read`` and the alarm in scope (404 otherwise, like an unknown alarm). Push,
check (accept or return) and close need ``alarms.supervise`` (regulator, admin); acknowledging (handle) and
the feedback need ``alarms.respond`` (the enterprise, admin). The rules of the steps are
:mod:`ecosentry.alarms.disposal`; the deadlines the settings section ``alarms.disposal``.

Refusals answer with a sentence: 404 unknown alarm or file, 403 the other party's step, 409 the step does not
fit the case's state, 422 a missing or over-long text, a bad file or deadline. Times are ISO 8601 UTC; a
deadline given without an offset is read in the deployment's zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.alarms import disposal_store, store
from ecosentry.alarms.disposal import (ROLE_PARTY, Deadlines, DisposalConflict, DisposalError, DisposalForbidden,
                                       next_action)
from ecosentry.alarms.store import AlarmNotFound
from ecosentry.api.deps import get_engine
from ecosentry.api.timefmt import parse_time
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import alarm_or_404
from ecosentry.auth.principal import Principal
from ecosentry.store.audit import jsonable

router = APIRouter(prefix="/api/v1", tags=["alarm supervision"])


class PushIn(BaseModel):
    request: str = Field(..., description="what the enterprise must do (督办要求)")
    feedback_due: str | None = Field(None, description="feedback deadline, ISO 8601 (default by severity)")


class CommentIn(BaseModel):
    comment: str | None = None


class VerifyIn(BaseModel):
    decision: Literal["accept", "return"]
    reason: str | None = Field(None, description="required to return the feedback; a comment when accepting")


class CloseIn(BaseModel):
    summary: str = Field(..., description="the conclusion of the case (结案意见)")


def deadlines_of(request: Request) -> Deadlines:
    """The deadlines of the deployment's settings (the defaults without settings)."""
    st = getattr(request.app.state, "settings", None)
    return Deadlines.from_settings(st) if st is not None else Deadlines()


def max_file_bytes(request: Request) -> int:
    st = getattr(request.app.state, "settings", None)
    return int((st.alarms.disposal.evidence_max_mb if st is not None else 20.0) * 1_000_000)


def _visible(engine: Engine, alarm_id: int, principal: Principal) -> dict:
    try:
        alarm = store.get_alarm(engine, alarm_id)
    except AlarmNotFound as e:
        raise HTTPException(404, e) from None
    alarm_or_404(principal, alarm)
    return alarm


def _file_url(alarm_id: int, file_id: int) -> str:
    return f"/api/v1/alarms/{alarm_id}/disposal/files/{file_id}"


def case_out(alarm_id: int, case: dict | None, principal: Principal) -> dict:
    """The case as the API answers it: the case (or ``null``), each file with its download URL, and what the
    viewer should know next (``next``: the party owing, the step, the deadline, overdue, yours)."""
    nxt = next_action(case, ROLE_PARTY.get(principal.role, ()), datetime.now(timezone.utc))
    if case is not None:
        case = {**case, "steps": [{**x, "files": [{**f, "url": _file_url(alarm_id, f["id"])} for f in x["files"]]}
                                  for x in case["steps"]]}
    return jsonable({"alarm_id": alarm_id, "disposal": case,
                     "next": None if nxt is None else {"party": nxt.party, "step": nxt.step, "due_at": nxt.due_at,
                                                       "overdue": nxt.overdue, "yours": nxt.yours}})


def _step(request: Request, engine: Engine, principal: Principal, alarm_id: int, step: str, **kw) -> dict:
    _visible(engine, alarm_id, principal)
    try:
        case = disposal_store.take_step(engine, alarm_id, step, actor=principal.username, role=principal.role,
                                        deadlines=deadlines_of(request), max_file_bytes=max_file_bytes(request), **kw)
    except AlarmNotFound as e:
        raise HTTPException(404, e) from None
    except DisposalForbidden as e:
        raise HTTPException(403, e) from None
    except DisposalConflict as e:
        raise HTTPException(409, e) from None
    except DisposalError as e:
        raise HTTPException(422, e) from None
    _broadcast(request, engine, alarm_id, step)
    return case_out(alarm_id, case, principal)


def _broadcast(request: Request, engine: Engine, alarm_id: int, step: str) -> None:
    """Open alarm pages learn the change (the service's live hub), city and county alike."""
    dispatcher = getattr(getattr(request.app.state, "service", None), "dispatcher", None)
    if dispatcher is not None:
        dispatcher.broadcast(store.get_alarm(engine, alarm_id), disposal_store.EVENT_OF_STEP[step])


@router.get("/alarms/{alarm_id}/disposal", summary="The supervision case of an alarm and what comes next")
def get_disposal(alarm_id: int, engine: Engine = Depends(get_engine),
                 principal: Principal = Depends(requires("alarms.read"))):
    _visible(engine, alarm_id, principal)
    return case_out(alarm_id, disposal_store.case(engine, alarm_id), principal)


@router.post("/alarms/{alarm_id}/disposal/push", status_code=201,
             summary="Push the alarm to its enterprise with a request and a feedback deadline (督办下发)")
def push(request: Request, alarm_id: int, body: PushIn, engine: Engine = Depends(get_engine),
         principal: Principal = Depends(requires("alarms.supervise"))):
    tz = getattr(getattr(request.app.state, "settings", None), "default_tz", "Asia/Shanghai")
    due = parse_time(body.feedback_due, tz, "feedback_due") if body.feedback_due else None
    return _step(request, engine, principal, alarm_id, "push", text=body.request, due=due)


@router.post("/alarms/{alarm_id}/disposal/handle", summary="The enterprise acknowledges the order (签收)")
def handle(request: Request, alarm_id: int, body: CommentIn | None = None, engine: Engine = Depends(get_engine),
           principal: Principal = Depends(requires("alarms.respond"))):
    return _step(request, engine, principal, alarm_id, "handle", text=body.comment if body else None)


@router.post("/alarms/{alarm_id}/disposal/feedback",
             summary="The enterprise answers: cause, measures taken, evidence files (multipart)")
async def feedback(request: Request, alarm_id: int, cause: str = Form(...), measures: str = Form(...),
                   comment: str | None = Form(None), files: list[UploadFile] = File(default=[]),
                   engine: Engine = Depends(get_engine),
                   principal: Principal = Depends(requires("alarms.respond"))):
    limit = max_file_bytes(request)
    got = [(f.filename, await f.read(limit + 1)) for f in files if f.filename]
    return _step(request, engine, principal, alarm_id, "feedback", text=comment, cause=cause, measures=measures,
                 files=got)


@router.post("/alarms/{alarm_id}/disposal/verify", summary="Check the feedback: accept, or return with a reason")
def verify(request: Request, alarm_id: int, body: VerifyIn, engine: Engine = Depends(get_engine),
           principal: Principal = Depends(requires("alarms.supervise"))):
    return _step(request, engine, principal, alarm_id, body.decision, text=body.reason)


@router.post("/alarms/{alarm_id}/disposal/close", summary="Close the verified case with a conclusion (结案)")
def close(request: Request, alarm_id: int, body: CloseIn, engine: Engine = Depends(get_engine),
          principal: Principal = Depends(requires("alarms.supervise"))):
    return _step(request, engine, principal, alarm_id, "close", text=body.summary)


@router.get("/alarms/{alarm_id}/disposal/files/{file_id}", summary="Download an evidence file of the case")
def download(alarm_id: int, file_id: int, engine: Engine = Depends(get_engine),
             principal: Principal = Depends(requires("alarms.read"))):
    _visible(engine, alarm_id, principal)
    try:
        f = disposal_store.evidence_file(engine, alarm_id, file_id)
    except AlarmNotFound as e:
        raise HTTPException(404, e) from None
    return Response(content=bytes(f["data"]), media_type=f["content_type"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f['filename'])}",
                             "X-Content-Type-Options": "nosniff", "X-Content-SHA256": f["sha256"],
                             "Content-Security-Policy": "sandbox"})
