"""The whole catalogue of codes: rules, detectors and alarm types, from every module that registers some.

:mod:`ecosentry.rules.catalogue` is plain data that imports nothing; the modules that add codes
(rules, marks, detectors, alarm types, the detection job) register them when imported. This module imports
them all, so ``ecosentry rules list``, the API and the UI show the same complete list.
"""

from __future__ import annotations

import importlib

from ecosentry.rules.catalogue import Rule, catalogue

__all__ = ["REGISTERING_MODULES", "full_catalogue"]

#: Modules whose import registers codes.
REGISTERING_MODULES = (
    "ecosentry.rules.cn.hourly", "ecosentry.rules.cn.aggregates", "ecosentry.rules.cn.flue_gas",
    "ecosentry.rules.cn.rates", "ecosentry.rules.cn.exceedance", "ecosentry.rules.cn.substitution",
    "ecosentry.rules.cn.marks", "ecosentry.detect.national", "ecosentry.detect.patterns",
    "ecosentry.detect.statistical", "ecosentry.alarms.catalogue", "ecosentry.rules.vn.status",
    "ecosentry.rules.vn.qcvn", "ecosentry.rules.vn.completeness",
)


def full_catalogue() -> list[Rule]:
    """Every registered code, sorted."""
    for name in REGISTERING_MODULES:
        importlib.import_module(name)
    return catalogue()
