"""Marks (标记): what a mark does to the hours it covers, and automatic communication-interruption marks.

Pure functions, no database. The store (``ecosentry.subsystems.monitoring.store.marks``) keeps the marks; the hourly and rate
computations ask :func:`hour_mark_effect` what a clock hour of one factor becomes.

Effects (reference notes: china-vietnam-rules.md §1.2, §2.4, §4.2; subsystems.md §4.2):

* ``"invalid"`` — 设备维护 (maintenance), 校准 (calibration), 故障 (fault), 通讯中断 (communication
  interruption): the hour is an invalid group (lowers 有效率) and is not judged for exceedance
  (§1.2 [S]: "校准、故障、日常维护 … become invalid groups"; §2.4; §4.2 [S]: "标记为无效的自动监测数据，不作为
  超标判定依据"). Rule ``CN-MARK-INVALID``.
* ``"excluded"`` — 工况 停运 (stopped) and 启停炉 (start-up/shut-down): the hour leaves the statistics period
  of the rates and is not judged for exceedance (§1.2 [S]: "不计入有效传输率统计时段"; §4.2 start-up and
  shut-down). 非排污单位责任 (force majeure / non-attributable, ``majeure_type`` 1–3) likewise, but that
  treatment is a setting (§1.2 [R] UNCONFIRMED; :attr:`MarkSettings.non_attributable_effect`). Rule
  ``CN-MARK-EXCLUDED``.
* ``"exempt"`` — 标样核查 (wastewater automatic standard-sample check): the hour may leave the denominator
  (NOS, at most one hour per day and factor; the cap is applied by ``rules.cn.rates``) (§1.2 [S]). Rule
  ``CN-MARK-EXEMPT``.

Which marks count (``CN-MARK-PRECEDENCE``):

* Deleted marks never reach this module; ``rejected`` marks never count.
* Automatic marks (``source="auto"``) count as soon as they exist; an automatic 通讯中断 mark decides an
  hour only when it covers more than 15 minutes of it (:data:`AUTO_GAP_HOUR_OVERLAP`: a shorter stretch
  cannot break the 45-minute rule, which already counts those minutes as missing).
* Manual marks count when ``approved``; **filed-but-not-reviewed manual marks count too by default**
  (:attr:`MarkSettings.count_filed` = True). National practice as we understand it: an enterprise mark
  takes effect when it is filed and the regulator may reject it later, which restores the original
  treatment of the hour [R] UNCONFIRMED — hence a setting.
* Manual marks override automatic marks in the same hour (§2.4 [S]; subsystems.md §4.2 [V]: manual
  ``rg_flag_*`` take precedence over automatic ``zd_flag_*``): when at least one counting manual mark touches
  the hour, the automatic marks of that hour are ignored.
* A mark affects an hour when it overlaps the hour by at least :attr:`MarkSettings.min_overlap`
  (default 1 minute). A mark ending exactly at 09:00 does not touch the 09:00 hour. An open mark
  (``end`` = None, status 0 "incomplete" in the national interface) runs on indefinitely.
* Several effects in one hour: ``excluded`` beats ``invalid`` beats ``exempt`` (a platform choice, "ours":
  an hour that left the period cannot be invalid; a 标样核查 exemption does not forgive an hour that a
  maintenance mark also made invalid).

Automatic 通讯中断 marks (``CN-MARK-AUTO-GAP``): a stretch without minute data **longer than 15 minutes**
gets an automatic mark (§1.2 [S]: "auto marks … for continuous stretches >15 min"; subsystems.md §4.2 [V]:
"automatic windows ≤ 15 min are ignored because they do not break the ≥ 45 valid minutes per hour rule").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Literal, Sequence

from ecosentry.contracts.catalogue import Rule, register

__all__ = [
    "MarkSpan", "MarkSettings", "MARK_EFFECTS", "MARK_TYPES", "TYPE_FAMILY", "FAMILIES", "EFFECT_RULE",
    "Effect", "effect_of", "touches", "hour_mark_effect", "auto_gap_marks",
]

Effect = Literal["invalid", "excluded", "exempt"]

#: Mark type → effect on the hours it covers (see the module docstring for the clauses).
MARK_EFFECTS: dict[str, Effect] = {
    "maintenance": "invalid",            # 日常维护 (§1.2 [S], §2.4)
    "calibration": "invalid",            # 校准 (§1.2 [S], §2.4)
    "fault": "invalid",                  # 故障 (§1.2 [S], §2.4)
    "comm_interruption": "invalid",      # 通讯中断 (§2.4; subsystems §4.2 family 1)
    "stopped": "excluded",               # 停运 工况标记 (§1.2 [S] "不计入有效传输率统计时段")
    "startup_shutdown": "excluded",      # 启炉/停炉, 并网/解列 (§2.4, §4.2 [S]/[R])
    "standard_sample_check": "exempt",   # 标样核查, wastewater (§1.2 [S], nosNum)
    "force_majeure": "excluded",         # 非排污单位责任, majeure_type 1 (§1.2 [R], setting)
    "non_attributable": "excluded",      # 非排污单位责任, majeure_type 2/3 (§1.2 [R], setting)
}

#: The known mark types.
MARK_TYPES: frozenset[str] = frozenset(MARK_EFFECTS)

#: The national mark families (subsystems.md §4.2, 企业回流自动监控数据接口说明 V1.6 [C]).
FAMILIES: frozenset[str] = frozenset({
    "comm_interruption", "equipment_maintenance", "manual_values", "non_attributable",
    "parameter_maintenance", "treatment_condition", "production_condition", "cems_switch",
})

#: Default family of each type (used when a mark is filed without a family).
TYPE_FAMILY: dict[str, str] = {
    "maintenance": "equipment_maintenance",
    "calibration": "equipment_maintenance",
    "fault": "equipment_maintenance",
    "standard_sample_check": "equipment_maintenance",
    "comm_interruption": "comm_interruption",
    "stopped": "production_condition",
    "startup_shutdown": "production_condition",
    "force_majeure": "non_attributable",
    "non_attributable": "non_attributable",
}

#: The types whose effect :attr:`MarkSettings.non_attributable_effect` decides.
NON_ATTRIBUTABLE_TYPES = frozenset({"force_majeure", "non_attributable"})

#: Rule code of each effect.
EFFECT_RULE: dict[str, str] = {
    "invalid": "CN-MARK-INVALID", "excluded": "CN-MARK-EXCLUDED", "exempt": "CN-MARK-EXEMPT",
}

_PRIORITY = {"excluded": 3, "invalid": 2, "exempt": 1}
_REF = "china-vietnam-rules.md"
_MOD = "ecosentry.subsystems.monitoring.rules.cn.marks"

for _r in (
    Rule("CN-MARK-INVALID", None,
         "Hours under a maintenance, calibration, fault or comm-interruption mark are invalid and not judged.",
         f"《污染物排放自动监测设备标记规则》 Q&A; {_REF} §1.2, §2.4, §4.2", _MOD, "S"),
    Rule("CN-MARK-EXCLUDED", None,
         "Hours under a 停运, start-up/shut-down or 非排污单位责任 mark leave the rates and are not judged.",
         f"{_REF} §1.2, §4.2; 企业回流接口说明 V1.6 §2.2.4", _MOD, "S/R"),
    Rule("CN-MARK-EXEMPT", None,
         "Wastewater hours under a 标样核查 mark may leave the validity denominator (NOS).",
         f"《自动监测数据有效传输率统计算法说明》 as quoted; {_REF} §1.2", _MOD, "S"),
    Rule("CN-MARK-PRECEDENCE", None,
         "Manual marks override automatic ones in the same hour; rejected marks have no effect.",
         f"{_REF} §2.4; subsystems.md §4.2", _MOD, "S/V"),
    Rule("CN-MARK-AUTO-GAP", "info",
         "A stretch of more than 15 min without minute data gets an automatic comm-interruption mark.",
         f"{_REF} §1.2; subsystems.md §4.2", _MOD, "S/V"),
):
    register(_r)
del _r


@dataclass(frozen=True)
class MarkSpan:
    """One mark as the rules see it.

    ``factor_codes`` None = every factor of the point; ``end`` None = open mark; ``source`` ``"manual"``
    or ``"auto"``; ``status`` ``"filed"``, ``"approved"`` or ``"rejected"``. Times are timezone-aware.
    """

    id: int
    factor_codes: frozenset[str] | None
    type: str
    start: datetime
    end: datetime | None
    source: str
    status: str

    def applies_to(self, factor: str | None) -> bool:
        """True when the mark covers ``factor`` (``None`` = the point as a whole: only point-wide marks)."""
        return self.factor_codes is None or (factor is not None and factor in self.factor_codes)


@dataclass(frozen=True)
class MarkSettings:
    """Settings for the UNCONFIRMED choices.

    count_filed : bool
        Filed (not yet reviewed) manual marks take effect (default True, [R]).
    non_attributable_effect : {"excluded", "invalid"}
        Effect of 非排污单位责任 marks (default ``"excluded"``, [R]).
    min_overlap : timedelta
        Overlap that makes a mark touch an hour (default 1 minute).
    """

    count_filed: bool = True
    non_attributable_effect: Literal["excluded", "invalid"] = "excluded"
    min_overlap: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        if self.non_attributable_effect not in ("excluded", "invalid"):
            raise ValueError("non_attributable_effect must be 'excluded' or 'invalid'")
        if self.min_overlap <= timedelta(0):
            raise ValueError("min_overlap must be positive")


DEFAULT_SETTINGS = MarkSettings()


def effect_of(mark_type: str, settings: MarkSettings = DEFAULT_SETTINGS) -> Effect:
    """The effect of a mark type (``ValueError`` for an unknown type)."""
    try:
        effect = MARK_EFFECTS[mark_type]
    except KeyError:
        raise ValueError(f"unknown mark type {mark_type!r}; known: {', '.join(sorted(MARK_TYPES))}") from None
    if mark_type in NON_ATTRIBUTABLE_TYPES:
        return settings.non_attributable_effect
    return effect


def touches(mark: MarkSpan, start: datetime, end: datetime, min_overlap: timedelta = timedelta(minutes=1)) -> bool:
    """True when the mark overlaps ``[start, end)`` by at least ``min_overlap``."""
    lo = max(mark.start, start)
    hi = end if mark.end is None else min(mark.end, end)
    return hi - lo >= min_overlap


#: An automatic 通讯中断 mark decides an hour only when it covers **more than** this much of it: 60 − 45 min.
#: A shorter stretch leaves room for 45 valid minutes, and the 45-minute rule (CN-HOUR-45MIN) already counts
#: the uncovered minutes as missing (subsystems.md §4.2 [V]: "automatic windows ≤ 15 min are ignored
#: because they do not break the ≥ 45 valid minutes per hour rule"). So a 20-minute gap from 08:50 to 09:10
#: leaves both hours valid with 50 minutes each, and a gap from 08:10 to 08:30 makes 08:00 invalid.
AUTO_GAP_HOUR_OVERLAP = timedelta(minutes=15)


def _counts(mark: MarkSpan, settings: MarkSettings, hour_start: datetime, hour_end: datetime) -> bool:
    if mark.status == "rejected":
        return False
    if mark.source == "auto":
        if mark.type == "comm_interruption":
            return touches(mark, hour_start, hour_end, AUTO_GAP_HOUR_OVERLAP + timedelta(microseconds=1))
        return True
    return mark.status == "approved" or (mark.status == "filed" and settings.count_filed)


def hour_mark_effect(
    marks: Iterable[MarkSpan], point_factor: str | None, hour_start: datetime, hour_end: datetime,
    settings: MarkSettings = DEFAULT_SETTINGS,
) -> tuple[Effect | None, tuple[int, ...], str | None]:
    """What the marks make of one clock hour of one factor.

    Returns ``(effect, mark_ids, reason)``: ``effect`` None when no counting mark touches the hour;
    ``mark_ids`` the sorted ids of the counting marks that decide the hour (the manual ones when any, else
    the automatic ones); ``reason`` one line citing the rule codes.
    """
    touching = [m for m in marks if m.applies_to(point_factor)
                and touches(m, hour_start, hour_end, settings.min_overlap)]
    counting = [m for m in touching if _counts(m, settings, hour_start, hour_end)]
    if not counting:
        return None, (), None
    manual = [m for m in counting if m.source != "auto"]
    auto = [m for m in counting if m.source == "auto"]
    deciding = manual or auto
    effects = {m.id: effect_of(m.type, settings) for m in deciding}
    effect: Effect = max(effects.values(), key=_PRIORITY.__getitem__)
    ids = tuple(sorted(effects))
    parts = [f"{m.source} mark #{m.id} {m.type} ({effects[m.id]})" for m in sorted(deciding, key=lambda m: m.id)]
    reason = f"{EFFECT_RULE[effect]}: " + ", ".join(parts)
    if manual and auto:
        reason += "; CN-MARK-PRECEDENCE: auto mark(s) " + ", ".join(f"#{m.id}" for m in sorted(auto, key=lambda m: m.id)) \
            + " overridden by manual mark(s)"
    return effect, ids, reason


def auto_gap_marks(
    minute_starts: Sequence[datetime], interval_minutes: int, window_start: datetime, window_end: datetime,
    min_gap_minutes: int = 15,
) -> list[tuple[datetime, datetime]]:
    """Stretches of ``[window_start, window_end)`` without minute data longer than ``min_gap_minutes``.

    A record starting at ``t`` covers ``[t, t + interval_minutes)`` (HJ 212 DataTime is the interval
    start). A gap is the uncovered time between records (or between a window edge and a record); it gets a
    mark when it lasts **strictly more** than ``min_gap_minutes`` (reference §1.2: "> 15 min"). Example,
    1-min data: records at 08:00…08:10 and from 08:26 → uncovered 08:11–08:26 = 15 min → no mark; from 08:27
    → 16 min → mark (08:11, 08:27). A gap reaching a window edge is cut at the edge.
    """
    if interval_minutes <= 0:
        raise ValueError("interval_minutes must be positive")
    if window_end <= window_start:
        return []
    step = timedelta(minutes=interval_minutes)
    threshold = timedelta(minutes=min_gap_minutes)
    out: list[tuple[datetime, datetime]] = []
    covered_to = window_start
    for t in sorted(minute_starts):
        if t + step <= window_start:
            continue
        if t >= window_end:
            break
        if t > covered_to and t - covered_to > threshold:
            out.append((covered_to, t))
        covered_to = max(covered_to, t + step)
    if window_end > covered_to and window_end - covered_to > threshold:
        out.append((covered_to, window_end))
    return out
