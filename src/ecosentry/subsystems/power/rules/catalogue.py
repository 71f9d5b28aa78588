"""Catalogue entries of the state computations of the subsystem (no finding: they explain a number)."""

from __future__ import annotations

from ecosentry.contracts.catalogue import Rule, register

_SRC = "shared/reference/subsystems.md"

for _r in (
    Rule("PWR-STATE", None, "Running when power ≥ the on threshold for 3 consecutive minutes, stopped when ≤ the off "
         "threshold for 3; in between the last state (hysteresis).", f"{_SRC} §1.4 state detection, §7 item 2",
         "ecosentry.subsystems.power.rules.state.running_state", "R"),
    Rule("PWR-THRESHOLD-LEARNED", None, "Default on/off threshold from the meter's own load distribution (Otsu's "
         "split of log power; none when the meter was only on or only off).", f"{_SRC} §1.4, §7 item 2; "
         "Otsu 1979", "ecosentry.subsystems.power.rules.learned.learn_threshold", "ours"),
    Rule("PWR-LOAD-SHARE", None, "Load level: power as a share of the normal running load (else rated power).",
         f"{_SRC} §1.4 linkage rule 3, §7 item 5", "ecosentry.subsystems.power.rules.state.load_share", "ours"),
):
    register(_r)
del _r
