"""The whole catalogue of codes: rules, detectors and alarm types, of the core and every installed subsystem.

:mod:`ecosentry.contracts.catalogue` is plain data that imports nothing; the modules that add codes register
them when imported. The core's are the alarm types (:mod:`ecosentry.alarms.catalogue`); each subsystem names
its own (:attr:`ecosentry.contracts.subsystem.Subsystem.catalogue`). This module imports them all, so
``ecosentry rules list``, the API and the UI show the same complete list.
"""

from __future__ import annotations

import importlib

from ecosentry.contracts.catalogue import Rule, catalogue
from ecosentry.installed import installed

__all__ = ["CORE_REGISTERING_MODULES", "registering_modules", "full_catalogue"]

#: The core's modules whose import registers codes.
CORE_REGISTERING_MODULES = ("ecosentry.alarms.catalogue", "ecosentry.alarms.disposal")


def registering_modules() -> tuple[str, ...]:
    """The core's registering modules, then each installed subsystem's."""
    return CORE_REGISTERING_MODULES + tuple(m for sub in installed() for m in sub.catalogue)


def full_catalogue() -> list[Rule]:
    """Every registered code, sorted."""
    for name in registering_modules():
        importlib.import_module(name)
    return catalogue()
