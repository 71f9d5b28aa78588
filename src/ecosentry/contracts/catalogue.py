"""Catalogue of rule codes: every validity rule, rate, judgement and substitution has a stable code.

In the style of the EPA check engine (40 CFR Part 75: ``DAYCAL-20`` ...): results cite a code, and the
catalogue of codes, severities, one-line summaries and sources is data that the UI, reports and
``ecosentry rules list`` show (shared/STYLE.md).

The catalogue is plain data: it imports no rule module, so any module may import it without cycles.
Codes of rules implemented elsewhere (``rules/cn/hourly.py``, ``rules/cn/aggregates.py``) are listed by
name. Modules may add codes with :func:`register` or the :func:`rule` decorator.

Severity: ``None`` for computations and validity rules (they explain a number, they do not alarm);
``"info"``, ``"warning"``, ``"critical"`` for findings.

Tags follow shared/reference/china-vietnam-rules.md: ``C`` confirmed, ``S`` secondary, ``R``
UNCONFIRMED recollection, ``V`` vendor practice, ``ours`` a platform choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, TypeVar

__all__ = ["Rule", "RULES", "KINDS", "FindingKind", "register", "rule", "catalogue", "get", "kind_of"]

Severity = Literal["info", "warning", "critical"]

#: What a detector finding says about the data (issue 13): a sign that data were falsified (篡改/伪造
#: signatures, reference notes §5.1–5.4), a defect of the data themselves (missing, negative, over range:
#: 数据异常 categories of §5.2 that an honest fault also produces), a statistical anomaly (unusual for this
#: series, no meaning by itself), or a process change the plant's own load explains. Only falsification
#: signs may be ``critical``; a statistical anomaly alone never raises a falsification alarm.
FindingKind = Literal["falsification", "data_quality", "statistical", "process_change"]
KINDS: tuple[str, ...] = ("falsification", "data_quality", "statistical", "process_change")
F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Rule:
    """One catalogue entry.

    Attributes
    ----------
    code : str
        Stable code, ``CN-...`` for China.
    severity : {None, "info", "warning", "critical"}
    summary : str
        One line, what the rule says.
    source : str
        Clause cited (standard, section) and the reference-notes section.
    module : str
        Where it is implemented (``ecosentry.subsystems.monitoring.rules.cn.rates`` ...).
    tag : str
        Confidence tag of the source (C, S, R, V, ours; combined with "/").
    kind : {None, "falsification", "data_quality", "statistical", "process_change"}
        For detector findings: what the finding says (:data:`KINDS`); ``None`` for computations and
        validity rules. Only ``"falsification"`` may be ``critical``.
    """

    code: str
    severity: Severity | None
    summary: str
    source: str
    module: str
    tag: str = "R"
    kind: FindingKind | None = None

    def __post_init__(self) -> None:
        if self.severity not in (None, "info", "warning", "critical"):
            raise ValueError(f"severity must be None, 'info', 'warning' or 'critical', not {self.severity!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"kind must be None or one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind is not None and self.severity == "critical" and self.kind != "falsification":
            raise ValueError(f"{self.code}: only falsification signs may be critical, not a {self.kind} finding")
        if not self.code or self.code != self.code.strip().upper():
            raise ValueError(f"code must be non-empty upper case without blanks: {self.code!r}")


#: All rules by code.
RULES: dict[str, Rule] = {}


def register(entry: Rule) -> Rule:
    """Add a rule; registering the identical rule twice is allowed, a different one under a used code
    raises ``ValueError``."""
    existing = RULES.get(entry.code)
    if existing is not None and existing != entry:
        raise ValueError(f"rule code {entry.code} already registered differently")
    RULES[entry.code] = entry
    return entry


def rule(
    *, code: str, severity: Severity | None, summary: str, source: str, tag: str = "R"
) -> Callable[[F], F]:
    """Decorator registering the decorated function as the implementation of a rule code.

    The function gets a ``rule_code`` attribute; ``module`` is taken from the function.
    """

    def decorate(func: F) -> F:
        register(Rule(code, severity, summary, source, f"{func.__module__}.{func.__qualname__}", tag))
        func.rule_code = code  # type: ignore[attr-defined]
        return func

    return decorate


def catalogue() -> list[Rule]:
    """All registered rules, sorted by code."""
    return sorted(RULES.values(), key=lambda r: r.code)


def get(code: str) -> Rule:
    """The rule with this code (``KeyError`` if unknown)."""
    return RULES[code]


def kind_of(code: str) -> str | None:
    """The finding kind of a registered code (``None``: unknown code or not a detector finding)."""
    entry = RULES.get(code)
    return entry.kind if entry is not None else None


_HOURLY = "ecosentry.subsystems.monitoring.rules.cn.hourly"
_AGG = "ecosentry.subsystems.monitoring.rules.cn.aggregates"
_RATES = "ecosentry.subsystems.monitoring.rules.cn.rates"
_EXC = "ecosentry.subsystems.monitoring.rules.cn.exceedance"
_SUB = "ecosentry.subsystems.monitoring.rules.cn.substitution"
_REF = "china-vietnam-rules.md"

for _r in (
    # ------------------------------------------------------------------ validity and roll-up
    Rule("CN-HOUR-45MIN", None, "An hour is valid with at least 45 min of valid minute data.",
         f"HJ 76-2017 App. B; HJ 212-2017 App. D.2 eq. (24); {_REF} §2.1", _HOURLY, "S/C"),
    Rule("CN-FLAG-ROLLUP", None,
         "Aggregate flag: gas N when > 75 % of sub-intervals are N, else D; water abnormal when any is.",
         f"HJ 212-2017 App. C notes to Tables C.16–C.18; {_REF} §0.3", _HOURLY, "C"),
    Rule("CN-DAY-20H", None, "A day is valid with at least 20 valid hours.",
         f"HJ 76-2017 App. B; HJ 212-2017 eq. (25); {_REF} §2.1", _AGG, "S/C"),
    Rule("CN-MONTH-25D", None, "A month is valid with at least 25 valid days (February: 23).",
         f"HJ 76-2017 App. B; {_REF} §2.1", _AGG, "S"),
    # ------------------------------------------------------------------ rates
    Rule("CN-RATE-TRANS", None, "数据传输率 = received records D / expected records M (即时 or 补全).",
         f"企业回流接口说明 V1.6 §2.6; {_REF} §1.1, §1.4", _RATES, "S/C"),
    Rule("CN-RATE-EFFE", None,
         "数据有效率 = valid groups S / (M − NOS); denominator is a setting (UNCONFIRMED).",
         f"{_REF} §1.1, §1.4", _RATES, "S/R"),
    Rule("CN-RATE-EFFE-TRANS", None, "有效传输率 = 数据传输率 × 数据有效率; aggregate by summing counts.",
         f"{_REF} §1.1, §1.4", _RATES, "S"),
    Rule("CN-RATE-STOPPED", None, "Hours under a 工况 停运 mark leave the statistics period.",
         f"{_REF} §1.2", _RATES, "S/C"),
    Rule("CN-RATE-EXEMPT-STDSAMPLE", None,
         "Wastewater COD/NH3-N/TP/TN: at most 1 hour per day under a 标样核查 mark is excluded (NOS).",
         f"《自动监测数据有效传输率统计算法说明》 as quoted; {_REF} §1.2", _RATES, "S"),
    Rule("CN-RATE-NONATTR", None,
         "Hours under a 非排污单位责任 mark leave the denominator (setting, UNCONFIRMED).",
         f"企业回流接口说明 V1.6 §2.2.4; {_REF} §1.2", _RATES, "R"),
    # ------------------------------------------------------------------ exceedance
    Rule("CN-EXC-GAS-HOUR", "critical", "Hourly 折算 mean of a flue-gas pollutant above the hourly limit.",
         f"HJ 76-2017 App. B; {_REF} §4.1", _EXC, "S"),
    Rule("CN-EXC-GAS-DAY", "critical",
         "Daily 折算 mean of a flue-gas pollutant above the daily limit (where the standard or permit sets one).",
         f"GB 18485-2014 (24 h means); 电子督办 category 废气污染物排放日均值超标; {_REF} §4.1", _EXC, "S/R"),
    Rule("CN-EXC-WATER-DAY", "critical",
         "Daily mean of a wastewater pollutant above the limit (or pH outside 6–9).",
         f"GB 8978-1996 §5; GB 18918-2002 Table 1; {_REF} §4.1", _EXC, "R"),
    Rule("CN-EXC-NOT-JUDGED-INVALID", "info",
         "Invalid or invalid-marked periods are not judged for exceedance.",
         f"《污染物排放自动监测设备标记规则》 Q&A; {_REF} §4.2", _EXC, "S"),
    # ------------------------------------------------------------------ substitution, flue gas
    Rule("CN-SUB-CAPTURE-RATE", None,
         "Quarterly capture rate α = (Q − stopped − invalid)/(Q − stopped).",
         f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-OOC-180", "info", "Out of control, α ≥ 90 %, N ≤ 24: max of 180 valid hours before "
         "the last calibration.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-OOC-720", "info", "Out of control, α ≥ 90 %, N > 24: max of 720 valid hours before "
         "the last calibration.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-OOC-2160", "warning", "Out of control, 75 % ≤ α < 90 %: max of 2160 valid hours "
         "before the last calibration.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-GAP-180", "info", "Maintenance/missing, α ≥ 90 %, N ≤ 24: max of 180 valid hours "
         "before the gap (vendor; UNCONFIRMED).", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "V"),
    Rule("CN-SUB-GAS-GAP-MEAN", "info", "Maintenance/missing, α ≥ 90 %, N ≤ 24: mean of the valid hours "
         "just before and after the gap (setting; UNCONFIRMED).", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R"),
    Rule("CN-SUB-GAS-GAP-720", "info", "Maintenance/missing, α ≥ 90 %, N > 24: max of 720 valid hours "
         "before the gap.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-GAP-2160", "warning", "Maintenance/missing, 75 % ≤ α < 90 %: max of 2160 valid "
         "hours before the gap.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R/V"),
    Rule("CN-SUB-GAS-NONE", "critical", "α < 75 %: no substitution under HJ 75; manual/permit method "
         "needed.", f"HJ 75-2017 §12; {_REF} §2.2", _SUB, "R"),
    Rule("CN-SUB-GAS-NODATA", "warning", "No valid hour in the look-back window: no substitute computed.",
         "platform choice", _SUB, "ours"),
    # ------------------------------------------------------------------ substitution, wastewater
    Rule("CN-SUB-WATER-MEAN", "info", "COD/NH3-N/TP/TN/flow: mean of the preceding period of equal "
         "length.", f"HJ 356-2019 §8; {_REF} §2.3", _SUB, "R/V"),
    Rule("CN-SUB-WATER-PH-MEDIAN", "info", "pH: median of the preceding period of equal length.",
         f"HJ 356-2019 §8; {_REF} §2.3", _SUB, "R/V"),
    Rule("CN-SUB-WATER-NODATA", "warning", "No valid value in the preceding period: no substitute "
         "computed.", "platform choice", _SUB, "ours"),
):
    register(_r)
del _r
