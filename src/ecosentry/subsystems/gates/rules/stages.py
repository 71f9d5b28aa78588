"""Emission stages and fuels of a vehicle, as the 2020 mobile-source guide codes them, pure.

The ledger's 排放阶段 is one character: ``0``–``6`` for 国零 … 国六 (China 0–VI: GB 17691-2005 stages III–V,
GB 17691-2018 stage VI, and the earlier ones), ``d`` for an electric vehicle, ``x`` for non-road machinery without
a stage (``shared/reference/subsystems.md`` §3.2 tables 3–5 [S]). Arrays carry a rank (:data:`RANK`): 0–6 the
stage, 7 new energy, -1 unknown or ``x``, so "at least 国五" is ``rank >= 5`` on a whole column.

"New energy" (新能源) in the grade conditions is an electric (``d``), fuel-cell or plug-in hybrid vehicle
(§3.5 [R]): :func:`is_new_energy` also counts a stage-coded vehicle whose fuel is electric, hydrogen or hybrid.
"""

from __future__ import annotations

import re

from ecosentry.said import N_

__all__ = ["STAGES", "RANK", "NEW_ENERGY_RANK", "UNKNOWN_RANK", "FUELS", "NEW_ENERGY_FUELS", "parse_stage",
           "parse_fuel", "stage_rank", "stage_label", "is_new_energy"]

STAGES = ("0", "1", "2", "3", "4", "5", "6", "d", "x")
NEW_ENERGY_RANK = 7
UNKNOWN_RANK = -1
RANK: dict[str, int] = {**{str(i): i for i in range(7)}, "d": NEW_ENERGY_RANK, "x": UNKNOWN_RANK}
#: The labels a sentence shows (translated through the subsystem's catalogues).
LABELS = {"0": N_("China 0"), "1": N_("China I"), "2": N_("China II"), "3": N_("China III"), "4": N_("China IV"),
          "5": N_("China V"), "6": N_("China VI"), "d": N_("new energy"), "x": N_("no stage")}
FUELS = ("diesel", "gasoline", "natural_gas", "electric", "hybrid", "hydrogen", "other")
NEW_ENERGY_FUELS = frozenset({"electric", "hybrid", "hydrogen"})
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "0": "0"}
_CN = {"零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"}
_FUEL_WORDS = {"diesel": "diesel", "柴油": "diesel", "gasoline": "gasoline", "petrol": "gasoline", "汽油": "gasoline",
               "natural_gas": "natural_gas", "gas": "natural_gas", "lng": "natural_gas", "cng": "natural_gas",
               "天然气": "natural_gas", "燃气": "natural_gas", "electric": "electric", "bev": "electric",
               "电": "electric", "纯电动": "electric", "电动": "electric", "hybrid": "hybrid", "phev": "hybrid",
               "混合动力": "hybrid", "插电混动": "hybrid", "hydrogen": "hydrogen", "fcev": "hydrogen",
               "氢": "hydrogen", "氢燃料": "hydrogen", "燃料电池": "hydrogen", "other": "other", "其他": "other"}


def parse_stage(text: str | None) -> str | None:
    """The stage code of ``4``, ``国四``, ``国IV``, ``China IV``, ``IV``, ``d``, ``电动``, ``新能源``, ``x``; ``None``
    when the text names no stage."""
    t = re.sub(r"\s+", "", text or "").upper()
    if not t:
        return None
    if t in ("D", "电动", "纯电动", "新能源", "NEWENERGY", "ELECTRIC"):
        return "d"
    if t in ("X", "无", "NONE"):
        return "x"
    for prefix in ("国", "CHINA", "CN"):
        if t.startswith(prefix):
            t = t[len(prefix):]
            break
    if t in _CN:
        return _CN[t]
    if t in _ROMAN:
        return _ROMAN[t]
    if len(t) == 1 and t in "0123456":
        return t
    return None


def parse_fuel(text: str | None) -> str | None:
    return _FUEL_WORDS.get(re.sub(r"\s+", "", text or "").lower()) if text else None


def stage_rank(stage: str | None) -> int:
    return RANK.get(stage or "", UNKNOWN_RANK)


def stage_label(stage: str | None) -> str:
    return LABELS.get(stage or "", N_("unknown stage"))


def is_new_energy(stage: str | None, fuel: str | None) -> bool:
    return stage == "d" or (fuel in NEW_ENERGY_FUELS)
