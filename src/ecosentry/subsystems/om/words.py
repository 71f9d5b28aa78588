"""Words the O&M pages and reports share (English message ids, translated where shown): the grades, the health
codes, the components of the score and the gaps of the coverage."""

from __future__ import annotations

from ecosentry.said import N_
from ecosentry.subsystems.om.rules.coverage import GAPS

__all__ = ["GRADES", "HEALTH", "COMPONENTS", "GAPS"]

#: Stored grade → its word (the Chinese catalogue says 优/良/差).
GRADES = {"优": N_("Excellent"), "良": N_("Good"), "差": N_("Poor")}
#: Health code → its word.
HEALTH = {"green": N_("green code"), "yellow": N_("yellow code"), "red": N_("red code")}
#: Component key → (letter of the formula, its name).
COMPONENTS = {"eff": ("E", N_("Effective transmission rate")), "response": ("R", N_("Alarm orders on site in time")),
              "repair": ("P", N_("Alarm orders restored by the deadline")),
              "marks": ("K", N_("Marks supported by an order and a door opening")),
              "calibration": ("C", N_("Zero/span checks passed"))}
