"""Calibration and QA records, pure: zero/span drift against the allowed drift, pass/fail, the out-of-control
(失控) periods that make data invalid until the next pass, overdue calibration, and what those periods do to the
hourly and daily validity and to the transmission and effective-transmission rates.

Sources (``shared/reference/china-vietnam-rules.md`` §2.1, §1.1, §1.4; ``subsystems.md`` §4.3):

* **Allowed drift** per analyser type — HJ 75-2017 §11 / Table 1 (CEMS daily QA: particulate zero and span drift
  ±2.0 % F.S., gaseous pollutants and O2 ±2.5 % F.S., velocity ±3.0 % F.S.) and HJ 355-2019 (water analysers:
  zero drift ±5 % F.S., span drift ±10 % F.S.), **recalled, not read** [R]: every figure is a setting
  (:class:`CalibrationSettings`).
* **Out of control** (失控, HJ 75-2017 §12 [R]): a zero or span drift beyond the allowed drift makes the data
  invalid from the failed check until the next passing check (issue 18 item 3). The reference notes also recall
  "from the last passing calibration up to recovery" [R]: :attr:`CalibrationSettings.out_of_control_from`.
* **Overdue calibration** (HJ 75-2017 §11 [R]): zero/span every 24 h where the system calibrates itself, every
  15 days where it does not; water standard-solution check every 24 h (HJ 355-2019 [R]). Overdue calibration
  also makes data invalid (§2.1 [R]): :attr:`CalibrationSettings.overdue_invalidates`.
* **Hour valid** ⇔ at least 45 valid minutes (HJ 76-2017 App. B; HJ 212-2017 eq. (24)) [C/S]; wastewater: the
  hour is one analysis cycle, any invalid part makes it invalid (§2.3). **Day valid** ⇔ ≥ 20 valid hours
  (HJ 212-2017 eq. (25)) [C].
* **Rates**: 传输率 = D / M, 有效率 = S / M, 有效传输率 = 传输率 × 有效率 (§1.1 [S], §1.4). The monitoring subsystem
  holds the full rule (``rules.cn.rates``: stopped hours, 标样核查 exemptions, 即时/补全); this module applies only
  what calibration changes, on hourly slots it is given, and says so (subsystems never import each other).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_
from ecosentry.subsystems.om.rules.findings import Finding, factor_name, local_time

__all__ = ["CalibrationSettings", "CalibrationCheck", "OutOfControl", "analyser_type", "allowed_drift", "verdict",
           "judge_checks", "out_of_control_periods", "out_of_control_findings", "overdue_calibrations",
           "hourly_validity", "daily_validity", "HourSlot", "RateCounts", "rate_counts", "CODES", "CHECK_WORDS",
           "RESULT_WORDS"]

_REF = "china-vietnam-rules.md"
_MOD = "ecosentry.subsystems.om.rules.calibration"
CODES = ("OM-CAL-FAIL", "OM-CAL-RESULT-MISMATCH", "OM-CAL-OUT-OF-CONTROL", "OM-CAL-OVERDUE")
for _r in (
    Rule("OM-CAL-FAIL", "warning", "A zero or span check drifted beyond the allowed drift of its analyser type.",
         f"HJ 75-2017 §11 Table 1, HJ 355-2019 (allowed drift) [R]; {_REF} §2.1", _MOD, "R"),
    Rule("OM-CAL-RESULT-MISMATCH", "warning", "A calibration record's stated pass/fail contradicts its drift and the "
         "allowed drift.", f"HJ 75-2017 §11 Table 1 [R]; {_REF} §5.1 (false records)", _MOD, "R/ours"),
    Rule("OM-CAL-OUT-OF-CONTROL", "critical", "The data are invalid from a failed zero/span check until the next "
         "passing check (失控).", f"HJ 75-2017 §12 [R]; {_REF} §2.1", _MOD, "R"),
    Rule("OM-CAL-OVERDUE", "warning", "No zero/span check within the calibration interval of the analyser (daily "
         "with auto-calibration, 15 days without).", f"HJ 75-2017 §11, HJ 355-2019 [R]; {_REF} §2.1", _MOD, "R"),
    Rule("OM-HOUR-VALIDITY", None, "An hour is valid with at least 45 valid minutes (wastewater: no invalid part); "
         "a day with at least 20 valid hours.", f"HJ 76-2017 App. B; HJ 212-2017 eq. (24), (25); {_REF} §2.1, §2.3",
         _MOD, "C/S"),
):
    register(_r)
del _r

#: The check kind as a sentence says it.
CHECK_WORDS = {"zero": N_("zero"), "span": N_("span")}
#: A check's result as a sentence says it.
RESULT_WORDS = {"pass": N_("pass"), "fail": N_("fail")}

#: Factor code → analyser type (HJ 212-2017 Appendix B codes; 2005 codes in brackets in the reference notes).
_FACTOR_TYPE = {
    "a34013": "particulate", "01": "particulate",
    "a21026": "gas", "02": "gas", "a21002": "gas", "03": "gas", "a21005": "gas", "a21001": "gas", "a24088": "gas",
    "a19001": "o2", "s01": "o2",
    "a01011": "velocity", "s02": "velocity",
    "w01018": "water", "011": "water", "w21003": "water", "060": "water", "w21011": "water", "101": "water",
    "w21001": "water", "065": "water",
}


class DriftLimit(BaseModel):
    """Largest allowed |drift| of a check, in % of full scale [R]."""

    zero: float = Field(gt=0)
    span: float = Field(gt=0)


class CalibrationSettings(BaseModel):
    """The numbers of this module ([R] defaults, ``docs/om.md``)."""

    #: Allowed drift per analyser type [R] (HJ 75-2017 Table 1, HJ 355-2019 as recalled).
    allowed_drift: dict[str, DriftLimit] = Field(default_factory=lambda: {
        "particulate": DriftLimit(zero=2.0, span=2.0), "gas": DriftLimit(zero=2.5, span=2.5),
        "o2": DriftLimit(zero=2.5, span=2.5), "velocity": DriftLimit(zero=3.0, span=3.0),
        "water": DriftLimit(zero=5.0, span=10.0)})
    #: The type of a factor code the table above does not know (a file may name any factor).
    default_type: str = "gas"
    #: Factor code → analyser type, beside the built-in table (a deployment's own codes).
    factor_types: dict[str, str] = Field(default_factory=dict)
    #: ``failed_check``: invalid from the failed check (issue 18); ``last_pass``: from the last passing check
    #: before it (the reference notes' recollection of HJ 75-2017 §12) [R].
    out_of_control_from: Literal["failed_check", "last_pass"] = "failed_check"
    #: Hours between two checks of one kind per analyser type [R]: 24 with auto-calibration (HJ 75-2017 §11; the
    #: water standard-solution check, HJ 355-2019); set 360 (15 days) for manual CEMS, 720 for direct-measurement.
    interval_hours: dict[str, float] = Field(default_factory=lambda: {
        "particulate": 24, "gas": 24, "o2": 24, "velocity": 24, "water": 24})
    #: Slack before a calibration is overdue, in hours [ours].
    grace_hours: float = Field(2, ge=0)
    #: Overdue calibration makes the data invalid too (HJ 75-2017 §12 as recalled, reference notes §2.1) [R].
    overdue_invalidates: bool = True
    #: Valid minutes an hour needs (HJ 76-2017 App. B: 45) [C/S]; water analysers: the whole cycle.
    min_valid_minutes: int = Field(45, ge=1, le=60)
    #: Valid hours a day needs (HJ 212-2017 eq. (25): 20) [C].
    min_valid_hours: int = Field(20, ge=1, le=24)


@dataclass(frozen=True)
class CalibrationCheck:
    """One zero or span check: its stated result and its drift [% F.S.]."""

    point: str
    factor: str
    time: datetime
    kind: str            # zero | span
    result: str          # pass | fail, as the record states it
    drift_pct: float | None


@dataclass(frozen=True)
class OutOfControl:
    """A stretch of invalid data of one factor: from ``start`` to ``end`` (the passing check; ``now`` while
    open). ``reason`` is ``failed`` or ``overdue``."""

    point: str
    factor: str
    start: datetime
    end: datetime
    closed: bool
    reason: str
    checks: tuple[str, ...]


def analyser_type(factor: str, settings: CalibrationSettings) -> str:
    key = factor.strip().lower()
    return settings.factor_types.get(factor) or _FACTOR_TYPE.get(key) or settings.default_type


def allowed_drift(factor: str, kind: str, settings: CalibrationSettings) -> float:
    limit = settings.allowed_drift[analyser_type(factor, settings)]
    return limit.zero if kind == "zero" else limit.span


def verdict(check: CalibrationCheck, settings: CalibrationSettings) -> str:
    """``pass`` when |drift| ≤ the allowed drift, ``fail`` above it; the stated result when no drift is given."""
    if check.drift_pct is None:
        return check.result
    return "pass" if abs(check.drift_pct) <= allowed_drift(check.factor, check.kind, settings) + 1e-9 else "fail"


def judge_checks(checks: Iterable[CalibrationCheck], settings: CalibrationSettings,
                 zone: ZoneInfo) -> list[Finding]:
    """``OM-CAL-FAIL`` for each failing check, ``OM-CAL-RESULT-MISMATCH`` when the stated result contradicts the
    drift (a "pass" written over a drift beyond the limit, or the reverse)."""
    out = []
    for c in checks:
        v = verdict(c, settings)
        t = c.time.astimezone(zone)
        ev = {"factor": c.factor, "kind": c.kind, "stated": c.result, "drift_pct": c.drift_pct,
              "allowed_pct": allowed_drift(c.factor, c.kind, settings), "analyser": analyser_type(c.factor, settings)}
        base = {"point": c.point, "factor": factor_name(c.factor), "check_kind": CHECK_WORDS[c.kind],
                "time": local_time(t), "drift": c.drift_pct, "allowed": ev["allowed_pct"]}
        if v == "fail":
            msgid = (N_("The %(check_kind)s check of %(factor)s at %(point)s at %(time)s drifted %(drift)s %% F.S.; "
                        "at most %(allowed)s %% is allowed.") if c.drift_pct is not None else
                     N_("The %(check_kind)s check of %(factor)s at %(point)s at %(time)s failed."))
            out.append(Finding("OM-CAL-FAIL", c.point, t, t, msgid, base, ev))
        if c.drift_pct is not None and v != c.result:
            out.append(Finding("OM-CAL-RESULT-MISMATCH", c.point, t, t,
                               N_("The %(check_kind)s check of %(factor)s at %(point)s at %(time)s is recorded as "
                                  "%(stated)s, but its drift %(drift)s %% F.S. against the allowed %(allowed)s %% "
                                  "makes it %(verdict)s."),
                               {**base, "stated": RESULT_WORDS[c.result], "verdict": RESULT_WORDS[v]}, ev))
    return out


def _by_series(checks: Iterable[CalibrationCheck]) -> dict[tuple[str, str], list[CalibrationCheck]]:
    series: dict[tuple[str, str], list[CalibrationCheck]] = defaultdict(list)
    for c in checks:
        series[(c.point, c.factor)].append(c)
    for s in series.values():
        s.sort(key=lambda c: (c.time, c.kind))
    return series


def out_of_control_periods(checks: Iterable[CalibrationCheck], now: datetime,
                           settings: CalibrationSettings) -> list[OutOfControl]:
    """The 失控 periods of each point and factor: a failing check opens one (at the check, or at the last passing
    check of its kind before it by :attr:`~CalibrationSettings.out_of_control_from`); it closes at the first time
    every kind that failed since has passed again (a failed zero is not mended by a passing span); still open at
    ``now``."""
    out = []
    for (point, factor), series in sorted(_by_series(checks).items()):
        failing: set[str] = set()
        start: datetime | None = None
        names: list[str] = []
        last_pass: dict[str, datetime] = {}
        for c in series:
            v = verdict(c, settings)
            if v == "fail":
                if not failing:
                    start = c.time if settings.out_of_control_from == "failed_check" \
                        else last_pass.get(c.kind, c.time)
                    names = []
                failing.add(c.kind)
                names.append(f"{c.kind}@{c.time.isoformat()}")
            elif failing:
                failing.discard(c.kind)
                if not failing:
                    out.append(OutOfControl(point, factor, start, c.time, True, "failed", tuple(names)))
                    start = None
            if v == "pass":
                last_pass[c.kind] = c.time
        if failing and start is not None and now > start:
            out.append(OutOfControl(point, factor, start, now, False, "failed", tuple(names)))
    return out


def overdue_calibrations(checks: Iterable[CalibrationCheck], now: datetime,
                         settings: CalibrationSettings) -> list[OutOfControl]:
    """The overdue stretches of each point, factor and check kind: from a check's time plus the interval of its
    analyser type (plus ``grace_hours``) to the next check of the kind (or ``now``)."""
    out = []
    series: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for c in checks:
        series[(c.point, c.factor, c.kind)].append(c.time)
    for (point, factor, kind), times in sorted(series.items()):
        times.sort()
        interval = timedelta(hours=settings.interval_hours[analyser_type(factor, settings)])
        for t, nxt in zip(times, [*times[1:], None]):
            due = t + interval + timedelta(hours=settings.grace_hours)
            end = now if nxt is None else nxt
            if end > due:
                out.append(OutOfControl(point, factor, t + interval, end, nxt is not None, "overdue",
                                        (f"{kind}@{t.isoformat()}",)))
    return out


def out_of_control_findings(periods: Sequence[OutOfControl], zone: ZoneInfo) -> list[Finding]:
    """One finding per period: ``OM-CAL-OUT-OF-CONTROL`` for failed checks, ``OM-CAL-OVERDUE`` for overdue ones."""
    out = []
    for p in periods:
        s, e = p.start.astimezone(zone), p.end.astimezone(zone)
        params = {"point": p.point, "factor": factor_name(p.factor), "start": local_time(s),
                  "end": local_time(e), "hours": round((p.end - p.start).total_seconds() / 3600, 1)}
        ev = {"factor": p.factor, "closed": p.closed, "checks": list(p.checks)}
        if p.reason == "failed":
            msgid = (N_("%(factor)s at %(point)s was out of control from %(start)s until the passing check at "
                        "%(end)s (%(hours)s h): its data are invalid.") if p.closed else
                     N_("%(factor)s at %(point)s has been out of control since %(start)s (%(hours)s h, no passing "
                        "check yet): its data are invalid."))
            out.append(Finding("OM-CAL-OUT-OF-CONTROL", p.point, s, e, msgid, params, ev))
        else:
            out.append(Finding("OM-CAL-OVERDUE", p.point, s, e,
                               N_("The calibration of %(factor)s at %(point)s was due at %(start)s; the next check "
                                  "came at %(end)s (%(hours)s h overdue)."), params, ev))
    return out


# ------------------------------------------------------------------ what invalid periods do to hours, days, rates


@dataclass(frozen=True)
class HourSlot:
    """One expected clock hour of one factor: its start (local or aware), whether its record arrived and whether
    it was valid before calibration is taken into account."""

    start: datetime
    received: bool = True
    valid: bool = True


def _overlap_minutes(start: datetime, end: datetime, periods: Sequence[tuple[datetime, datetime]]) -> float:
    spans = sorted((max(start, a), min(end, b)) for a, b in periods if a < end and b > start)
    total, cur_a, cur_b = 0.0, None, None
    for a, b in spans:
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += (cur_b - cur_a).total_seconds()
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += (cur_b - cur_a).total_seconds()
    return total / 60


def hourly_validity(slots: Sequence[HourSlot], invalid: Sequence[tuple[datetime, datetime]],
                    min_valid_minutes: int = 45) -> list[bool]:
    """Each slot's validity once the invalid periods are applied: received, valid before, and at least
    ``min_valid_minutes`` of the hour outside the periods (HJ 76-2017 App. B: 45 for flue gas; pass 60 for
    wastewater, whose hour is one analysis cycle)."""
    out = []
    for s in slots:
        bad = _overlap_minutes(s.start, s.start + timedelta(hours=1), invalid)
        out.append(s.received and s.valid and 60 - bad >= min_valid_minutes - 1e-9)
    return out


def daily_validity(slots: Sequence[HourSlot], valid: Sequence[bool], zone: ZoneInfo,
                   min_valid_hours: int = 20) -> dict[date, bool]:
    """Each local day's validity: at least ``min_valid_hours`` valid hours (HJ 212-2017 eq. (25))."""
    count: dict[date, int] = defaultdict(int)
    for s, ok in zip(slots, valid):
        count[s.start.astimezone(zone).date()] += ok
    return {d: n >= min_valid_hours for d, n in sorted(count.items())}


@dataclass(frozen=True)
class RateCounts:
    """应收 M, 实收 D, 有效 S (one factor or summed) and the three rates (reference notes §1.1, §1.4)."""

    expected: int
    received: int
    valid: int

    @property
    def transmission_rate(self) -> float | None:
        return self.received / self.expected if self.expected else None

    @property
    def effective_rate(self) -> float | None:
        return self.valid / self.expected if self.expected else None

    @property
    def effective_transmission_rate(self) -> float | None:
        t, e = self.transmission_rate, self.effective_rate
        return None if t is None or e is None else t * e

    def __add__(self, other: RateCounts) -> RateCounts:
        return RateCounts(self.expected + other.expected, self.received + other.received, self.valid + other.valid)


def rate_counts(slots: Sequence[HourSlot], valid: Sequence[bool]) -> RateCounts:
    """M = expected slots, D = received ones, S = valid ones (after :func:`hourly_validity`)."""
    return RateCounts(len(slots), sum(s.received for s in slots), sum(bool(v) for v in valid))
