"""``/gates/ledger``: the electronic ledger (电子台账) of the enterprises the reader sees, searched by
enterprise, plate, time range (local time of the deployment), emission stage, or the rows whose stage the guard
must complete; ``?format=xlsx`` exports the same rows (local times, names, the reader's language)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecosentry.reports.table_xlsx import table_xlsx
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.queries.ledger import LedgerFilter, search_ledger
from ecosentry.subsystems.gates.queries.passages import gated_enterprises
from ecosentry.subsystems.gates.rules.stages import LABELS as STAGE_LABELS
from ecosentry.subsystems.gates.web.guard import guard_message, may_guard
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.subsystems.gates.web.words import PURPOSES, default_tz, stage_text
from ecosentry.web.forms import FormError, error_text, local_time, work_render
from ecosentry.web.listing import ListQuery
from ecosentry.web.templating import page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: Most rows one export holds.
EXPORT_MAX = 20_000
FILTERS = ("enterprise", "plate", "from", "to", "stage", "unknown")


def _filter(lq: ListQuery, tz: str) -> LedgerFilter:
    f = lq.filters
    try:
        ent = int(f["enterprise"]) if f.get("enterprise") else None
    except ValueError:
        ent = -1
    stage = f.get("stage") or ""
    return LedgerFilter(enterprise_id=ent, plate=f.get("plate") or "",
                        start=local_time(f.get("from"), tz, "from"), end=local_time(f.get("to"), tz, "to"),
                        stage=stage if stage in STAGE_LABELS else "", unknown_stage=f.get("unknown") == "1")


@router.get("/gates/ledger")
def ledger_page(request: Request, format: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    ctx = page_context(request)
    tz = default_tz(request)
    lq = ListQuery.from_request(request, sorts=("at",), default_sort="at", filters=FILTERS, per_page=PAGE_SIZE)
    scope = principal.enterprise_clause(s.enterprises.c.id)
    error = None
    try:
        flt = _filter(lq, tz)
    except FormError as exc:
        error, flt = error_text(request, exc), LedgerFilter(enterprise_id=-1)
    export = format == "xlsx" and error is None
    with request.app.state.engine.connect() as conn:
        rows, total = search_ledger(conn, scope, flt, limit=EXPORT_MAX if export else PAGE_SIZE,
                                    offset=0 if export else lq.offset)
        ents = gated_enterprises(conn, scope)
    _ = ctx["_"]
    for r in rows:
        r["tz"] = r["tz"] or tz
        r["stage_text"] = _("unknown stage") if r["stage_unknown"] and not r["emission_stage"] \
            else stage_text(_, r["emission_stage"])
        r["purpose_text"] = _(PURPOSES.get(r["purpose"], r["purpose"]))
    if export:
        return _xlsx(request, rows)
    stages = [(k, STAGE_LABELS[k]) for k in ("0", "1", "2", "3", "4", "5", "6", "d")]
    return work_render(request, "gates_ledger.html", {"rows": rows, "total": total, "lq": lq, "enterprises": ents,
                                                      "stages": stages, "error": error,
                                                      "guard": may_guard(principal), "said": guard_message(request, _)})


def _xlsx(request: Request, rows: list[dict]) -> Response:
    _ = page_context(request)["_"]
    head = [_("Enterprise"), _("Time"), _("Direction"), _("Plate"), _("Gate"), _("VIN"), _("Emission stage"),
            _("Fuel"), _("Cargo"), _("Weight (t)"), _("Transport company"), _("Purpose"), _("Source")]
    sources = {"camera": _("camera"), "csv": _("CSV import"), "manual": _("entered by the guard")}
    body = []
    for r in rows:
        local = r["at"].astimezone(ZoneInfo(r["tz"])).replace(tzinfo=None)
        body.append([r["enterprise_name"], local, _("entry") if r["inbound"] else _("exit"), r["plate"],
                     r["gate_name"] or "", r["vin"] or "", r["stage_text"], r["fuel"] or "", r["cargo"] or "",
                     r["weight_t"], r["transport_company"] or "", r["purpose_text"],
                     sources.get(r["source"], r["source"])])
    title = _("Vehicle ledger")
    data = table_xlsx(title, title, head, body, marked=[bool(r["stage_unknown"]) for r in rows])
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="gates-ledger.xlsx"'})
