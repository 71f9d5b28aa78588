"""Offline audit tool (``ecosentry compute``): the regulator's figures from CSV files, no server.

:mod:`ecosentry.subsystems.monitoring.offline.csvio` reads the long-format data and the marks and writes outputs atomically;
:mod:`ecosentry.subsystems.monitoring.offline.compute` wires the pure rules of :mod:`ecosentry.subsystems.monitoring.rules.cn` together (its
``compute`` function is re-exported here as :func:`compute_periods`, so that ``ecosentry.subsystems.monitoring.offline.compute``
stays the module). The names are looked up when first asked for (PEP 562): ``ecosentry detect`` reads its input with
:mod:`~ecosentry.subsystems.monitoring.offline.csvio` alone and does not pay for importing the audit's rules.
"""

__all__ = [
    "AuditInputError",
    "AuditResult",
    "PeriodRow",
    "collect",
    "compute_periods",
    "iter_data_rows",
    "rates_to_json",
    "read_marks",
]

#: where each re-exported name lives (module, attribute)
_WHERE = {
    "AuditResult": ("compute", "AuditResult"),
    "PeriodRow": ("compute", "PeriodRow"),
    "collect": ("compute", "collect"),
    "rates_to_json": ("compute", "rates_to_json"),
    "compute_periods": ("compute", "compute"),
    "AuditInputError": ("csvio", "AuditInputError"),
    "iter_data_rows": ("csvio", "iter_data_rows"),
    "read_marks": ("csvio", "read_marks"),
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _WHERE[name]
    return getattr(import_module(f"{__name__}.{module}"), attribute)
