"""Alarm types and originator kinds: the open catalogue every subsystem adds to.

An alarm *type* says what is wrong (``ALM-EXCEEDANCE``), its default severity and one line a regulator
can read; an *originator kind* says what kind of thing raised it (``point``, ``enterprise``, ``gate`` …).
An alarm is identified by ``(source_type, source_id, type)``: one active alarm per originator and type.

A later subsystem (vehicle gates, park sensors, treatment-facility monitoring) adds its own type and kind
with :func:`register_alarm_type` / :func:`register_originator_kind` from its own module; nothing in the alarm
core changes. Every type is also registered in :mod:`ecosentry.contracts.catalogue` (tag ``ours``: the alarm
catalogue is a platform choice, its sources are cited per type) so ``ecosentry rules list`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecosentry.contracts.catalogue import Rule, register

__all__ = [
    "SEVERITIES", "severity_rank", "AlarmType", "ALARM_TYPES", "ORIGINATOR_KINDS", "register_alarm_type",
    "register_originator_kind", "alarm_type",
]

#: Severities, lowest first (the same words as the rule catalogue).
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")

_REF = "china-vietnam-rules.md"


def severity_rank(severity: str) -> int:
    """Order of a severity: info 1, warning 2, critical 3 (``ValueError`` for an unknown word)."""
    try:
        return SEVERITIES.index(severity) + 1
    except ValueError:
        raise ValueError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}") from None


@dataclass(frozen=True)
class AlarmType:
    """One alarm type.

    Attributes
    ----------
    code : str
        Stable code, ``ALM-...``.
    severity : {"info", "warning", "critical"}
        Default severity (an originator may raise it higher or lower per alarm).
    summary : str
        One-line explanation.
    source : str
        Clause or reference-notes section the type rests on.
    originators : tuple of str
        Originator kinds that typically raise it (documentation; not enforced).
    name : str, optional
        Short name for lists and titles, an English message id.
    """

    code: str
    severity: str
    summary: str
    source: str
    originators: tuple[str, ...] = ("point",)
    #: Short name as the pages show it (an English message id, translated with the subsystem's catalogue);
    #: None = the core's own names (:data:`ecosentry.alarms.wording.TYPE_NAMES`), else the code.
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.code.startswith("ALM-"):
            raise ValueError(f"alarm type codes start with 'ALM-': {self.code!r}")
        severity_rank(self.severity)


#: Alarm types by code.
ALARM_TYPES: dict[str, AlarmType] = {}
#: Originator kinds (``source_type``) by name, with a one-line description.
ORIGINATOR_KINDS: dict[str, str] = {}


def register_originator_kind(name: str, description: str) -> str:
    """Declare an originator kind (``source_type``); declaring it again is harmless."""
    if not name or name != name.strip().lower() or len(name) > 24:
        raise ValueError(f"originator kinds are short lower-case words: {name!r}")
    ORIGINATOR_KINDS.setdefault(name, description)
    return name


def register_alarm_type(entry: AlarmType, module: str = __name__) -> AlarmType:
    """Add an alarm type here and in the rule catalogue; the identical entry twice is allowed."""
    existing = ALARM_TYPES.get(entry.code)
    if existing is not None and existing != entry:
        raise ValueError(f"alarm type {entry.code} already registered differently")
    register(Rule(entry.code, entry.severity, entry.summary, entry.source, module, "ours"))  # type: ignore[arg-type]
    ALARM_TYPES[entry.code] = entry
    return entry


def alarm_type(code: str) -> AlarmType:
    """The alarm type with this code (``KeyError`` if unknown)."""
    return ALARM_TYPES[code]


for _kind, _desc in (
    ("point", "a monitoring point (HJ 212 MN)"),
    ("enterprise", "a pollution-source enterprise"),
    ("facility", "a treatment facility of an enterprise (治污设施)"),
    ("gate", "a vehicle gate of a site or park"),
    ("park_sensor", "a park (园区) ambient or toxic-gas sensor"),
):
    register_originator_kind(_kind, _desc)

for _t in (
    AlarmType("ALM-EXCEEDANCE", "critical",
              "An hourly or daily value of a pollutant is above its emission limit (超标).",
              f"HJ 76-2017 App. B; GB 8978-1996 §5; {_REF} §4.1; detector codes CN-EXC-*"),
    AlarmType("ALM-EXCEEDANCE-RISK", "warning",
              "The hour (or day) still running is above its limit so far: an early warning, not an "
              "exceedance, which is judged on the complete hour or day (超标预警).",
              f"platform choice; exceedance of complete periods: HJ 76-2017 App. B; {_REF} §4.1"),
    AlarmType("ALM-DATA-MISSING", "warning",
              "Expected data of a monitored factor did not arrive (数据缺失: < 45 min records in an hour "
              "or a missing hour).", f"national 电子督办 rule 1; {_REF} §5.2, §1.2"),
    AlarmType("ALM-FALSIFICATION", "critical",
              "Detectors (DET-*) found signs of falsified or manipulated data (恒值, 负值, 突升突降 …).",
              f"national 电子督办 rules 3, 11–16; {_REF} §5.1–§5.6"),
    AlarmType("ALM-DATA-ANOMALY", "warning",
              "Values are impossible or abnormal for the analyser (negative, above the range, statistical "
              "outliers).", f"national 电子督办 rule 3 数据异常 (负值, 超量程); {_REF} §5.2, §5.6; anchors.md §6"),
    AlarmType("ALM-DEVICE-FAULT", "warning",
              "The analyser or logger reports a fault or abnormal state (flag D or B, status 02).",
              f"HJ 212-2017 §6.6.4 Table 8; Circular 10/2021 Art. 39; {_REF} §0.2, §7.2, §5.2 rule 5"),
    AlarmType("ALM-LOGGER-OFFLINE", "warning",
              "The data logger has sent nothing for longer than the allowed silence (联网异常).",
              f"national 电子督办 rule 联网异常; {_REF} §5.2"),
    AlarmType("ALM-LOGGER-FRAMES", "warning",
              "The data logger keeps sending frames the gateway must reject (wrong length, CRC or fields): a "
              "device fault of the logger; its data are lost although it is online.",
              "HJ 212-2017 §6.3 (frame structure), Appendix A (CRC); platform choice of the threshold "
              "(ECOSENTRY_MONITORING__LOGGER_FAULT_THRESHOLD)"),
    AlarmType("ALM-TREATMENT-OFF", "critical",
              "A treatment facility is stopped while production runs (治污设施停运).",
              f"platform choice for the treatment-facility subsystem; {_REF} §5.3", ("facility", "enterprise")),
    AlarmType("ALM-VEHICLE-RULE", "warning",
              "A vehicle broke a site rule at a gate (e.g. an unregistered heavy diesel truck).",
              "platform choice for the vehicle-gate subsystem", ("gate",)),
    AlarmType("ALM-TOXIC-GAS", "critical",
              "A park sensor measures a toxic or combustible gas above its alarm level.",
              "platform choice for the park-sensor subsystem (alarm levels per sensor)", ("park_sensor",)),
):
    register_alarm_type(_t)
del _t, _kind, _desc
