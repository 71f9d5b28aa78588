"""Words the O&M pages and reports share (English message ids, translated where shown): the grades, the health
codes, the components of the score and the gaps of the coverage."""

from __future__ import annotations

from ecosentry.said import N_
from ecosentry.subsystems.om.rules.coverage import GAPS

__all__ = ["GRADES", "HEALTH", "COMPONENTS", "GAPS", "formula_parts", "formula_text"]

#: Stored grade → its word (the Chinese catalogue says 优/良/差).
GRADES = {"优": N_("Excellent"), "良": N_("Good"), "差": N_("Poor")}
#: Health code → its word.
HEALTH = {"green": N_("green code"), "yellow": N_("yellow code"), "red": N_("red code")}
#: Component key → (letter of the formula, its name).
COMPONENTS = {"eff": ("E", N_("Effective transmission rate")), "response": ("R", N_("Alarm orders on site in time")),
              "repair": ("P", N_("Alarm orders restored by the deadline")),
              "marks": ("K", N_("Marks supported by an order and a door opening")),
              "calibration": ("C", N_("Zero/span checks passed"))}


def formula_parts(weights: dict[str, float], penalty: float) -> dict:
    """The formula's pieces with the month's weights, for the page to set as a formula: the weighted terms
    ``[(weight, letter)]``, their sum (the fraction's denominator, shown only when it is not 1) and the penalty."""
    total = sum(weights.values()) or 1.0
    return {"terms": [(f"{weights.get(k, 0):g}", letter) for k, (letter, _name) in COMPONENTS.items()],
            "total": f"{total:g}", "fraction": abs(total - 1.0) > 1e-9, "penalty": f"{penalty:g}"}


def formula_text(weights: dict[str, float], penalty: float, _) -> str:
    """The formula with the month's weights as one line of text (reports), in the reader's language."""
    parts = formula_parts(weights, penalty)
    terms = " + ".join(f"{w}·{letter}" for w, letter in parts["terms"])
    if parts["fraction"]:
        return _("score = 100 × (%(terms)s) / %(total)s − %(penalty)s × N, within 0–100") % {
            "terms": terms, "total": parts["total"], "penalty": parts["penalty"]}
    return _("score = 100 × (%(terms)s) − %(penalty)s × N, within 0–100") % {"terms": terms,
                                                                            "penalty": parts["penalty"]}
