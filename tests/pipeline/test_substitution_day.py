"""Substitute values of a finished day, over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.periods import recompute_days
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.registry import import_fleet

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
        revs = c.execute(select(s.revisions).order_by(s.revisions.c.period_start)).mappings().all()
    # quarter to the day's end: 41 days × 24 h = 984 h, 3 invalid → α = 981/984 = 99.7 % ≥ 90 %, gap N = 3 ≤ 24
    # → substitute = max hourly emission of the 180 valid hours before the gap = 10 kg (vendor rule, default)
    assert [r["substitute"] for r in revs] == [10.0, 10.0, 10.0]
    assert all(r["original"] is None and r["rule_code"].startswith("CN-SUB") for r in revs)
    assert d["cou"] == pytest.approx(21 * 6.0)  # raw: the 21 valid hours
    assert d["cou_substituted"] == pytest.approx(21 * 6.0 + 3 * 10.0) and d["n_substituted"] == 3
    engine.dispose()
