"""VIN validation (车辆识别代号): GB 16735-2019 / ISO 3779, pure.

A VIN has 17 characters from the digits and the capital letters without I, O and Q (they read like 1 and 0).
Position 9 is a check digit (GB 16735 makes it mandatory for every vehicle made for China; ISO 3779 and
49 CFR 565 define the same computation): each character is transliterated to a number (:data:`VALUES`),
multiplied by the weight of its position (:data:`WEIGHTS`), the products are summed, and the remainder of the
sum divided by 11 is the check digit, ``X`` for 10.

Worked example (the one 49 CFR 565 and most references use): ``1M8GDM9AXKP042788``::

    characters   1  M  8  G  D  M  9  A  X  K  P  0  4  2  7  8  8
    values       1  4  8  7  4  4  9  1  -  2  7  0  4  2  7  8  8
    weights      8  7  6  5  4  3  2 10  0  9  8  7  6  5  4  3  2
    products     8 28 48 35 16 12 18 10  0 18 56  0 24 10 28 24 16   sum 351, 351 mod 11 = 10 → X

Sources: ``shared/reference/subsystems.md`` §3.6 and §7 item 22 [S]; the table is ISO 3779's [C in the
standard, S here].
"""

from __future__ import annotations

from typing import Any

from ecosentry.contracts.catalogue import rule
from ecosentry.contracts.finding import sentence
from ecosentry.said import N_

__all__ = ["VALUES", "WEIGHTS", "ALPHABET", "check_digit", "vin_problem", "normalise_vin"]

#: Transliteration of each letter (ISO 3779 / GB 16735 appendix); digits are their own value.
VALUES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}
#: Weight of each position 1–17 (position 9, the check digit itself, weighs 0).
WEIGHTS: tuple[int, ...] = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
ALPHABET = frozenset(VALUES)


def normalise_vin(text: str | None) -> str:
    """Upper case without blanks (ledgers are typed by hand: ``lsva u21...`` is the same VIN)."""
    return "".join((text or "").split()).upper()


def check_digit(vin: str) -> str:
    """The check digit the 17 characters call for (``0``–``9`` or ``X``); ``ValueError`` on a bad character."""
    if len(vin) != 17:
        raise ValueError("a VIN has 17 characters")
    total = sum(VALUES[c] * w for c, w in zip(vin, WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


@rule(code="VEH-VIN-INVALID", severity="warning",
      summary="A VIN that is not 17 characters, holds I, O, Q or another character outside the VIN alphabet, or "
              "whose check digit (position 9) is wrong.",
      source="GB 16735-2019 §4–5 / ISO 3779 (check digit); shared/reference/subsystems.md §3.6, §7 item 22",
      tag="S")
def vin_problem(vin: str) -> dict[str, Any] | None:
    """Why the (normalised) VIN is not valid, as a sentence for a finding's parameters
    (:func:`ecosentry.contracts.finding.sentence`: said in the reader's language); ``None`` when it is valid."""
    if len(vin) != 17:
        return sentence(N_("%(n)s characters instead of 17"), n=len(vin))
    bad = sorted({c for c in vin if c not in ALPHABET})
    if bad:
        return sentence(N_("characters %(chars)s not allowed (no I, O or Q)"), chars=", ".join(bad))
    want = check_digit(vin)
    if vin[8] != want:
        return sentence(N_("check digit %(found)s at position 9, %(expected)s expected"), found=vin[8], expected=want)
    return None
