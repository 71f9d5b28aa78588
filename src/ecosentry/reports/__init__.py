"""Regulatory reports.

Daily report (日报表, HJ 75/HJ 76 layout, one row per local hour):
:func:`ecosentry.reports.model.build_daily_report` → :class:`~ecosentry.reports.model.DailyReport`,
rendered by :func:`ecosentry.reports.xlsx.daily_report_xlsx` and :func:`ecosentry.reports.pdf.daily_report_pdf`.
"""
