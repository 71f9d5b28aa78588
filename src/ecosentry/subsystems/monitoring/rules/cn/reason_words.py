"""The reason of an invalid hour or period in the reader's language.

The rules write reasons as short machine-readable fragments joined by ``"; "`` (``valid minutes 20 < 45``,
``missing 40 min``, ``CN-MARK-INVALID: auto mark #10 comm_interruption (invalid)``, ``CN-HOUR-OOC: out of
control 30 min`` …; see
:mod:`ecosentry.subsystems.monitoring.rules.cn.hourly`, :mod:`ecosentry.subsystems.monitoring.rules.cn.aggregates`, :mod:`ecosentry.subsystems.monitoring.rules.cn.marks`).
They stay so in the database and the API; :func:`reason_text` says each fragment as a sentence of the
catalogue (gettext ``_`` given by the caller). A fragment it does not know is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ecosentry.said import N_

__all__ = ["reason_text", "mark_reason_text", "MARK_TYPE_NAMES", "FAMILY_NAMES"]




MARK_TYPE_NAMES = {
    "maintenance": N_("Maintenance"), "calibration": N_("Calibration"), "fault": N_("Fault"),
    "comm_interruption": N_("Communication interruption"), "stopped": N_("Stopped"),
    "standard_sample_check": N_("Standard-sample check"), "startup_shutdown": N_("Start-up / shutdown"),
    "force_majeure": N_("Force majeure"), "non_attributable": N_("Not the enterprise's responsibility"),
}
#: National mark families (subsystems.md §4.2) as a reader names them.
FAMILY_NAMES = {
    "comm_interruption": N_("Communication interruption"), "equipment_maintenance": N_("Equipment maintenance"),
    "manual_values": N_("Manual values"), "non_attributable": N_("Not the enterprise's responsibility"),
    "parameter_maintenance": N_("Parameter maintenance"), "treatment_condition": N_("Treatment-facility condition"),
    "production_condition": N_("Production condition"), "cems_switch": N_("CEMS switch-over"),
}
_EFFECTS = {"invalid": N_("the hour is invalid"), "excluded": N_("the hour leaves the statistics"),
            "exempt": N_("the hour leaves the validity denominator")}
_UNITS = {"min": N_("min"), "h": N_("h"), "hours": N_("hours"), "hour": N_("hours"), "days": N_("days"),
          "day": N_("days"), "d": N_("days"), "minutes": N_("min")}
_MARK = re.compile(r"(auto|manual) mark #(\d+) (\w+) \((\w+)\)")


def _unit(word: str, _: Callable[[str], str]) -> str:
    return _(_UNITS[word]) if word in _UNITS else word


def _fragment(frag: str, _: Callable[[str], str]) -> str:
    frag = frag.strip()
    if m := re.fullmatch(r"CN-MARK-(?:INVALID|EXCLUDED|EXEMPT): (.+)", frag):
        marks = [_("%(source)s mark #%(id)s (%(type)s): %(effect)s") % {
            "source": _("automatic") if src == "auto" else _("manual"), "id": mid,
            "type": _(MARK_TYPE_NAMES.get(t, t)), "effect": _(_EFFECTS.get(e, e))}
            for src, mid, t, e in _MARK.findall(m.group(1))]
        return _(", ").join(marks) if marks else frag
    if m := re.fullmatch(r"CN-MARK-PRECEDENCE: auto mark\(s\) (.+) overridden by manual mark\(s\)", frag):
        return _("automatic marks %(ids)s give way to the manual marks") % {"ids": m.group(1)}
    table: list[tuple[str, Callable[[re.Match], str]]] = [
        (r"stopped \(all F\)", lambda m: _("stopped (every record flagged F)")),
        (r"CN-HOUR-OOC: out of control (\d+) min", lambda m: _(
            "%(n)s min measured while the analyser was out of control (a failed zero/span check until the next "
            "passing one): invalid data") % {"n": m.group(1)}),
        (r"valid minutes (\d+) < (\d+)", lambda m: _("%(n)s valid minutes, fewer than %(min)s") % {
            "n": m.group(1), "min": m.group(2)}),
        (r"fewer than (\d+) valid minutes", lambda m: _("fewer than %(min)s valid minutes") % {"min": m.group(1)}),
        (r"no value (\d+) min", lambda m: _("no value for %(n)s min") % {"n": m.group(1)}),
        (r"missing (\d+) (\w+)", lambda m: _("%(n)s %(unit)s missing") % {"n": m.group(1),
                                                                         "unit": _unit(m.group(2), _)}),
        (r"invalid (\d+) (\w+)", lambda m: _("%(n)s %(unit)s invalid") % {"n": m.group(1),
                                                                         "unit": _unit(m.group(2), _)}),
        (r"manual S minutes (\d+)", lambda m: _("%(n)s min of manual values (flag S)") % {"n": m.group(1)}),
        (r"([A-Z]) (\d+) min", lambda m: _("flag %(flag)s for %(n)s min") % {"flag": m.group(1),
                                                                             "n": m.group(2)}),
        (r"no data", lambda m: _("no data")),
        (r"zero volume", lambda m: _("zero discharge volume")),
        (r"logger hour without a value", lambda m: _("the logger's hourly record has no value")),
        (r"logger hour flagged (\w+)", lambda m: _("the logger's hourly record is flagged %(flag)s") % {
            "flag": m.group(1)}),
        (r"valid (\w+) (\d+) < (\d+)(.*)", lambda m: _("%(n)s valid %(unit)s, fewer than %(min)s") % {
            "n": m.group(2), "unit": _unit(m.group(1), _), "min": m.group(3)}),
    ]
    for pattern, say in table:
        if m := re.fullmatch(pattern, frag):
            return say(m)
    return frag


def reason_text(reason: str | None, _: Callable[[str], str]) -> str:
    """The stored reason (fragments joined by ``"; "``) said in the catalogue's language."""
    if not reason:
        return ""
    return _("; ").join(_fragment(f, _) for f in reason.split("; "))


_AUTO_GAP = re.compile(r"^CN-MARK-AUTO-GAP: no minute data for more than (\d+) min$")


def mark_reason_text(reason: str | None, _: Callable[[str], str]) -> str:
    """A mark's reason in the reader's language: the automatic 通讯中断 mark's stored sentence
    (``CN-MARK-AUTO-GAP: no minute data for more than 15 min``, :mod:`~ecosentry.subsystems.monitoring.store.marks`)
    said as a catalogue sentence; a person's reason as written."""
    if not reason:
        return ""
    m = _AUTO_GAP.match(reason)
    if m:
        return _("Automatic mark: no data received for more than %(minutes)s min") % {"minutes": m.group(1)}
    return reason
