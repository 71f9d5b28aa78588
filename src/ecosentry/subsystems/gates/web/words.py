"""What the pages say for codes: decisions' sentences by reason, stages, directions, purposes; the settings and
the picture store of the running app."""

from __future__ import annotations

from fastapi import Request

from ecosentry.contracts.catalogue import get as catalogue_entry
from ecosentry.contracts.finding import say_params
from ecosentry.said import N_
from ecosentry.subsystems.gates.rules.findings import TRANSLATED_PARAMS
from ecosentry.subsystems.gates.rules.decision import LEVEL_LABELS
from ecosentry.subsystems.gates.rules.stages import LABELS as STAGE_LABELS
from ecosentry.subsystems.gates.settings import GatesSettings

__all__ = ["REASONS", "STAGES", "PURPOSES", "gates_settings", "default_tz", "decision_sentence", "stage_text",
           "finding_sentence", "code_summary", "SEVERITIES", "GUARD_PROBLEMS"]

#: What the guard's forms say when refused (the key travels in the URL, the sentence is the catalogue's).
GUARD_PROBLEMS = {"reason": N_("An override needs a reason."),
                  "allowed": N_("Choose whether the vehicle may pass."),
                  "emission_stage": N_("Enter the emission stage read on the vehicle's list or licence."),
                  "fuel": N_("Choose the fuel from the list."),
                  "known": N_("The stage of this ledger row is known already."),
                  "input": N_("The form was not complete; nothing was changed."),
                  "snapshot": N_("Choose one of this camera's snapshots."),
                  "picture_missing": N_("Choose a JPEG or PNG picture to upload."),
                  "picture_type": N_("The file is neither a JPEG nor a PNG picture; nothing was changed."),
                  "picture_size": N_("The picture is too large: at most %(mb)s MB; nothing was changed.")}
#: Severities as the pages say them.
SEVERITIES = {"info": N_("info"), "warning": N_("warning"), "critical": N_("critical")}

#: The gate decision's sentences by reason (the msgids of ``rules/decision.decide``).
REASONS = {
    "no_plate": N_("No plate was read: the guard must enter the vehicle."),
    "unknown_vehicle": N_("%(plate)s is not in the vehicle register: the guard must complete its record."),
    "unknown_stage": N_("The register has no emission stage for %(plate)s: the guard must complete it."),
    "no_alert": N_("No alert: %(plate)s (%(stage)s) may pass."),
    "no_trucks": N_("%(plate)s may not pass: no road truck may pass under the %(level)s alert for a grade "
                    "%(grade)s enterprise."),
    "stage_allowed": N_("%(plate)s (%(stage)s) may pass under the %(level)s alert for a grade %(grade)s "
                        "enterprise (at least %(required)s)."),
    "stage_below": N_("%(plate)s (%(stage)s) may not pass under the %(level)s alert for a grade %(grade)s "
                      "enterprise: at least %(required)s is required."),
}
STAGES = STAGE_LABELS
PURPOSES = {"transport": N_("transport"), "in_plant": N_("in-plant vehicle"), "maintenance": N_("maintenance work"),
            "testing": N_("testing"), "commissioning": N_("commissioning"), "other": N_("other")}


def gates_settings(request: Request) -> GatesSettings:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "gates", None) or GatesSettings()


def default_tz(request: Request) -> str:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "default_tz", None) or "Asia/Shanghai"


def stage_text(_, stage: str | None) -> str:
    """The stage's name in the reader's language; "unknown stage" for none."""
    return _(STAGE_LABELS.get(stage or "", N_("unknown stage")))


def decision_sentence(_, decision: dict | None) -> str:
    """The decision's sentence in the reader's language (its stage and level labels translated too)."""
    if not decision:
        return ""
    msgid = REASONS.get(decision["reason"])
    if msgid is None:
        return decision["reason"]
    params = {k: _(v) if k in ("stage", "required", "level") and isinstance(v, str) else v
              for k, v in (decision.get("params") or {}).items()}
    params.setdefault("plate", "")
    try:
        return _(msgid) % params
    except (KeyError, TypeError, ValueError):
        return _(msgid.split("%(")[0]) if "%(" in msgid else _(msgid)


LEVELS = LEVEL_LABELS


def finding_sentence(_, finding: dict) -> str:
    """A stored finding's sentence in the reader's language (its level, stage and direction words translated)."""
    try:
        return _(finding["msgid"]) % say_params(finding.get("params") or {}, _, TRANSLATED_PARAMS)
    except (KeyError, TypeError, ValueError):
        return finding["code"]


def code_summary(_, code: str) -> str:
    """The rule's one-line summary in the reader's language (the code when the catalogue does not know it)."""
    try:
        return _(catalogue_entry(code).summary)
    except KeyError:
        return code
