"""Alarm centre pages: ``/alarms`` (filters, table, live updates) and ``/alarms/{id}`` (detail and actions).

Reading needs ``alarms.read``; acknowledge, assign, clear and link need ``alarms.act``; comments need
``alarms.comment``. The lifecycle itself is :mod:`ecosentry.alarms.store`; a hand action is also broadcast
to the open alarm pages through the service's dispatcher (the live hub), so every open table updates.

Live updates: ``alarms.js`` listens on ``/api/v1/alarms/stream`` (Server-Sent Events) and, for each alarm
event, fetches ``/alarms/{id}/row`` with the page's filters: the server renders the row (or answers 204 when
the alarm is outside the scope or the filters), so the browser never shows what the principal may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from ecosentry.alarms import disposal_store, store
from ecosentry.alarms.catalogue import ALARM_TYPES, SEVERITIES
from ecosentry.catalogue import is_installed_code
from ecosentry.alarms.disposal import (MAX_FILES, NEXT_THEIRS, NEXT_YOURS, ROLE_PARTY, STATE_WORDS, STEP_WORDS,
                                       TRANSITIONS, Deadlines, DisposalConflict, DisposalError, DisposalForbidden,
                                       is_overdue, next_action)
from ecosentry.alarms.links import link_target_visible
from ecosentry.alarms.store import STATES, AlarmConflict, AlarmError, AlarmNotFound
from ecosentry.auth.guards import alarm_clause
from ecosentry.auth.principal import Principal
from ecosentry.installed import each
from ecosentry.said import Said
from ecosentry.store import schema as s
from ecosentry.store.queries.alarms import alarm_list, awaiting_counts
from ecosentry.store.registry import region_subtree
from ecosentry.reports.table_xlsx import table_xlsx
from ecosentry.web.alarm_text import localise_alarms
from ecosentry.web.forms import FormError, check_csrf, error_text, gate, not_found, see_other, work_render
from ecosentry.web.listing import MAX_SEARCH
from ecosentry.web.templating import page_context
from ecosentry.web.views.work_scope import visible_points, visible_regions

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: The state filter: "open" = active or acknowledged (the default view of the alarm centre).
STATE_CHOICES = ("open", "active", "acknowledged", "cleared", "all")
ACTIONS = ("ack", "assign", "comment", "clear", "link")
#: The supervision filter: under supervision (not closed), awaiting the viewer's step, overdue, closed, never pushed.
DISPOSAL_CHOICES = ("", "open", "mine", "overdue", "closed", "none")
#: Most rows an export holds (the newest first).
EXPORT_MAX = 10_000
#: Sortable columns of the alarm table and the direction of their first click.
SORT_FIRST = {"severity": "desc", "title": "asc", "where": "asc", "state": "asc", "occurrences": "desc",
              "last": "desc"}


@dataclass
class AlarmFilters:
    """The filters of the alarm table, as given in the query string (validated by :func:`parse_filters`)."""

    state: str = "open"
    type: str = ""
    severity: str = ""
    region: str = ""
    point: str = ""
    since: str = ""
    q: str = ""
    disposal: str = ""
    sort: str = "last"
    order: str = "desc"
    page: int = 1

    def query(self, **override) -> str:
        values = {**self.__dict__, **override}
        default = {"page": 1, "sort": "last", "order": "desc"}
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and default.get(k) != v})

    def sort_query(self, key: str) -> str:
        """The query sorted by ``key`` (the other way when already sorted by it), from page 1."""
        order = ("asc" if self.order == "desc" else "desc") if key == self.sort else SORT_FIRST[key]
        return self.query(sort=key, order=order, page=1)


def parse_filters(request: Request, principal: Principal, engine: Engine) -> tuple[AlarmFilters, list]:
    """The filters of the request and the SQL conditions they make; ``ValueError`` with a sentence."""
    q = request.query_params
    f = AlarmFilters(state=q.get("state") or "open", type=q.get("type") or "", severity=q.get("severity") or "",
                     region=q.get("region") or "", point=q.get("point") or "", since=q.get("since") or "",
                     q=(q.get("q") or "").strip()[:MAX_SEARCH], disposal=q.get("disposal") or "",
                     sort=q.get("sort") or "last",
                     order="asc" if q.get("order") == "asc" else "desc")
    if f.sort not in SORT_FIRST:
        f.sort = "last"
    a = s.alarms
    conds = [alarm_clause(principal)]
    if f.state not in STATE_CHOICES:
        raise FormError("unknown state %(value)r", "state", value=f.state)
    if f.state == "open":
        conds.append(a.c.state != "cleared")
    elif f.state in STATES:
        conds.append(a.c.state == f.state)
    if f.type:
        if f.type not in ALARM_TYPES:
            raise FormError("unknown alarm type %(value)r", "type", value=f.type)
        conds.append(a.c.type == f.type)
    if f.severity:
        if f.severity not in SEVERITIES:
            raise FormError("unknown severity %(value)r", "severity", value=f.severity)
        conds.append(a.c.severity == f.severity)
    with engine.connect() as conn:
        if f.region:
            if not principal.sees_region(f.region):
                raise FormError("region %(value)s is not in your area", "region", value=f.region)
            conds.append(a.c.region_code.in_(region_subtree(conn, f.region)))
    if f.point:
        if not f.point.isdigit() or not principal.sees_point(int(f.point)):
            raise FormError("point %(value)s is not one of your points", "point", value=f.point)
        conds.append(a.c.point_id == int(f.point))
    if f.since:
        try:
            day = datetime.strptime(f.since, "%Y-%m-%d").date()
        except ValueError:
            raise FormError("%(value)s is not a date (YYYY-MM-DD)", "since", value=f.since) from None
        tz = ZoneInfo(getattr(request.app.state.settings, "default_tz", "Asia/Shanghai"))
        conds.append(a.c.last_at >= datetime.combine(day, time(0), tz))
    if f.disposal:
        if f.disposal not in DISPOSAL_CHOICES:
            raise FormError("unknown supervision filter %(value)r", "disposal", value=f.disposal)
        conds.append(_disposal_clause(f.disposal, principal))
    page = q.get("page") or "1"
    f.page = int(page) if page.isdigit() and int(page) > 0 else 1
    return f, conds


def _disposal_clause(choice: str, principal: Principal):
    """The condition of a supervision filter on the outer-joined ``alarm_disposals``."""
    d = s.alarm_disposals
    if choice == "none":
        return d.c.id.is_(None)
    if choice == "closed":
        return d.c.state == "closed"
    if choice == "mine":
        return d.c.owed_by.in_(list(ROLE_PARTY.get(principal.role, ())) or [""])
    if choice == "overdue":
        return (d.c.state != "closed") & (d.c.due_at < datetime.now(timezone.utc))
    return d.c.id.is_not(None) & (d.c.state != "closed")


def _alarm_rows(engine: Engine, conds: list, *, offset: int = 0, limit: int = PAGE_SIZE, search: str = "",
                sort: str = "last", desc: bool = True, request: Request | None = None) -> tuple[list[dict], int]:
    """Alarms matching ``conds`` (and ``search`` in the title, enterprise or point name) with their point and
    enterprise names, sorted by ``sort`` (newest ``last_at`` first by default); worded in the request's
    language when ``request`` is given."""
    with engine.connect() as conn:
        rows, total = alarm_list(conn, conds, severities=SEVERITIES, search=search, sort=sort, desc=desc,
                                 offset=offset, limit=limit)
        if request is not None:
            rows = localise_alarms(conn, rows, page_context(request)["fmt"])
    now = datetime.now(timezone.utc)
    principal = getattr(request.state, "principal", None) if request is not None else None
    parties = ROLE_PARTY.get(principal.role, ()) if principal is not None else ()
    ctx = page_context(request) if request is not None else None
    for r in rows:
        case = {"state": r.get("disposal_state"), "due_at": r.get("disposal_due_at")}
        r["disposal_overdue"] = is_overdue(case, now)
        nxt = next_action(case, parties, now) if ctx is not None else None
        # the reader's own step, said as on the alarm page ("待您反馈，截止 …")
        r["disposal_yours"] = (ctx["_"](NEXT_YOURS[nxt.step]) % {"due": ctx["fmt"].datetime(nxt.due_at)}
                               if nxt is not None and nxt.yours else None)
    return rows, int(total)


def _visible_alarm(engine: Engine, principal: Principal, alarm_id: int) -> dict | None:
    rows, _ = _alarm_rows(engine, [s.alarms.c.id == alarm_id, alarm_clause(principal)], limit=1)
    return rows[0] if rows else None


def _stream_url(principal: Principal) -> str:
    """The live stream, narrowed to the regulator's region (the row check does the rest)."""
    if principal.role == "regulator" and principal.region_code:
        return "/api/v1/alarms/stream?" + urlencode({"region": principal.region_code})
    return "/api/v1/alarms/stream"


@router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request):
    principal, denied = gate(request, "alarms.read")
    if denied:
        return denied
    engine = request.app.state.engine
    with engine.connect() as conn:
        choices = {"regions": visible_regions(conn, principal), "points": visible_points(conn, principal)}
        # what the reader must do next: the supervision cases waiting for their step (overdue among them)
        choices["awaiting"] = awaiting_counts(conn, alarm_clause(principal), ROLE_PARTY.get(principal.role, ()),
                                              datetime.now(timezone.utc))
    ctx = {"types": sorted((t for t in ALARM_TYPES.values() if is_installed_code(t.code)), key=lambda t: t.code),
           "severities": SEVERITIES,
           "state_choices": STATE_CHOICES, "disposal_choices": DISPOSAL_CHOICES,
           "stream_url": _stream_url(principal), **choices}
    try:
        f, conds = parse_filters(request, principal, engine)
    except ValueError as exc:
        return work_render(request, "alarms.html", {**ctx, "f": AlarmFilters(), "rows": [], "total": 0,
                                                    "pages": 1, "error": error_text(request, exc)},
                            status_code=422)
    rows, total = _alarm_rows(engine, conds, offset=(f.page - 1) * PAGE_SIZE, search=f.q, sort=f.sort,
                              desc=f.order == "desc", request=request)
    return work_render(request, "alarms.html", {**ctx, "f": f, "rows": rows, "total": total,
                                                "pages": max(1, -(-total // PAGE_SIZE)), "error": None})


@router.get("/alarms/export.xlsx")
def alarms_export(request: Request):
    """The alarm list as an Excel workbook: the page's filters and sort, the reader's scope, language, names
    and local times; at most :data:`EXPORT_MAX` rows (the newest)."""
    principal, denied = gate(request, "alarms.read")
    if denied:
        return denied
    engine = request.app.state.engine
    try:
        f, conds = parse_filters(request, principal, engine)
    except ValueError as exc:
        return Response(error_text(request, exc), status_code=422, media_type="text/plain; charset=utf-8")
    rows, _total = _alarm_rows(engine, conds, limit=EXPORT_MAX, search=f.q, sort=f.sort, desc=f.order == "desc",
                               request=request)
    ctx = page_context(request)
    _, fmt = ctx["_"], ctx["fmt"]
    zone = ZoneInfo(fmt.tz)

    def local(t):
        return None if t is None else t.astimezone(zone).replace(tzinfo=None)

    sev = {"critical": _("Critical"), "warning": _("Warning"), "info": _("Info")}
    state = {"active": _("Unacknowledged"), "acknowledged": _("Acknowledged"), "cleared": _("Cleared")}
    headers = [_("No."), _("Severity"), _("Alarm"), _("Type"), _("Enterprise"), _("Point"), _("Region"),
               _("Factors"), _("State"), _("First occurrence"), _("Last occurrence"), _("Occurrences"),
               _("Supervision"), _("Deadline"), _("Overdue"), _("Explanation")]
    table = [[r["id"], sev.get(r["severity"], r["severity"]), r["title"], r["type_name"], r.get("enterprise_name"),
              r.get("point_name"), r.get("region_name"), _(", ").join(r.get("factor_names") or []),
              state.get(r["state"], r["state"]), local(r["first_at"]), local(r["last_at"]), r["occurrences"],
              _(STATE_WORDS[r["disposal_state"]]) if r.get("disposal_state") else None,
              local(r.get("disposal_due_at")) if r.get("disposal_state") != "closed" else None,
              _("Yes") if r["disposal_overdue"] else None, r.get("explanation")] for r in rows]
    stamp = datetime.now(zone)
    data = table_xlsx(_("Alarms"), f"{_('Alarm centre')} · {fmt.datetime(datetime.now(timezone.utc))}", headers,
                      table, marked=[r["disposal_overdue"] for r in rows])
    name = f"alarms-{stamp:%Y%m%d-%H%M}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/alarms/{alarm_id}/row", response_class=HTMLResponse)
def alarm_row(request: Request, alarm_id: int):
    """One table row for the live update: 204 when the alarm is outside the scope or the page's filters."""
    principal, denied = gate(request, "alarms.read")
    if denied:
        return denied
    engine = request.app.state.engine
    try:
        f, conds = parse_filters(request, principal, engine)
    except ValueError:
        return Response(status_code=204)
    rows, _ = _alarm_rows(engine, [*conds, s.alarms.c.id == alarm_id], limit=1, search=f.q, request=request)
    if not rows:
        return Response(status_code=204)
    return work_render(request, "alarm_row.html", {"r": rows[0]})


def _detail_context(request: Request, engine: Engine, principal: Principal, row: dict) -> dict:
    detail = store.alarm_detail(engine, row["id"])
    with engine.connect() as conn:
        detail = localise_alarms(conn, [detail], page_context(request)["fmt"])[0]
    ctx: dict = {"alarm_panels": []}
    with engine.connect() as conn:  # what the installed subsystems show beside the alarm (Subsystem.alarm_context)
        for _, contribute in each("alarm_context"):
            more = contribute(conn, principal, row)
            ctx["alarm_panels"] += more.pop("alarm_panels", [])
            ctx.update(more)
    return {**ctx, **_disposal_context(request, engine, principal, row["id"]),
            "a": {**detail, "point_name": row["point_name"], "enterprise_name": row["enterprise_name"]},
            "alarm_type": ALARM_TYPES.get(row["type"])}


def _deadlines(request: Request) -> Deadlines:
    st = getattr(request.app.state, "settings", None)
    return Deadlines.from_settings(st) if st is not None else Deadlines()


def _step_permission(step: str) -> str:
    return "alarms.supervise" if TRANSITIONS[step][0] == "regulator" else "alarms.respond"


def _disposal_context(request: Request, engine: Engine, principal: Principal, alarm_id: int) -> dict:
    """The supervision panel: the case, what is owed next said to this reader, and the steps they may take."""
    ctx = page_context(request)
    _, fmt = ctx["_"], ctx["fmt"]
    case = disposal_store.case(engine, alarm_id)
    parties = ROLE_PARTY.get(principal.role, ())
    nxt = next_action(case, parties, datetime.now(timezone.utc))
    state = case["state"] if case else None
    can = [step for step, (party, sources, _target) in TRANSITIONS.items()
           if party in parties and state in sources and principal.may(_step_permission(step))]
    next_text = None
    if nxt is not None:
        words = NEXT_YOURS if nxt.yours else NEXT_THEIRS
        next_text = _(words[nxt.step]) % {"due": fmt.datetime(nxt.due_at)}
    d = _deadlines(request)
    return {"case": case, "dsp_next": nxt, "dsp_next_text": next_text, "dsp_can": can,
            "dsp_state_words": {k: _(v) for k, v in STATE_WORDS.items()},
            "dsp_step_words": {k: _(v) for k, v in STEP_WORDS.items()},
            "dsp_feedback_hours": (d.feedback_critical.total_seconds() / 3600, d.feedback.total_seconds() / 3600),
            "dsp_max_files": MAX_FILES}


@router.get("/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(request: Request, alarm_id: int):
    principal, denied = gate(request, "alarms.read")
    if denied:
        return denied
    engine = request.app.state.engine
    row = _visible_alarm(engine, principal, alarm_id)
    if row is None:
        return not_found(request, Said("There is no alarm %(id)s in your area.", id=alarm_id))
    return work_render(request, "alarm.html", {**_detail_context(request, engine, principal, row),
                                               "done": request.query_params.get("done"), "error": None})


@router.post("/alarms/{alarm_id}/disposal/{step}", response_class=HTMLResponse)
async def disposal_step(request: Request, alarm_id: int, step: str):
    """A step of the supervision (push, handle, feedback with files, accept, return, close); then back to the
    alarm (303), or the page with the reason."""
    if step not in TRANSITIONS:
        return not_found(request, Said("Unknown alarm action %(action)r.", action=step))
    principal, denied = gate(request, _step_permission(step))
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    row = _visible_alarm(engine, principal, alarm_id)
    if row is None:
        return not_found(request, Said("There is no alarm %(id)s in your area.", id=alarm_id))
    st = getattr(request.app.state, "settings", None)
    limit = int((st.alarms.disposal.evidence_max_mb if st is not None else 20.0) * 1_000_000)
    text_field = {"push": "request", "return": "reason", "close": "summary"}.get(step, "comment")
    try:
        due = None
        if step == "push" and (form.get("feedback_due") or "").strip():
            tz = ZoneInfo(page_context(request)["fmt"].tz)
            try:
                due = datetime.fromisoformat(str(form.get("feedback_due")).strip()).replace(tzinfo=tz)
            except ValueError:
                raise DisposalError("the feedback deadline is not a date and time") from None
        files = []
        if step == "feedback":
            for item in form.getlist("files"):
                if getattr(item, "filename", None):
                    files.append((item.filename, await item.read(limit + 1)))
        disposal_store.take_step(engine, alarm_id, step, actor=principal.username, role=principal.role,
                                 deadlines=_deadlines(request), text=form.get(text_field), cause=form.get("cause"),
                                 measures=form.get("measures"), due=due, files=files, max_file_bytes=limit)
    except AlarmNotFound:
        return not_found(request, Said("There is no alarm %(id)s in your area.", id=alarm_id))
    except DisposalError as exc:
        ctx = _detail_context(request, engine, principal, _visible_alarm(engine, principal, alarm_id))
        status = 403 if isinstance(exc, DisposalForbidden) else 409 if isinstance(exc, DisposalConflict) else 422
        return work_render(request, "alarm.html", {**ctx, "done": None, "error": error_text(request, exc),
                                                   "form": dict(form)}, status_code=status)
    _broadcast(request, store.get_alarm(engine, alarm_id), disposal_store.EVENT_OF_STEP[step])
    return see_other(f"/alarms/{alarm_id}", done=f"disposal-{step}")


@router.post("/alarms/{alarm_id}/{action}", response_class=HTMLResponse)
async def alarm_action(request: Request, alarm_id: int, action: str):
    """Acknowledge, assign, comment, clear or link; then back to the alarm (303) or the page with the error."""
    if action not in ACTIONS:
        return not_found(request, Said("Unknown alarm action %(action)r.", action=action))
    principal, denied = gate(request, "alarms.comment" if action == "comment" else "alarms.act")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    row = _visible_alarm(engine, principal, alarm_id)
    if row is None:
        return not_found(request, Said("There is no alarm %(id)s in your area.", id=alarm_id))
    actor = principal.username
    try:
        if action == "ack":
            alarm, _ = store.acknowledge(engine, alarm_id, actor, (form.get("comment") or "").strip() or None)
        elif action == "assign":
            alarm, _ = store.assign(engine, alarm_id, form.get("assignee"), actor)
        elif action == "comment":
            alarm, _ = store.add_comment(engine, alarm_id, form.get("text") or "", actor)
        elif action == "clear":
            alarm, _ = store.clear(engine, alarm_id, form.get("reason") or "", actor)
        else:
            kind = (form.get("kind") or "mark").strip()
            target = (form.get("target_id") or form.get(f"{kind}_id") or "").strip()
            if not link_target_visible(engine, principal, kind, target):
                raise AlarmError("there is no mark %(id)s in your area", id=target or "—")
            store.add_link(engine, alarm_id, kind, target, actor)
            alarm = store.get_alarm(engine, alarm_id)
    except AlarmNotFound:
        return not_found(request, Said("There is no alarm %(id)s in your area.", id=alarm_id))
    except AlarmError as exc:
        ctx = _detail_context(request, engine, principal, _visible_alarm(engine, principal, alarm_id))
        return work_render(request, "alarm.html", {**ctx, "done": None, "error": error_text(request, exc)},
                           status_code=409 if isinstance(exc, AlarmConflict) else 422)
    _broadcast(request, alarm, {"ack": "acknowledged", "assign": "assigned", "comment": "commented",
                                "clear": "cleared", "link": "linked"}[action])
    return see_other(f"/alarms/{alarm_id}", done=action)




def _broadcast(request: Request, alarm: dict, event: str) -> None:
    """Tell the open alarm pages (the service's live hub) that a person changed the alarm."""
    service = getattr(request.app.state, "service", None)
    dispatcher = getattr(service, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.broadcast(alarm, event)
