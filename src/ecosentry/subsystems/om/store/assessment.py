"""The monthly assessment over the stored data, computed and stored (``om_assessments``, ``om_station_health``).

:func:`assess_stored_month` reads one finished local month (:mod:`..queries.assessment`): the organisations'
contracts valid in it, the stored daily slot counts of their points (the core's read model
:mod:`ecosentry.store.queries.day_counts`, from the derived days the monitoring subsystem stores), the work
orders, marks, station-room door events and zero/span checks; runs the rules over them with the month's end as
the clock (overdue orders and planned work, late fault reports, failed checks and out-of-control periods,
unsupported marks, unexplained door openings); and scores the organisations and their stations
(:func:`..rules.assessment.assess`). The month's stored rows are replaced in one transaction: recomputing a month
gives the same rows (idempotent), and a recompute after late data or a settings change replaces them.

A finding counts in the month it begins, except a lasting state (:data:`ONGOING`): an order still overdue, a gap
in planned work or an out-of-control period that began the month before counts again in the month (it is still
there), from the month's first moment. Planned
work is judged over the month and the longest planning interval before it (``deadlines.plan_days``), so a
quarterly comparison done two months ago still counts.

**Provisional month to date** (``provisional=True``, :func:`assess_month_to_date`): the month ``now`` is in,
scored by the same rules over its days so far — the counts and the rules' clock end at ``now``'s hour — and stored
like a finished month with ``provisional: true`` and ``until`` in each row's detail, so the ranking page, its
reports and the API show it (labelled provisional) in the same scope. It is recomputed by every pass of the job;
once the month ends, the job's pass of the finished month replaces its rows (no longer provisional).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, select

from ecosentry.subsystems.om.queries import assessment as q
from ecosentry.subsystems.om.rules.assessment import Assessment, assess, month_of
from ecosentry.subsystems.om.rules.calibration import (CalibrationCheck, RateCounts, judge_checks,
                                                       out_of_control_findings, out_of_control_periods,
                                                       overdue_calibrations)
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark, unexplained_doors, unsupported_marks
from ecosentry.subsystems.om.rules.deadlines import FaultStart, late_reports, overdue_orders, planned_gaps
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.schema import om_assessments, om_organisations, om_station_health
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.workorders import as_rule_order

__all__ = ["MonthNotFinished", "MonthResult", "assess_stored_month", "assess_month_to_date", "last_finished_month",
           "month_findings"]


#: Findings of a state that lasts: counted in every month they overlap (the others in the month they begin).
ONGOING = ("OM-WO-OVERDUE", "OM-PLAN-OVERDUE", "OM-CAL-OUT-OF-CONTROL")


class MonthNotFinished(ValueError):
    """The month has not ended yet at the clock."""


@dataclass
class MonthResult:
    month: str
    organisations: list[tuple[str, str, Assessment]]     # (code, name, assessment), best first
    stations: list[tuple[str, int, Assessment]]          # (organisation code, point id, station assessment)
    findings: list[Finding]


def last_finished_month(now: datetime, zone: ZoneInfo) -> str:
    """The local month before the one ``now`` is in."""
    first = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return month_of(first - timedelta(days=1), zone)


def month_findings(marks: list[Mark], orders: list, doors: list[DoorEvent], checks: list[CalibrationCheck],
                   points: list[str], t0: datetime, t1: datetime, plan_from: datetime, settings: OmSettings,
                   zone: ZoneInfo) -> list[Finding]:
    """Every O&M rule over the month's data with the month's end ``t1`` as the clock; the findings overlapping
    [t0, t1), those begun earlier starting at ``t0``."""
    faults = [FaultStart(m.point, m.start, m.end, f"mark {m.mark_id}") for m in marks if m.kind == "fault"]
    periods = out_of_control_periods(checks, t1, settings.calibration)
    periods += overdue_calibrations(checks, t1, settings.calibration)
    found = (overdue_orders(orders, t1, settings.deadlines, zone)
             + late_reports(faults, orders, settings.deadlines, zone)
             + planned_gaps(orders, points, plan_from, t1, settings.deadlines, zone)
             + judge_checks(checks, settings.calibration, zone)
             + out_of_control_findings(periods, zone)
             + unsupported_marks(marks, orders, doors, t1, settings.consistency, zone, checks)
             + unexplained_doors(doors, orders, marks, t1, settings.consistency, zone))
    out = []
    local0 = t0.astimezone(zone)
    for f in found:
        if f.start >= t1 or f.end < t0 or (f.start < t0 and f.code not in ONGOING):
            continue
        out.append(replace(f, start=local0) if f.start < t0 else f)
    return sorted(out, key=lambda f: (f.start, f.point, f.code))


def _in_month(t: datetime | None, month: str, zone: ZoneInfo) -> bool:
    return t is not None and month_of(t, zone) == month


def _codes(findings: list[Finding], points: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        if f.point in points:
            out[f.code] = out.get(f.code, 0) + 1
    return dict(sorted(out.items()))


def assess_month_to_date(engine: Engine, now: datetime, settings: OmSettings, *, store: bool = True
                         ) -> MonthResult:
    """The local month ``now`` is in, provisionally, over its days so far (stored with ``store``)."""
    return assess_stored_month(engine, month_of(now, ZoneInfo(settings.timezone)), settings, now, store=store,
                               provisional=True)


def assess_stored_month(engine: Engine, month: str, settings: OmSettings, now: datetime, *,
                        store: bool = True, provisional: bool = False) -> MonthResult:
    """Assess the finished local month ``YYYY-MM`` over the stored data and (with ``store``) replace its rows;
    with ``provisional`` the month ``now`` is in, up to ``now``'s hour.

    Raises :class:`MonthNotFinished` when the month has not ended at ``now`` (or, ``provisional``, is not the month
    of ``now``), ``ValueError`` for a bad month."""
    zone = ZoneInfo(settings.timezone)
    t0, t1 = q.month_bounds(month, zone)
    until = None
    if provisional:
        if not t0 <= now < t1:
            raise MonthNotFinished(month)
        hour = now.replace(minute=0, second=0, microsecond=0)
        t1 = until = hour if hour > t0 else now
    elif t1 > now:
        raise MonthNotFinished(month)
    plan_days = max(settings.deadlines.plan_days.values(), default=7)
    plan_from = t0 - timedelta(days=plan_days, hours=settings.deadlines.plan_grace_hours)
    margin = timedelta(days=2)   # marks, doors and checks just before the month explain or open its findings
    with engine.connect() as conn:
        contracts = q.contracted_points(conn, month)
        orgs = {r.id: (r.code, r.name) for r in conn.execute(select(om_organisations.c.id, om_organisations.c.code,
                                                                    om_organisations.c.name))}
        ids = sorted({p for pts in contracts.values() for p in pts})
        order_rows = q.month_orders(conn, ids, plan_from, t1)
        mark_rows = q.month_marks(conn, ids, t0 - margin, t1)
        door_rows = q.month_doors(conn, ids, t0 - margin, t1 + timedelta(hours=settings.consistency.order_margin_hours))
        check_rows = q.month_checks(conn, ids, t0 - timedelta(days=7), t1)
        slots = q.slot_counts(conn, ids, t0, t1)
    orders = [as_rule_order(r) for r in order_rows]
    marks = [Mark(str(r["id"]), str(r["point_id"]), (r["factor_codes"] or "").split(",")[0].strip(), r["type"],
                  r["start"], r["end"]) for r in mark_rows]
    doors = [DoorEvent(str(r["point_id"]), r["at"], r["event"] == "open") for r in door_rows]
    checks = [CalibrationCheck(str(r["point_id"]), r["factor_code"], r["at"], r["kind"], r["result"], r["drift_pct"])
              for r in check_rows]
    findings = month_findings(marks, orders, doors, checks, [str(p) for p in ids], t0, t1, plan_from, settings, zone)
    counts = {str(p): RateCounts(*slots.get(p, (0, 0, 0))) for p in ids}
    # what the month counts: orders created, marks started, checks made in it; findings overlapping it
    orders_m = [o for o in orders if _in_month(o.created, month, zone)]
    marks_m = [m for m in marks if _in_month(m.start, month, zone)]
    checks_m = [c for c in checks if _in_month(c.time, month, zone)]
    a_s, cal, dl = settings.assessment, settings.calibration, settings.deadlines
    marker = {"provisional": True, "until": until.astimezone(timezone.utc).isoformat()} if until is not None else {}
    kinds = settings.consistency.supported_kinds
    organisations, stations = [], []
    for org_id, pts in contracts.items():
        code, name = orgs[org_id]
        names = [str(p) for p in sorted(pts)]
        organisations.append((code, name, org_id, assess(code, names, counts, orders_m, marks_m, checks_m, findings,
                                                         a_s, dl, cal, zone, supported_kinds=kinds)))
        for p in sorted(pts):
            stations.append((code, org_id, p, assess(str(p), [str(p)], counts, orders_m, marks_m, checks_m, findings,
                                                     a_s, dl, cal, zone, station=True, supported_kinds=kinds)))
    organisations.sort(key=lambda x: (-x[3].score, x[1], x[0]))
    if store:
        rows_o, rows_s = [], []
        for rank, (code, _name, org_id, a) in enumerate(organisations, start=1):
            pts = set(a.points)
            rows_o.append({"month": month, "organisation_id": org_id, "rank": rank, "score": a.score,
                           "grade": a.grade, "points": len(a.points), "expected": a.counts.expected,
                           "received": a.counts.received, "valid": a.counts.valid,
                           "detail": {**a.as_dict(), "findings": _codes(findings, pts),
                                      "overdue_penalty": a_s.overdue_penalty, **marker}, "computed_at": now})
        for _code, org_id, p, a in stations:
            rows_s.append({"month": month, "organisation_id": org_id, "point_id": p, "score": a.score,
                           "health": a.grade, "critical": a.critical,
                           "detail": {**a.as_dict(), "findings": _codes(findings, {str(p)}), **marker},
                           "computed_at": now})
        with engine.begin() as conn:
            conn.execute(delete(om_station_health).where(om_station_health.c.month == month))
            conn.execute(delete(om_assessments).where(om_assessments.c.month == month))
            if rows_o:
                conn.execute(insert(om_assessments), rows_o)
            if rows_s:
                conn.execute(insert(om_station_health), rows_s)
    return MonthResult(month, [(c, n, a) for c, n, _i, a in organisations],
                       [(c, p, a) for c, _i, p, a in stations], findings)
