"""Audit page: the audit log with filters (entity, id, actor, action, days), the change of each row as a
before/after table, and the CSV export (``/api/v1/audit/export.csv`` with the same filters).

Needs ``audit.read``; the rows are those :func:`ecosentry.auth.guards.audit_clause` lets the principal
read (everything for an administrator; a regulator's objects and own actions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.auth.guards import audit_clause
from ecosentry.said import N_, Said
from ecosentry.store.queries.audit import audit_choices, audit_conditions, audit_count, audit_rows
from ecosentry.web.forms import error_text, gate, work_render
from ecosentry.web.listing import ListQuery

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FILTERS = ("entity", "entity_id", "actor", "action", "since", "until")


@dataclass(frozen=True)
class Change:
    """One field of an audited record: value before, after, and whether it changed."""

    key: str
    before: Any
    after: Any
    changed: bool


def diff(before: Any, after: Any) -> list[Change]:
    """The fields of ``before``/``after`` (JSON objects), changed ones first; other JSON as one field."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return [] if before is None and after is None else [Change("", before, after, before != after)]
    b, a = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*b.keys(), *a.keys()]))
    changes = [Change(k, b.get(k), a.get(k), (k in b) != (k in a) or b.get(k) != a.get(k)) for k in keys]
    return sorted(changes, key=lambda c: not c.changed)


def _bounds(f: dict[str, str], tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """``since`` (first day) and ``until`` (last day, inclusive) as local-midnight times."""
    out = []
    for name, shift in (("since", 0), ("until", 1)):
        if not f[name]:
            out.append(None)
            continue
        try:
            day = date.fromisoformat(f[name])
        except ValueError:
            raise Said(N_("%(text)r is not a date (YYYY-MM-DD)"), text=f[name]) from None
        out.append(datetime.combine(day + timedelta(days=shift), time(0), tz))
    if out[0] is not None and out[1] is not None and out[0] >= out[1]:
        raise Said(N_("the first day must not be after the last day"))
    return out[0], out[1]


#: Sortable columns of the audit table (keys of :data:`ecosentry.store.queries.audit.AUDIT_SORTS`).
AUDIT_SORTS = ("at", "actor", "action", "entity")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request):
    principal, denied = gate(request, "audit.read")
    if denied:
        return denied
    engine = request.app.state.engine
    q = request.query_params
    f = {k: (q.get(k) or "").strip() for k in FILTERS}
    lq = ListQuery.from_request(request, sorts=AUDIT_SORTS, default_sort="at", default_desc=True,
                                filters=FILTERS, per_page=PAGE_SIZE)
    page = lq.page
    tz = ZoneInfo(getattr(request.app.state.settings, "default_tz", "Asia/Shanghai"))
    scope = audit_clause(principal)
    error, rows, total, export = None, [], 0, {}
    try:
        since, until = _bounds(f, tz)
    except ValueError as exc:
        error = error_text(request, exc)
    else:
        for col in ("entity", "entity_id", "actor", "action"):
            if f[col]:
                export[col] = f[col]
        if since is not None:
            export["since"] = since.isoformat()
        if until is not None:
            export["until"] = until.isoformat()
        conds = audit_conditions(scope, entity=f["entity"] or None, entity_id=f["entity_id"] or None,
                                 actor=f["actor"] or None, action=f["action"] or None, since=since, until=until)
        with engine.connect() as conn:
            total = audit_count(conn, conds)
            rows = audit_rows(conn, conds, sort=lq.sort, desc=lq.desc, offset=lq.offset, limit=PAGE_SIZE)
    with engine.connect() as conn:
        entities, actions = audit_choices(conn, scope)
    for r in rows:
        r["changes"] = diff(r["before"], r["after"])
    query = urlencode({k: v for k, v in f.items() if v})
    return work_render(request, "audit.html", {
        "rows": rows, "total": total, "f": f, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "query": query, "export_url": "/api/v1/audit/export.csv" + (f"?{urlencode(export)}" if export else ""),
        "entities": entities, "actions": actions, "error": error, "lq": lq, **_subsystem_words(),
        "as_json": lambda v: json.dumps(v, ensure_ascii=False, default=str)}, status_code=422 if error else 200)


def _subsystem_words() -> dict[str, dict[str, str]]:
    """The installed subsystems' words for their audit codes (:attr:`Subsystem.audit_words`: ``actions`` and
    ``entities``, code → English msgid), as ``more_actions`` and ``more_entities`` of the page."""
    from ecosentry.installed import each

    actions: dict[str, str] = {}
    entities: dict[str, str] = {}
    for _sub, words in each("audit_words"):
        actions.update(words.get("actions", {}))
        entities.update(words.get("entities", {}))
    return {"more_actions": actions, "more_entities": entities}
