"""``ecosentry bench api`` (issue 19 item 4): a city generated server-side in an empty PostgreSQL database, the main
reads explained, and the API timed over real HTTP under uvicorn; refused on SQLite and on a database with points.
No time is asserted: the numbers are the benchmark's output (docs/benchmarks.md)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from sqlalchemy import func, select

from ecosentry.store import schema as s
from ecosentry.store.db import make_engine
from ecosentry.subsystems.monitoring.bench.api_db import FACTORS, run_bench_api


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_bench_api_loads_a_city_explains_the_reads_and_times_the_api(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        with pytest.raises(ValueError, match="PostgreSQL"):
            run_bench_api(db_url, points=2, minute_days=1, requests=20, seed=1, console=quiet(), out=None)
        return
    out = tmp_path / "bench-api.json"
    result = run_bench_api(db_url, points=2, minute_days=1, requests=20, seed=1, console=quiet(), out=out)
    # a year of hours (365 × 24) and a day of minutes for 2 points × 6 factors, every one generated
    assert (result.hourly_rows, result.minute_rows) == (2 * 6 * 8760, 2 * 6 * 1440)
    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(s.hourly_values)) == 2 * 6 * 8760
            assert c.scalar(select(func.count()).select_from(s.observations)
                            .where(s.observations.c.kind == "min")) == 2 * 6 * 1440
            assert set(c.execute(select(s.hourly_values.c.factor_code).distinct()).scalars()) == set(FACTORS)
    finally:
        engine.dispose()
    data = json.loads(out.read_text(encoding="utf-8"))
    # every timed request answered 200 with the whole month (30 or 31 days of hours) or the whole day of minutes
    assert data["month_of_hours"]["requests"] == 20 and data["month_of_hours"]["rows"] in (720, 744)
    assert data["day_of_minutes"]["requests"] == 20 and data["day_of_minutes"]["rows"] == 1440
    assert 0 < data["month_of_hours"]["p50_ms"] <= data["month_of_hours"]["p95_ms"] <= data["month_of_hours"]["max_ms"]
    assert set(data["plans"]) == {"month of hours: count", "month of hours: rows", "day of minutes",
                                  "a year of one factor's hours"}
    plans = out.with_suffix(".plans.txt").read_text(encoding="utf-8")
    assert plans.count("Execution Time") == 4 and "observations_y" in plans  # the minutes read from their partition
    # a second run would mix its city with the first: refused
    with pytest.raises(ValueError, match="EMPTY"):
        run_bench_api(db_url, points=1, minute_days=1, requests=20, seed=1, console=quiet(), out=None)
