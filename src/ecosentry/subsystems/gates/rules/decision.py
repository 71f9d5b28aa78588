"""The gate decision at each passage (§7 item 19): plate → register → emission stage → allowed under the current
alert level for the enterprise's grade, with its reason; an operator may override it, and the override is part
of the decision, pure.

The grade conditions are the 2020 performance-grading guide's as ``shared/reference/subsystems.md`` §3.5
reconstructs them [R — they vary per industry]: every number is a setting (:class:`GradeRules`):

=========  ==================================  ===========================================================
grade      least stage allowed in an alert     share a period must reach
=========  ==================================  ===========================================================
引领性, A  国六 or new energy (every level)    100 % 国六 or new energy
B, B-      国四 (yellow), 国五 (orange, red)   ≥ 80 % 国五 or better or new energy (the rest 国四)
C          国五 (yellow); no road trucks in    —
           orange and red (错峰运输)
D          no road trucks in any alert         —
=========  ==================================  ===========================================================

A vehicle whose plate was not read, is not in the register or has no stage there is neither let in nor refused
by the rule: the guard completes its record (§3.3 "look up plate → emission stage", §7 item 19).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel, Field, model_validator

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_
from ecosentry.subsystems.gates.rules.stages import (
    NEW_ENERGY_RANK, is_new_energy, stage_label, stage_rank)

__all__ = ["GRADES", "LEVELS", "GradeRule", "GradeRules", "Vehicle", "Decision", "decide", "override",
           "least_rank", "parse_grade", "parse_level"]

GRADES = ("leading", "A", "B", "B-", "C", "D")
#: Alert levels, mildest first (blue where a city still issues it).
LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_LABELS = {"blue": N_("blue"), "yellow": N_("yellow"), "orange": N_("orange"), "red": N_("red")}
_GRADE_WORDS = {"leading": "leading", "引领性": "leading", "引领": "leading", "a": "A", "b": "B", "b-": "B-",
                "c": "C", "d": "D"}
_LEVEL_WORDS = {"blue": "blue", "蓝色": "blue", "蓝": "blue", "yellow": "yellow", "黄色": "yellow", "黄": "yellow",
                "orange": "orange", "橙色": "orange", "橙": "orange", "red": "red", "红色": "red", "红": "red",
                "iv": "blue", "iii": "yellow", "ii": "orange", "i": "red"}


def parse_grade(text: str | None) -> str | None:
    return _GRADE_WORDS.get((text or "").strip().lower())


def parse_level(text: str | None) -> str | None:
    return _LEVEL_WORDS.get((text or "").strip().lower())


class GradeRule(BaseModel):
    """What one grade allows. ``min_stage`` per alert level: a stage code (``4``, ``5``, ``6``), ``d`` (new energy
    only) or ``none`` (no road truck)."""

    min_stage: dict[str, str]
    #: The stage a share of the trips must reach (or new energy), and that share; ``None``: no share required.
    share_stage: str | None = None
    share_min: float | None = Field(None, ge=0, le=1)


def _rule(blue: str, yellow: str, orange: str, red: str, share_stage=None, share_min=None) -> GradeRule:
    return GradeRule(min_stage={"blue": blue, "yellow": yellow, "orange": orange, "red": red},
                     share_stage=share_stage, share_min=share_min)


class GradeRules(BaseModel):
    """The grades' conditions (§3.5 [R]); ``ECOSENTRY_GATES__GRADES__B__SHARE_MIN=0.8`` …"""

    leading: GradeRule = _rule("6", "6", "6", "6", "6", 1.0)
    A: GradeRule = _rule("6", "6", "6", "6", "6", 1.0)
    B: GradeRule = _rule("4", "4", "5", "5", "5", 0.8)
    B_minus: GradeRule = Field(_rule("4", "4", "5", "5", "5", 0.8), alias="B-")
    C: GradeRule = _rule("5", "5", "none", "none")
    D: GradeRule = _rule("none", "none", "none", "none")

    model_config = {"populate_by_name": True}

    @model_validator(mode="before")
    @classmethod
    def _over_the_defaults(cls, data):
        """A partial grade (``ECOSENTRY_GATES__GRADES__B__SHARE_MIN=0.7``, one level of ``min_stage``) changes only
        what it names; the rest keeps the grade's default."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, f in cls.model_fields.items():
            for key in {name, f.alias or name} & set(out):
                if isinstance(out[key], dict):
                    base = f.default.model_dump()
                    given = out[key]
                    out[key] = base | given | {"min_stage": base["min_stage"] | dict(given.get("min_stage") or {})}
        return out

    def of(self, grade: str) -> GradeRule:
        return self.B_minus if grade == "B-" else getattr(self, grade)


def least_rank(code: str) -> int | None:
    """The least rank a stage code in the grade rules allows; ``None`` for ``none`` (nothing allowed)."""
    if code == "none":
        return None
    return NEW_ENERGY_RANK if code == "d" else stage_rank(code)


@dataclass(frozen=True)
class Vehicle:
    """One row of the vehicle register (§7 item 17; issue 16 item 1)."""

    plate: str
    plate_colour: str | None = None
    vin: str = ""
    stage: str | None = None
    fuel: str | None = None
    registration_date: str = ""


@dataclass(frozen=True)
class Decision:
    """``allowed`` True / False, or ``None``: the guard must complete the record. ``reason`` is the code of the
    branch taken; ``msgid`` and ``params`` the sentence shown on the gate's screen."""

    allowed: bool | None
    reason: str
    msgid: str
    params: dict
    stage: str | None = None
    operator: str | None = None
    override_reason: str | None = None
    overridden_from: bool | None = None

    @property
    def explanation(self) -> str:
        return self.msgid % self.params


@rule(code="VEH-GATE-DECISION", severity=None,
      summary="At each passage: plate → register → emission stage → allowed under the current alert level for the "
              "enterprise's grade; an unread plate or an unknown vehicle goes to the guard.",
      source="shared/reference/subsystems.md §3.3 (gate logic), §3.5 (grade conditions), §7 item 19", tag="S/R")
def decide(plate: str, vehicle: Vehicle | None, grade: str, level: str | None, rules: GradeRules) -> Decision:
    """The decision for one passage; ``level`` None when no alert is in force."""
    if not plate:
        return Decision(None, "no_plate", N_("No plate was read: the guard must enter the vehicle."), {})
    if vehicle is None:
        return Decision(None, "unknown_vehicle", N_("%(plate)s is not in the vehicle register: the guard must "
                                                    "complete its record."), {"plate": plate})
    rank = NEW_ENERGY_RANK if is_new_energy(vehicle.stage, vehicle.fuel) else stage_rank(vehicle.stage)
    stage = "d" if rank == NEW_ENERGY_RANK else vehicle.stage
    if rank < 0:
        return Decision(None, "unknown_stage", N_("The register has no emission stage for %(plate)s: the guard must "
                                                  "complete it."), {"plate": plate})
    p = {"plate": plate, "stage": stage_label(stage)}
    if level is None:
        return Decision(True, "no_alert", N_("No alert: %(plate)s (%(stage)s) may pass."), p, stage)
    code = rules.of(grade).min_stage.get(level, "none")
    least = least_rank(code)
    p |= {"level": LEVEL_LABELS[level], "grade": grade}
    if least is None:
        return Decision(False, "no_trucks", N_("%(plate)s may not pass: no road truck may pass under the %(level)s "
                                               "alert for a grade %(grade)s enterprise."), p, stage)
    p["required"] = stage_label(code)
    if rank >= least:
        return Decision(True, "stage_allowed", N_("%(plate)s (%(stage)s) may pass under the %(level)s alert for a "
                                                  "grade %(grade)s enterprise (at least %(required)s)."), p, stage)
    return Decision(False, "stage_below", N_("%(plate)s (%(stage)s) may not pass under the %(level)s alert for a grade "
                                             "%(grade)s enterprise: at least %(required)s is required."), p, stage)


def override(decision: Decision, allowed: bool, operator: str, reason: str) -> Decision:
    """The guard's override: the new outcome, who and why, and what the rule had said (kept for the log)."""
    if not operator.strip() or not reason.strip():
        raise ValueError("an override needs the operator and a reason")
    return replace(decision, allowed=allowed, operator=operator.strip(), override_reason=reason.strip(),
                   overridden_from=decision.allowed)
