"""`ecosentry bench recompute` runs on a small city and returns its stage timings (no timed assertions)."""

import io

import numpy as np
from rich.console import Console

from ecosentry.subsystems.monitoring.bench.recompute import generate_city, run_bench_recompute


def test_generated_city_is_consistent():
    city = generate_city(outlets=4, factors=10, year=2024, seed=3)
    assert city["hour_values"].shape == (40, 366 * 24)
    assert city["minute_values"].shape == (40, 24, 60)
    assert not (city["hour_valid"] & ~city["received"]).any()  # valid requires received
    assert not (city["hour_valid"] & city["stopped"]).any()
    assert np.isnan(city["hour_values"][~city["received"]]).all()


def test_bench_recompute_small_city_reports_every_stage():
    out = io.StringIO()
    report = run_bench_recompute(outlets=3, factors=10, year=2025, seed=2, console=Console(file=out, width=120))
    assert list(report["stages_s"]) == [
        "minute → hour (1 day)", "hour → day (year)", "day → month (year)",
        "rates (year: series, outlets, city)", "exceedance (year of hours)",
    ]
    assert report["series"] == 30 and report["hours"] == 30 * 8760
    assert report["results"]["days"] == 30 * 365 and report["results"]["months"] == 30 * 12
    assert 0.9 < report["results"]["city_trans_rate"] <= 1.0
    assert report["results"]["hours_judged"] <= report["hours"]
    assert "ecosentry bench recompute" in out.getvalue()
