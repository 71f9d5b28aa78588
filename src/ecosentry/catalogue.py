"""The whole catalogue of codes: rules, detectors and alarm types, of the core and every installed subsystem.

:mod:`ecosentry.contracts.catalogue` is plain data that imports nothing; the modules that add codes register
them when imported. The core's are the alarm types (:mod:`ecosentry.alarms.catalogue`); each subsystem names
its own (:attr:`ecosentry.contracts.subsystem.Subsystem.catalogue`). This module imports them all, so
``ecosentry rules list``, the API and the UI show the same complete list.
"""

from __future__ import annotations

import importlib

from ecosentry.contracts.catalogue import Rule, catalogue, get
from ecosentry.installed import installed, installed_names

__all__ = ["CORE_REGISTERING_MODULES", "registering_modules", "full_catalogue", "is_installed_code"]

_SUBSYSTEMS = "ecosentry.subsystems."

#: The core's modules whose import registers codes.
CORE_REGISTERING_MODULES = ("ecosentry.alarms.catalogue", "ecosentry.alarms.disposal")


def registering_modules() -> tuple[str, ...]:
    """The core's registering modules, then each installed subsystem's."""
    return CORE_REGISTERING_MODULES + tuple(m for sub in installed() for m in sub.catalogue)


def _installed_module(module: str) -> bool:
    """A module of the core or of an installed subsystem (a subsystem that is only imported, by an offline tool or a
    test, registers its codes too, but they are not this deployment's)."""
    if not module.startswith(_SUBSYSTEMS):
        return True
    return any(module == name or module.startswith(name + ".") for name in installed_names())


def is_installed_code(code: str) -> bool:
    """Whether ``code`` belongs to the core or to an installed subsystem."""
    return _installed_module(get(code).module)


def full_catalogue() -> list[Rule]:
    """Every code of the core and the installed subsystems, sorted."""
    for name in registering_modules():
        importlib.import_module(name)
    return [r for r in catalogue() if _installed_module(r.module)]
