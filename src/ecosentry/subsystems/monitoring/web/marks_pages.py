"""Mark pages: ``/marks`` (list), ``/marks/new`` (file a mark with evidence), ``/marks/{id}`` (review, close,
more evidence, downloads).

Enterprise and O&M accounts file marks on their points (``marks.file``); regulators approve or reject them
(``marks.review``). The rules are :mod:`ecosentry.subsystems.monitoring.store.marks` (life cycle, audit) and
:mod:`ecosentry.subsystems.monitoring.rules.cn.marks` (types, families, effects); after a change the hours the mark covers are
recomputed, as the API does.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, or_
from starlette.datastructures import UploadFile

from ecosentry.auth.principal import Principal
from ecosentry.said import Said
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.period_changes import recompute_for_mark
from ecosentry.subsystems.monitoring.rules.cn.marks import MARK_TYPES, TYPE_FAMILY
from ecosentry.subsystems.monitoring.store import marks as store
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import MAX_EVIDENCE_BYTES, MarkError, MarkNotFound
from ecosentry.web.forms import (FormError, check_csrf, denied_page, error_text, gate, local_time, not_found,
                                see_other, work_render)
from ecosentry.web.listing import ListQuery, search_clause
from ecosentry.subsystems.monitoring.queries import marks as queries
from ecosentry.subsystems.monitoring.queries.series import point_factor_names
from ecosentry.web.views.work_scope import mark_clause, visible_points

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: Mark types in the order the form offers them (the usual ones first).
TYPE_ORDER = ("maintenance", "calibration", "fault", "stopped", "startup_shutdown", "standard_sample_check",
              "comm_interruption", "force_majeure", "non_attributable")
assert set(TYPE_ORDER) == set(MARK_TYPES), "every mark type of the rules must be offered"
#: Chinese names of the mark types (标记规则), shown beside the translated name.
TYPE_NAMES_ZH = {
    "maintenance": "日常维护", "calibration": "校准", "fault": "故障", "comm_interruption": "通讯中断",
    "stopped": "停运", "startup_shutdown": "启停炉", "standard_sample_check": "标样核查",
    "force_majeure": "不可抗力", "non_attributable": "非排污单位责任",
}
STATUS_CHOICES = ("", "filed", "approved", "rejected")
SOURCE_CHOICES = ("", "manual", "auto")


def _gate_reader(request: Request):
    principal, denied = gate(request, "data.read")
    if denied is None and principal.role == "public":
        denied = denied_page(request, "Marks are shown to logged-in regulators, enterprises and contractors.")
    return principal, denied


def _visible_mark(engine: Engine, principal: Principal, mark_id: int) -> dict | None:
    """The mark (with evidence metadata) when its point is in scope, else ``None``."""
    try:
        mark = store.get_mark(engine, mark_id)
    except MarkNotFound:
        return None
    return mark if principal.sees_point(mark["point_id"]) else None


def _points_by_id(engine: Engine, principal: Principal) -> dict[int, dict]:
    with engine.connect() as conn:
        return {p["id"]: p for p in visible_points(conn, principal)}


def _recompute(request: Request, mark: dict) -> None:
    """Recompute the hours, days and months the mark touches (validity, rates, exceedance change)."""
    engine = request.app.state.engine
    service = getattr(request.app.state, "service", None)
    directory = getattr(service, "directory", None) or PointDirectory(engine)
    recompute_for_mark(engine, directory, mark)


# --------------------------------------------------------------------------- list

#: Sortable columns of the mark list (keys of :data:`ecosentry.subsystems.monitoring.queries.marks.MARK_SORTS`).
MARK_SORTS = tuple(queries.MARK_SORTS)

@router.get("/marks", response_class=HTMLResponse)
def marks_page(request: Request):
    principal, denied = _gate_reader(request)
    if denied:
        return denied
    engine = request.app.state.engine
    lq = ListQuery.from_request(request, sorts=MARK_SORTS, default_sort="filed", default_desc=True,
                                filters=("status", "source", "point"), per_page=PAGE_SIZE)
    status, source, point = lq.filters["status"], lq.filters["source"], lq.filters["point"]
    page = lq.page
    points = _points_by_id(engine, principal)
    m = s.marks
    conds = [mark_clause(principal), m.c.deleted_at.is_(None)]
    if lq.q:  # the reason, or the name of the point or its enterprise
        matching = [pid for pid, p in points.items()
                    if lq.q.casefold() in f"{p['enterprise_name']} {p['name']} {p['mn']}".casefold()]
        conds.append(or_(search_clause(lq.q, m.c.reason), m.c.point_id.in_(matching)))
    error = None
    if status not in STATUS_CHOICES or source not in SOURCE_CHOICES:
        error = "Unknown status or source in the filter."
    elif point and (not point.isdigit() or int(point) not in points):
        error = f"Point {point} is not one of your points."
    else:
        if status:
            conds.append(m.c.status == status)
        if source:
            conds.append(m.c.source == source)
        if point:
            conds.append(m.c.point_id == int(point))
    marks, total = [], 0
    if error is None:
        with engine.connect() as conn:
            ids, total = queries.mark_ids_page(conn, conds, sort=lq.sort, desc=lq.desc, offset=lq.offset,
                                               limit=PAGE_SIZE)
        marks = [store.get_mark(engine, i) for i in ids]
    filters = {"status": status, "source": source, "point": point}
    query = urlencode({k: v for k, v in filters.items() if v})
    return work_render(request, "marks.html", {
        "marks": marks, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "points": points,
        "f": filters, "query": query, "status_choices": STATUS_CHOICES, "source_choices": SOURCE_CHOICES,
        "type_names_zh": TYPE_NAMES_ZH, "error": error, "lq": lq}, status_code=422 if error else 200)


# --------------------------------------------------------------------------- file a mark

def _factors_of(engine: Engine, point_id: int) -> list[dict]:
    with engine.connect() as conn:
        return point_factor_names(conn, point_id)


def _new_context(engine: Engine, principal: Principal, values: dict) -> dict:
    points = _points_by_id(engine, principal)
    chosen = values.get("point_id") or ""
    point = points.get(int(chosen)) if chosen.isdigit() else (next(iter(points.values())) if len(points) == 1 else None)
    return {"points": list(points.values()), "point": point,
            "factors": _factors_of(engine, point["id"]) if point else [], "types": TYPE_ORDER,
            "type_names_zh": TYPE_NAMES_ZH, "families": TYPE_FAMILY, "v": values,
            "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024)}


@router.get("/marks/new", response_class=HTMLResponse)
def new_mark_page(request: Request):
    principal, denied = gate(request, "marks.file")
    if denied:
        return denied
    engine = request.app.state.engine
    values = {"point_id": request.query_params.get("point") or ""}
    if values["point_id"] and (not values["point_id"].isdigit() or not principal.sees_point(int(values["point_id"]))):
        return not_found(request, Said("Point %(id)s is not one of your points.", id=values["point_id"]))
    return work_render(request, "mark_new.html", {**_new_context(engine, principal, values), "error": None,
                                                  "error_field": None})


def _tz_of(engine: Engine, point_id) -> str | None:
    """The point's time zone for the times of an error message (None: not a known point)."""
    try:
        return store.point_tz(engine, int(point_id))
    except (TypeError, ValueError):
        return None


async def _evidence_files(form) -> list[tuple[str, str | None, bytes]]:
    """The uploaded evidence files (name, content type, bytes); inputs left empty are skipped."""
    files = []
    for item in form.getlist("evidence"):
        if not isinstance(item, UploadFile) or not (item.filename or "").strip():
            continue
        data = await item.read(MAX_EVIDENCE_BYTES + 1)
        if not data:
            raise FormError("the evidence file %(name)s is empty", "evidence", name=item.filename)
        if len(data) > MAX_EVIDENCE_BYTES:
            raise FormError("the evidence file %(name)s is larger than %(mb)d MB", "evidence", name=item.filename,
                            mb=MAX_EVIDENCE_BYTES // (1024 * 1024))
        files.append((item.filename, item.content_type, data))
    return files


@router.post("/marks/new", response_class=HTMLResponse)
async def file_mark(request: Request):
    principal, denied = gate(request, "marks.file")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    values = {k: (form.get(k) or "").strip() for k in ("point_id", "type", "start", "end", "reason", "majeure_type",
                                                       "sub_type")}
    values["factor_codes"] = [str(c) for c in form.getlist("factor_codes")]
    try:
        pid = values["point_id"]
        if not pid.isdigit() or not principal.sees_point(int(pid)):
            raise FormError("choose one of your points", "point_id")
        tz = store.point_tz(engine, int(pid))
        if values["type"] not in MARK_TYPES:
            raise FormError("choose a mark type", "type")
        start = local_time(values["start"], tz, "start")
        if start is None:
            raise FormError("the start time is required", "start")
        end = local_time(values["end"], tz, "end")
        majeure = values["majeure_type"]
        if majeure and majeure not in ("1", "2", "3"):
            raise FormError("choose a force-majeure type from the list", "majeure_type")
        files = await _evidence_files(form)
        mark_id = store.file_mark(engine, point_id=int(pid), type=values["type"], start=start, end=end,
                                  factor_codes=values["factor_codes"] or None, reason=values["reason"] or None,
                                  sub_type=values["sub_type"][:60] or None,
                                  majeure_type=int(majeure) if majeure else None, filed_by=principal.username)
    except (FormError, MarkError) as exc:
        field = getattr(exc, "field", None)
        tz = _tz_of(engine, values["point_id"])
        return work_render(request, "mark_new.html", {**_new_context(engine, principal, values),
                                                      "error": error_text(request, exc, tz), "error_field": field},
                           status_code=422)
    for name, ctype, data in files:
        store.attach_evidence(engine, mark_id, name, ctype, data, principal.username)
    _recompute(request, store.get_mark(engine, mark_id))
    return see_other(f"/marks/{mark_id}", done="filed")


# --------------------------------------------------------------------------- one mark

def _mark_context(engine: Engine, principal: Principal, mark: dict) -> dict:
    point = _points_by_id(engine, principal).get(mark["point_id"])
    with engine.connect() as conn:
        alarms = queries.alarms_linked_to_mark(conn, mark["id"])
    return {"m": mark, "point": point, "tz": point["tz"] if point else "Asia/Shanghai", "alarms": alarms,
            "type_names_zh": TYPE_NAMES_ZH, "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024)}


@router.get("/marks/{mark_id}", response_class=HTMLResponse)
def mark_page(request: Request, mark_id: int):
    principal, denied = _gate_reader(request)
    if denied:
        return denied
    engine = request.app.state.engine
    mark = _visible_mark(engine, principal, mark_id)
    if mark is None:
        return not_found(request, Said("There is no mark %(id)s on your points.", id=mark_id))
    return work_render(request, "mark.html", {**_mark_context(engine, principal, mark),
                                              "done": request.query_params.get("done"), "error": None})


@router.get("/marks/{mark_id}/evidence/{evidence_id}")
def download_evidence(request: Request, mark_id: int, evidence_id: int):
    principal, denied = _gate_reader(request)
    if denied:
        return denied
    engine = request.app.state.engine
    if _visible_mark(engine, principal, mark_id) is None:
        return not_found(request, Said("There is no mark %(id)s on your points.", id=mark_id))
    try:
        ev = store.get_evidence(engine, mark_id, evidence_id)
    except MarkNotFound as exc:
        return not_found(request, exc)
    return Response(bytes(ev["data"]), media_type=ev["content_type"] or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(ev['filename'])}",
                             "X-Content-SHA256": ev["sha256"]})


MARK_ACTIONS = {"review": "marks.review", "close": None, "evidence": "marks.file"}


@router.post("/marks/{mark_id}/{action}", response_class=HTMLResponse)
async def mark_action(request: Request, mark_id: int, action: str):
    """Review (regulator), close (filer or regulator) or add evidence (filer); then back to the mark."""
    if action not in MARK_ACTIONS:
        return not_found(request, Said("Unknown mark action %(action)r.", action=action))
    principal, denied = gate(request, MARK_ACTIONS[action])
    if denied:
        return denied
    if action == "close" and not (principal.may("marks.file") or principal.may("marks.review")):
        return denied_page(request, "Your account may not close marks.")
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    mark = _visible_mark(engine, principal, mark_id)
    if mark is None:
        return not_found(request, Said("There is no mark %(id)s on your points.", id=mark_id))
    try:
        if action == "review":
            changed = store.review_mark(engine, mark_id, (form.get("decision") or "").strip(), principal.username,
                                        (form.get("comment") or "").strip() or None)
            _recompute(request, changed)
        elif action == "close":
            tz = store.point_tz(engine, mark["point_id"])
            end = local_time(form.get("end"), tz, "end")
            if end is None:
                raise FormError("the end time is required to close the mark", "end")
            closed = store.close_mark(engine, mark_id, end, principal.username)
            _recompute(request, {**closed, "end": None})  # the open mark covered everything up to now
        else:
            files = await _evidence_files(form)
            if not files:
                raise FormError("choose at least one file", "evidence")
            for name, ctype, data in files:
                store.attach_evidence(engine, mark_id, name, ctype, data, principal.username)
    except (FormError, MarkError) as exc:
        mark = store.get_mark(engine, mark_id)
        return work_render(request, "mark.html", {**_mark_context(engine, principal, mark), "done": None,
                                                  "error": error_text(request, exc, _tz_of(engine, mark["point_id"]))},
                           status_code=422)
    return see_other(f"/marks/{mark_id}", done=action)
