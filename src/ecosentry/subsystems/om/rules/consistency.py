"""Marks, work orders, door openings, video and instrument parameters tied together, pure.

Rules (``shared/reference/subsystems.md`` §4.4 "rule for the platform" [ours], §7 items 27 and 30; issue 18
items 4 and 8; false marking is an offence, ``china-vietnam-rules.md`` §4.2, §5.1):

* every maintenance, calibration or fault mark needs (a) a work order of its point whose working window overlaps
  the mark, of a kind that fits the mark, (b) an opening of the station-room door within the mark's window, and
  (c) where video is known, a clip of the station room within it. A calibration mark over a zero/span check the
  analyser recorded itself (automatic calibration) is supported by that record [ours];
* every opening of the station-room door needs a work order at work then, or a mark over it;
* an instrument parameter reported unlike its registered value (range, curve, K, dilution ...) needs a work
  order at work then (the pure part of item 8; the loggers' CN 3020 reports come with the tables).

Windows are widened by settable margins (the door opens a little before the mark starts; the order is created
a little after the fault) [ours].
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.findings import Finding, factor_name, local_time
from ecosentry.subsystems.om.rules.workorders import WorkOrder

__all__ = ["ConsistencySettings", "Mark", "DoorEvent", "VideoClip", "RegisteredParameter", "ReportedParameter",
           "MARK_KIND_WORDS", "unsupported_marks", "unexplained_doors", "parameter_changes", "CODES"]

_SRC = "subsystems.md §4.4, §7 items 27, 30"
_MOD = "ecosentry.subsystems.om.rules.consistency"
CODES = ("OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR", "OM-MARK-NO-VIDEO", "OM-DOOR-UNEXPLAINED",
         "OM-PARAM-CHANGE-NO-ORDER")
for _r in (
    Rule("OM-MARK-NO-ORDER", "critical", "A maintenance, calibration or fault mark has no work order of a fitting "
         "kind at work during it (a possibly false mark).", f"{_SRC}; 《污染物排放自动监测设备标记规则》; "
         "china-vietnam-rules.md §4.2, §5.1", _MOD, "ours/S"),
    Rule("OM-MARK-NO-DOOR", "critical", "A maintenance, calibration or fault mark has no opening of the station-room "
         "door during it: nobody was there.", f"{_SRC}; china-vietnam-rules.md §5.1", _MOD, "ours/S"),
    Rule("OM-MARK-NO-VIDEO", "warning", "A maintenance, calibration or fault mark has no station-room video during "
         "it.", f"{_SRC}", _MOD, "ours"),
    Rule("OM-DOOR-UNEXPLAINED", "warning", "The station-room door opened with no work order at work and no mark: an "
         "unrecorded visit to the analysers.", f"{_SRC}; subsystems.md §4.4 [R]", _MOD, "ours"),
    Rule("OM-PARAM-CHANGE-NO-ORDER", "critical", "An instrument parameter differs from its registered value and no "
         "work order covers the change.", f"{_SRC}; china-vietnam-rules.md §5.6 (parameter drift)", _MOD, "ours"),
):
    register(_r)
del _r

#: Mark kind as a sentence says it.
MARK_KIND_WORDS = {"maintenance": N_("maintenance"), "calibration": N_("calibration"), "fault": N_("fault")}


class ConsistencySettings(BaseModel):
    """Margins and which kinds need which support ([ours] defaults, ``docs/om.md``)."""

    #: Mark kinds that need a work order and a door opening (issue 18 item 4).
    supported_kinds: list[str] = Field(default_factory=lambda: ["maintenance", "calibration", "fault"])
    #: Order kinds that fit a mark kind (a maintenance mark fits any order).
    fitting_orders: dict[str, list[str]] = Field(default_factory=lambda: {
        "calibration": ["calibration", "verification", "comparison", "drift", "daily_inspection",
                        "weekly_inspection"],
        "fault": ["device_fault", "data_missing", "offline", "drift"]})
    #: An order counts from this many hours before its creation to this many after it is done [ours].
    order_margin_hours: float = Field(1, ge=0)
    #: A door opening counts from this many minutes before a mark starts to this many after it ends [ours].
    door_margin_minutes: float = Field(60, ge=0)
    #: A calibration mark over the analyser's own recorded zero/span check needs no visit [ours].
    auto_calibration_supports_mark: bool = True
    #: A reported parameter differs from its registered value when |Δ| > this share of it (or of 1 at zero) [ours].
    parameter_tolerance: float = Field(0.001, ge=0)


@dataclass(frozen=True)
class Mark:
    mark_id: str
    point: str
    factor: str
    kind: str
    start: datetime
    end: datetime | None      # None: still open


@dataclass(frozen=True)
class DoorEvent:
    point: str
    time: datetime
    opened: bool


@dataclass(frozen=True)
class VideoClip:
    point: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RegisteredParameter:
    point: str
    factor: str
    name: str
    value: float


@dataclass(frozen=True)
class ReportedParameter:
    point: str
    factor: str
    name: str
    time: datetime
    value: float


def _order_windows(orders: Sequence[WorkOrder], now: datetime, margin: timedelta
                   ) -> dict[str, list[tuple[datetime, datetime, WorkOrder]]]:
    out: dict[str, list[tuple[datetime, datetime, WorkOrder]]] = defaultdict(list)
    for o in orders:
        if o.state == "cancelled":
            continue
        end = o.done_at or now
        out[o.point].append((o.created - margin, max(end, o.created) + margin, o))
    return out


def _openings(doors: Sequence[DoorEvent]) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = defaultdict(list)
    for d in doors:
        if d.opened:
            out[d.point].append(d.time)
    for v in out.values():
        v.sort()
    return out


def _any_between(times: list[datetime], a: datetime, b: datetime) -> datetime | None:
    i = bisect_left(times, a)
    return times[i] if i < len(times) and times[i] <= b else None


def unsupported_marks(marks: Sequence[Mark], orders: Sequence[WorkOrder], doors: Sequence[DoorEvent],
                      now: datetime, settings: ConsistencySettings, zone: ZoneInfo,
                      checks: Sequence[CalibrationCheck] = (),
                      clips: Sequence[VideoClip] | None = None) -> list[Finding]:
    """``OM-MARK-NO-ORDER``, ``OM-MARK-NO-DOOR`` and (when ``clips`` is given) ``OM-MARK-NO-VIDEO`` for each mark of
    a supported kind; an open mark runs to ``now``."""
    windows = _order_windows(orders, now, timedelta(hours=settings.order_margin_hours))
    opens = _openings(doors)
    margin = timedelta(minutes=settings.door_margin_minutes)
    own_checks: dict[str, list[CalibrationCheck]] = defaultdict(list)
    for c in checks:
        own_checks[c.point].append(c)
    video: dict[str, list[VideoClip]] = defaultdict(list)
    for v in clips or ():
        video[v.point].append(v)
    out = []
    for m in marks:
        if m.kind not in settings.supported_kinds:
            continue
        end = m.end or now
        s, e = m.start.astimezone(zone), end.astimezone(zone)
        params = {"mark": m.mark_id, "mark_kind": MARK_KIND_WORDS.get(m.kind, m.kind), "point": m.point,
                  "factor": factor_name(m.factor), "start": local_time(s), "end": local_time(e)}
        if m.kind == "calibration" and settings.auto_calibration_supports_mark and any(
                m.start - margin <= c.time <= end + margin and (not m.factor or c.factor == m.factor)
                for c in own_checks[m.point]):
            continue
        fitting = settings.fitting_orders.get(m.kind)
        matches = [o for a, b, o in windows[m.point] if a <= end and b >= m.start
                   and (fitting is None or o.kind in fitting)]
        ev = {"mark_id": m.mark_id, "kind": m.kind, "factor": m.factor, "open": m.end is None}
        if not matches:
            out.append(Finding("OM-MARK-NO-ORDER", m.point, s, e,
                               N_("The %(mark_kind)s mark %(mark)s on %(factor)s at %(point)s from %(start)s to "
                                  "%(end)s has no work order for it."), params,
                               {**ev, "orders_at_point": len(windows[m.point])}))
        door = _any_between(opens[m.point], m.start - margin, end + margin)
        if door is None:
            out.append(Finding("OM-MARK-NO-DOOR", m.point, s, e,
                               N_("The %(mark_kind)s mark %(mark)s on %(factor)s at %(point)s from %(start)s to "
                                  "%(end)s has no opening of the station-room door: nobody was there."), params,
                               {**ev, "orders": [o.order_id for o in matches]}))
        if clips is not None and not any(v.start <= end + margin and v.end >= m.start - margin
                                         for v in video[m.point]):
            out.append(Finding("OM-MARK-NO-VIDEO", m.point, s, e,
                               N_("The %(mark_kind)s mark %(mark)s on %(factor)s at %(point)s from %(start)s to "
                                  "%(end)s has no station-room video."), params, ev))
    return out


def unexplained_doors(doors: Sequence[DoorEvent], orders: Sequence[WorkOrder], marks: Sequence[Mark],
                      now: datetime, settings: ConsistencySettings, zone: ZoneInfo) -> list[Finding]:
    """``OM-DOOR-UNEXPLAINED`` for each opening with no order at work and no mark (of any kind) within the margins;
    the finding runs from the opening to the next closing of that door."""
    windows = _order_windows(orders, now, timedelta(hours=settings.order_margin_hours))
    margin = timedelta(minutes=settings.door_margin_minutes)
    marks_at: dict[str, list[Mark]] = defaultdict(list)
    for m in marks:
        marks_at[m.point].append(m)
    closes: dict[str, list[datetime]] = defaultdict(list)
    for d in doors:
        if not d.opened:
            closes[d.point].append(d.time)
    for v in closes.values():
        v.sort()
    out = []
    for d in sorted((d for d in doors if d.opened), key=lambda d: (d.point, d.time)):
        t = d.time
        if any(a <= t <= b for a, b, _ in windows[d.point]):
            continue
        if any(m.start - margin <= t <= (m.end or now) + margin for m in marks_at[d.point]):
            continue
        i = bisect_left(closes[d.point], t)
        closed = closes[d.point][i] if i < len(closes[d.point]) else None
        s = t.astimezone(zone)
        e = (closed or t).astimezone(zone)
        out.append(Finding("OM-DOOR-UNEXPLAINED", d.point, s, e,
                           N_("The station-room door at %(point)s opened at %(time)s with no work order and no "
                              "mark."), {"point": d.point, "time": local_time(s)},
                           {"opened": t.isoformat(), "closed": closed.isoformat() if closed else None}))
    return out


def parameter_changes(registered: Sequence[RegisteredParameter], reported: Sequence[ReportedParameter],
                      orders: Sequence[WorkOrder], now: datetime, settings: ConsistencySettings,
                      zone: ZoneInfo) -> list[Finding]:
    """``OM-PARAM-CHANGE-NO-ORDER`` for each run of reports of one parameter unlike its registered value, when no
    work order was at work at the first of them (one finding per run, from its first to its last report)."""
    reg = {(r.point, r.factor, r.name): r.value for r in registered}
    windows = _order_windows(orders, now, timedelta(hours=settings.order_margin_hours))
    series: dict[tuple[str, str, str], list[ReportedParameter]] = defaultdict(list)
    for r in reported:
        series[(r.point, r.factor, r.name)].append(r)
    out = []
    for key, reps in sorted(series.items()):
        if key not in reg:
            continue
        ref = reg[key]
        tol = settings.parameter_tolerance * (abs(ref) or 1.0)
        run: list[ReportedParameter] = []
        for r in sorted(reps, key=lambda r: r.time) + [None]:
            if r is not None and abs(r.value - ref) > tol:
                run.append(r)
                continue
            if run:
                first, last = run[0], run[-1]
                if not any(a <= first.time <= b for a, b, _ in windows[first.point]):
                    s, e = first.time.astimezone(zone), last.time.astimezone(zone)
                    out.append(Finding(
                        "OM-PARAM-CHANGE-NO-ORDER", first.point, s, e,
                        N_("%(parameter)s of %(factor)s at %(point)s was %(value)s from %(time)s, not the registered "
                           "%(registered)s, and no work order covers the change."),
                        {"parameter": first.name, "factor": factor_name(first.factor), "point": first.point,
                         "value": first.value, "time": local_time(s), "registered": ref},
                        {"parameter": first.name, "factor": first.factor, "registered": ref,
                         "reported": [x.value for x in run][:20], "reports": len(run)}))
                run = []
    return out
