"""The words the detector benchmarks print on the terminal, in the terminal's language: the names of fault classes,
detector families and severities, a detector code with its rule's name, and ratios.

The files they write for the docs (``--markdown`` tables, JSON results) keep the keys and English; the terminal
reads names (``DET-STAT-SHIFT`` with "Sudden lasting shift of level", 水平突然持续偏移 …). ``_`` is the gettext of
the reader's language (:func:`ecosentry.terminal.messages.gettext_of`).
"""

from __future__ import annotations

from collections.abc import Callable

from ecosentry.alarms.wording import kind_name, rule_name
from ecosentry.said import N_

__all__ = ["CLASS_NAMES", "SEVERITY_NAMES", "class_name", "severity_name", "kind_word", "code_cell", "code_table",
           "pct"]

#: Fault class of a labelled set (honest and injected) or detector family → its name (the keys are shared:
#: a class is named after the family that should find it).
CLASS_NAMES: dict[str, str] = {
    "narrow_band": N_("Narrow band around a fixed value"),
    "near_zero": N_("Near-zero readings (diluted sample)"),
    "factor_gap": N_("One pollutant stops reporting"),
    "capped_peaks": N_("Peaks capped just under the limit"),
    "night_discharge": N_("Discharge at night"),
    "clone": N_("Channel copied from another"),
    "clone_source": N_("Channel that was copied"),
    "constant": N_("Constant value"),
    "zero_running": N_("Zero while running"),
    "o2_stopped": N_("Oxygen says stopped while running"),
    "false_stop_mark": N_("False stop mark"),
    "data_while_stopped": N_("Data while declared stopped"),
    "step_flat": N_("Jump followed by a flat stretch"),
    "negative": N_("Negative values"),
    "over_range": N_("Values above the analyser range"),
    "gap": N_("Hours without data"),
    "silent_tail": N_("Point falls silent"),
    "missing": N_("Missing data"),
    "no_data": N_("No data at all"),
    "limit_hugging": N_("Values hug the limit"),
    "day_night": N_("Day and night differ"),
    "half_month_flat": N_("Hourly values hardly vary over half a month"),
    "half_month_range": N_("Small range over half a month"),
    "param_drift": N_("Instrument parameter differs from the registered value"),
    "spike": N_("Isolated spikes"),
    "level_shift": N_("Sudden lasting shift of level"),
    "statistical": N_("statistical anomaly"),
    "last_digit": N_("Last digits not uniformly distributed"),
    "marks_exceedance": N_("Mark over an exceedance"),
}

#: A finding's severity → its word (the same msgids as the pages').
SEVERITY_NAMES: dict[str, str] = {"info": N_("info"), "warning": N_("warning"), "critical": N_("critical")}


def class_name(key: str | None, _: Callable[[str], str]) -> str:
    """A fault class or detector family in the reader's language (the key when unnamed, "—" when none)."""
    if not key:
        return "—"
    return _(CLASS_NAMES[key]) if key in CLASS_NAMES else key


def severity_name(severity: str, _: Callable[[str], str]) -> str:
    return _(SEVERITY_NAMES[severity]) if severity in SEVERITY_NAMES else severity


def kind_word(kind: str, _: Callable[[str], str]) -> str:
    """A finding kind's name (falsification sign, data-quality defect …), else the kind as written."""
    return kind_name(kind, _) or kind


def code_cell(code: str, _: Callable[[str], str]) -> str:
    """A detector code, with its rule's name on a second line when the catalogue of rules names it."""
    name = rule_name(code, _)
    return code if name == code else f"{code}\n{name}"


def pct(x: float | None) -> str:
    """A ratio as a whole percentage, "—" when undefined."""
    return "—" if x is None else f"{100.0 * x:.0f} %"


def code_table(title: str, heads, codes, left: int, _: Callable[[str], str]):
    """A rich table of one row per detector code: its ``heads`` (msgids) said, the first ``left`` columns on the
    left and the others (numbers) on the right; the code column as wide as the longest of ``codes``, so a code is
    never cut short and its rule's name (:func:`code_cell`) wraps under it."""
    from rich.table import Table

    table = Table(title=title)
    width = max((len(code) for code in codes), default=None)
    for i, head in enumerate(heads):
        table.add_column(_(head), justify="left" if i < left else "right", min_width=width if i == 0 else None)
    return table
