"""What an alarm says to a reader, in the reader's language: its title and explanation, from its type, point
and evidence, rendered when it is shown.

The stored ``title`` and ``explanation`` stay the engine's English wording (logs, the API's machine fields,
``ecosentry detect``); a page, a notification or the evidence pack renders the alarm again here with the
catalogue of the reader's language: the enterprise's and the point's names, the rule's name (not its code),
factor names with units, and times in local time. The raiser already keeps the facts in the evidence
(``periods`` of an exceedance, ``findings`` of the detectors, ``faults``, ``last_received_at`` …); an
alarm whose evidence this module does not know keeps its stored wording.

Pure: the caller passes the gettext function, the names and the formatters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecosentry.alarms.catalogue import ALARM_TYPES
from ecosentry.contracts.catalogue import kind_of
from ecosentry.said import N_

__all__ = ["AlarmNames", "Voice", "type_name", "rule_name", "kind_name", "finding_kind", "alarm_title",
           "alarm_explanation", "notification_text", "N_"]




#: Alarm type → short name (the same words as the pages' type labels).
TYPE_NAMES: dict[str, str] = {
    "ALM-EXCEEDANCE": N_("Exceedance"), "ALM-DATA-MISSING": N_("Data missing"),
    "ALM-FALSIFICATION": N_("Signs of falsification"), "ALM-DATA-ANOMALY": N_("Abnormal data"),
    "ALM-DEVICE-FAULT": N_("Device fault"), "ALM-LOGGER-OFFLINE": N_("Logger offline"),
    "ALM-TREATMENT-OFF": N_("Treatment facility off"), "ALM-VEHICLE-RULE": N_("Vehicle rule broken"),
    "ALM-TOXIC-GAS": N_("Toxic gas"), "ALM-EXCEEDANCE-RISK": N_("Exceedance risk"),
    "ALM-LOGGER-FRAMES": N_("Logger sends faulty frames"),
}

#: Detector code → the rule's name as a regulator says it (catalogue: ecosentry.subsystems.monitoring.detect).
RULE_NAMES: dict[str, str] = {
    "DET-AREA-IMPLIED": N_("Duct area implied by flow and velocity differs from the registered area"),
    "DET-AT-DETECTION-LIMIT": N_("Values stay at the detection limit"),
    "DET-CLONE": N_("Two unrelated channels carry the same signal"),
    "DET-CLONE-MINUTE": N_("A pollutant channel copies another one record by record"),
    "DET-CONST-4H": N_("Constant value for 4 hours or more"),
    "DET-DAY-NIGHT": N_("Night-time values far above day-time values"),
    "DET-FACTOR-GAP": N_("One pollutant silent while the others report"),
    "DET-LAST-DIGIT": N_("Last digits not uniformly distributed"),
    "DET-LIMIT-HUG": N_("Hourly values pile up just below the limit"),
    "DET-LIMIT-HUG-DAY": N_("Daily values pile up just below the limit"),
    "DET-LIMIT-CAP": N_("Values held at a ceiling just under the limit"),
    "DET-LOAD-SHIFT": N_("Level moved with the plant's load"),
    "DET-MARK-BEFORE-EXCEEDANCE": N_("Marks or gaps begin just before an exceedance"),
    "DET-MISSING-168H": N_("Hourly data missing for more than 168 hours"),
    "DET-MISSING-HOUR": N_("Hourly data missing"),
    "DET-MISSING-MINUTES": N_("Fewer than 45 minutes of data in an hour"),
    "DET-NARROW-BAND": N_("Values stay in a narrow band for a week"),
    "DET-NARROW-SPREAD": N_("Values held in a band far narrower than their history and load imply"),
    "DET-NEAR-ZERO": N_("Near-zero readings while production runs"),
    "DET-NEGATIVE": N_("Negative values"),
    "DET-NIGHT-LOAD": N_("Pollutant load discharged at night rose"),
    "DET-NO-DATA": N_("No data at all"),
    "DET-O2-SAYS-RUNNING": N_("Oxygen says running while flow and temperature say stopped"),
    "DET-O2-SAYS-STOPPED": N_("Oxygen says stopped while flow and temperature say running"),
    "DET-OVER-RANGE": N_("Values above the analyser range"),
    "DET-PARAM-DRIFT": N_("Instrument parameter differs from the registered value"),
    "DET-RANGE-HALFMONTH": N_("Hourly values hardly vary over half a month"),
    "DET-STAT-SEASONAL": N_("Daily or weekly pattern broke"),
    "DET-STAT-SHIFT": N_("Sudden lasting shift of level"),
    "DET-STAT-SPIKE": N_("Spike far from recent values"),
    "DET-STAT-VARIANCE": N_("Values became much noisier"),
    "DET-STEP-FLAT": N_("Sudden jump followed by an implausibly flat stretch"),
    "DET-STOPPED-DATA": N_("Declared stopped while data show production"),
    "DET-ZERO-RUNNING": N_("Zero concentration while production runs"),
}

#: Finding kind (ecosentry.contracts.catalogue.KINDS) → its name: what a finding says about the data.
KIND_NAMES: dict[str, str] = {
    "falsification": N_("falsification sign"), "data_quality": N_("data-quality defect"),
    "statistical": N_("statistical anomaly"), "process_change": N_("process change"),
}

#: How many findings or periods an explanation lists before "and n more".
SHOWN = 5


@dataclass(frozen=True)
class AlarmNames:
    """Names an alarm's wording needs: its enterprise and point, and factors (code → (name, unit))."""

    enterprise: str | None = None
    point: str | None = None
    factors: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)

    def factor(self, code: str) -> str:
        return self.factors.get(code, (code, None))[0]

    def unit(self, code: str) -> str:
        return self.factors.get(code, (code, None))[1] or ""


def type_name(code: str, _: Callable[[str], str]) -> str:
    """The name of an alarm type in the reader's language: the core's own names, a subsystem's type's
    :attr:`~ecosentry.alarms.catalogue.AlarmType.name`, else the code."""
    if code in TYPE_NAMES:
        return _(TYPE_NAMES[code])
    registered = ALARM_TYPES.get(code)
    return _(registered.name) if registered is not None and registered.name else code


def rule_name(code: str, _: Callable[[str], str]) -> str:
    """The name of a detector rule in the reader's language (the code for an unknown rule)."""
    return _(RULE_NAMES[code]) if code in RULE_NAMES else code


def finding_kind(finding: Mapping[str, Any]) -> str | None:
    """The kind of a finding as stored in an alarm's evidence (older evidence: the catalogue's kind)."""
    kind = finding.get("kind")
    return str(kind) if kind else kind_of(str(finding.get("code")))


def kind_name(kind: str | None, _: Callable[[str], str]) -> str:
    """The name of a finding kind in the reader's language ("" when unknown)."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else ""


def _time(t: Any) -> datetime | None:
    if isinstance(t, datetime):
        return t
    if isinstance(t, str) and t:
        try:
            return datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _findings(alarm: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ev = alarm.get("evidence")
    return list(ev.get("findings") or []) if isinstance(ev, Mapping) else []


def _factor_list(codes: Any, names: AlarmNames) -> list[str]:
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c]
    return [names.factor(c) for c in (codes or [])]


def alarm_title(alarm: Mapping[str, Any], names: AlarmNames, _: Callable[[str], str]) -> str:
    """``<enterprise> <point>: <what>`` — the rule names of detector findings, else the type's name with the
    factors concerned."""
    where = " ".join(x for x in (names.enterprise, names.point) if x)
    codes = list(dict.fromkeys(f.get("code") for f in _findings(alarm) if f.get("code")))
    if codes:
        what = _("; ").join(rule_name(c, _) for c in codes[:2])
        if len(codes) > 2:
            what += " " + _("(+%(n)d more)") % {"n": len(codes) - 2}
    else:
        what = type_name(str(alarm.get("type")), _)
        factors = _factor_list(alarm.get("factor_codes"), names)
        if factors and alarm.get("type") in ("ALM-EXCEEDANCE", "ALM-EXCEEDANCE-RISK", "ALM-DEVICE-FAULT"):
            what += _(": ") + _(", ").join(factors)
    return f"{where}{_(': ')}{what}" if where else what


def alarm_explanation(alarm: Mapping[str, Any], names: AlarmNames, _: Callable[[str], str],
                      when: Callable[[datetime], str], num: Callable[[float], str]) -> str | None:
    """One or a few sentences with the facts of the evidence; ``None`` when the evidence is of a kind this
    module does not know (the caller shows the stored explanation)."""
    ev = alarm.get("evidence") if isinstance(alarm.get("evidence"), Mapping) else {}
    kind = alarm.get("type")
    parts: list[str] = []
    findings = _findings(alarm)
    if findings:
        for f in findings[:SHOWN]:
            start, end = _time(f.get("start")), _time(f.get("end"))
            factors = _(", ").join(_factor_list(f.get("factor"), names)) or _("all factors")
            span = when(start) if start and (not end or end == start) else \
                f"{when(start)} – {when(end)}" if start and end else ""
            kind = kind_name(finding_kind(f), _)
            rule = rule_name(str(f.get("code")), _)
            if kind:
                rule = _("%(rule)s (%(kind)s)") % {"rule": rule, "kind": kind}
            parts.append(_("%(rule)s: %(factors)s, %(span)s.") % {"rule": rule, "factors": factors, "span": span})
            support = [c for c in f.get("corroborated_by") or [] if isinstance(c, str)]
            if support:
                parts.append(_("Corroborated by: %(rules)s.") % {"rules": _(", ").join(rule_name(c, _)
                                                                                       for c in support)})
        more = int(ev.get("n_findings") or len(findings)) - len(parts)
        if more > 0:
            parts.append(_("And %(n)d more findings.") % {"n": more})
        return " ".join(parts)
    if kind == "ALM-EXCEEDANCE" and ev.get("periods"):
        for p in ev["periods"][:SHOWN]:
            code = str(p.get("factor_code"))
            start = _time(p.get("period_start"))
            period = _("hour") if p.get("period") == "hour" else _("day")
            unit = names.unit(code)
            facts = {"factor": names.factor(code), "period": period, "time": when(start) if start else "—",
                     "value": num(p.get("judged_value")), "limit": num(p.get("limit_value")), "unit": unit}
            # "corrected" only where the judged value was corrected to a reference O2 (a Vietnamese hour under
            # QCVN 19:2009 is judged as measured)
            if p.get("corrected"):
                parts.append(_("%(factor)s, %(period)s from %(time)s: %(value)s %(unit)s corrected to the reference "
                               "O2, above the limit %(limit)s %(unit)s.") % facts)
            else:
                parts.append(_("%(factor)s, %(period)s from %(time)s: %(value)s %(unit)s, above the limit "
                               "%(limit)s %(unit)s.") % facts)
            if p.get("standard"):
                parts.append(_("Limit: %(standard)s.") % {"standard": p["standard"]})
        return " ".join(parts)
    if kind == "ALM-EXCEEDANCE-RISK" and ev.get("periods"):
        for p in ev["periods"][:SHOWN]:
            code = str(p.get("factor_code"))
            start = _time(p.get("period_start"))
            period = _("hour") if p.get("period") == "hour" else _("day")
            unit = names.unit(code)
            parts.append(_("%(factor)s, %(period)s from %(time)s, still running: %(value)s %(unit)s so far, above "
                           "the limit %(limit)s %(unit)s; the exceedance is judged when the period ends.") % {
                "factor": names.factor(code), "period": period, "time": when(start) if start else "—",
                "value": num(p.get("judged_value")), "limit": num(p.get("limit_value")), "unit": unit})
        return " ".join(parts)
    if kind == "ALM-LOGGER-OFFLINE" and "threshold_minutes" in ev:
        last = _time(ev.get("last_received_at"))
        minutes = num(ev.get("threshold_minutes"))
        if last is None:
            return _("The data logger has never sent data; the allowed silence is %(minutes)s min.") % {
                "minutes": minutes}
        return _("The data logger has sent nothing since %(time)s; the allowed silence is %(minutes)s min.") % {
            "time": when(last), "minutes": minutes}
    if kind == "ALM-DEVICE-FAULT" and ev.get("faults"):
        for f in ev["faults"][:SHOWN]:
            since = _time(f.get("since"))
            what = _("communication fault of the analyser") if f.get("flag") == "B" else _("analyser fault")
            parts.append(_("%(factor)s: %(what)s (flag %(flag)s) since %(time)s.") % {
                "factor": names.factor(str(f.get("factor"))), "what": what, "flag": f.get("flag"),
                "time": when(since) if since else "—"})
        return " ".join(parts)
    if kind == "ALM-DATA-MISSING" and "n_missing" in ev:
        slots = [t for t in (_time(x) for x in ev.get("missing_slots") or []) if t is not None]
        shown = _(", ").join(when(t) for t in slots[:SHOWN])
        return _("%(n)d station files of %(interval)d min missing in the last %(hours)s h (%(times)s).") % {
            "n": int(ev["n_missing"]), "interval": int(ev.get("interval_minutes") or 0),
            "hours": num(ev.get("window_hours")), "times": shown}
    return None


# --------------------------------------------------------------------------- notifications

#: What happened, as the first words of a notification.
EVENT_WORDS: dict[str, str] = {
    "raised": N_("New alarm"), "updated": N_("Alarm severity rose"), "escalated": N_("Escalated alarm"),
    "repeat": N_("Reminder: unacknowledged alarm"), "acknowledged": N_("Alarm acknowledged"),
    "cleared": N_("Alarm cleared"), "assigned": N_("Alarm assigned"), "commented": N_("Alarm comment"),
    "overdue": N_("Supervision deadline passed"),
}
SEVERITY_WORDS = {"info": N_("Info"), "warning": N_("Warning"), "critical": N_("Critical")}
STATE_WORDS = {"active": N_("Unacknowledged"), "acknowledged": N_("Acknowledged"), "cleared": N_("Cleared")}


@dataclass(frozen=True)
class Voice:
    """How to say an alarm to one reader: the catalogue's gettext, local times, numbers and the names."""

    gettext: Callable[[str], str]
    when: Callable[[datetime], str]
    num: Callable[[float], str]
    names: AlarmNames


def notification_text(alarm: Mapping[str, Any], event: str, voice: Voice,
                      url: str | None = None) -> tuple[str, str, str]:
    """``(title, body, severity word)`` of a notification in the reader's language."""
    _ = voice.gettext
    title = alarm_title(alarm, voice.names, _)
    severity = _(SEVERITY_WORDS.get(str(alarm.get("severity")), str(alarm.get("severity"))))
    explanation = alarm_explanation(alarm, voice.names, _, voice.when, voice.num)
    first, last = _time(alarm.get("first_at")), _time(alarm.get("last_at"))
    lines = [
        f"{_(EVENT_WORDS.get(event, event))}{_(': ')}{title}",
        f"{_('Type')}{_(': ')}{type_name(str(alarm.get('type')), _)}",
        f"{_('Severity')}{_(': ')}{severity}{_('; ')}{_('State')}{_(': ')}"
        f"{_(STATE_WORDS.get(str(alarm.get('state')), str(alarm.get('state'))))}{_('; ')}"
        f"{_('Occurrences')}{_(': ')}{alarm.get('occurrences')}",
        f"{_('First occurrence')}{_(': ')}{voice.when(first) if first else '—'}{_('; ')}"
        f"{_('Last occurrence')}{_(': ')}{voice.when(last) if last else '—'}",
    ]
    if explanation or alarm.get("explanation"):
        lines.append(explanation or str(alarm.get("explanation")))
    if url:
        lines.append(url)
    return f"[{severity}] {title}"[:200], "\n".join(lines), severity
