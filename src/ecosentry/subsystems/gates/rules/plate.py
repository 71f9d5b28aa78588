"""Plate format and colour (号牌): GA 36-2018 (号牌 of motor vehicles) and the colour codes of GA/T 16.110,
pure.

A civil plate is a province abbreviation (:data:`PROVINCES`), the letter of the issuing office (A–Z without I
and O) and a serial:

* ordinary plates, 7 characters: 5 letters or digits (no I, O); the last may be 学 (learner, yellow), 挂
  (trailer, yellow), 警 (police, white), 港/澳 (Hong Kong/Macau, black), 领 (consulate, black);
* new-energy plates, 8 characters (GA 36-2018): small vehicles (渐变绿, ``green``) have the energy letter first
  — D, A, B, C, E pure electric, F, G, H, J, K other new energy — then a letter or digit and 4 digits; large
  vehicles (黄绿双拼, ``yellow_green``) have 5 digits and the energy letter last.

Colours are the names of :data:`COLOURS`; the numeric codes a camera sends are mapped by a setting
(``gates.plate_colour_codes``, GA/T 16.110 as the reference names it, codes [R]). Sources:
``shared/reference/subsystems.md`` §3.1 (GA/T 16.110-2015), §7 item 22 [S]; the layouts are GA 36-2018 [R].
"""

from __future__ import annotations

import re

from typing import Any

from ecosentry.contracts.catalogue import rule
from ecosentry.contracts.finding import sentence
from ecosentry.said import N_

__all__ = ["PROVINCES", "COLOURS", "COLOUR_WORDS", "normalise_plate", "plate_kind", "plate_problem", "colour_of",
           "KIND_WORDS", "COLOUR_LABELS"]

#: The 31 province-level abbreviations of the mainland.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: Plate colours (GA/T 16.110): blue small cars, yellow large vehicles (trucks), green small new-energy, yellow-green
#: large new-energy, white police/military, black foreign/HK/Macau.
COLOURS = ("blue", "yellow", "green", "yellow_green", "white", "black")
#: Names a file or a camera may use for each colour.
COLOUR_WORDS: dict[str, str] = {
    "blue": "blue", "蓝": "blue", "蓝色": "blue", "yellow": "yellow", "黄": "yellow", "黄色": "yellow",
    "green": "green", "绿": "green", "绿色": "green", "渐变绿": "green", "yellow_green": "yellow_green",
    "yellow-green": "yellow_green", "黄绿": "yellow_green", "黄绿色": "yellow_green", "黄绿双拼": "yellow_green",
    "white": "white", "白": "white", "白色": "white", "black": "black", "黑": "black", "黑色": "black",
}
_OFFICE = "A-HJ-NP-Z"
_SERIAL = "A-HJ-NP-Z0-9"
_NE_LETTERS = "DABCEFGHJK"
_ORDINARY = re.compile(f"[{PROVINCES}][{_OFFICE}]([{_SERIAL}]{{5}}|[{_SERIAL}]{{4}}[学挂警港澳领])")
_SMALL_NE = re.compile(f"[{PROVINCES}][{_OFFICE}][{_NE_LETTERS}][{_SERIAL}][0-9]{{4}}")
_LARGE_NE = re.compile(f"[{PROVINCES}][{_OFFICE}][0-9]{{5}}[{_NE_LETTERS}]")
#: Which colours each kind of plate may have.
#: The plate kinds and colours as a finding names them (catalogue words).
KIND_WORDS = {"ordinary": N_("ordinary"), "learner": N_("learner"), "trailer": N_("trailer"), "police": N_("police"),
              "hk_macau": N_("Hong Kong / Macau"), "consulate": N_("consulate"),
              "small_new_energy": N_("small new-energy"), "large_new_energy": N_("large new-energy")}
COLOUR_LABELS = {"blue": N_("blue"), "yellow": N_("yellow"), "green": N_("green"), "yellow_green": N_("yellow-green"),
                 "white": N_("white"), "black": N_("black")}
_KIND_COLOURS = {"ordinary": ("blue", "yellow"), "learner": ("yellow",), "trailer": ("yellow",),
                 "police": ("white",), "hk_macau": ("black",), "consulate": ("black",),
                 "small_new_energy": ("green",), "large_new_energy": ("yellow_green",)}


def normalise_plate(text: str | None) -> str:
    """Upper case without blanks, dots and dashes (``粤B·12345`` and ``粤b 12345`` are ``粤B12345``)."""
    return re.sub(r"[\s·.\-]", "", text or "").upper()


def colour_of(text: str | None, codes: dict[str, str] | None = None) -> str | None:
    """The colour a word or a camera's code names; ``None`` when none."""
    t = (text or "").strip()
    if not t:
        return None
    if codes and t in codes:
        return codes[t]
    return COLOUR_WORDS.get(t.lower())


def plate_kind(plate: str) -> str | None:
    """``ordinary``, ``learner``, ``trailer``, ``police``, ``hk_macau``, ``consulate``, ``small_new_energy``,
    ``large_new_energy``; ``None`` when the text is no civil plate."""
    if len(plate) == 8:
        if _SMALL_NE.fullmatch(plate):
            return "small_new_energy"
        if _LARGE_NE.fullmatch(plate):
            return "large_new_energy"
        return None
    if not _ORDINARY.fullmatch(plate):
        return None
    return {"学": "learner", "挂": "trailer", "警": "police", "港": "hk_macau", "澳": "hk_macau",
            "领": "consulate"}.get(plate[-1], "ordinary")


@rule(code="VEH-PLATE-FORMAT", severity="warning",
      summary="A plate that is no civil plate (province, office letter, 5 or 6 characters; new-energy plates of 8) "
              "or whose colour does not fit its kind (8 characters green or yellow-green, trucks yellow).",
      source="GA 36-2018; GA/T 16.110-2015 colour codes; shared/reference/subsystems.md §3.1, §7 item 22",
      tag="S/R")
def plate_problem(plate: str, colour: str | None) -> dict[str, Any] | None:
    """Why the (normalised) plate and its colour do not fit, as a sentence for a finding's parameters
    (:func:`ecosentry.contracts.finding.sentence`); ``None`` when they do."""
    kind = plate_kind(plate)
    if kind is None:
        return sentence(N_("%(plate)s is not a plate (province, office letter, serial)"), plate=plate)
    if colour is None:
        return None
    allowed = _KIND_COLOURS[kind]
    if colour not in allowed:
        return sentence(N_("%(kind)s plates are %(allowed)s, not %(colour)s"), words=("kind", "allowed", "colour"),
                        kind=KIND_WORDS[kind], colour=COLOUR_LABELS.get(colour, colour),
                        allowed=COLOUR_LABELS[allowed[0]] if len(allowed) == 1 else sentence(
                            N_("%(first)s or %(second)s"), words=("first", "second"),
                            first=COLOUR_LABELS[allowed[0]], second=COLOUR_LABELS[allowed[1]]))
    return None
