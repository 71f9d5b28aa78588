"""Heavy-pollution alert pages: ``/alerts`` (in force, scheduled, past), ``/alerts/new`` (issue) and
``/alerts/{id}`` (the alert, its episode, its history, and the forms to correct it, change its level or lift it).

Reading needs ``alerts.read`` and shows the alerts covering the reader (:mod:`ecosentry.auth.alert_scope`);
issuing and every change need ``alerts.issue`` and an alert of the reader's own region subtree (a county
regulator reads the city's alert but gets no forms for it). The writes and their checks are
:mod:`ecosentry.store.pollution_alerts`; a refused value comes back in the form beside its field (422). A level
change ends the running alert and begins the next one (that module says why), so the page then shows the new
alert. Times are entered and shown in the deployment's local time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.auth.alert_scope import alert_regions, issue_scope, may_issue_for
from ecosentry.said import Said
from ecosentry.store import pollution_alerts as writes
from ecosentry.store.pollution_alerts import AlertError
from ecosentry.store.queries.pollution_alerts import (LEVELS, alert_detail, alert_history, alert_list, episode,
                                                      region_choices, status)
from ecosentry.web.forms import FormError, check_csrf, error_text, gate, local_time, not_found, see_other, work_render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TABS = ("in_force", "scheduled", "past")
#: Audited fields shown in the history, in this order.
HISTORY_FIELDS = ("level", "region_code", "starts_at", "ends_at", "lifted_at", "issued_by", "document", "note",
                  "continues", "continued_by")


def _tz(request: Request) -> str:
    return getattr(getattr(request.app.state, "settings", None), "default_tz", "Asia/Shanghai")


def _local_input(t: datetime | None, tz: str) -> str:
    """A time as a ``datetime-local`` input shows it (local time of ``tz``)."""
    return t.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if t else ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request):
    principal, denied = gate(request, "alerts.read")
    if denied:
        return denied
    tab = request.query_params.get("state") or "in_force"
    tab = tab if tab in TABS else "in_force"
    page = request.query_params.get("page") or "1"
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    now = _now()
    with request.app.state.engine.connect() as conn:
        regions = alert_regions(conn, principal)
        counts = {t: alert_list(conn, regions, when=t, at=now, limit=0)[1] for t in TABS}
        rows, total = alert_list(conn, regions, when=tab, at=now, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    for r in rows:
        r["status"] = status(r, now)
        r["may_change"] = may_issue_for(principal, r["region_code"])
    return work_render(request, "alerts.html", {
        "rows": rows, "tab": tab, "counts": counts, "total": total, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "may_issue": principal.may("alerts.issue")})


def _form_page(request: Request, values: dict, error: Exception | None = None):
    principal = request.state.principal
    with request.app.state.engine.connect() as conn:
        regions = region_choices(conn, issue_scope(principal))
    return work_render(request, "alert_form.html", {
        "v": values, "regions": regions, "levels": LEVELS,
        "error": error_text(request, error) if error else None,
        "error_field": getattr(error, "field", None)}, status_code=422 if error else 200)


@router.get("/alerts/new", response_class=HTMLResponse)
def alert_new(request: Request):
    principal, denied = gate(request, "alerts.issue")
    if denied:
        return denied
    own = principal.region_code if principal.role == "regulator" else ""
    return _form_page(request, {"region_code": own or "", "level": "orange",
                                "starts_at": _local_input(_now(), _tz(request))})


@router.post("/alerts/new", response_class=HTMLResponse)
async def alert_create(request: Request):
    principal, denied = gate(request, "alerts.issue")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    v = {k: val for k, val in form.items() if isinstance(val, str)}
    tz = _tz(request)
    try:
        alert_id = writes.issue(request.app.state.engine, region_code=v.get("region_code"), level=v.get("level"),
                                starts_at=local_time(v.get("starts_at"), tz, "starts_at"),
                                ends_at=local_time(v.get("ends_at"), tz, "ends_at"), issued_by=v.get("issued_by"),
                                document=v.get("document"), note=v.get("note"), actor=principal.username,
                                scope=issue_scope(principal))
    except (AlertError, FormError) as exc:
        return _form_page(request, v, exc)
    return see_other(f"/alerts/{alert_id}", done="issued")


def _history(rows: list[dict]) -> list[dict]:
    """The audit rows as the page shows them: who, when, what, and the fields that changed."""
    out = []
    for r in rows:
        before, after = r["before"] or {}, r["after"] or {}
        changed = [(k, _value(k, before.get(k)) if r["before"] is not None else None, _value(k, after.get(k)))
                   for k in HISTORY_FIELDS if k in after
                   and (before.get(k) != after.get(k) if r["before"] is not None else after.get(k) is not None)]
        out.append({"at": r["at"], "actor": r["actor"], "action": r["action"], "changes": changed})
    return out


def _value(key: str, value):
    if isinstance(value, str) and key.endswith("_at"):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _visible(request: Request, alert_id: int):
    principal = request.state.principal
    with request.app.state.engine.connect() as conn:
        row = alert_detail(conn, alert_id)
        regions = alert_regions(conn, principal)
        if row is None or (regions is not None and row["region_code"] not in regions):
            return None, None, None
        return row, episode(conn, alert_id), _history(alert_history(conn, alert_id))


def _detail_page(request: Request, alert_id: int, error: Exception | None = None, form: str | None = None,
                 values: dict | None = None):
    principal = request.state.principal
    row, chain, history = _visible(request, alert_id)
    if row is None:
        return not_found(request, Said("no alert with the number %(id)d", id=alert_id))
    now, tz = _now(), _tz(request)
    state = status(row, now)
    v = {"ends_at": _local_input(row["ends_at"], tz), "issued_by": row["issued_by"], "document": row["document"] or "",
         "note": row["note"] or "", "level": row["level"], "starts_at": _local_input(row["starts_at"], tz),
         "at": _local_input(now, tz)}
    if form and values:
        v.update(values)
    return work_render(request, "alert.html", {
        "a": row, "state": state, "chain": chain, "history": history, "levels": LEVELS, "v": v, "form": form,
        "may_change": may_issue_for(principal, row["region_code"]) and principal.may("alerts.issue")
        and state in ("scheduled", "in_force"),
        "done": request.query_params.get("done"), "error": error_text(request, error) if error else None,
        "error_field": getattr(error, "field", None)}, status_code=422 if error else 200)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int):
    principal, denied = gate(request, "alerts.read")
    if denied:
        return denied
    return _detail_page(request, alert_id)


async def _change(request: Request, alert_id: int, form_name: str, write):
    """The common path of the three change forms: gate, CSRF, scope, then ``write(values, tz)``."""
    principal, denied = gate(request, "alerts.issue")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    row, _, _ = _visible(request, alert_id)
    if row is None:
        return not_found(request, Said("no alert with the number %(id)d", id=alert_id))
    if not may_issue_for(principal, row["region_code"]):
        return _detail_page(request, alert_id, Said("this alert was issued above your area; its issuer changes it"))
    v = {k: val for k, val in form.items() if isinstance(val, str)}
    try:
        target, done = write(v, _tz(request), principal)
    except (AlertError, FormError) as exc:
        return _detail_page(request, alert_id, exc, form_name, v)
    return see_other(f"/alerts/{target}", done=done)


@router.post("/alerts/{alert_id}/edit", response_class=HTMLResponse)
async def alert_edit(request: Request, alert_id: int):
    def write(v, tz, principal):
        changes = {"ends_at": local_time(v.get("ends_at"), tz, "ends_at"), "issued_by": v.get("issued_by"),
                   "document": v.get("document"), "note": v.get("note")}
        for name in ("level", "starts_at"):   # the scheduled alert's form has them
            if name in v:
                changes[name] = local_time(v[name], tz, name) if name == "starts_at" else v[name]
        writes.correct(request.app.state.engine, alert_id, changes, actor=principal.username,
                       scope=issue_scope(principal))
        return alert_id, "saved"
    return await _change(request, alert_id, "edit", write)


@router.post("/alerts/{alert_id}/level", response_class=HTMLResponse)
async def alert_level(request: Request, alert_id: int):
    def write(v, tz, principal):
        new_id = writes.change_level(request.app.state.engine, alert_id, level=v.get("level"),
                                     at=local_time(v.get("at"), tz, "at"), document=v.get("document"),
                                     note=v.get("note"), actor=principal.username, scope=issue_scope(principal))
        return new_id, "level"
    return await _change(request, alert_id, "level", write)


@router.post("/alerts/{alert_id}/lift", response_class=HTMLResponse)
async def alert_lift(request: Request, alert_id: int):
    def write(v, tz, principal):
        writes.lift(request.app.state.engine, alert_id, at=local_time(v.get("at"), tz, "at"), note=v.get("note"),
                    actor=principal.username, scope=issue_scope(principal))
        return alert_id, "lifted"
    return await _change(request, alert_id, "lift", write)
