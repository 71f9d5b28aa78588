"""Offline audit tool (``ecosentry compute``): the regulator's figures from CSV files, no server.

:mod:`ecosentry.audit.csvio` reads the long-format data and the marks and writes outputs atomically;
:mod:`ecosentry.audit.compute` wires the pure rules of :mod:`ecosentry.rules.cn` together (its
``compute`` function is re-exported here as :func:`compute_periods`, so that ``ecosentry.audit.compute``
stays the module).
"""

from ecosentry.audit.compute import AuditResult, PeriodRow, collect, rates_to_json
from ecosentry.audit.compute import compute as compute_periods
from ecosentry.audit.csvio import AuditInputError, iter_data_rows, read_marks

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
