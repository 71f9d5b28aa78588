"""The DONRE's transmission-control desk (bàn truyền nhận): reception, the connection register, forwarding to
MONRE and the provincial transmission report (issue 14 items 1, 2, 5 and 6).

* ``/vn/reception`` — every station in the user's scope over the chosen days, the least complete first, with
  district and industrial-zone filters; ``/vn/reception/{point}`` — a station-day: counts and every file;
  ``/vn/files/{id}`` — one file: raw bytes, parse result, receipt (``/vn/files/{id}/raw`` downloads the bytes).
* ``/vn/register`` — facilities and stations with the date of each step and who is late against the Decree 08
  deadline, by district and industrial zone; DONRE officers (regulators, admins) enter the register fields
  and the day a station was installed (audited).
* ``/vn/forwarding`` — per upper platform: backlog, last delivery, failures with reasons, re-send (audited).
* ``/vn/report`` — the provincial transmission report as XLSX or PDF.

A facility account sees only its own stations (the principal's point scope); the forwarding view and the
register's forms are for DONRE accounts. Counting: :mod:`ecosentry.subsystems.monitoring.rules.vn.reception`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.auth.principal import Principal
from ecosentry.protocols.vn_txt import REASON_WORDS
from ecosentry.said import N_
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.forward.queue import resend_items
from ecosentry.subsystems.monitoring.queries import vn_forwarding, vn_reception, vn_register
from ecosentry.subsystems.monitoring.reports.vn_station import DECIMAL_SEP
from ecosentry.subsystems.monitoring.reports.vn_transmission import (build_transmission_report, transmission_pdf,
                                                                     transmission_xlsx)
from ecosentry.subsystems.monitoring.rules.vn.register import CATEGORIES, STEP_LABELS, STEPS
from ecosentry.subsystems.monitoring.store.vn_register import RegisterError, set_facility, set_installed
from ecosentry.web.forms import FormError, check_csrf, denied_page, error_text, gate, not_found, see_other, work_render
from ecosentry.web.i18n import translations
from ecosentry.web.templating import page_context

router = APIRouter(include_in_schema=False)

PERIODS = (1, 7, 30)
#: Rejection reasons of the file log (vn/judge.py, protocols/vn_txt) and their English message ids: the reader's
#: own (the words every page uses for them), then the desk's judgement of an accepted file.
REASONS = {  # N_ ids: translated in the templates
    **REASON_WORDS,
    "too_old": N_("older than the logger's 60-day buffer"), "future": N_("time in the future (logger clock?)"),
    "unknown_mn": N_("station not in the registry"), "inactive_point": N_("station not active"),
    "station_mismatch": N_("sent with another station's account"), "conflict": N_("same name, other content"),
    "duplicate": N_("sent again"), "unprocessable": N_("could not be judged"), "unwritable_record": N_("refused by the database"),
}

#: What the reader noted while reading a file it accepted (protocols/vn_txt/parser.py ``notes``: ``key`` or
#: ``key: detail``), in the officer's words.
NOTES = {  # N_ ids: translated in the template
    "extension_case": N_("file extension in capitals"), "mixed_line_ends": N_("mixed line ends"),
    "header_line": N_("header line skipped"), "unit_case": N_("unit written in other case"),
    "time_mismatch": N_("line time differs from the file name"), "duplicate_line": N_("line repeated exactly"),
    "blank_lines": N_("blank lines skipped"), "nfc": N_("Vietnamese letters normalised (NFC)"),
    "bom": N_("UTF-8 byte-order mark"), "utf16": N_("UTF-16 text"), "encoding": N_("Windows-1258 text"),
    "decimal_comma": N_("decimal comma read"),
}

#: Why a delivery to the upper platform failed, in the officer's words, from the transfer's own message (kept
#: beside it as received): (words in the message, message id).
FAILURE_WORDS = (
    (("refused", "ConnectionRefused"), N_("the receiver refused the connection (not listening)")),
    (("timed out", "Timeout", "timeout"), N_("no answer from the receiver in time")),
    (("Name or service not known", "getaddrinfo", "nodename"), N_("the receiver's address is not found")),
    (("reset by peer", "ConnectionReset", "EOF", "Broken pipe"), N_("the receiver closed the connection")),
    (("530",), N_("the receiver refused the login")),
    (("550", "553", "552", "451", "452"), N_("the receiver refused the file")),
)


def failure_words(detail: str | None) -> str:
    """The message id saying why a delivery failed (:data:`FAILURE_WORDS`), else a plain "transfer failed"."""
    text = detail or ""
    return next((words for keys, words in FAILURE_WORDS if any(k in text for k in keys)), N_("transfer failed"))


def _zone(request: Request) -> str:
    st = getattr(request.app.state, "settings", None)
    return getattr(getattr(st, "vn", None), "default_tz", None) or "Asia/Ho_Chi_Minh"


def _late_after(request: Request) -> float:
    st = getattr(request.app.state, "settings", None)
    return float(getattr(getattr(st, "vn", None), "late_after_minutes", 5.0))


def _gate(request: Request, action: str = "data.read"):
    principal, denied = gate(request, action)
    if denied is None and principal.role == "public":
        denied = denied_page(request, "The desk is for logged-in DONRE and facility accounts; the public page "
                                      "shows published data.")
    return principal, denied


def _officer(principal: Principal) -> bool:
    """DONRE accounts: they keep the register and may re-send to MONRE."""
    return principal.role in ("admin", "regulator")


def _day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError("%(value)s is not a date (YYYY-MM-DD)", "day", value=value) from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- reception

@router.get("/vn/reception", response_class=HTMLResponse)
def reception_page(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    engine, tz, now = request.app.state.engine, _zone(request), _now()
    q = request.query_params
    today = now.astimezone(ZoneInfo(tz)).date()
    error = None
    try:
        day = _day(q.get("day"), today)
    except FormError as exc:
        day, error = today, error_text(request, exc)
    period = int(q.get("days")) if (q.get("days") or "").isdigit() and int(q.get("days")) in PERIODS else 1
    district, zone = q.get("district") or None, q.get("zone") or None
    days = [day - timedelta(days=k) for k in range(period - 1, -1, -1)]
    scope = principal.point_clause(s.points.c.id)
    with engine.connect() as conn:
        everything = vn_reception.stations(conn, scope)
        rows, total = vn_reception.provincial_summary(conn, scope, days, now, district=district, industrial_zone=zone,
                                                      late_after_minutes=_late_after(request))
    return work_render(request, "vn_reception.html", {
        "rows": rows, "total": total, "day": day, "days": period, "days_list": days, "periods": PERIODS, "tz": tz, "error": error,
        "district": district or "", "zone": zone or "", "today": today,
        "districts": sorted({x.district for x in everything if x.district}),
        "zones": sorted({x.industrial_zone for x in everything if x.industrial_zone}),
        "reason_words": REASONS, "officer": _officer(principal)})


@router.get("/vn/reception/{point_id}", response_class=HTMLResponse)
def station_day_page(request: Request, point_id: int):
    principal, denied = _gate(request)
    if denied:
        return denied
    if not principal.sees_point(point_id):
        return not_found(request, "station")
    engine, now = request.app.state.engine, _now()
    with engine.connect() as conn:
        found = vn_reception.stations(conn, s.points.c.id == point_id, vn_only=False)
        if not found:
            return not_found(request, "station")
        st = found[0]
        today = now.astimezone(ZoneInfo(st.tz)).date()
        try:
            day = _day(request.query_params.get("day"), today)
        except FormError:
            day = today
        rec = vn_reception.station_receptions(conn, [st], [day], now,
                                              late_after_minutes=_late_after(request))[point_id][0]
        files = vn_reception.day_files(conn, point_id, day, st.tz)
        alarms = vn_reception.missing_alarms(conn, point_id, day, st.tz)
    return work_render(request, "vn_station_day.html", {
        "st": st, "rec": rec, "files": files, "alarms": alarms, "day": day, "prev": day - timedelta(days=1),
        "next": day + timedelta(days=1) if day < today else None, "reason_words": REASONS})


@router.get("/vn/files/{file_id}", response_class=HTMLResponse)
def file_page(request: Request, file_id: int):
    principal, denied = _gate(request, "raw.read")
    if denied:
        return denied
    engine = request.app.state.engine
    with engine.connect() as conn:
        row = vn_reception.file_detail(conn, file_id)
        st = None
        if row is not None and row["point_id"] is not None:
            found = vn_reception.stations(conn, s.points.c.id == row["point_id"], vn_only=False)
            st = found[0] if found else None
    # a file of an unknown station (no point) is the province's: DONRE accounts see it
    if row is None or (row["point_id"] is not None and not principal.sees_point(row["point_id"])) \
            or (row["point_id"] is None and not _officer(principal)):
        return not_found(request, "file")
    raw = row["raw"]
    text = raw.decode("utf-8", errors="replace") if raw is not None else None
    return work_render(request, "vn_file.html", {
        "f": row, "st": st, "text": text, "hexdump": _hexdump(raw[:512]) if raw else "",
        "tz": st.tz if st else _zone(request), "reason_words": REASONS, "note_words": NOTES,
        "day": (row["file_time"] or row["received_at"]).astimezone(ZoneInfo(st.tz if st else _zone(request))).date()})


@router.get("/vn/files/{file_id}/raw")
def file_raw(request: Request, file_id: int):
    principal, denied = _gate(request, "raw.read")
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        row = vn_reception.file_detail(conn, file_id)
    if row is None or row["raw"] is None or (row["point_id"] is not None and not principal.sees_point(row["point_id"])) \
            or (row["point_id"] is None and not _officer(principal)):
        return not_found(request, "file")
    name = row["file_name"].replace('"', "")
    return Response(row["raw"], media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _hexdump(data: bytes) -> str:
    """The first bytes as hex and printable ASCII, 16 a line (to see a BOM, tabs, CR LF, a stray byte)."""
    out = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        out.append(f"{i:04x}  {' '.join(f'{b:02x}' for b in chunk):<47}  "
                   + "".join(chr(b) if 32 <= b < 127 else "·" for b in chunk))
    return "\n".join(out)


# --------------------------------------------------------------------------- register

def _register_context(request: Request, principal: Principal, *, error: str | None = None,
                      status_code: int = 200):
    engine, now, tz = request.app.state.engine, _now(), _zone(request)
    today = now.astimezone(ZoneInfo(tz)).date()
    with engine.connect() as conn:
        entries = vn_register.register(conn, principal.point_clause(s.points.c.id),
                                       principal.enterprise_clause(s.enterprises.c.id), now,
                                       late_after_minutes=_late_after(request))
        unregistered = []
        if _officer(principal):
            registered = {e.enterprise_id for e in entries}
            unregistered = vn_register.unregistered_enterprises(
                conn, principal.enterprise_clause(s.enterprises.c.id), registered)
    district, zone = request.query_params.get("district") or "", request.query_params.get("zone") or ""
    shown = [e for e in entries if (not district or e.district == district) and (not zone or e.industrial_zone == zone)]
    counts = {step: sum(1 for e in shown if e.steps.step == step) for step in STEPS}
    return work_render(request, "vn_register.html", {
        "entries": shown, "late": vn_register.late_groups(shown, today), "today": today, "tz": tz,
        "steps": STEPS, "step_labels": STEP_LABELS, "categories": CATEGORIES, "counts": counts,
        "districts": sorted({e.district for e in entries if e.district}),
        "zones": sorted({e.industrial_zone for e in entries if e.industrial_zone}),
        "district": district, "zone": zone, "officer": _officer(principal), "unregistered": unregistered,
        "error": error}, status_code=status_code)


@router.get("/vn/register", response_class=HTMLResponse)
def register_page(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    return _register_context(request, principal)


@router.post("/vn/register/facility/{enterprise_id}", response_class=HTMLResponse)
async def register_facility(request: Request, enterprise_id: int):
    principal, denied = _gate(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    if not _officer(principal) or not principal.sees_enterprise(enterprise_id):
        return denied_page(request, "Only DONRE accounts keep the register of their facilities.")
    entry = {k: (form.get(k) or "").strip() for k in ("category", "district", "industrial_zone", "obliged_from",
                                                      "deadline")}
    try:
        set_facility(request.app.state.engine, enterprise_id, entry, principal.username)
    except RegisterError as exc:
        return _register_context(request, principal, error=error_text(request, exc), status_code=422)
    return see_other("/vn/register", saved=enterprise_id)


@router.post("/vn/register/station/{point_id}", response_class=HTMLResponse)
async def register_station(request: Request, point_id: int):
    principal, denied = _gate(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    if not _officer(principal) or not principal.sees_point(point_id):
        return denied_page(request, "Only DONRE accounts keep the register of their facilities.")
    try:
        set_installed(request.app.state.engine, point_id, (form.get("installed_on") or "").strip() or None,
                      principal.username, (form.get("note") or "").strip() or None)
    except RegisterError as exc:
        return _register_context(request, principal, error=error_text(request, exc), status_code=422)
    return see_other("/vn/register", saved=point_id)


# --------------------------------------------------------------------------- forwarding to MONRE

@router.get("/vn/forwarding", response_class=HTMLResponse)
def forwarding_page(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    if not _officer(principal):
        return denied_page(request, "Forwarding to MONRE is the DONRE's work.")
    q = request.query_params
    scope = principal.point_clause(ms.forward_queue.c.point_id) if principal.point_ids is not None else \
        ms.forward_queue.c.id.is_not(None)
    with request.app.state.engine.connect() as conn:
        targets = vn_forwarding.targets(conn, scope)
        chosen = int(q["target"]) if (q.get("target") or "").isdigit() else (targets[0].id if targets else None)
        status = q.get("status") if q.get("status") in ("pending", "failed", "delivered") else None
        failures = vn_forwarding.failures(conn, chosen, scope) if chosen else []
        items = vn_forwarding.items(conn, chosen, scope, status=status) if chosen else []
    return work_render(request, "vn_forwarding.html", {
        "targets": targets, "chosen": chosen, "failures": failures, "items": items, "failure_words": failure_words, "status": status or "",
        "tz": _zone(request), "resent": q.get("resent")})


@router.post("/vn/forwarding/{target_id}/resend", response_class=HTMLResponse)
async def forwarding_resend(request: Request, target_id: int):
    principal, denied = _gate(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    if not _officer(principal):
        return denied_page(request, "Forwarding to MONRE is the DONRE's work.")
    ids = None if form.get("all_failed") else [int(v) for v in form.getlist("item") if str(v).isdigit()]
    if ids == []:
        return see_other("/vn/forwarding", target=target_id, resent=0)
    points = None
    if principal.point_ids is not None:
        points = list(principal.point_ids)
    n = resend_items(request.app.state.engine, target_id, item_ids=ids, point_ids=points,
                     actor=principal.username)
    return see_other("/vn/forwarding", target=target_id, resent=n)


# --------------------------------------------------------------------------- the provincial report

@router.get("/vn/report")
def transmission_report(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    q = request.query_params
    tz, now = _zone(request), _now()
    today = now.astimezone(ZoneInfo(tz)).date()
    try:
        end = _day(q.get("end_day"), today)
        start = _day(q.get("start_day"), end - timedelta(days=6))
    except FormError as exc:
        return denied_page(request, exc, status_code=422)
    if end < start or (end - start).days > 92:
        return denied_page(request, "Choose a period of at most 93 days, the first day before the last.",
                           status_code=422)
    fmt = q.get("format") if q.get("format") in ("xlsx", "pdf") else "xlsx"
    ctx = page_context(request)  # the reader's language and date format, as on the pages
    tr = translations(ctx["lang"])
    with request.app.state.engine.connect() as conn:
        province = _province_name(conn, principal)
    report = build_transmission_report(
        request.app.state.engine, principal.point_clause(s.points.c.id),
        principal.enterprise_clause(s.enterprises.c.id), province=province, start_day=start, end_day=end, now=now,
        tz=tz, district=q.get("district") or None, industrial_zone=q.get("zone") or None,
        late_after_minutes=_late_after(request))
    fmt_date = ctx["fmt"].date
    name = f"bao-cao-truyen-nhan-{start.isoformat()}-{end.isoformat()}.{fmt}"
    if fmt == "pdf":
        sep = DECIMAL_SEP.get(ctx["lang"], ".")
        return Response(transmission_pdf(report, tr.gettext, fmt_date, sep), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(transmission_xlsx(report, tr.gettext, fmt_date),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _province_name(conn, principal: Principal) -> str:
    """The name of the top region the principal sees (the province for a DONRE account)."""
    r = s.regions
    rows = conn.execute(r.select().where(principal.region_clause(r.c.code))).mappings().all()
    codes = {x["code"] for x in rows}
    tops = [x for x in rows if x["parent_code"] not in codes]
    provinces = [x for x in tops if x["level"] == "province"] or tops
    return ", ".join(x["name"] for x in provinces) or "—"
