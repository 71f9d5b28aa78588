"""Regulatory reports.

Daily report (日报表, HJ 75/HJ 76 layout, one row per local hour):
:func:`ecosentry.subsystems.monitoring.reports.model.build_daily_report` → :class:`~ecosentry.subsystems.monitoring.reports.model.DailyReport`,
rendered by :func:`ecosentry.subsystems.monitoring.reports.xlsx.daily_report_xlsx` and :func:`ecosentry.subsystems.monitoring.reports.pdf.daily_report_pdf`.

Monthly and yearly reports (月报表 / 年报表, rows = local days / months of ``derived_periods``):
:mod:`ecosentry.subsystems.monitoring.reports.periodic` (``build_monthly_report``, ``build_yearly_report`` and their
``*_xlsx`` / ``*_pdf`` renderers).

Transmission-rate report of a region (有效传输率报表): :mod:`ecosentry.subsystems.monitoring.reports.rate_report`.

The monthly, yearly and rate reports render through the generic table of :mod:`ecosentry.subsystems.monitoring.reports.tabular`.
"""
