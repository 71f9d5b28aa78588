"""Deadlines of O&M work, pure: working days, the fault deadlines, planned frequencies, overdue findings.

Sources (``shared/reference/subsystems.md`` §4.3, all [R] unless noted, hence settings; issue 18 item 2):

* a fault is reported to the authority **within 12 h** and the equipment restored **within 5 working days**
  (or the provincial figure) [R];
* CEMS (HJ 75-2017 §11 [R]): routine inspection **≥ once per 7 days**; zero/span calibration daily where the
  system calibrates itself, every **15 days** where it does not; probe/filter maintenance **monthly**; relative-
  accuracy check (校验/比对) **≥ quarterly**;
* water analysers (HJ 355-2019 [R]): inspection **≥ weekly**; standard-solution check **every 24 h**; real-sample
  comparison (比对) **≥ monthly**; flow-meter check **≥ quarterly**.

Working days (ours, documented in ``docs/om.md``): Monday–Friday, less the public holidays of a settable list,
plus the adjusted working weekend days (调休) of another list, as the State Council's yearly holiday notice sets
them. "Within N working days" of a time ends at the end (24:00 local) of the N-th working day after that
time's local day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_
from ecosentry.subsystems.om.rules.findings import Finding, local_time
from ecosentry.subsystems.om.rules.workorders import KIND_WORDS, WorkOrder

__all__ = ["WorkCalendar", "DeadlineSettings", "is_working_day", "add_working_days", "working_days_between",
           "restore_deadline", "report_deadline", "deadline_of", "overdue_orders", "late_reports",
           "planned_gaps", "FaultStart", "PLANS", "plan_days_for", "CODES"]

_SRC = "subsystems.md §4.3"
_MOD = "ecosentry.subsystems.om.rules.deadlines"
CODES = ("OM-WO-OVERDUE", "OM-FAULT-REPORT-LATE", "OM-PLAN-OVERDUE")
for _r in (
    Rule("OM-WO-OVERDUE", "warning", "A work order was not done by its deadline (a fault restored within 5 working "
         "days; planned work within its own window).", f"{_SRC} (fault: restore ≤ 5 working days [R]); issue 18",
         _MOD, "R"),
    Rule("OM-FAULT-REPORT-LATE", "warning", "A fault's work order was opened (reported) more than 12 h after the "
         "fault began.", f"{_SRC} (fault: report ≤ 12 h [R]); 环发〔2008〕6号 (report failures)", _MOD, "R"),
    Rule("OM-PLAN-OVERDUE", "warning", "Planned O&M work (inspection, calibration, verification, comparison) was "
         "not done within its frequency.", f"{_SRC}: HJ 75-2017 §11 (inspection ≤ 7 d, calibration, quarterly "
         "校验/比对), HJ 355-2019 (weekly inspection, monthly 比对) [R]", _MOD, "R"),
):
    register(_r)
del _r


class WorkCalendar(BaseModel):
    """Public holidays and adjusted working weekend days (调休) of the jurisdiction: set them each year from the
    State Council's notice (ours: no list is built in, a wrong built-in list would be worse than none)."""

    holidays: list[date] = Field(default_factory=list)
    #: Saturdays and Sundays that are working days (调休上班).
    working_weekends: list[date] = Field(default_factory=list)


#: Planned frequencies per kind of system, in days between two done orders [R] (subsystems.md §4.3;
#: china-vietnam-rules.md §2.1). Daily zero/span and standard-solution checks are the analysers' own records
#: (``calibration.interval_hours``), not orders.
PLANS: dict[str, dict[str, float]] = {
    # HJ 75-2017 §11: inspection ≥ once per 7 days; 定期校验 every 6 months with auto-calibration (§2.1 [R]);
    # relative-accuracy check (校验/比对) ≥ quarterly (subsystems.md §4.3 [R])
    "cems_auto": {"weekly_inspection": 7, "comparison": 92, "verification": 183},
    # HJ 75-2017 §11 without auto-calibration: manual zero/span every 15 days; 定期校验 every 3 months
    "cems_manual": {"weekly_inspection": 7, "calibration": 15, "comparison": 92, "verification": 92},
    # HJ 355-2019: inspection ≥ weekly; real-sample comparison (实际水样比对) ≥ monthly; flow-meter check quarterly
    "water": {"weekly_inspection": 7, "comparison": 31, "verification": 92},
}


def plan_days_for(system: str) -> dict[str, float]:
    """The frequencies of :data:`PLANS` for ``cems_auto``, ``cems_manual`` or ``water`` (a copy, to set as
    :attr:`DeadlineSettings.plan_days` of a deployment or a point)."""
    return dict(PLANS[system])


class DeadlineSettings(BaseModel):
    """Every number of this module ([R] defaults, ``docs/om.md``)."""

    #: A fault is reported within this many hours of its start [R].
    report_hours: float = Field(12, gt=0)
    #: A fault is restored within this many working days [R] (some provinces set other figures).
    restore_working_days: int = Field(5, ge=1)
    #: Alarm kinds whose orders get the restore deadline.
    restore_kinds: list[str] = Field(default_factory=lambda: ["device_fault", "data_missing", "offline", "drift"])
    #: Deadline of a planned order without one: hours after its creation [ours].
    planned_order_hours: dict[str, float] = Field(default_factory=lambda: {
        "daily_inspection": 24, "weekly_inspection": 72, "calibration": 48, "verification": 240,
        "comparison": 240})
    #: Longest time between two done orders of a planned kind at one point, in days [R]: HJ 75-2017 §11 and
    #: HJ 355-2019 weekly inspection (7), manual calibration (15), quarterly 校验/比对 (92, HJ 75; HJ 355's water
    #: comparison is monthly: set 31 for wastewater points). Kinds not listed are not scheduled.
    plan_days: dict[str, float] = Field(default_factory=lambda: {"weekly_inspection": 7.0, "comparison": 92.0})
    #: Slack before a planned gap is a finding, in hours [ours].
    plan_grace_hours: float = Field(24, ge=0)
    calendar: WorkCalendar = WorkCalendar()


def is_working_day(d: date, calendar: WorkCalendar) -> bool:
    """Monday–Friday not a holiday, or an adjusted working weekend day (调休)."""
    if d in calendar.working_weekends:
        return True
    return d.weekday() < 5 and d not in calendar.holidays


def add_working_days(t: datetime, n: int, calendar: WorkCalendar, zone: ZoneInfo) -> datetime:
    """The end (24:00 local) of the ``n``-th working day after the local day of ``t``."""
    d = t.astimezone(zone).date()
    counted = 0
    while counted < n:
        d += timedelta(days=1)
        if is_working_day(d, calendar):
            counted += 1
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone)


def working_days_between(start: datetime, end: datetime, calendar: WorkCalendar, zone: ZoneInfo) -> int:
    """Working days after the local day of ``start`` up to and including the local day of ``end``."""
    d, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    n = 0
    while d < last:
        d += timedelta(days=1)
        n += is_working_day(d, calendar)
    return n


def restore_deadline(fault_start: datetime, settings: DeadlineSettings, zone: ZoneInfo) -> datetime:
    """End of the ``restore_working_days``-th working day after the fault's start [R]."""
    return add_working_days(fault_start, settings.restore_working_days, settings.calendar, zone)


def report_deadline(fault_start: datetime, settings: DeadlineSettings) -> datetime:
    return fault_start + timedelta(hours=settings.report_hours)


def deadline_of(order: WorkOrder, settings: DeadlineSettings, zone: ZoneInfo) -> datetime | None:
    """The order's own deadline, else the rule's: restore deadline from the fault's start (or the order's creation)
    for alarm orders, ``planned_order_hours`` after creation for planned ones."""
    if order.deadline is not None:
        return order.deadline
    if order.kind in settings.restore_kinds:
        return restore_deadline(order.fault_start or order.created, settings, zone)
    hours = settings.planned_order_hours.get(order.kind)
    return None if hours is None else order.created + timedelta(hours=hours)


def overdue_orders(orders: Iterable[WorkOrder], now: datetime, settings: DeadlineSettings,
                   zone: ZoneInfo) -> list[Finding]:
    """``OM-WO-OVERDUE`` for each order done after its deadline, or not done by ``now`` (a clock value, passed
    in). Cancelled orders are not judged. The finding runs from the deadline to the done time (or ``now``)."""
    out = []
    for o in orders:
        if o.state == "cancelled":
            continue
        due = deadline_of(o, settings, zone)
        if due is None:
            continue
        end = o.done_at if o.done_at is not None else now
        if end <= due:
            continue
        hours = round((end - due).total_seconds() / 3600, 1)
        msgid = (N_("Work order %(order)s (%(kind)s) at %(point)s was done at %(done)s, %(hours)s h after its "
                    "deadline %(deadline)s.") if o.done_at is not None else
                 N_("Work order %(order)s (%(kind)s) at %(point)s is not done %(hours)s h after its deadline "
                    "%(deadline)s."))
        params = {"order": o.order_id, "kind": KIND_WORDS[o.kind], "point": o.point,
                  "deadline": local_time(due.astimezone(zone)), "hours": hours,
                  "done": local_time(end.astimezone(zone))}
        out.append(Finding("OM-WO-OVERDUE", o.point, due.astimezone(zone), end.astimezone(zone), msgid, params,
                           {"order_id": o.order_id, "kind": o.kind, "created": o.created.isoformat(),
                            "deadline": due.isoformat(), "done": o.done_at.isoformat() if o.done_at else None,
                            "deadline_given": o.deadline is not None}))
    return out


@dataclass(frozen=True)
class FaultStart:
    """A fault as the data show it (a fault mark's start, an alarm's start) at a point."""

    point: str
    start: datetime
    #: When the fault ended (the mark's end); None: still on.
    end: datetime | None
    source: str


def late_reports(faults: Sequence[FaultStart], orders: Sequence[WorkOrder], settings: DeadlineSettings,
                 zone: ZoneInfo) -> list[Finding]:
    """``OM-FAULT-REPORT-LATE``: the first alarm order at the fault's point created during the fault (from an hour
    before its start to its end) is later than ``report_hours`` after its start. A fault with no such order is the
    consistency rules' business (``OM-MARK-NO-ORDER``)."""
    out = []
    by_point: dict[str, list[WorkOrder]] = {}
    for o in orders:
        if o.from_alarm and o.state != "cancelled":
            by_point.setdefault(o.point, []).append(o)
    for f in faults:
        cands = sorted((o for o in by_point.get(f.point, []) if f.start - timedelta(hours=1) <= o.created
                        and (f.end is None or o.created <= f.end)),
                       key=lambda o: o.created)
        due = report_deadline(f.start, settings)
        if not cands or cands[0].created <= due:
            continue
        o = cands[0]
        hours = round((o.created - f.start).total_seconds() / 3600, 1)
        out.append(Finding(
            "OM-FAULT-REPORT-LATE", f.point, f.start.astimezone(zone), o.created.astimezone(zone),
            N_("The fault at %(point)s from %(start)s was reported by work order %(order)s only %(hours)s h later; "
               "the limit is %(limit)s h."),
            {"point": f.point, "start": local_time(f.start.astimezone(zone)), "order": o.order_id, "hours": hours,
             "limit": f"{settings.report_hours:g}"},
            {"fault_source": f.source, "order_id": o.order_id, "created": o.created.isoformat()}))
    return out


def planned_gaps(orders: Sequence[WorkOrder], points: Iterable[str], period_start: datetime, now: datetime,
                 settings: DeadlineSettings, zone: ZoneInfo) -> list[Finding]:
    """``OM-PLAN-OVERDUE``: for each point and each scheduled kind (``plan_days``), every stretch from
    ``period_start`` (the data's start) or the last done order of the kind to the next done one (or ``now``) longer
    than the frequency plus ``plan_grace_hours``. The finding runs from the due time to the next done order (or
    ``now``)."""
    out = []
    done: dict[tuple[str, str], list[datetime]] = {}
    for o in orders:
        if o.done_at is not None and o.kind in settings.plan_days:
            done.setdefault((o.point, o.kind), []).append(o.done_at)
    for point in sorted(set(points)):
        for kind, days in settings.plan_days.items():
            times = sorted(done.get((point, kind), []))
            last = period_start
            for t in [*times, None]:
                nxt = now if t is None else t
                due = last + timedelta(days=days)
                if nxt > due + timedelta(hours=settings.plan_grace_hours):
                    out.append(Finding(
                        "OM-PLAN-OVERDUE", point, due.astimezone(zone), nxt.astimezone(zone),
                        N_("No %(kind)s was done at %(point)s from %(due)s to %(until)s; it is due every %(days)s "
                           "days."),
                        {"kind": KIND_WORDS[kind], "point": point, "due": local_time(due.astimezone(zone)),
                         "until": local_time(nxt.astimezone(zone)), "days": f"{days:g}"},
                        {"kind": kind, "last_done": last.isoformat() if last != period_start else None,
                         "next_done": t.isoformat() if t is not None else None}))
                if t is not None:
                    last = max(last, t)
    return out
