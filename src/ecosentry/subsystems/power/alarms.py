"""The subsystem's alarm types (``ALM-PWR-…``) and how a power alarm is said in a reader's language.

One alarm per open finding of the linkage, data and order rules (:mod:`.rules.linkage`, :mod:`.rules.orders`),
raised by the engine (:mod:`.engine.engine`) and cleared by data when the finding ends. The originator kind is
``equipment``: ``source_id`` is ``<enterprise id>:<key>`` with the key of the finding (its equipment codes,
sorted, joined by ``,``), so the same condition on the same equipment is one alarm at a time
(:mod:`ecosentry.alarms.store`: one non-cleared alarm per originator and type).

The stored ``explanation`` is said in the deployment's language (``default_locale``) with start, end (or
"still going on") and duration in the enterprise's local time; the evidence keeps the finding's msgid and
parameters (``sentence``), so :func:`alarm_sentence` says it again in any reader's language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ecosentry.alarms.catalogue import AlarmType, register_alarm_type, register_originator_kind
from ecosentry.said import N_

__all__ = ["EQUIPMENT", "ALARM_OF", "TYPE_NAMES", "source_id", "span_sentence", "alarm_sentence"]

_SRC = "shared/reference/subsystems.md"

#: Originator kind of every power alarm: a piece (or a linked group) of metered equipment of an enterprise.
EQUIPMENT = register_originator_kind("equipment", "metered equipment of an enterprise (production, treatment, "
                                     "total meter; 用电监控)")

_TYPES = (
    AlarmType("ALM-PWR-TREAT-OFF", "critical",
              N_("A treatment facility is off while the production it serves runs (治污设施停运)."),
              f"{_SRC} §1.4 linkage rule 1, §7 item 3 (finding PWR-TREAT-OFF)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-START-ORDER", "warning",
              N_("A treatment facility started after its production beyond the grace window."),
              f"{_SRC} §1.4 linkage rule 2, §7 item 4 (finding PWR-START-ORDER)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-STOP-ORDER", "warning",
              N_("A treatment facility stopped before its production beyond the grace window."),
              f"{_SRC} §1.4 linkage rule 2, §7 item 4 (finding PWR-STOP-ORDER)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-LOW-LOAD", "warning",
              N_("A treatment facility runs at abnormally low load while its production runs at full load."),
              f"{_SRC} §1.4 linkage rule 3, §7 item 5 (finding PWR-TREAT-LOW-LOAD)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-METER-OFFLINE", "warning",
              N_("A power meter has sent no reading for longer than the allowed silence."),
              f"{_SRC} §1.4 rule 5, §7 item 7 (finding PWR-METER-OFFLINE)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-ZERO-PHASES", "warning",
              N_("A power meter reads zero on every phase while the total meter shows unexplained consumption."),
              f"{_SRC} §1.4 rule 5, §7 item 7 (finding PWR-ZERO-ALL-PHASES)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-CT-CHANGE", "warning",
              N_("The current transformer of a power meter seems to have changed (energy and power disagree)."),
              f"{_SRC} §1.4 rule 5, §7 item 7 (finding PWR-CT-RATIO-CHANGE)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-ORDER-STOP", "critical",
              N_("Production equipment runs during a stop order of a heavy-pollution alert."),
              f"{_SRC} §1.4 linkage rule 4, §1.5, §7 item 6 (finding PWR-ORDER-STOP-RUNNING)", (EQUIPMENT,)),
    AlarmType("ALM-PWR-ORDER-LIMIT", "critical",
              N_("Production energy is above what a limit order of a heavy-pollution alert allows."),
              f"{_SRC} §1.4 linkage rule 4, §1.5, §7 item 6 (finding PWR-ORDER-LIMIT-EXCEEDED)", (EQUIPMENT,)),
)

#: Finding code → the alarm type it raises.
ALARM_OF: dict[str, str] = {
    "PWR-TREAT-OFF": "ALM-PWR-TREAT-OFF", "PWR-START-ORDER": "ALM-PWR-START-ORDER",
    "PWR-STOP-ORDER": "ALM-PWR-STOP-ORDER", "PWR-TREAT-LOW-LOAD": "ALM-PWR-LOW-LOAD",
    "PWR-METER-OFFLINE": "ALM-PWR-METER-OFFLINE", "PWR-ZERO-ALL-PHASES": "ALM-PWR-ZERO-PHASES",
    "PWR-CT-RATIO-CHANGE": "ALM-PWR-CT-CHANGE", "PWR-ORDER-STOP-RUNNING": "ALM-PWR-ORDER-STOP",
    "PWR-ORDER-LIMIT-EXCEEDED": "ALM-PWR-ORDER-LIMIT",
}

#: Alarm type → its short name (titles).
TYPE_NAMES: dict[str, str] = {
    "ALM-PWR-TREAT-OFF": N_("Treatment off during production"),
    "ALM-PWR-START-ORDER": N_("Treatment started late"),
    "ALM-PWR-STOP-ORDER": N_("Treatment stopped early"),
    "ALM-PWR-LOW-LOAD": N_("Treatment at low load"),
    "ALM-PWR-METER-OFFLINE": N_("Power meter offline"),
    "ALM-PWR-ZERO-PHASES": N_("Power meter reads zero"),
    "ALM-PWR-CT-CHANGE": N_("Current transformer changed"),
    "ALM-PWR-ORDER-STOP": N_("Running during a stop order"),
    "ALM-PWR-ORDER-LIMIT": N_("Above a limit order"),
}


for _t in _TYPES:
    register_alarm_type(replace(_t, name=TYPE_NAMES[_t.code]), __name__)
del _t


#: Length of ``alarms.source_id``.
SOURCE_ID_MAX = 64


def source_id(enterprise_id: int, key: str) -> str:
    """The originator id of a finding's alarm: ``<enterprise id>:<key>``; a key too long for the column (long
    equipment codes, many units) is ``<enterprise id>:#<hash of the key>`` (the key is in the evidence)."""
    whole = f"{enterprise_id}:{key}"
    if len(whole) <= SOURCE_ID_MAX:
        return whole
    return f"{enterprise_id}:#{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _minutes(start: datetime, end: datetime | None, now: datetime) -> int:
    return int(round(((end or now) - start) / timedelta(minutes=1)))


def span_sentence(start: datetime, end: datetime | None, now: datetime, gettext: Callable[[str], str],
                  when: Callable[[datetime], str]) -> str:
    """"From 08:03 to 08:41 (38 min)." or "Since 08:03, still going on (12 min so far).", in local time."""
    if end is None:
        return gettext(N_("Since %(start)s, still going on (%(minutes)s min so far).")) % {
            "start": when(start), "minutes": _minutes(start, None, now)}
    return gettext(N_("From %(start)s to %(end)s (%(minutes)s min).")) % {
        "start": when(start), "end": when(end), "minutes": _minutes(start, end, now)}


#: Parameters of the rules' sentences that hold equipment codes (``","``-joined).
EQUIPMENT_PARAMS = ("production", "treatment", "equipment")


def named_params(params: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a sentence's parameters with the equipment codes replaced by their names (an unknown code as
    it is): people read names, not codes."""
    out: dict[str, Any] = dict(params)
    for k in EQUIPMENT_PARAMS:
        if isinstance(out.get(k), str):
            out[k] = ", ".join(names.get(c.strip(), c.strip()) for c in out[k].split(","))
    return out


def alarm_sentence(evidence: Mapping[str, Any], gettext: Callable[[str], str],
                   when: Callable[[datetime], str], now: datetime) -> str | None:
    """A power alarm's explanation in the language of ``gettext``: the finding's sentence and its span (start,
    end, duration); ``None`` for evidence that is not a power finding's."""
    said = evidence.get("sentence") if isinstance(evidence, Mapping) else None
    if not isinstance(said, Mapping) or "msgid" not in said:
        return None
    start = _time(evidence.get("start"))
    end = _time(evidence.get("end"))
    text = gettext(said["msgid"]) % dict(said.get("params") or {})
    return f"{text} {span_sentence(start, end, now, gettext, when)}" if start else text


def _time(t: Any) -> datetime | None:
    if isinstance(t, datetime):
        return t
    if isinstance(t, str) and t:
        return datetime.fromisoformat(t)
    return None
