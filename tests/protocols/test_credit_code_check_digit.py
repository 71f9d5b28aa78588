"""GB 32100-2015 and GB 11714-1997 check characters on published worked examples."""

import pytest

from ecosentry.protocols.credit_code import (
    credit_code_check_digit,
    is_valid_credit_code,
    is_valid_organization_code,
    organization_code_check_digit,
)


def test_gb32100_worked_example():
    # GB 32100-2015 example: Σ C_i·W_i = 1640, 1640 mod 31 = 28, 31 − 28 = 3.
    assert credit_code_check_digit("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y4Z")  # the standard's invalid example


def test_second_worked_example_letter_check():
    # Σ = 1495, 1495 mod 31 = 17, 31 − 17 = 14 → "E".
    assert credit_code_check_digit("91512081MA62K0260") == "E"
    assert is_valid_credit_code("91512081MA62K0260E")


def test_remainder_zero_gives_check_zero():
    # Find a 17-character prefix whose weighted sum is a multiple of 31: its check must be "0".
    for last in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        prefix = "9132050600000000" + last
        if credit_code_check_digit(prefix) == "0":
            break
    else:  # pragma: no cover - the 31 choices of the last character cover every remainder
        pytest.fail("no prefix with remainder 0")
    assert is_valid_credit_code(prefix + "0")


@pytest.mark.parametrize(
    "code",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100Y43", "9135010OM000100Y43",
     "913501A0M000100Y43", "91350100M0I0100Y43", None, 913501],
)
def test_malformed_codes_are_invalid(code):
    assert not is_valid_credit_code(code)


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError):
        credit_code_check_digit("9135010")
    with pytest.raises(ValueError):
        credit_code_check_digit("91350100I000100Y4")


def test_gb11714_organization_code():
    # The organization codes embedded in both worked examples carry valid GB 11714 checks.
    assert organization_code_check_digit("M000100Y") == "4"
    assert organization_code_check_digit("MA62K026") == "0"  # 11 − 0 = 11 → "0"
    assert is_valid_organization_code("M000100Y4")
    assert is_valid_organization_code("MA62K0260")
    assert not is_valid_organization_code("M000100Y5")
    # Last weight is 2: "00000004" → Σ = 8, 11 − 8 = 3; "00000005" → Σ = 10, 11 − 10 = 1.
    assert organization_code_check_digit("00000004") == "3"
    assert organization_code_check_digit("00000005") == "1"
    # Σ ≡ 1 (mod 11) gives 10, written "X" ("00000006": Σ = 12).
    assert organization_code_check_digit("00000006") == "X"
    body = next(b for b in (f"0000000{d}" for d in "0123456789ABCDEFGHIJ") if organization_code_check_digit(b) == "X")
    assert is_valid_organization_code(body + "X")
    with pytest.raises(ValueError):
        organization_code_check_digit("m000100y")
