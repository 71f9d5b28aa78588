"""Marks (标记): filing, evidence upload/download, review, closing, soft deletion.

**Who.** The acting user is the authenticated principal (session or API key), recorded in the mark and the
audit log. Reading marks needs ``marks.read`` (not the public); filing, closing, deleting, evidence upload
and manual values ``marks.file`` (enterprise, O&M, admin); review ``marks.review`` (regulator, admin). A
mark belongs to its point: outside the principal's scope it answers 404 like an unknown mark.

Times: ISO 8601; a time without an offset is local time of the point's time zone. Answers give times with
the point's offset. Refused operations (unknown type, end before start, factor not at the point, empty
evidence, reviewing twice …) answer 422 with the reason; unknown points, marks or evidence files 404.
The audit log is served by :mod:`ecosentry.api.routes.audit`.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.api.timefmt import iso, parse_time, time_range_refused
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import point_or_404
from ecosentry.auth.principal import Principal
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.period_changes import recompute_for_mark
from ecosentry.subsystems.monitoring.store import marks as store
from ecosentry.subsystems.monitoring.store.marks import MarkError, MarkNotFound

router = APIRouter(prefix="/api/v1", tags=["marks"])

class MarkIn(BaseModel):
    type: str = Field(..., description="maintenance | calibration | fault | comm_interruption | stopped | "
                                       "startup_shutdown | standard_sample_check | force_majeure | non_attributable")
    start: str = Field(..., description="ISO 8601; without offset = the point's local time")
    end: str | None = Field(None, description="ISO 8601; omitted = open mark")
    factor_codes: list[str] | None = Field(None, description="HJ 212 codes; omitted or empty = every factor")
    family: str | None = Field(None, description="national mark family; default from the type")
    sub_type: str | None = Field(None, max_length=60)
    reason: str | None = None
    majeure_type: int | None = Field(None, description="1 force majeure, 2 long-term shutdown, 3 other")


class ReviewIn(BaseModel):
    decision: Literal["approved", "rejected"]
    comment: str | None = None


class ManualValueIn(BaseModel):
    factor_code: str
    sampled_at: str = Field(..., description="ISO 8601; without offset = the point's local time")
    value: float
    zs_value: float | None = None
    unit: str | None = None
    method: str | None = None
    instrument: str | None = None
    monitor_type: int | None = Field(None, description="1 self-monitoring, 2 enforcement monitoring")


class CloseIn(BaseModel):
    end: str = Field(..., description="ISO 8601; without offset = the point's local time")


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except MarkNotFound as e:  # a Said: said in the reader's language (ecosentry.web.errors)
        raise HTTPException(404, e) from None
    except MarkError as e:
        raise HTTPException(422, e) from None


def _out(mark: dict, tz: str) -> dict:
    return {
        "id": mark["id"], "point_id": mark["point_id"], "factor_codes": mark["factor_codes"],
        "family": mark["family"], "type": mark["type"], "sub_type": mark["sub_type"],
        "start": iso(mark["start"], tz), "end": iso(mark["end"], tz), "open": mark["end"] is None,
        "source": mark["source"], "status": mark["status"], "majeure_type": mark["majeure_type"],
        "reason": mark["reason"], "filed_by": mark["filed_by"], "filed_at": iso(mark["filed_at"], tz),
        "reviewed_by": mark["reviewed_by"], "reviewed_at": iso(mark["reviewed_at"], tz),
        "review_comment": mark["review_comment"], "deleted": mark["deleted_at"] is not None,
        "deleted_at": iso(mark["deleted_at"], tz), "tz": tz,
        "evidence": [_evidence_out(e, tz) for e in mark.get("evidence", [])],
    }


def _evidence_out(e: dict, tz: str) -> dict:
    return {"id": e["id"], "filename": e["filename"], "content_type": e["content_type"], "size": e["size"],
            "sha256": e["sha256"], "uploaded_by": e["uploaded_by"], "uploaded_at": iso(e["uploaded_at"], tz)}


def _mark_and_tz(engine: Engine, mark_id: int, principal: Principal) -> tuple[dict, str]:
    """The mark and its point's time zone; 404 when unknown or its point is outside the scope."""
    mark = _call(store.get_mark, engine, mark_id)
    if not principal.sees_point(mark["point_id"]):
        raise HTTPException(404, MarkNotFound("no mark with id %(id)s", id=mark_id))
    return mark, _call(store.point_tz, engine, mark["point_id"])


@router.post("/points/{point_id}/marks", status_code=201, summary="File a mark (标记) on a point")
def file_mark(point_id: int, body: MarkIn, request: Request, engine: Engine = Depends(get_engine),
              principal: Principal = Depends(requires("marks.file"))):
    point_or_404(principal, point_id)
    user = principal.username
    tz = _call(store.point_tz, engine, point_id)
    mark_id = _call(store.file_mark, engine, point_id=point_id, type=body.type,
                    start=parse_time(body.start, tz, "start"), end=parse_time(body.end, tz, "end"),
                    factor_codes=body.factor_codes, family=body.family, sub_type=body.sub_type, reason=body.reason,
                    majeure_type=body.majeure_type, filed_by=user)
    return _out(_recomputed(request, engine, _call(store.get_mark, engine, mark_id)), tz)


@router.get("/points/{point_id}/marks", summary="Marks of a point overlapping a time range")
def list_point_marks(point_id: int, start: str | None = None, end: str | None = None,
                     status: Literal["filed", "approved", "rejected"] | None = None,
                     include_deleted: bool = Query(False, description="also soft-deleted marks"),
                     engine: Engine = Depends(get_engine), principal: Principal = Depends(requires("marks.read"))):
    point_or_404(principal, point_id)
    tz = _call(store.point_tz, engine, point_id)
    t0, t1 = parse_time(start, tz, "start"), parse_time(end, tz, "end")
    if t0 is not None and t1 is not None and t0 >= t1:
        raise time_range_refused()
    items = _call(store.list_marks, engine, point_id=point_id, start=t0, end=t1, status=status,
                  include_deleted=include_deleted)
    return {"point_id": point_id, "tz": tz, "items": [_out(m, tz) for m in items]}


@router.get("/marks/{mark_id}", summary="One mark with its evidence files")
def get_mark(mark_id: int, engine: Engine = Depends(get_engine),
             principal: Principal = Depends(requires("marks.read"))):
    mark, tz = _mark_and_tz(engine, mark_id, principal)
    return _out(mark, tz)


@router.post("/marks/{mark_id}/evidence", status_code=201, summary="Upload an evidence file (凭证), multipart")
async def upload_evidence(mark_id: int, file: UploadFile = File(...), engine: Engine = Depends(get_engine),
                          principal: Principal = Depends(requires("marks.file"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    data = await file.read(store.MAX_EVIDENCE_BYTES + 1)
    meta = _call(store.attach_evidence, engine, mark_id, file.filename, file.content_type, data,
                 principal.username)
    return _evidence_out(meta, tz)


@router.get("/marks/{mark_id}/evidence/{evidence_id}", summary="Download an evidence file")
def download_evidence(mark_id: int, evidence_id: int, engine: Engine = Depends(get_engine),
                      principal: Principal = Depends(requires("marks.read"))):
    _mark_and_tz(engine, mark_id, principal)
    ev = _call(store.get_evidence, engine, mark_id, evidence_id)
    return Response(content=bytes(ev["data"]), media_type=ev["content_type"] or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(ev['filename'])}",
                             "X-Content-SHA256": ev["sha256"]})


@router.post("/marks/{mark_id}/review", summary="Approve or reject a filed mark")
def review_mark(mark_id: int, body: ReviewIn, request: Request, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("marks.review"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    return _out(_recomputed(request, engine, _call(store.review_mark, engine, mark_id, body.decision,
                                                   principal.username, body.comment)), tz)


@router.post("/marks/{mark_id}/close", summary="Set the end of an open mark")
def close_mark(mark_id: int, body: CloseIn, request: Request, engine: Engine = Depends(get_engine),
               principal: Principal = Depends(requires("marks.file"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    closed = _call(store.close_mark, engine, mark_id, parse_time(body.end, tz, "end"), principal.username)
    # the open mark covered everything up to now: recompute that whole span, not only the closed one
    _recomputed(request, engine, {**closed, "end": None})
    return _out(closed, tz)


@router.delete("/marks/{mark_id}", summary="Soft-delete a mark (kept for the audit trail)")
def delete_mark(mark_id: int, request: Request, engine: Engine = Depends(get_engine),
                principal: Principal = Depends(requires("marks.file"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    return _out(_recomputed(request, engine, _call(store.delete_mark, engine, mark_id, principal.username)), tz)


@router.post("/marks/{mark_id}/manual-values", status_code=201,
             summary="Record a manual monitoring value taken while the equipment was down (手工监测值)")
def add_manual_value(mark_id: int, body: ManualValueIn, engine: Engine = Depends(get_engine),
                     principal: Principal = Depends(requires("marks.file"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    row = _call(store.add_manual_value, engine, mark_id, factor_code=body.factor_code,
                sampled_at=parse_time(body.sampled_at, tz, "sampled_at"), value=body.value, zs_value=body.zs_value,
                unit=body.unit, method=body.method, instrument=body.instrument, monitor_type=body.monitor_type,
                actor=principal.username)
    return {**row, "sampled_at": iso(row["sampled_at"], tz)}


@router.get("/marks/{mark_id}/manual-values", summary="Manual monitoring values of a mark")
def list_manual_values(mark_id: int, engine: Engine = Depends(get_engine),
                       principal: Principal = Depends(requires("marks.read"))):
    _mark, tz = _mark_and_tz(engine, mark_id, principal)
    return {"mark_id": mark_id, "items": [{**r, "sampled_at": iso(r["sampled_at"], tz)}
                                          for r in _call(store.list_manual_values, engine, mark_id)]}


def _recomputed(request: Request, engine: Engine, mark: dict) -> dict:
    """Recompute the hours, days and months the mark touches (validity, rates and exceedance change)."""
    svc = getattr(request.app.state, "service", None)
    directory = svc.directory if svc is not None else PointDirectory(engine)
    recompute_for_mark(engine, directory, mark)
    return mark
