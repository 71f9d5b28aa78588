"""The audit log (``audit_log``): who changed what, when, before and after; as JSON pages or a CSV download.

Needs ``audit.read`` (admins and regulators; 401 for the anonymous public, 403 for other roles).

**What a regulator sees.** An admin sees every row. A regulator sees the rows about objects inside their
scope, plus every row of their own actions (``actor`` = their user name):

=====================  ===============================================================
``entity``             in scope when
=====================  ===============================================================
``mark``               the mark's point is in scope
``alarm``              the alarm is in scope (its point, else enterprise, else region)
``point``              the point is in scope
``enterprise``         the enterprise is in scope (it has points in scope)
``pollution_alert``    the alert was issued for a region of the regulator's subtree
=====================  ===============================================================

Rows about anything else (users, API keys, subscriptions, other regions' logins) are shown only when the
regulator did it. The clause is :func:`ecosentry.auth.guards.audit_clause`; the queries, shared with the audit
page, are in :mod:`ecosentry.store.queries.audit`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.api.timefmt import iso, parse_time
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import audit_clause
from ecosentry.auth.principal import Principal
from ecosentry.said import N_, Said
from ecosentry.store.queries.audit import audit_conditions, audit_count, audit_rows, audit_rows_after

router = APIRouter(prefix="/api/v1", tags=["audit"])

SINCE_BEFORE_UNTIL = N_("since must be before until")

CSV_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")
#: Rows fetched per round while streaming the CSV.
CSV_CHUNK = 1000


def _filters(principal: Principal, entity, entity_id, actor, action, since, until) -> list:
    t0, t1 = parse_time(since, "UTC", "since"), parse_time(until, "UTC", "until")
    if t0 is not None and t1 is not None and t0 >= t1:
        raise HTTPException(422, Said(SINCE_BEFORE_UNTIL))
    return audit_conditions(audit_clause(principal), entity=entity, entity_id=entity_id, actor=actor,
                            action=action, since=t0, until=t1)


def _row_json(r) -> dict:
    return {**dict(r), "at": iso(r["at"], "UTC")}


Filters = dict(
    entity=Query(None, description="e.g. mark, alarm, user, api_key, alarm_subscription"),
    entity_id=Query(None), actor=Query(None, description="user name, or data / system"),
    action=Query(None, description="e.g. file, review, login, login_failed, lock"),
    since=Query(None, description="at or after (ISO 8601; no offset = UTC)"),
    until=Query(None, description="before (ISO 8601; no offset = UTC)"),
)


@router.get("/audit", summary="Audit log, newest first, with filters and paging")
def list_audit(entity: str | None = Filters["entity"], entity_id: str | None = Filters["entity_id"],
               actor: str | None = Filters["actor"], action: str | None = Filters["action"],
               since: str | None = Filters["since"], until: str | None = Filters["until"],
               p: Page = Depends(paging), engine: Engine = Depends(get_engine),
               principal: Principal = Depends(requires("audit.read"))):
    conds = _filters(principal, entity, entity_id, actor, action, since, until)
    with engine.connect() as conn:
        total = audit_count(conn, conds)
        rows = audit_rows(conn, conds, sort="id", desc=True, offset=p.offset, limit=p.page_size)
    return paged([_row_json(r) for r in rows], total, p)


@router.get("/audit/export.csv", summary="The audit log as CSV (UTF-8 with BOM, for spreadsheets), oldest first",
            response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_audit(entity: str | None = Filters["entity"], entity_id: str | None = Filters["entity_id"],
                 actor: str | None = Filters["actor"], action: str | None = Filters["action"],
                 since: str | None = Filters["since"], until: str | None = Filters["until"],
                 engine: Engine = Depends(get_engine), principal: Principal = Depends(requires("audit.read"))):
    conds = _filters(principal, entity, entity_id, actor, action, since, until)
    return StreamingResponse(_csv_rows(engine, conds), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


def _csv_rows(engine: Engine, conds: list) -> Iterator[bytes]:
    """The CSV in chunks of :data:`CSV_CHUNK` rows (keyset paging on the id), so a long log streams."""
    yield "\ufeff".encode()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = audit_rows_after(conn, conds, last_id, CSV_CHUNK)
        for r in rows:
            writer.writerow([r["id"], iso(r["at"], "UTC"), r["actor"] or "", r["action"], r["entity"],
                             r["entity_id"] or "",
                             "" if r["before"] is None else json.dumps(r["before"], ensure_ascii=False),
                             "" if r["after"] is None else json.dumps(r["after"], ensure_ascii=False)])
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
        if len(rows) < CSV_CHUNK:
            return
        last_id = rows[-1]["id"]
