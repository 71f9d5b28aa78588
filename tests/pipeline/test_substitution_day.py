"""Substitute values of a finished day, over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.periods import recompute_days
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.fleet import import_fleet

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import FLEET, GAS_MN  # noqa: E402

Z = ZoneInfo("Asia/Shanghai")


def test_missing_hours_get_the_max_of_the_180_valid_hours_before(db_url):
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    directory = PointDirectory(engine)
    pid = directory.by_mn(GAS_MN).point_id
    q_start = datetime(2026, 10, 1, tzinfo=Z).astimezone(timezone.utc)
    day = date(2026, 11, 10)
    day_lo = datetime(2026, 11, 10, tzinfo=Z).astimezone(timezone.utc)
    gap = {day_lo + timedelta(hours=h) for h in (5, 6, 7)}  # 05:00–08:00 local missing
    peak = day_lo - timedelta(hours=30)  # 10 kg, inside the 180 valid hours before the gap
    rows, t = [], q_start
    while t < day_lo + timedelta(days=1):
        if t not in gap:
            rows.append({"point_id": pid, "factor_code": "a21026", "period_start": t, "value": 30.0,
                         "cou": 10.0 if t == peak else 6.0, "flag": "N", "valid": True, "valid_minutes": 60,
                         "received_minutes": 60, "n_records": 60, "computed_at": t, "excluded": False})
        t += timedelta(hours=1)
    with engine.begin() as c:
        c.execute(s.hourly_values.insert(), rows)
    recompute_days(engine, {(pid, "a21026", day)}, directory)
    with engine.connect() as c:
        d = c.execute(select(s.derived_periods).where(s.derived_periods.c.period == "day")).mappings().one()
        revs = c.execute(select(ms.revisions).order_by(ms.revisions.c.period_start)).mappings().all()
    # quarter to the day's end: 41 days × 24 h = 984 h, 3 invalid → α = 981/984 = 99.7 % ≥ 90 %, gap N = 3 ≤ 24
    # → substitute = max hourly emission of the 180 valid hours before the gap = 10 kg (vendor rule, default)
    assert [r["substitute"] for r in revs] == [10.0, 10.0, 10.0]
    assert all(r["original"] is None and r["rule_code"].startswith("CN-SUB") for r in revs)
    assert d["cou"] == pytest.approx(21 * 6.0)  # raw: the 21 valid hours
    assert d["cou_substituted"] == pytest.approx(21 * 6.0 + 3 * 10.0) and d["n_substituted"] == 3
    engine.dispose()


def test_monthly_report_shows_the_substituted_total_beside_the_raw_one(db_url):
    from ecosentry.subsystems.monitoring.pipeline.periods import recompute_months
    from ecosentry.subsystems.monitoring.reports.periodic import build_monthly_report, period_report_sheet

    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    directory = PointDirectory(engine)
    pid = directory.by_mn(GAS_MN).point_id
    day_lo = datetime(2026, 11, 10, tzinfo=Z).astimezone(timezone.utc)
    rows, t = [], datetime(2026, 10, 1, tzinfo=Z).astimezone(timezone.utc)
    while t < day_lo + timedelta(days=1):
        if t not in {day_lo + timedelta(hours=h) for h in (5, 6)}:
            rows.append({"point_id": pid, "factor_code": "a21026", "period_start": t, "value": 30.0, "cou": 6.0,
                         "flag": "N", "valid": True, "valid_minutes": 60, "received_minutes": 60, "n_records": 60,
                         "computed_at": t, "excluded": False})
        t += timedelta(hours=1)
    with engine.begin() as c:
        c.execute(s.hourly_values.insert(), rows)
    months = recompute_days(engine, {(pid, "a21026", date(2026, 11, d)) for d in range(1, 11)}, directory)
    recompute_months(engine, months, directory)
    report = build_monthly_report(engine, pid, 2026, 11)
    keys = [c.key for c in report.columns]
    assert "a21026.cou_sub" in keys and "a21026.n_sub" in keys
    day10 = report.rows[9]
    # raw: 22 valid hours × 6 kg = 132 kg; substituted: + 2 hours × max(6 kg) of the 180 before = 144 kg
    assert day10.cells["a21026.cou"].value == pytest.approx(132.0)
    assert day10.cells["a21026.cou_sub"].value == pytest.approx(144.0)
    assert day10.cells["a21026.n_sub"].value == 2
    total = next(r for r in report.summary if r.key == "total")
    # month total over days 1–10: 9 × 24 × 6 + 132 = 1428 raw; 1428 + 12 = 1440 with substitutes
    assert total.values["a21026.cou"] == pytest.approx(1428.0)
    assert total.values["a21026.cou_sub"] == pytest.approx(1440.0)
    sheet = period_report_sheet(report)
    assert any(col.sub == "替代小时数" for col in sheet.columns)
    # the daily report of day 10 keeps its hourly cells and adds the count and the note
    from ecosentry.subsystems.monitoring.reports.model import build_daily_report
    from ecosentry.subsystems.monitoring.reports.pdf import daily_report_pdf
    from ecosentry.subsystems.monitoring.reports.xlsx import daily_report_xlsx

    daily = build_daily_report(engine, pid, date(2026, 11, 10))
    assert daily.summary_row("n_substituted").values == {"a21026.emission": 2}
    assert any("2 个无效或缺失小时" in n and "144.000 kg" in n and "132.000 kg" in n for n in daily.notes)
    assert daily_report_xlsx(daily)[:2] == b"PK" and daily_report_pdf(daily)[:5] == b"%PDF-"
    engine.dispose()
