"""Offline audit tool (``ecosentry compute``): the regulator's figures from CSV files, no server.

:mod:`ecosentry.subsystems.monitoring.offline.csvio` reads the long-format data and the marks and writes outputs atomically;
:mod:`ecosentry.subsystems.monitoring.offline.compute` wires the pure rules of :mod:`ecosentry.subsystems.monitoring.rules.cn` together (its
``compute`` function is re-exported here as :func:`compute_periods`, so that ``ecosentry.subsystems.monitoring.offline.compute``
stays the module).
"""

from ecosentry.subsystems.monitoring.offline.compute import AuditResult, PeriodRow, collect, rates_to_json
from ecosentry.subsystems.monitoring.offline.compute import compute as compute_periods
from ecosentry.subsystems.monitoring.offline.csvio import AuditInputError, iter_data_rows, read_marks

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
