"""The work-order pages (issue 18 item 7): ``/om/orders``, the board of the orders in the reader's scope, in
columns by state (created, assigned, accepted, on site, done, reviewed or rejected) with filters (O&M
organisation, enterprise, kind, overdue), each order's deadline in local time and overdue ones marked; and
``/om/orders/{id}``, one order: its kind, point, source alarm, the audit trail of its transitions, photos,
readings and checklist, and the actions the reader may take as forms (the core's CSRF token). On the board, a
planned order (daily or weekly inspection, calibration, verification 校验, comparison 比对) is created for a point
in scope with ``POST /om/orders`` (form with the CSRF token; ``marks.file`` as the API's ``POST /work-orders``:
the O&M accounts, the enterprise, the administrator — a regulator reviews, it does not dispatch).

Writes go through :mod:`..store.workorders` (the state machine of :mod:`..rules.workorders`: a refused move is
said in the reader's language, nothing written) and :mod:`..store.photos` (photos taken on site:
``POST /om/orders/{id}/photos``, multipart, all or none). ``/om/orders/{id}/photos/{sha256}`` serves a photo of an
order the reader sees, and nothing else. The phone view of the O&M engineer (``/om/my``, :mod:`.phone`) posts to
the same routes with ``back=/om/my``.

Who: reading needs ``marks.read`` (not the public); the visit (assign, accept, arrive, finish, reopen, cancel) and
photos ``marks.file``; the review (approve, reject) ``marks.review`` — as the JSON API (:mod:`..api`). An order
outside the reader's scope answers 404 like an unknown one.
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ecosentry.alarms.voice import factor_names
from ecosentry.said import N_
from ecosentry.store import schema as s
from ecosentry.store.pictures import picture_type
from ecosentry.subsystems.om.queries import orders as q
from ecosentry.subsystems.om.rules.workorders import (ACTIONS, KIND_WORDS, KINDS, PLANNED_KINDS, STATE_WORDS,
                                                      TransitionRefused)
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.store import photos as photo_store
from ecosentry.subsystems.om.store import workorders as store
from ecosentry.subsystems.om.web.order_views import (CHECKLISTS, COLUMN_WORDS, detail_context, late_text, now,
                                                     om_settings, permission, phone_context, reader, visible_order)
from ecosentry.web.forms import FormError, check_csrf, error_text, local_time, not_found, see_other, work_render
from ecosentry.web.templating import page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _int(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise FormError(N_("%(value)s is not one of the choices."), field, value=value) from None


# --------------------------------------------------------------------------------------------- the board

@router.get("/om/orders")
def board(request: Request):
    principal, denied = reader(request)
    if denied:
        return denied
    return _board(request, principal)


def _board(request: Request, principal, *, new_error: str | None = None, new_form: dict | None = None,
           status_code: int = 200):
    ctx = page_context(request)
    _ = ctx["_"]
    qp = request.query_params
    error, flt = None, q.BoardFilter()
    try:
        kind = (qp.get("kind") or "").strip()
        if kind and kind not in KINDS:
            raise FormError(N_("%(value)s is not one of the choices."), "kind", value=kind)
        flt = q.BoardFilter(organisation_id=_int(qp.get("organisation"), "organisation"),
                            enterprise_id=_int(qp.get("enterprise"), "enterprise"), kind=kind or None,
                            overdue=qp.get("overdue") == "1")
    except FormError as exc:
        error = error_text(request, exc)
    at = now()
    with request.app.state.engine.connect() as conn:
        rows = [] if error else q.board_orders(conn, principal.point_clause(wo.c.point_id), flt, at)
        choices = q.board_choices(conn, principal.point_clause,
                                  principal.enterprise_clause(s.enterprises.c.id))
        points = q.points_for_orders(conn, principal.point_clause) if principal.may("marks.file") else []
    for r in rows:
        r["late"] = late_text(_, r, at)
    columns = [{"states": states, "title": title, "orders": [r for r in rows if r["state"] in states]}
               for states, title in zip(q.COLUMNS, COLUMN_WORDS)]
    return work_render(request, "om_orders.html", {
        "columns": columns, "total": len(rows), "overdue": sum(1 for r in rows if r["overdue"]),
        "choices": choices, "flt": flt, "error": error, "kinds": [(k, KIND_WORDS[k]) for k in KINDS],
        "kind_words": KIND_WORDS, "state_words": STATE_WORDS, "points": points,
        "planned_kinds": [(k, KIND_WORDS[k]) for k in PLANNED_KINDS], "new_error": new_error,
        "new_form": new_form or {}, "planned_hours": {k: f"{v:g}" for k, v in
                                                    om_settings(request).deadlines.planned_order_hours.items()}},
        status_code=status_code)


@router.post("/om/orders")
async def create_planned(request: Request):
    """A planned order (inspection, calibration, verification, comparison) for a point in scope: created, then its
    page (303); a bad value comes back beside the board's form in the reader's language (422), nothing written."""
    principal, denied = reader(request, "marks.file")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    settings = om_settings(request)
    try:
        kind = str(form.get("kind") or "").strip()
        if kind not in PLANNED_KINDS:
            raise FormError(N_("%(value)s is not one of the choices."), "kind", value=kind or "—")
        point_id = _int(form.get("point"), "point")
        if point_id is None:
            raise FormError(N_("Choose the monitoring point of the order."), "point")
        if not principal.sees_point(point_id):
            raise FormError(N_("%(value)s is not one of the choices."), "point", value=point_id)
        with request.app.state.engine.connect() as conn:
            tz = q.point_timezone(conn, point_id) or settings.timezone
        at = now()
        deadline = local_time(str(form.get("deadline") or ""), tz, "deadline")
        if deadline is not None and deadline <= at:
            raise FormError(N_("The deadline must be later than now."), "deadline")
        note = str(form.get("note") or "").strip() or None
        order = store.create_order(request.app.state.engine, kind=kind, at=at, actor=principal.username,
                                   settings=settings.deadlines, zone=ZoneInfo(settings.timezone), point_id=point_id,
                                   deadline=deadline, note=note)
    except (FormError, store.OrderRefused) as exc:
        return _board(request, principal, new_error=error_text(request, exc), new_form=dict(form), status_code=422)
    return see_other(f"/om/orders/{order['id']}", done="created")


# --------------------------------------------------------------------------------------------- one order

@router.get("/om/orders/{order_id}")
def order_page(request: Request, order_id: int):
    principal, denied = reader(request)
    if denied:
        return denied
    order = visible_order(request, principal, order_id)
    if order is None:
        return not_found(request, "work order")
    return work_render(request, "om_order.html", detail_context(request, principal, order))


def _back(form, order_id: int) -> str:
    return "/om/my" if form.get("back") == "my" else f"/om/orders/{order_id}"


def _answer_error(request: Request, principal, order_id: int, form, exc: Exception, status: int) -> Response:
    """The page the form came from again, with the refusal said in the reader's language (times local)."""
    order = visible_order(request, principal, order_id)
    text = error_text(request, exc, order["tz"] if order else None)
    if form.get("back") == "my":
        return work_render(request, "om_my.html", phone_context(request, principal, error=(order_id, text)),
                           status_code=status)
    return work_render(request, "om_order.html", detail_context(request, principal, order, error=text,
                                                                form=dict(form)), status_code=status)


def _redirect(back: str, order_id: int, **params) -> RedirectResponse:
    """303 to the page the form came from; on the phone view, to the order's card (its message shown there)."""
    if back != "/om/my":
        return see_other(back, **params)
    answer = see_other(back, **params, order=order_id)
    answer.headers["location"] += f"#order-{order_id}"
    return answer


@router.post("/om/orders/{order_id}/photos")
async def upload_photos(request: Request, order_id: int):
    """Photos taken on site (multipart ``photos``, several): checked, stored all or none, linked to the order."""
    principal, denied = reader(request, "marks.file")
    if denied:
        return denied
    limits = om_settings(request).photos
    form = await request.form()   # more files than allowed are refused by add_photos, in the reader's language
    bad = check_csrf(request, form)
    if bad:
        return bad
    if visible_order(request, principal, order_id) is None:
        return not_found(request, "work order")
    files = []
    for item in form.getlist("photos"):
        if getattr(item, "filename", None):   # an empty file input sends a part without a name
            files.append((item.filename, await item.read(limits.max_bytes + 1)))
    try:
        done = photo_store.add_photos(request.app.state.engine, photo_store.photo_store(request.app.state.settings),
                                      order_id, files, actor=principal.username, at=now(), limits=limits)
    except store.OrderNotFound:
        return not_found(request, "work order")
    except photo_store.PhotoRefused as exc:
        return _answer_error(request, principal, order_id, form, exc,
                             409 if isinstance(exc, photo_store.NotOnSite) else 422)
    return _redirect(_back(form, order_id), order_id, done="photos", n=done["stored"] + done["already"])


def _readings(form, codes: list[str], names: dict) -> dict | None:
    out = {}
    for code in codes:
        text = str(form.get(f"reading.{code}") or "").strip().replace(",", ".")
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise FormError(N_("%(factor)s: %(value)s is not a number."), f"reading.{code}",
                            factor=names.get(code, (code,))[0], value=text)
        out[code] = value
    return out or None


def _assignee(request: Request, order: dict, form) -> str:
    wanted = str(form.get("assignee") or "").strip()
    if not wanted:
        raise FormError(N_("Choose the engineer the order is assigned to."), "assignee")
    with request.app.state.engine.connect() as conn:
        engineers = {e["username"] for e in q.engineers_for(conn, order["point_id"])}
    if wanted not in engineers:
        raise FormError(N_("%(name)s does not maintain this point: choose one of its engineers."), "assignee",
                        name=wanted)
    return wanted


@router.post("/om/orders/{order_id}/{action}")
async def act(request: Request, order_id: int, action: str):
    """A transition: assign, accept, arrive, finish (checklist, readings), approve, reject (with the reason),
    reopen, cancel; then back to the page the form came from (303), or that page with the refusal."""
    if action not in ACTIONS:
        return not_found(request, "work-order action")
    principal, denied = reader(request, permission(action))
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    order = visible_order(request, principal, order_id)
    if order is None:
        return not_found(request, "work order")
    note = str(form.get("note") or "").strip() or None
    try:
        record = None
        assignee = _assignee(request, order, form) if action == "assign" else None
        if action == "reject" and not note:
            raise FormError(N_("Say why the work is rejected: the engineer reads it."), "note")
        if action == "finish":
            with request.app.state.engine.connect() as conn:
                codes = q.point_factor_codes(conn, order["point_id"])
                names = factor_names(conn, page_context(request)["lang"])
            record = {"readings": _readings(form, codes, names),
                      "checklist": {key: form.get(f"check.{key}") == "1" for key, _l in CHECKLISTS[order["kind"]]}}
        store.transition(request.app.state.engine, order_id, action, now(), principal.username, assignee=assignee,
                         note=note, record=record)
    except store.OrderNotFound:
        return not_found(request, "work order")
    except TransitionRefused as exc:
        return _answer_error(request, principal, order_id, form, exc, 409)
    except FormError as exc:
        return _answer_error(request, principal, order_id, form, exc, 422)
    return _redirect(_back(form, order_id), order_id, done=action)


@router.get("/om/orders/{order_id}/photos/{sha256}")
def photo(request: Request, order_id: int, sha256: str):
    """A photo of an order the reader sees; 404 for anything else (another order's, unknown, malformed)."""
    principal, denied = reader(request)
    if denied:
        return denied
    sha256 = sha256.lower()
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        return not_found(request, "photo")
    if visible_order(request, principal, order_id) is None:
        return not_found(request, "photo")
    with request.app.state.engine.connect() as conn:
        row = q.photo_of(conn, order_id, sha256)
    data = photo_store.photo_store(request.app.state.settings).get(sha256) if row is not None else None
    if data is None:
        return not_found(request, "photo")
    return Response(data, media_type=picture_type(data) or "application/octet-stream",
                    headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
