"""The gate decision at each passage: plate → register → stage → allowed under the alert level for the grade;
unknown vehicles go to the guard; an override keeps what the rule said."""

from __future__ import annotations

import pytest

from ecosentry.subsystems.gates.rules.decision import GradeRules, Vehicle, decide, override, parse_grade, parse_level

RULES = GradeRules()
V4, V5, V6 = Vehicle("冀A00004", stage="4"), Vehicle("冀A00005", stage="5"), Vehicle("冀A00006", stage="6")
EV = Vehicle("冀AD00001", stage="d", fuel="electric")
HYBRID = Vehicle("冀AD00002", stage="5", fuel="hybrid")


@pytest.mark.parametrize("grade, level, vehicle, allowed, reason", [
    ("A", "orange", V6, True, "stage_allowed"), ("A", "yellow", V5, False, "stage_below"),
    ("A", "red", EV, True, "stage_allowed"), ("leading", "red", V5, False, "stage_below"),
    ("B", "yellow", V4, True, "stage_allowed"), ("B", "orange", V4, False, "stage_below"),
    ("B-", "red", V5, True, "stage_allowed"), ("B-", "red", V4, False, "stage_below"),
    ("C", "yellow", V5, True, "stage_allowed"), ("C", "orange", V6, False, "no_trucks"),
    ("D", "yellow", V6, False, "no_trucks"), ("A", "orange", HYBRID, True, "stage_allowed"),
    ("D", None, V4, True, "no_alert"),
])
def test_the_grade_and_the_level_decide(grade, level, vehicle, allowed, reason):
    d = decide(vehicle.plate, vehicle, grade, level, RULES)
    assert (d.allowed, d.reason) == (allowed, reason)
    assert vehicle.plate in d.explanation


def test_unknown_vehicles_go_to_the_guard():
    assert decide("", None, "A", "red", RULES).reason == "no_plate"
    d = decide("冀A99999", None, "A", "red", RULES)
    assert d.allowed is None and d.reason == "unknown_vehicle" and "guard" in d.explanation
    assert decide("冀A99999", Vehicle("冀A99999"), "A", None, RULES).reason == "unknown_stage"


def test_the_refusal_says_what_is_required():
    d = decide(V4.plate, V4, "B", "orange", RULES)
    assert d.explanation == ("冀A00004 (China IV) may not pass under the orange alert for a grade B enterprise: at least "
                             "China V is required.")


def test_an_override_is_logged_with_who_and_why():
    d = override(decide(V4.plate, V4, "B", "red", RULES), True, " guard 7 ", "fire engine supplies")
    assert d.allowed is True and d.overridden_from is False and d.operator == "guard 7"
    with pytest.raises(ValueError):
        override(d, True, "guard 7", " ")


def test_grade_rules_are_settings():
    rules = GradeRules.model_validate({"B": {"min_stage": {"blue": "5", "yellow": "5", "orange": "6", "red": "6"},
                                             "share_stage": "6", "share_min": 0.5}})
    assert decide(V5.plate, V5, "B", "orange", rules).allowed is False
    assert decide(V5.plate, V5, "B-", "orange", rules).allowed is True  # B- kept its default
    assert parse_grade("引领性") == "leading" and parse_grade("b-") == "B-" and parse_grade("E") is None
    assert parse_level("橙色") == "orange" and parse_level("purple") is None


def test_a_partial_grade_keeps_its_other_defaults():
    rules = GradeRules.model_validate({"B": {"share_min": "0.7"}, "B-": {"min_stage": {"orange": "6"}}})
    assert rules.of("B").share_min == 0.7 and rules.of("B").min_stage["orange"] == "5"
    assert rules.of("B-").min_stage == {"blue": "4", "yellow": "4", "orange": "6", "red": "5"}
    assert rules.of("B-").share_min == 0.8 and rules.of("A") == GradeRules().of("A")
