"""Monthly assessment of O&M organisations and health codes of stations, pure.

Per organisation and month (issue 18 item 6; ``shared/reference/subsystems.md`` §4.1 Tongxiang/Jiaxing service
and health codes [S], §4.5 assessment items [S + R], §7 item 29): the effective-transmission rate of its points,
response and repair times of alarm orders, overdue orders and planned work, unsupported marks, calibration
failures. The score and its weights are ours (no published formula was found) and settings; the formula is shown
with every result::

    score = 100 × (w_eff·E + w_response·R + w_repair·P + w_marks·K + w_calibration·C) / Σw − penalty × N_overdue

    E  effective-transmission rate of the points (counts summed over points, never rates averaged: reference
       notes §1.4)
    R  share of alarm orders on site within ``response_hours`` of their creation
    P  share of alarm orders done by their deadline
    K  1 − unsupported marks / marks needing support
    C  passing zero/span checks / checks
    N_overdue  overdue orders + planned work not done in time

clamped to 0–100. A share with nothing to count is 1. Grades 优/良/差 (service code) and green/yellow/red (health
code) from thresholds [R]; a station with a critical finding (a mark without support, data out of control, a
parameter changed without an order) is red whatever its score [ours].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck, CalibrationSettings, RateCounts, verdict
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings, Mark
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings, deadline_of
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.rules.workorders import WorkOrder

__all__ = ["AssessmentSettings", "Weights", "Assessment", "assess", "grade_of", "health_of", "FORMULA", "month_of",
           "assess_month"]

_MOD = "ecosentry.subsystems.om.rules.assessment"
register(Rule("OM-SCORE", None, "Monthly O&M score per organisation (and per station) from the effective-"
              "transmission rate, response and repair, marks, calibration and overdue work, with settable weights.",
              "subsystems.md §4.1 (Tongxiang service/health codes), §4.5, §7 item 29; issue 18 item 6", _MOD,
              "S/R/ours"))
register(Rule("OM-GRADE", None, "Service grade 优/良/差 of an organisation and health code green/yellow/red of a "
              "station from the score.", "subsystems.md §4.1 (Tongxiang 2021, 嘉环发〔2020〕22号) [S]; thresholds [R]",
              _MOD, "S/R"))

FORMULA = ("score = 100 × (w_eff·E + w_response·R + w_repair·P + w_marks·K + w_calibration·C) / Σw "
           "− penalty × N_overdue, clamped to 0–100")

_UNSUPPORTED = ("OM-MARK-NO-ORDER", "OM-MARK-NO-DOOR", "OM-MARK-NO-VIDEO")
_OVERDUE = ("OM-WO-OVERDUE", "OM-PLAN-OVERDUE")


class Weights(BaseModel):
    eff: float = Field(0.4, ge=0)
    response: float = Field(0.15, ge=0)
    repair: float = Field(0.15, ge=0)
    marks: float = Field(0.15, ge=0)
    calibration: float = Field(0.15, ge=0)


class AssessmentSettings(BaseModel):
    """Weights and thresholds ([ours]/[R] defaults, ``docs/om.md``)."""

    weights: Weights = Weights()
    #: Points taken off per overdue order or planned work not done in time [ours].
    overdue_penalty: float = Field(2.0, ge=0)
    #: An alarm order is answered in time when on site within this many hours of its creation [ours].
    response_hours: float = Field(24, gt=0)
    #: Score at or above which an organisation is 优 / 良 (below: 差) [R].
    grade_excellent: float = 90
    grade_good: float = 75
    #: Score at or above which a station is green / yellow (below: red) [R].
    health_green: float = 90
    health_yellow: float = 75
    #: A critical finding at a station makes it red [ours].
    red_on_critical: bool = True


@dataclass
class Assessment:
    """The month of one organisation (or one station): the inputs counted, the components, the score."""

    who: str
    points: tuple[str, ...]
    counts: RateCounts
    alarm_orders: int
    responded_in_time: int
    repaired_in_time: int
    mean_response_hours: float | None
    mean_repair_hours: float | None
    overdue: int
    marks: int
    unsupported_marks: int
    checks: int
    failed_checks: int
    components: dict[str, float]
    score: float
    grade: str
    critical: int = 0
    formula: str = FORMULA
    weights: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        c = self.counts
        return {"who": self.who, "points": list(self.points), "expected": c.expected, "received": c.received,
                "valid": c.valid, "transmission_rate": c.transmission_rate,
                "effective_transmission_rate": c.effective_transmission_rate, "alarm_orders": self.alarm_orders,
                "responded_in_time": self.responded_in_time, "repaired_in_time": self.repaired_in_time,
                "mean_response_hours": self.mean_response_hours, "mean_repair_hours": self.mean_repair_hours,
                "overdue": self.overdue, "marks": self.marks, "unsupported_marks": self.unsupported_marks,
                "checks": self.checks, "failed_checks": self.failed_checks, "components": self.components,
                "score": self.score, "grade": self.grade, "critical": self.critical, "formula": self.formula,
                "weights": self.weights}


def grade_of(score: float, s: AssessmentSettings) -> str:
    return "优" if score >= s.grade_excellent else "良" if score >= s.grade_good else "差"


def health_of(score: float, critical: int, s: AssessmentSettings) -> str:
    if critical and s.red_on_critical:
        return "red"
    return "green" if score >= s.health_green else "yellow" if score >= s.health_yellow else "red"


def _share(num: int, den: int) -> float:
    return num / den if den else 1.0


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def assess(who: str, points: Iterable[str], counts: dict[str, RateCounts], orders: Sequence[WorkOrder],
           marks: Sequence[Mark], checks: Sequence[CalibrationCheck], findings: Sequence[Finding],
           settings: AssessmentSettings, deadlines: DeadlineSettings, calibration: CalibrationSettings,
           zone: ZoneInfo, station: bool = False, supported_kinds: Sequence[str] | None = None) -> Assessment:
    """The month's assessment of ``who`` over ``points``: give it the month's slot counts per point (the
    monitoring subsystem's rates, after calibration's invalid periods), the orders, marks, checks and findings of
    the month (anything about other points is ignored). ``station=True`` grades as a health code."""
    pts = tuple(sorted(set(points)))
    inside = set(pts)
    total = RateCounts(0, 0, 0)
    for p in pts:
        total = total + counts.get(p, RateCounts(0, 0, 0))
    alarm = [o for o in orders if o.point in inside and o.from_alarm and o.state != "cancelled"]
    response = [(o.on_site_at - o.created).total_seconds() / 3600 for o in alarm if o.on_site_at]
    in_time = sum(h <= settings.response_hours for h in response)
    repaired, repair_hours = 0, []
    for o in alarm:
        due = deadline_of(o, deadlines, zone)
        if o.done_at is not None:
            repair_hours.append((o.done_at - (o.fault_start or o.created)).total_seconds() / 3600)
            repaired += due is None or o.done_at <= due
    mine = [f for f in findings if f.point in inside]
    kinds = set(ConsistencySettings().supported_kinds if supported_kinds is None else supported_kinds)
    needing = [m for m in marks if m.point in inside and m.kind in kinds]
    unsupported = len({f.evidence.get("mark_id") for f in mine if f.code in _UNSUPPORTED})
    overdue = sum(f.code in _OVERDUE for f in mine)
    my_checks = [c for c in checks if c.point in inside]
    failed = sum(verdict(c, calibration) == "fail" for c in my_checks)
    eff = total.effective_transmission_rate
    comp = {"eff": 1.0 if eff is None else eff, "response": _share(in_time, len(alarm)),
            "repair": _share(repaired, len(alarm)), "marks": 1 - _share(unsupported, len(needing)) if needing else 1.0,
            "calibration": _share(len(my_checks) - failed, len(my_checks))}
    w = settings.weights.model_dump()
    wsum = sum(w.values()) or 1.0
    raw = 100 * sum(w[k] * comp[k] for k in comp) / wsum - settings.overdue_penalty * overdue
    score = round(min(100.0, max(0.0, raw)), 1)
    critical = sum(f.severity == "critical" for f in mine)
    grade = health_of(score, critical, settings) if station else grade_of(score, settings)
    return Assessment(who, pts, total, len(alarm), in_time, repaired, _mean(response), _mean(repair_hours), overdue,
                      len(needing), unsupported, len(my_checks), failed, {k: round(v, 4) for k, v in comp.items()},
                      score, grade, critical, FORMULA, w)


def month_of(t: datetime, zone: ZoneInfo) -> str:
    return t.astimezone(zone).strftime("%Y-%m")


def _in_month(t: datetime | None, month: str, zone: ZoneInfo) -> bool:
    return t is not None and month_of(t, zone) == month


def assess_month(month: str, contracts: dict[str, Iterable[str]], counts: dict[str, RateCounts],
                 orders: Sequence[WorkOrder], marks: Sequence[Mark], checks: Sequence[CalibrationCheck],
                 findings: Sequence[Finding], settings: AssessmentSettings, deadlines: DeadlineSettings,
                 calibration: CalibrationSettings, zone: ZoneInfo) -> tuple[list[Assessment], dict[str, str]]:
    """One local month (``YYYY-MM``): every organisation of ``contracts`` (organisation → the points it keeps)
    assessed and ranked, best score first (ties by name), and the health code of every contracted point.
    Orders count in the month they were created, marks in the month they start, checks and findings in the month
    of their time and start; ``counts`` are the month's slot counts per point."""
    orders_m = [o for o in orders if _in_month(o.created, month, zone)]
    marks_m = [m for m in marks if _in_month(m.start, month, zone)]
    checks_m = [c for c in checks if _in_month(c.time, month, zone)]
    findings_m = [f for f in findings if _in_month(f.start, month, zone)]
    ranked = sorted((assess(org, pts, counts, orders_m, marks_m, checks_m, findings_m, settings, deadlines,
                            calibration, zone) for org, pts in contracts.items()), key=lambda a: (-a.score, a.who))
    health = {}
    for pts in contracts.values():
        for p in pts:
            health[p] = assess(p, [p], counts, orders_m, marks_m, checks_m, findings_m, settings, deadlines,
                               calibration, zone, station=True).grade
    return ranked, dict(sorted(health.items()))
