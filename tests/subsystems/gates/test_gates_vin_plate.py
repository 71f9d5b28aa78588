"""VIN (GB 16735 / ISO 3779) and plate (GA 36, GA/T 16.110 colours) validation on worked examples, and the
emission-stage and fuel words."""

from __future__ import annotations

import pytest

from ecosentry.contracts.finding import say_params
from ecosentry.subsystems.gates.rules.plate import colour_of, normalise_plate, plate_kind, plate_problem
from ecosentry.subsystems.gates.rules.stages import is_new_energy, parse_fuel, parse_stage, stage_rank
from ecosentry.subsystems.gates.rules.vin import WEIGHTS, check_digit, normalise_vin, vin_problem


def english(problem: dict) -> str:
    """A problem (a sentence of the catalogue, said in the reader's language by the finding) in English."""
    return problem["msgid"] % say_params(problem["params"], lambda m: m, problem.get("words", ()))


def test_the_worked_example_of_the_check_digit():
    # 1 M 8 G D M 9 A _ K P 0 4 2 7 8 8 → 8+28+48+35+16+12+18+10+0+18+56+0+24+10+28+24+16 = 351; 351 mod 11 = 10 → X
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_problem("1M8GDM9AXKP042788") is None


def test_all_ones_checks_with_the_sum_of_the_weights():
    assert sum(WEIGHTS) == 89 and 89 % 11 == 1  # every value 1: the check digit is 89 mod 11
    assert vin_problem("11111111111111111") is None
    assert english(vin_problem("11111111X11111111")) == "check digit X at position 9, 1 expected"


@pytest.mark.parametrize("vin, words", [
    ("1M8GDM9A1KP042788", "check digit 1 at position 9, X expected"),   # one wrong check digit
    ("1M8GDM9AXKP042789", "check digit X at position 9"),               # a changed character elsewhere
    ("1M8GDM9AXKP04278", "16 characters instead of 17"),
    ("1M8GDM9AXKP0427888", "18 characters instead of 17"),
    ("1M8GDM9AXKP04278O", "characters O not allowed"),
    ("IM8GDM9AXKP042788", "characters I not allowed"),
    ("1M8GDM9AXKP04278Q", "characters Q not allowed"),
])
def test_a_wrong_vin_says_why(vin, words):
    assert words in english(vin_problem(vin))


def test_a_typed_vin_is_normalised():
    assert normalise_vin(" 1m8gdm9a xkp042788 ") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize("plate, kind, colour", [
    ("京A12345", "ordinary", "blue"), ("冀B7A3C9", "ordinary", "yellow"), ("冀A1234学", "learner", "yellow"),
    ("鲁C1234挂", "trailer", "yellow"), ("粤B1234港", "hk_macau", "black"), ("京A1234警", "police", "white"),
    ("粤BD12345", "small_new_energy", "green"), ("粤BFA2345", "small_new_energy", "green"),
    ("沪A12345D", "large_new_energy", "yellow_green"), ("晋K12345F", "large_new_energy", "yellow_green"),
])
def test_plates_and_their_colours(plate, kind, colour):
    assert plate_kind(plate) == kind
    assert plate_problem(plate, colour) is None and plate_problem(plate, None) is None


@pytest.mark.parametrize("plate, colour, words", [
    ("京A12345", "green", "ordinary plates are blue or yellow, not green"),
    ("粤BD12345", "yellow", "small new-energy plates are green"),
    ("沪A12345D", "green", "large new-energy plates are yellow-green"),
    ("XA12345", None, "is not a plate"), ("京I12345", None, "is not a plate"), ("京A1234O", None, "is not a plate"),
    ("京A1234", None, "is not a plate"), ("粤BZ12345", None, "is not a plate"), ("京A123456", None, "is not a plate"),
])
def test_wrong_plates_say_why(plate, colour, words):
    assert words in english(plate_problem(plate, colour))


def test_plate_words_and_codes():
    assert normalise_plate("粤b·123 45") == "粤B12345"
    assert colour_of("黄绿") == "yellow_green" and colour_of("Blue") == "blue" and colour_of("") is None
    assert colour_of("2", {"2": "blue"}) == "blue" and colour_of("purple") is None


@pytest.mark.parametrize("text, code", [("4", "4"), ("国四", "4"), ("国IV", "4"), ("China VI", "6"), ("V", "5"),
                                        ("d", "d"), ("电动", "d"), ("新能源", "d"), ("x", "x"), ("国零", "0"),
                                        ("7", None), ("国七", None), ("", None)])
def test_stage_words(text, code):
    assert parse_stage(text) == code


def test_fuels_and_new_energy():
    assert parse_fuel("柴油") == "diesel" and parse_fuel("LNG") == "natural_gas" and parse_fuel("coal") is None
    assert is_new_energy("d", None) and is_new_energy("6", "hybrid") and not is_new_energy("6", "diesel")
    assert stage_rank("d") > stage_rank("6") > stage_rank("4") > stage_rank(None)
