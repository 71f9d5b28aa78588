"""Simulated stations with ground truth for the benchmark and the tests: honest O&M with legitimate variation, and
injected violations, each with the codes it must raise.

Honest behaviour of one station over ``days`` days (times in the stations' zone):

* a weekly inspection order (created the evening before, on site in the morning, done 1–2 h later; the door opens
  at arrival, sometimes twice; now and then a maintenance mark over the visit, sometimes filed up to 40 minutes
  before arrival), at most 7.5 days apart;
* daily automatic zero and span checks of each factor at about 03:00, drifting well inside the allowed drift, each
  with its short calibration mark (supported by the analyser's own record);
* now and then a device fault: a fault mark from the fault's start to the repair, the alarm order opened 0.5–8 h
  later, the engineer on site within hours (door), the repair within 1–4 working days, across weekends too;
  sometimes the engineer was already at the station and opened the door up to 45 minutes before the order.

Violations (:data:`VIOLATIONS`: name → the codes that must be found, and codes also true of it), each on days of
its own: a false mark (no order, no visit), a remotely filed mark (an order, no visit), an unexplained door
opening, an overdue repair, a late fault report, a failed calibration (fixed on site the same morning), a check
recorded "pass" over a drift beyond the limit, a skipped inspection, two days without automatic calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.om.check import Dataset
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark
from ecosentry.subsystems.om.rules.workorders import WorkOrder

__all__ = ["VIOLATIONS", "Injected", "SimStation", "simulate_station", "merge", "FACTORS"]

FACTORS = ("a21026", "a21002", "a34013")
#: violation → (codes that must be found, codes also true of it).
VIOLATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "false_mark": (("OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR"), ()),
    "remote_mark": (("OM-MARK-NO-DOOR",), ()),
    "door_unexplained": (("OM-DOOR-UNEXPLAINED",), ()),
    "overdue_order": (("OM-WO-OVERDUE",), ()),
    "late_report": (("OM-FAULT-REPORT-LATE",), ()),
    "cal_fail": (("OM-CAL-FAIL", "OM-CAL-OUT-OF-CONTROL"), ()),
    "cal_mismatch": (("OM-CAL-RESULT-MISMATCH",), ("OM-CAL-FAIL", "OM-CAL-OUT-OF-CONTROL")),
    "missed_inspection": (("OM-PLAN-OVERDUE",), ()),
    "missed_calibration": (("OM-CAL-OVERDUE",), ()),
}
#: Days each violation needs of its own.
_SPAN = {"overdue_order": 12, "late_report": 4, "missed_calibration": 3}


@dataclass(frozen=True)
class Injected:
    violation: str
    point: str
    start: datetime
    end: datetime

    @property
    def codes(self) -> tuple[str, ...]:
        return VIOLATIONS[self.violation][0]

    @property
    def also(self) -> tuple[str, ...]:
        return VIOLATIONS[self.violation][1]


@dataclass
class SimStation:
    point: str
    days: int
    start: datetime
    marks: list[Mark] = field(default_factory=list)
    orders: list[WorkOrder] = field(default_factory=list)
    doors: list[DoorEvent] = field(default_factory=list)
    checks: list[CalibrationCheck] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)

    @property
    def end(self) -> datetime:
        """The end of the simulated period: the clock of the check."""
        return self.start + timedelta(days=self.days)

    def dataset(self) -> Dataset:
        return Dataset(list(self.marks), list(self.orders), list(self.doors), list(self.checks))


def merge(stations: list[SimStation]) -> Dataset:
    ds = Dataset()
    for s in stations:
        ds.marks += s.marks
        ds.orders += s.orders
        ds.doors += s.doors
        ds.checks += s.checks
    return ds


class _Builder:
    def __init__(self, point: str, rng: np.random.Generator, zone: ZoneInfo, start: datetime, days: int) -> None:
        self.s = SimStation(point, days, start)
        self.rng, self.zone, self.start, self.n = rng, zone, start, 0

    def day(self, d: int, hours: float) -> datetime:
        return self.start + timedelta(days=d, hours=hours)

    def uid(self, prefix: str) -> str:
        self.n += 1
        return f"{self.s.point}-{prefix}{self.n}"

    def visit(self, at: datetime, minutes: float, twice: bool = False) -> None:
        p = self.s.point
        if twice:
            half = minutes / 3
            self.s.doors += [DoorEvent(p, at, True), DoorEvent(p, at + timedelta(minutes=half), False),
                             DoorEvent(p, at + timedelta(minutes=2 * half), True),
                             DoorEvent(p, at + timedelta(minutes=minutes), False)]
        else:
            self.s.doors += [DoorEvent(p, at, True), DoorEvent(p, at + timedelta(minutes=minutes), False)]

    def order(self, kind: str, created: datetime, on_site: datetime | None, done: datetime | None,
              prefix: str = "W") -> WorkOrder:
        o = WorkOrder(self.uid(prefix), self.s.point, kind, created,
                      state="done" if done else "on_site" if on_site else "created", on_site_at=on_site, done_at=done)
        self.s.orders.append(o)
        return o

    def mark(self, kind: str, factor: str, start: datetime, end: datetime | None) -> Mark:
        m = Mark(self.uid("M"), self.s.point, factor, kind, start, end)
        self.s.marks.append(m)
        return m

    def check(self, factor: str, at: datetime, kind: str, drift: float, result: str | None = None) -> None:
        limit = 2.0 if factor == "a34013" else 2.5
        res = result or ("pass" if abs(drift) <= limit else "fail")
        self.s.checks.append(CalibrationCheck(self.s.point, factor, at, kind, res, round(drift, 2)))

    def inspection(self, at: datetime) -> None:
        created = at - timedelta(hours=15)
        minutes = float(self.rng.uniform(50, 110))
        self.order("weekly_inspection", created, at, at + timedelta(minutes=minutes))
        self.visit(at - timedelta(minutes=float(self.rng.uniform(0, 10))), minutes + 5, twice=self.rng.random() < 0.3)
        if self.rng.random() < 0.5:   # filed on arrival, or up to 40 minutes ahead from the office (within margin)
            f = str(self.rng.choice(FACTORS))
            lead = float(self.rng.choice([-10.0, self.rng.uniform(0, 40)]))
            self.mark("maintenance", f, at - timedelta(minutes=lead), at + timedelta(minutes=minutes - 5))

    def fault(self, t0: datetime, report_h: float, repair_days: float, kind: str | None = None) -> tuple:
        f = str(self.rng.choice(FACTORS))
        created = t0 + timedelta(hours=report_h)
        on_site = created + timedelta(hours=float(self.rng.uniform(1, 6)))
        done = t0 + timedelta(days=repair_days)
        done = max(done, on_site + timedelta(hours=1))
        self.order(kind or str(self.rng.choice(["device_fault", "data_missing", "offline"])), created, on_site, done)
        self.visit(on_site, float(self.rng.uniform(40, 120)))
        if self.rng.random() < 0.2:   # the engineer was already there and phoned it in: the door opened before
            self.visit(created - timedelta(minutes=float(self.rng.uniform(5, 45))), 10)
        self.mark("fault", f, t0, done)
        return created, done


def _working_days_later(t: datetime, n: float) -> datetime:
    """About ``n`` working days after ``t`` (weekends skipped; the benchmark has no holidays)."""
    out, left = t, n
    while left > 0:
        out += timedelta(days=min(1.0, left))
        if out.weekday() < 5:
            left -= 1
    return out


def simulate_station(seed: int, index: int, days: int = 28, violations: tuple[str, ...] = (),
                     zone: str = "Asia/Shanghai", start: datetime | None = None) -> SimStation:
    rng = np.random.default_rng([seed, index])
    tz = ZoneInfo(zone)
    start = start or datetime(2026, 3, 2, tzinfo=tz)   # a Monday
    b = _Builder(f"P{index:04d}", rng, tz, start, days)
    busy: set[int] = set()        # days of violations and faults (each its own)
    visits: set[int] = set()      # the day of an inspection and the day before (its order is created then)
    # weekly inspections: on days 0, 7, 14 ... at 09:00–11:00
    inspect_days = list(range(0, days, 7))
    skipped = None
    if "missed_inspection" in violations and len(inspect_days) > 2:
        skipped = inspect_days[1 + int(rng.integers(0, len(inspect_days) - 2))]
    for d in inspect_days:
        visits |= {d - 1, d}
        if d == skipped:
            continue
        b.inspection(b.day(d, float(rng.uniform(9, 11))))
    if skipped is not None:
        b.s.injected.append(Injected("missed_inspection", b.s.point, b.day(skipped, 0), b.day(skipped + 7, 12)))

    def free(span: int, short: bool = True) -> int | None:
        """A first day of ``span`` days touching no other violation or fault; a short violation (a mark, a door)
        also keeps off the inspections, whose orders would explain it."""
        options = [d for d in range(1, days - span) if not any(x in busy for x in range(d - 1, d + span + 1))
                   and not (short and d in visits)]
        if not options:
            return None
        d = int(rng.choice(options))
        busy.update(range(d - 1, d + span + 1))
        return d

    cal_skip: dict[str, set[int]] = {}
    cal_special: dict[tuple[str, int], tuple[str, float, str | None]] = {}
    for v in violations:
        if v == "missed_inspection":
            continue
        d = free(_SPAN.get(v, 1), v in ("false_mark", "remote_mark", "door_unexplained"))
        if d is None:
            continue
        p = b.s.point
        if v == "false_mark":
            t = b.day(d, float(rng.uniform(13, 16)))
            b.mark(str(rng.choice(["maintenance", "fault"])), str(rng.choice(FACTORS)), t, t + timedelta(hours=2))
            b.s.injected.append(Injected(v, p, t, t + timedelta(hours=2)))
        elif v == "remote_mark":
            t = b.day(d, float(rng.uniform(13, 16)))
            b.order("device_fault", t - timedelta(hours=1), None, t + timedelta(hours=3))
            b.mark("maintenance", str(rng.choice(FACTORS)), t, t + timedelta(hours=2))
            b.s.injected.append(Injected(v, p, t, t + timedelta(hours=2)))
        elif v == "door_unexplained":
            t = b.day(d, float(rng.uniform(19, 22)))
            b.visit(t, float(rng.uniform(5, 30)))
            b.s.injected.append(Injected(v, p, t, t + timedelta(minutes=30)))
        elif v == "overdue_order":
            t0 = b.day(d, float(rng.uniform(8, 18)))
            created, done = b.fault(t0, float(rng.uniform(0.5, 6)), 0, kind="device_fault")
            late = _working_days_later(t0, 7)
            o = b.s.orders[-1]
            b.s.orders[-1] = WorkOrder(o.order_id, o.point, o.kind, o.created, "done", on_site_at=o.on_site_at,
                                       done_at=late)
            m = b.s.marks[-1]
            b.s.marks[-1] = Mark(m.mark_id, m.point, m.factor, m.kind, m.start, late)
            b.s.injected.append(Injected(v, p, t0, late))
        elif v == "late_report":
            t0 = b.day(d, float(rng.uniform(0, 6)))
            created, done = b.fault(t0, float(rng.uniform(16, 30)), 2.0)
            b.s.injected.append(Injected(v, p, t0, created))
        elif v == "cal_fail":
            f = str(rng.choice(FACTORS))
            cal_special[(f, d)] = ("span", float(rng.choice([-1, 1]) * rng.uniform(4, 9)), None)
            t_fail = b.day(d, 3)
            on_site = b.day(d, 9)
            b.order("calibration", b.day(d, 4), on_site, on_site + timedelta(hours=2))
            b.visit(on_site - timedelta(minutes=5), 130)
            b.mark("calibration", f, on_site, on_site + timedelta(hours=2))
            b.check(f, on_site + timedelta(hours=2), "span", float(rng.normal(0, 0.4)))
            b.s.injected.append(Injected(v, p, t_fail, on_site + timedelta(hours=2)))
        elif v == "cal_mismatch":
            f = str(rng.choice(FACTORS))
            cal_special[(f, d)] = ("zero", float(rng.uniform(4, 7)), "pass")
            b.s.injected.append(Injected(v, p, b.day(d, 3), b.day(d + 1, 4)))
        elif v == "missed_calibration":
            f = str(rng.choice(FACTORS))
            cal_skip[f] = {d, d + 1}
            b.s.injected.append(Injected(v, p, b.day(d, 3), b.day(d + 2, 4)))
    # honest faults on free days
    for _ in range(int(rng.integers(0, 3))):
        d = free(7, False)
        if d is None:
            break
        t0 = b.day(d, float(rng.uniform(0, 24)))
        b.fault(t0, float(rng.uniform(0.5, 8)), 0)
        o = b.s.orders[-1]
        done = max(_working_days_later(t0, float(rng.uniform(0.5, 4))), o.on_site_at + timedelta(hours=1))
        b.s.orders[-1] = WorkOrder(o.order_id, o.point, o.kind, o.created, "done", on_site_at=o.on_site_at,
                                   done_at=done)
        m = b.s.marks[-1]
        b.s.marks[-1] = Mark(m.mark_id, m.point, m.factor, m.kind, m.start, done)
    # daily automatic calibration
    for d in range(days):
        for f in FACTORS:
            if d in cal_skip.get(f, ()):
                continue
            t = b.day(d, 3) + timedelta(minutes=float(rng.uniform(0, 20)))
            limit = 2.0 if f == "a34013" else 2.5
            for kind, offset in (("zero", 0), ("span", 5)):
                special = cal_special.get((f, d))
                if special and special[0] == kind:
                    b.check(f, b.day(d, 3), kind, special[1], special[2])
                else:
                    b.check(f, t + timedelta(minutes=offset), kind, float(rng.uniform(-0.7, 0.7) * limit))
            b.mark("calibration", f, t - timedelta(minutes=1), t + timedelta(minutes=12))
    return b.s
