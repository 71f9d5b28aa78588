"""``/power/findings``: the electricity findings in the principal's scope, open ones first, each with its
sentence in the reader's language, the names of its equipment, start, end and duration in the enterprise's
local time; filters by enterprise, code, severity and open; ``?format=csv`` or ``xlsx`` exports the same rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecosentry.contracts.catalogue import RULES
from ecosentry.store import schema as s
from ecosentry.subsystems.power.queries.findings import list_findings
from ecosentry.subsystems.power.schema import power_findings
from ecosentry.subsystems.power.queries.registry import enterprise_zone, equipment_of, metered_enterprises
from ecosentry.subsystems.power.web.enterprise_view import default_tz, words
from ecosentry.subsystems.power.web.words import equipment_names, finding_sentence
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.listing import ListQuery
from ecosentry.web.templating import page_context
from ecosentry.reports.table_xlsx import table_xlsx

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: Most rows one CSV export holds.
EXPORT_MAX = 10_000


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _rows(request: Request, principal, lq: ListQuery, limit: int, offset: int) -> tuple[list[dict], int, list]:
    ctx = page_context(request)
    f = lq.filters
    ent_id = _int(f.get("enterprise"))
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        rows, total = list_findings(conn, principal.enterprise_clause(power_findings.c.enterprise_id),
                                    enterprise_id=ent_id, code=f.get("code") or None,
                                    severity=f.get("severity") or None, open_only=f.get("state") == "open",
                                    limit=limit, offset=offset)
        ents = {r["enterprise_id"] for r in rows}
        names: dict[int, dict[str, str]] = {e: {} for e in ents}
        for u in equipment_of(conn, sorted(ents)):
            names[u["enterprise_id"]][u["code"]] = u["name"] or u["code"]
        zones = {e: enterprise_zone(conn, e, default_tz(request)) for e in ents}
        choices = metered_enterprises(conn, principal.enterprise_clause(s.enterprises.c.id))
    for r in rows:
        n = names.get(r["enterprise_id"], {})
        r["text"] = finding_sentence(r, ctx["_"], n)
        r["names"] = equipment_names(r["key"], n)
        r["tz"] = zones[r["enterprise_id"]]
        r["day"] = r["start_at"].astimezone(ZoneInfo(r["tz"])).date().isoformat()
        r["minutes"] = round(((r["end_at"] or now) - r["start_at"]).total_seconds() / 60)
    return rows, total, choices


@router.get("/power/findings")
def findings_page(request: Request, format: str = ""):
    principal, denied = gate(request, "data.read")
    if denied:
        return denied
    if principal.is_public:
        return not_found(request, "the electricity pages are not public")
    lq = ListQuery.from_request(request, sorts=("start",), default_sort="start",
                                filters=("enterprise", "code", "severity", "state"), per_page=PAGE_SIZE)
    if format in ("csv", "xlsx"):
        rows, _, _ = _rows(request, principal, lq, EXPORT_MAX, 0)
        return _csv(request, rows) if format == "csv" else _xlsx(request, rows)
    rows, total, choices = _rows(request, principal, lq, PAGE_SIZE, lq.offset)
    codes = [(c, RULES[c].summary) for c in sorted(RULES) if c.startswith("PWR-") and RULES[c].severity]
    return work_render(request, "power_findings.html", {"rows": rows, "total": total, "lq": lq,
                                                        "enterprises": choices, "codes": codes, "w": words()})


def _table(request: Request, rows: list[dict]) -> list[list]:
    """The export's header and rows, in the reader's language and the enterprises' local times."""
    ctx = page_context(request)
    _, fmt = ctx["_"], ctx["fmt"]
    out: list[list] = [[_("Enterprise"), _("Code"), _("Severity"), _("Equipment"), _("From"), _("To"), _("Minutes"),
                        _("Finding")]]
    for r in rows:
        out.append([r["enterprise_name"], r["code"], _(words()["severities"].get(r["severity"], r["severity"])),
                    ", ".join(r["names"]), fmt.datetime(r["start_at"], r["tz"]),
                    fmt.datetime(r["end_at"], r["tz"]) if r["end_at"] else _("still open"), r["minutes"], r["text"]])
    return out


def _csv(request: Request, rows: list[dict]) -> Response:
    buf = io.StringIO()
    csv.writer(buf).writerows(_table(request, rows))
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="power-findings.csv"'})


def _xlsx(request: Request, rows: list[dict]) -> Response:
    _ = page_context(request)["_"]
    head, *body = _table(request, rows)
    data = table_xlsx(_("Electricity findings"), _("Electricity findings"), head, body)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="power-findings.xlsx"'})
