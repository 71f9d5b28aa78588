"""Words of the electricity pages said from stored rows: a finding's sentence in the reader's language with
equipment names (not codes), and the names of roles, kinds and states."""

from __future__ import annotations

from collections.abc import Callable

import ecosentry.subsystems.power.rules.linkage  # noqa: F401  (registers the finding codes)
import ecosentry.subsystems.power.rules.orders  # noqa: F401
from ecosentry.contracts.catalogue import RULES
from ecosentry.subsystems.power.alarms import named_params
from ecosentry.said import N_

__all__ = ["finding_sentence", "named_params", "equipment_names", "ROLE_NAMES", "KIND_NAMES", "STATE_NAMES",
           "SEVERITY_NAMES"]

ROLE_NAMES = {"production": N_("Production"), "treatment": N_("Treatment"), "total": N_("Total meter")}
KIND_NAMES = {"desulfurisation": N_("Desulfurisation"), "denitrification": N_("Denitrification"),
              "dust_removal": N_("Dust removal"), "voc_treatment": N_("VOC treatment"),
              "wastewater_treatment": N_("Wastewater treatment"), "other": N_("Other treatment")}
#: State codes of :mod:`ecosentry.subsystems.power.rules.state` (and -2: readings but no thresholds).
STATE_NAMES = {1: N_("Running"), 0: N_("Stopped"), -1: N_("No data"), -2: N_("Readings, no threshold")}
SEVERITY_NAMES = {"critical": N_("Critical"), "warning": N_("Warning"), "info": N_("Info")}


def equipment_names(key: str | None, names: dict[str, str]) -> list[str]:
    """The names of a finding's equipment (its ``key``: codes joined by ``,``); an unknown code as it is."""
    return [names.get(c, c) for c in (key or "").split(",") if c]


def finding_sentence(row: dict, gettext: Callable[[str], str], names: dict[str, str]) -> str:
    """The finding's sentence: its msgid (``params["msgid"]``, as the writer stores it) with its parameters,
    equipment codes replaced by names; else the one-line summary of its code (catalogue)."""
    params = named_params(row.get("params") or {}, names)
    msgid = params.pop("msgid", None)
    if isinstance(msgid, str):
        try:
            return gettext(msgid) % params
        except (KeyError, TypeError, ValueError):
            pass
    rule = RULES.get(row.get("code") or "")
    return gettext(rule.summary) if rule else str(row.get("code"))
