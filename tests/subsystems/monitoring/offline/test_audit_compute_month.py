"""Offline audit tool: a full month of minute data, hourly water cycles, duplicates, progress bar."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ecosentry.subsystems.monitoring.cli.compute as cli_compute
from ecosentry.subsystems.monitoring.cli.compute import app, compute, compute_command

CST = timezone(timedelta(hours=8))
runner = CliRunner()


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write_month(path: Path, *, skip_days: set[int] = frozenset()) -> None:
    """P1 SO2, every minute of October 2026 (local) except the listed days; value 5.0."""
    t0 = datetime(2026, 10, 1, tzinfo=CST)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("point,factor,time,value,flag\n")
        for m in range(31 * 1440):
            t = t0 + timedelta(minutes=m)
            if t.day in skip_days:
                continue
            fh.write(f"P1,a21026,{t.isoformat()},5.0,N\n")


def test_full_month_valid(tmp_path: Path) -> None:
    data, out, rates = tmp_path / "oct.csv", tmp_path / "p.csv", tmp_path / "r.json"
    _write_month(data)  # 44 640 rows
    result = runner.invoke(app, ["--input", str(data), "--output", str(out), "--rates", str(rates)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert sum(r["period"] == "hour" for r in rows) == 31 * 24
    assert sum(r["period"] == "day" for r in rows) == 31
    month = [r for r in rows if r["period"] == "month"]
    assert len(month) == 1
    assert (month[0]["start"], month[0]["valid"], month[0]["n_valid"], month[0]["n_expected"]) == (
        "2026-10-01T00:00:00+08:00", "true", "31", "31",
    )
    assert float(month[0]["value"]) == 5.0
    c = json.loads(rates.read_text())["points"]["P1"]["factors"]["a21026"]
    assert (c["counts"]["expected"], c["counts"]["valid_groups"], c["effective_transmission_rate"]) == (744, 744, 1.0)


def test_expected_hours_span_first_to_last_local_day(tmp_path: Path) -> None:
    """Data on Oct 1 and Oct 31 only: the 29 days between are expected (no data) and lower the rate."""
    data, out, rates = tmp_path / "oct.csv", tmp_path / "p.csv", tmp_path / "r.json"
    _write_month(data, skip_days=set(range(2, 31)))
    result = runner.invoke(app, ["--input", str(data), "--output", str(out), "--rates", str(rates)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    day15 = [r for r in rows if r["period"] == "day" and r["start"] == "2026-10-15T00:00:00+08:00"][0]
    assert (day15["valid"], day15["reason"], day15["n_received"]) == ("false", "no data", "0")
    c = json.loads(rates.read_text())["points"]["P1"]["factors"]["a21026"]["counts"]
    assert (c["expected"], c["received"]) == (744, 48)  # 31 × 24 expected, 2 × 24 received


def test_water_hourly_cycles_and_duplicates(tmp_path: Path) -> None:
    """--interval 60: one cycle per hour expected; a duplicated line keeps the first value."""
    d = datetime(2026, 11, 20, tzinfo=CST)
    lines = ["point,factor,time,value,flag"]
    for h in range(24):
        if h == 3:
            continue  # hour 03: no cycle
        lines.append(f"W1,w01018,{(d + timedelta(hours=h, minutes=7)).isoformat()},{h},N")
    lines.append(f"W1,w01018,{(d + timedelta(hours=0, minutes=7)).isoformat()},999,N")  # duplicate of hour 00
    data = tmp_path / "w.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "p.csv"
    result = runner.invoke(app, ["--input", str(data), "--kind", "water", "--interval", "60", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    h0 = [r for r in rows if r["period"] == "hour" and r["start"] == "2026-11-20T00:00:00+08:00"][0]
    assert (float(h0["value"]), h0["n_received"], h0["n_expected"]) == (0.0, "1", "1")
    day = [r for r in rows if r["period"] == "day"][0]
    # 23 valid hours ≥ 18; arithmetic mean (no flow) of 0…23 without 3: (276 − 3) / 23
    assert (day["valid"], day["n_valid"]) == ("true", "23")
    assert float(day["value"]) == pytest.approx(273 / 23)


def test_too_many_cycles_for_interval_is_exit_2(tmp_path: Path) -> None:
    d = datetime(2026, 11, 20, tzinfo=CST)
    lines = ["point,factor,time,value"] + [
        f"W1,w01018,{(d + timedelta(minutes=10 * k)).isoformat()},1" for k in range(6)
    ]
    data = tmp_path / "w.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["--input", str(data), "--kind", "water", "--interval", "60", "--output", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "more than the 1 expected at --interval 60" in result.output
    assert not (tmp_path / "p.csv").exists()


def test_progress_bar_on_large_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size threshold the rich progress bar runs; the result is the same."""
    monkeypatch.setattr(cli_compute, "PROGRESS_MIN_BYTES", 0)
    data, out = tmp_path / "oct.csv", tmp_path / "p.csv"
    _write_month(data, skip_days=set(range(3, 32)))
    result = runner.invoke(app, ["--input", str(data), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert sum(r["period"] == "day" for r in _rows(out)) == 2


def test_exports() -> None:
    assert compute is compute_command
    assert callable(compute_command)
