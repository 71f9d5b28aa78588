"""``ecosentry bench steady`` (issue 19): a fleet's minutes up to now stored through the real spool and worker,
then rounds of new minutes and the worker's flush, timed by CPU; the scratch database is dropped. No time is
asserted: the numbers are the benchmark's output (docs/benchmarks.md)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text

from ecosentry.subsystems.monitoring.bench.steady import run_bench_steady
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet


def _series(loggers: int) -> tuple[int, int]:
    """Series of the fleet: of loggers sending every minute, and of all (wastewater: every 10 minutes)."""
    points = [p for e in demo_fleet(loggers, seed=11)["enterprises"] for o in e["outlets"] for p in o["points"]]
    return (sum(len(p["factors"]) for p in points if int(p.get("min_interval") or 1) == 1),
            sum(len(p["factors"]) for p in points))


@pytest.mark.parametrize("every, minutes_per_round", [(30.0, 1), (300.0, 5)])
def test_bench_steady_follows_up_every_series_each_round(pg_server, tmp_path, every, minutes_per_round):
    out = tmp_path / "bench-steady.json"
    result = run_bench_steady(loggers=4, minutes=12, rounds=2, pg_url=pg_server, out=out, every=every,
                              console=Console(file=io.StringIO(), width=200))
    assert len(result["rounds"]) == 2 and result["minutes_per_flush"] == minutes_per_round
    # every series of minute data has its hour in progress recomputed at each round's flush (one hour, or two when
    # the round's minutes cross the top of an hour); a wastewater series when its 10-minute frame fell in the round
    every_minute, every_series = _series(4)
    assert every_minute < every_series
    assert all(every_minute <= r["hours"] <= 2 * every_series for r in result["rounds"]), result["rounds"]
    assert all(r["flush_cpu_s"] > 0 for r in result["rounds"]) and result["loggers_one_worker_keeps_up_with"] > 0
    assert json.loads(out.read_text())[-1]["loggers"] == 4
    admin = create_engine(pg_server)
    with admin.connect() as c:  # the scratch database is gone
        assert c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": result["database"]}).first() is None
    admin.dispose()


def test_bench_steady_refuses_bad_options(pg_server):
    with pytest.raises(ValueError, match="--rounds"):
        run_bench_steady(loggers=4, minutes=10, rounds=0, pg_url=pg_server, out=None,
                         console=Console(file=io.StringIO()))
