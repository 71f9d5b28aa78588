"""``/om/calibrations``: the calibration history of one analyser (issue 18 items 3 and 7), ``?point=&factor=``
(``from``/``to``: local days, by default the last :data:`DEFAULT_DAYS` days): its zero and span checks over time,
each with its drift against the allowed drift of the analyser's type (``om.calibration.allowed_drift``), the
rule's verdict (pass/fail) beside the recorded result, the out-of-control (失控) and overdue periods the checks make
(:func:`..rules.calibration.out_of_control_periods`, :func:`..rules.calibration.overdue_calibrations`: the data
in them are invalid), and a small drift chart (plotly.js, the core's ``/vendor/plotly``, drawn by
``/om/calibrations/chart.js``: no CDN). Without a point, the analysers in the reader's scope that have checks.

Who: ``marks.read`` (the calibration records are O&M records beside the marks), not the public; a point outside
the reader's scope answers 404 like an unknown one. Times are the point's local time.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from ecosentry.alarms.voice import factor_names
from ecosentry.said import N_
from ecosentry.subsystems.om.queries import calibrations as q
from ecosentry.subsystems.om.rules.calibration import (CHECK_WORDS, RESULT_WORDS, allowed_drift, analyser_type,
                                                       out_of_control_periods, overdue_calibrations, verdict)
from ecosentry.subsystems.om.schema import om_calibrations as cal
from ecosentry.subsystems.om.web.order_views import now, om_settings, reader
from ecosentry.web.forms import FormError, error_text, not_found, work_render
from ecosentry.web.templating import page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

SCRIPT = Path(__file__).parent / "static" / "om_calibrations.js"
#: Days the history shows when no range is asked for [ours].
DEFAULT_DAYS = 90
#: Longest range one page shows (a year of daily automatic checks is 730 rows) [ours].
MAX_DAYS = 400
#: The period's reason as a reader says it.
REASONS = {"failed": N_("out of control (a check failed)"), "overdue": N_("calibration overdue")}
#: The analyser types (``rules.calibration``) as a reader says them.
TYPE_WORDS = {"particulate": N_("particulate analyser"), "gas": N_("gas analyser"), "o2": N_("oxygen analyser"),
              "velocity": N_("flow velocity meter"), "water": N_("water analyser")}


@router.get("/om/calibrations/chart.js", include_in_schema=False)
def chart_script():
    return FileResponse(SCRIPT, media_type="text/javascript")


def _day(value: str | None, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(N_("%(value)s is not a day (YYYY-MM-DD)."), field, value=value) from None


def _local(t: datetime, zone: ZoneInfo) -> str:
    """A naive local time for the chart (plotly draws times as given: it has no zones)."""
    return t.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _first_shown(checks: list[dict], periods: list, start: datetime) -> datetime:
    """Where the chart's time axis begins: a little before the first check or period in the range (a range of
    90 days with a week of checks would squeeze them into its right edge), else the range's start."""
    times = [r["at"] for r in checks] + [max(p.start, start) for p in periods]
    return max(start, min(times) - timedelta(hours=12)) if times else start


def _covered(periods: list, start: datetime, end: datetime) -> timedelta:
    """How long the data are invalid within ``[start, end)``: the union of the periods (a failed check and an
    overdue one may overlap)."""
    total, reach = timedelta(0), start
    for p in sorted(periods, key=lambda p: p.start):
        a, b = max(p.start, reach), min(p.end, end)
        if b > a:
            total += b - a
            reach = b
    return total


@router.get("/om/calibrations")
def calibrations_page(request: Request, point: str = "", factor: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    ctx = page_context(request)
    _ = ctx["_"]
    engine = request.app.state.engine
    with engine.connect() as conn:
        names = factor_names(conn, ctx["lang"])
        if not point.strip() or not factor.strip():
            rows = q.analysers(conn, principal.point_clause(cal.c.point_id))
            for r in rows:
                r["factor_name"] = names.get(r["factor_code"], (r["factor_code"],))[0]
            return work_render(request, "om_calibrations.html", {"analysers": rows, "head": None})
        try:
            point_id = int(point)
        except ValueError:
            return not_found(request, "point")
        head = q.point_head(conn, point_id)
        if head is None or not principal.sees_point(point_id):
            return not_found(request, "point")
        zone = ZoneInfo(head["tz"])
        st = om_settings(request).calibration
        at = now()
        error = None
        today = at.astimezone(zone).date()
        try:
            first = _day(request.query_params.get("from"), "from")
            last = _day(request.query_params.get("to"), "to") or today
            first = first or last - timedelta(days=DEFAULT_DAYS - 1)
            if first > last or (last - first).days >= MAX_DAYS:
                raise FormError(N_("Choose a range of at most %(days)s days, the first day before the last."),
                                "from", days=MAX_DAYS)
        except FormError as exc:
            error = error_text(request, exc, head["tz"])
            last = today
            first = last - timedelta(days=DEFAULT_DAYS - 1)
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(last + timedelta(days=1), time(), zone)
        every = q.series_checks(conn, point_id, factor)   # the periods need the whole history
    checks = [r for r in every if start <= r["at"] < end]
    rule_checks = q.as_rule_checks(every)
    periods = [p for p in (*out_of_control_periods(rule_checks, at, st), *overdue_calibrations(rule_checks, at, st))
               if p.start < end and p.end > start]
    periods.sort(key=lambda p: p.start)
    allowed = {kind: allowed_drift(factor, kind, st) for kind in ("zero", "span")}
    for r in checks:
        r["allowed"] = allowed[r["kind"]]
        r["rule_verdict"] = verdict(q.as_rule_checks([r])[0], st)
        r["mismatch"] = r["drift_pct"] is not None and r["rule_verdict"] != r["result"]
    factor_name = names.get(factor, (factor,))[0]
    chart = {"series": {kind: {"name": _(CHECK_WORDS[kind]), "t": [_local(r["at"], zone) for r in checks
                                                                    if r["kind"] == kind and r["drift_pct"] is not None],
                               "v": [r["drift_pct"] for r in checks if r["kind"] == kind and r["drift_pct"] is not None],
                               "fail": [r["rule_verdict"] == "fail" for r in checks
                                        if r["kind"] == kind and r["drift_pct"] is not None],
                               "allowed": allowed[kind]} for kind in ("zero", "span")},
             "periods": [[_local(max(p.start, start), zone), _local(min(p.end, end), zone), p.reason]
                         for p in periods],
             "start": _local(_first_shown(checks, periods, start), zone), "end": _local(min(end, max(at, start)), zone),
             "words": {"drift": _("Drift (% F.S.)"), "allowed": _("allowed drift"), "failed": _(REASONS["failed"]),
                       "overdue": _(REASONS["overdue"]), "fail": _("fail")}}
    summary = {"checks": len(checks), "failed": sum(r["rule_verdict"] == "fail" for r in checks),
               "mismatch": sum(r["mismatch"] for r in checks),
               "worst": max((abs(r["drift_pct"]) for r in checks if r["drift_pct"] is not None), default=None),
               "invalid_hours": round(_covered(periods, start, end).total_seconds() / 3600, 1)}
    return work_render(request, "om_calibrations.html", {
        "head": head, "factor": factor, "factor_name": factor_name, "checks": checks, "periods": periods,
        "allowed": allowed, "type_word": TYPE_WORDS.get(analyser_type(factor, st), analyser_type(factor, st)),
        "summary": summary, "chart_json": json.dumps(chart, ensure_ascii=False), "first": first, "last": last,
        "error": error, "check_words": CHECK_WORDS, "result_words": RESULT_WORDS, "reasons": REASONS,
        "at": at})
