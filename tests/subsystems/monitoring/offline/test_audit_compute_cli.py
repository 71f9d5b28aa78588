"""Offline audit tool ``ecosentry compute``: hand-computed examples through the CLI on real files."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecosentry.subsystems.monitoring.cli.compute import app

CST = timezone(timedelta(hours=8))
runner = CliRunner()


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """The sentences compared below are the English ones, whatever the terminal's language."""
    monkeypatch.setenv("LANGUAGE", "en")


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_periods(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def find(rows: list[dict], period: str, start: str, factor: str | None = None) -> dict:
    hits = [r for r in rows if r["period"] == period and r["start"] == start and (factor is None or r["factor"] == factor)]
    assert len(hits) == 1, (period, start, factor, hits)
    return hits[0]


def minutes(point: str, factor: str, hour_start: datetime, n: int, value: float, fmt=None) -> list[list]:
    """n one-minute records from hour_start, all flag N, constant value."""
    fmt = fmt or (lambda t: t.isoformat())
    return [[point, factor, fmt(hour_start + timedelta(minutes=m)), value, "N"] for m in range(n)]


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- gas, hand computed


@pytest.fixture()
def gas_two_days(tmp_path: Path) -> Path:
    """Point P1, SO2 (a21026), local days 2026-11-20 and 2026-11-21 (+08:00).

    Day 1: 24 full hours, hour h has every minute = h          → day mean (0+…+23)/24 = 276/24 = 11.5
    Day 2: hours 05, 06, 07 missing entirely (3 hours),
           hour 08 has only 44 minutes (value 100, invalid: 44 < 45),
           every other hour h has every minute = 2h.
           Valid hours = 24 − 3 − 1 = 20 ≥ 20 → day valid.
           Mean = 2·(0+1+2+3+4 + 9+…+23)/20 = 2·(10 + 240)/20 = 25.0
    """
    rows = []
    d1 = datetime(2026, 11, 20, tzinfo=CST)
    for h in range(24):
        rows += minutes("P1", "a21026", d1 + timedelta(hours=h), 60, float(h))
    d2 = datetime(2026, 11, 21, tzinfo=CST)
    for h in range(24):
        if h in (5, 6, 7):
            continue
        if h == 8:
            rows += minutes("P1", "a21026", d2 + timedelta(hours=h), 44, 100.0)
        else:
            rows += minutes("P1", "a21026", d2 + timedelta(hours=h), 60, float(2 * h))
    return write_csv(tmp_path / "data.csv", ["point", "factor", "time", "value", "flag"], rows)


def test_gas_hand_computed_periods_and_rates(gas_two_days: Path, tmp_path: Path) -> None:
    out, rates = tmp_path / "periods.csv", tmp_path / "rates.json"
    result = run("--input", gas_two_days, "--output", out, "--rates", rates)
    assert result.exit_code == 0, result.output
    rows = read_periods(out)
    assert list(rows[0].keys())[:7] == ["point", "factor", "period", "start", "value", "valid", "reason"]

    hours = [r for r in rows if r["period"] == "hour"]
    assert len(hours) == 48  # every clock hour of the two full local days

    h = find(rows, "hour", "2026-11-20T07:00:00+08:00")
    assert (float(h["value"]), h["valid"], h["n_valid"], h["n_expected"], h["unit"]) == (7.0, "true", "60", "60", "min")

    short = find(rows, "hour", "2026-11-21T08:00:00+08:00")
    assert short["valid"] == "false"
    assert float(short["value"]) == 100.0  # the mean is still shown; validity says not to use it
    assert short["n_valid"] == "44" and short["n_received"] == "44"
    assert short["reason"] == "valid minutes 44 < 45; missing 16 min"

    missing = find(rows, "hour", "2026-11-21T06:00:00+08:00")
    assert (missing["value"], missing["valid"], missing["reason"], missing["n_received"]) == ("", "false", "no data", "0")

    day1 = find(rows, "day", "2026-11-20T00:00:00+08:00")
    assert float(day1["value"]) == pytest.approx(11.5)  # 276 / 24
    assert (day1["valid"], day1["n_valid"], day1["n_received"], day1["n_expected"], day1["unit"]) == ("true", "24", "24", "24", "h")

    day2 = find(rows, "day", "2026-11-21T00:00:00+08:00")
    assert float(day2["value"]) == pytest.approx(25.0)  # 2·250 / 20
    assert (day2["valid"], day2["n_valid"], day2["n_received"], day2["n_expected"]) == ("true", "20", "21", "24")
    assert day2["reason"] == ""

    month = find(rows, "month", "2026-11-01T00:00:00+08:00")
    assert float(month["value"]) == pytest.approx(18.25)  # (11.5 + 25.0) / 2
    assert (month["valid"], month["n_valid"], month["n_expected"]) == ("false", "2", "30")
    assert month["reason"] == "valid days 2 < 25; missing 28 d"

    doc = json.loads(rates.read_text(encoding="utf-8"))
    so2 = doc["points"]["P1"]["factors"]["a21026"]
    c = so2["counts"]
    # expected M = 48 hourly groups; received D = 24 + (24 − 3) = 45; valid S = 45 − 1 (the 44-minute hour) = 44
    assert (c["expected"], c["received"], c["valid_groups"], c["excluded_groups"], c["stopped"]) == (48, 45, 44, 0, 0)
    assert so2["transmission_rate"] == pytest.approx(45 / 48)  # 0.9375
    assert so2["validity_rate"] == pytest.approx(44 / 48)  # 0.91666…
    assert so2["effective_transmission_rate"] == pytest.approx(45 / 48 * 44 / 48)  # 0.859375
    assert so2["arithmetic"]["transmission_rate"] == "45/48"
    # a single factor: the point total equals the factor
    assert doc["points"]["P1"]["total"]["counts"] == c
    assert doc["period"] == {"first_day": "2026-11-20", "last_day": "2026-11-21"}


def test_point_total_sums_counts_not_rates(gas_two_days: Path, tmp_path: Path) -> None:
    """Add NOx (a21002) with one full day only: its 48 expected hours have 24 received, 24 valid."""
    rows = list(csv.reader(open(gas_two_days, encoding="utf-8")))
    d1 = datetime(2026, 11, 20, tzinfo=CST)
    extra = []
    for h in range(24):
        extra += minutes("P1", "a21002", d1 + timedelta(hours=h), 60, 50.0)
    write_csv(gas_two_days, rows[0], rows[1:] + extra)
    out, rates = tmp_path / "p.csv", tmp_path / "r.json"
    result = run("-i", gas_two_days, "-o", out, "--rates", rates)
    assert result.exit_code == 0, result.output
    doc = json.loads(rates.read_text())
    nox = doc["points"]["P1"]["factors"]["a21002"]
    assert nox["transmission_rate"] == pytest.approx(24 / 48)
    total = doc["points"]["P1"]["total"]
    # summed counts: M = 48 + 48 = 96, D = 45 + 24 = 69, S = 44 + 24 = 68
    assert (total["counts"]["expected"], total["counts"]["received"], total["counts"]["valid_groups"]) == (96, 69, 68)
    assert total["transmission_rate"] == pytest.approx(69 / 96)  # not the mean of 45/48 and 24/48
    assert total["validity_rate"] == pytest.approx(68 / 96)


# --------------------------------------------------------------------------- marks


@pytest.fixture()
def gas_one_day(tmp_path: Path) -> Path:
    """P1, SO2 and NOx, one full local day 2026-11-20, every minute value 10 (SO2) / 30 (NOx)."""
    rows = []
    d = datetime(2026, 11, 20, tzinfo=CST)
    for h in range(24):
        rows += minutes("P1", "a21026", d + timedelta(hours=h), 60, 10.0)
        rows += minutes("P1", "a21002", d + timedelta(hours=h), 60, 30.0)
    return write_csv(tmp_path / "data.csv", ["point", "factor", "time", "value", "flag"], rows)


def test_marks_maintenance_and_stopped(gas_one_day: Path, tmp_path: Path) -> None:
    marks = write_csv(tmp_path / "marks.csv", ["point", "factor", "type", "start", "end"], [
        # 10:30–11:00:30: all of hour 10 invalid; only 30 s of hour 11 → hour 11 untouched (< 1 min)
        ["P1", "a21026", "maintenance", "2026-11-20T10:30:00+08:00", "2026-11-20T11:00:30+08:00"],
        # empty factor = every factor of the point; stopped hours leave the expected count
        ["P1", "", "stopped", "2026-11-20T20:00:00+08:00", "2026-11-20T21:00:00+08:00"],
        # another point: ignored
        ["P2", "", "fault", "2026-11-20T00:00:00+08:00", "2026-11-21T00:00:00+08:00"],
    ])
    out, rates = tmp_path / "periods.csv", tmp_path / "rates.json"
    result = run("--input", gas_one_day, "--marks", marks, "--output", out, "--rates", rates)
    assert result.exit_code == 0, result.output
    rows = read_periods(out)

    h10 = find(rows, "hour", "2026-11-20T10:00:00+08:00", "a21026")
    assert (h10["valid"], h10["reason"], float(h10["value"])) == ("false", "marked maintenance", 10.0)
    assert find(rows, "hour", "2026-11-20T11:00:00+08:00", "a21026")["valid"] == "true"
    assert find(rows, "hour", "2026-11-20T10:00:00+08:00", "a21002")["valid"] == "true"  # other factor
    for factor in ("a21026", "a21002"):
        h20 = find(rows, "hour", "2026-11-20T20:00:00+08:00", factor)
        assert (h20["valid"], h20["reason"]) == ("", "marked stopped")  # not judged

    day = find(rows, "day", "2026-11-20T00:00:00+08:00", "a21026")
    # 24 hours − 1 stopped = 23 expected; 23 − 1 maintenance = 22 valid ≥ 20
    assert (day["valid"], day["n_valid"], day["n_received"], day["n_expected"]) == ("true", "22", "23", "23")

    doc = json.loads(rates.read_text())
    so2 = doc["points"]["P1"]["factors"]["a21026"]["counts"]
    # H = 24, stopped 1 → M = 23, D = 23, S = 22
    assert (so2["hours"], so2["stopped"], so2["expected"], so2["received"], so2["valid_groups"]) == (24, 1, 23, 23, 22)
    assert doc["points"]["P1"]["factors"]["a21026"]["validity_rate"] == pytest.approx(22 / 23)
    nox = doc["points"]["P1"]["factors"]["a21002"]["counts"]
    assert (nox["expected"], nox["valid_groups"]) == (23, 23)
    assert "P2" not in doc["points"]


def test_bad_marks_file(gas_one_day: Path, tmp_path: Path) -> None:
    marks = write_csv(tmp_path / "marks.csv", ["point", "factor", "type", "start", "end"], [
        ["P1", "", "maintenance", "2026-11-20T10:00:00+08:00", "2026-11-20T11:00:00+08:00"],
        ["P1", "", "holiday", "2026-11-20T10:00:00+08:00", "2026-11-20T11:00:00+08:00"],
    ])
    out = tmp_path / "periods.csv"
    result = run("--input", gas_one_day, "--marks", marks, "--output", out)
    assert result.exit_code == 2
    assert "line 3" in result.output and "unknown mark type 'holiday'" in result.output
    assert not out.exists()


# --------------------------------------------------------------------------- water


def test_water_ten_minute_flow_weighted(tmp_path: Path) -> None:
    """W1: COD (w01018) and flow (w00000), 10-min data, one local day.

    Every hour: COD 10, 20, 30, 40, 50, 60 mg/L; flow 1, 1, 1, 1, 1, 3 L/s.
    Slice volume D = Q · 600 s · 10⁻³ → 0.6, …, 0.6, 1.8 m³ (hour volume 4.8 m³).
    Load G = Σ C·D·10⁻³ = (150 · 0.6 + 60 · 1.8) · 10⁻³ = 0.198 kg; C_h = G / D · 10³ = 198 / 4.8 = 41.25 mg/L.
    Hour 05: every COD cycle flagged D → invalid. Hour 13: standard-sample check mark on COD → invalid and
    exempt (NOS = 1).
    """
    cod = [10, 20, 30, 40, 50, 60]
    flow = [1, 1, 1, 1, 1, 3]
    rows = []
    d = datetime(2026, 11, 20, tzinfo=CST)
    for h in range(24):
        for k in range(6):
            t = (d + timedelta(hours=h, minutes=10 * k)).isoformat()
            rows.append(["W1", "w01018", t, cod[k], "D" if h == 5 else "N"])
            rows.append(["W1", "w00000", t, flow[k], "N"])
    data = write_csv(tmp_path / "water.csv", ["point", "factor", "time", "value", "flag"], rows)
    marks = write_csv(tmp_path / "marks.csv", ["point", "factor", "type", "start", "end"], [
        ["W1", "w01018", "standard_sample_check", "2026-11-20T13:21:00+08:00", "2026-11-20T13:50:00+08:00"],
    ])
    out, rates = tmp_path / "periods.csv", tmp_path / "rates.json"
    result = run("--input", data, "--kind", "water", "--interval", "10", "--marks", marks, "--output", out, "--rates", rates)
    assert result.exit_code == 0, result.output
    rows = read_periods(out)

    h0 = find(rows, "hour", "2026-11-20T00:00:00+08:00", "w01018")
    assert float(h0["value"]) == pytest.approx(41.25)
    assert float(h0["cou"]) == pytest.approx(0.198)
    assert (h0["valid"], h0["n_valid"], h0["n_expected"], h0["unit"]) == ("true", "6", "6", "cycle")
    h5 = find(rows, "hour", "2026-11-20T05:00:00+08:00", "w01018")
    assert h5["valid"] == "false" and h5["reason"].startswith("valid cycles 0 < 1")
    h13 = find(rows, "hour", "2026-11-20T13:00:00+08:00", "w01018")
    assert (h13["valid"], h13["reason"]) == ("false", "marked standard_sample_check")
    fh0 = find(rows, "hour", "2026-11-20T00:00:00+08:00", "w00000")
    assert float(fh0["value"]) == pytest.approx(8 / 6)  # arithmetic mean flow (1+1+1+1+1+3)/6

    day = find(rows, "day", "2026-11-20T00:00:00+08:00", "w01018")
    # 22 valid hours ≥ ⌈0.75 · 24⌉ = 18; every valid hour is 41.25 mg/L → flow-weighted day 41.25
    assert (day["valid"], day["n_valid"], day["n_received"], day["n_expected"]) == ("true", "22", "24", "24")
    assert float(day["value"]) == pytest.approx(41.25)
    assert float(day["cou"]) == pytest.approx(22 * 0.198)

    doc = json.loads(rates.read_text())
    c = doc["points"]["W1"]["factors"]["w01018"]
    # M = 24, D = 24, NOS = 1 (standard-sample hour), S = 24 − 2 = 22 → effe = 22 / (24 − 1)
    assert (c["counts"]["expected"], c["counts"]["received"], c["counts"]["excluded_groups"], c["counts"]["valid_groups"]) == (24, 24, 1, 22)
    assert c["transmission_rate"] == 1.0
    assert c["validity_rate"] == pytest.approx(22 / 23)
    total = doc["points"]["W1"]["total"]["counts"]
    assert (total["expected"], total["valid_groups"], total["excluded_groups"]) == (48, 46, 1)
    assert doc["points"]["W1"]["total"]["validity_rate"] == pytest.approx(46 / 47)


def test_water_without_flow_is_arithmetic(tmp_path: Path) -> None:
    """No w00000 at the point: arithmetic mean of the cycles (HJ 212 App. D.1 alternative)."""
    d = datetime(2026, 11, 20, tzinfo=CST)
    rows = [["W2", "w21003", (d + timedelta(hours=h, minutes=10 * k)).isoformat(), k + 1, ""] for h in range(24) for k in range(6)]
    data = write_csv(tmp_path / "w.csv", ["point", "factor", "time", "value", "flag"], rows)
    out = tmp_path / "p.csv"
    result = run("--input", data, "--kind", "water", "--interval", "10", "--output", out)
    assert result.exit_code == 0, result.output
    h = find(read_periods(out), "hour", "2026-11-20T03:00:00+08:00")
    assert float(h["value"]) == pytest.approx(3.5)  # (1+…+6)/6
    assert h["valid"] == "true"


# --------------------------------------------------------------------------- time zones


def test_utc_input_reported_in_local_time(tmp_path: Path) -> None:
    """2026-11-19T16:00Z … 2026-11-20T15:59Z is the local day 2026-11-20 in Asia/Shanghai."""
    rows = []
    t0 = datetime(2026, 11, 19, 16, tzinfo=timezone.utc)
    for h in range(24):
        rows += minutes("P1", "a34013", t0 + timedelta(hours=h), 60, float(h),
                        fmt=lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))
    data = write_csv(tmp_path / "utc.csv", ["point", "factor", "time", "value", "flag"], rows)
    out = tmp_path / "p.csv"
    result = run("--input", data, "--output", out, "--tz", "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    rows = read_periods(out)
    hours = [r for r in rows if r["period"] == "hour"]
    assert len(hours) == 24 and all(r["valid"] == "true" for r in hours)
    assert hours[0]["start"] == "2026-11-20T00:00:00+08:00" and float(hours[0]["value"]) == 0.0  # 16:00Z
    assert hours[-1]["start"] == "2026-11-20T23:00:00+08:00"
    days = [r for r in rows if r["period"] == "day"]
    assert [r["start"] for r in days] == ["2026-11-20T00:00:00+08:00"]


def test_naive_times_are_local_in_tz(tmp_path: Path) -> None:
    rows = []
    d = datetime(2026, 11, 20)
    for h in range(24):
        rows += minutes("P1", "a21026", d + timedelta(hours=h), 60, 1.0, fmt=lambda t: t.strftime("%Y-%m-%d %H:%M:%S"))
    data = write_csv(tmp_path / "naive.csv", ["point", "factor", "time", "value"], [r[:4] for r in rows])
    out = tmp_path / "p.csv"
    result = run("--input", data, "--output", out, "--tz", "Asia/Ho_Chi_Minh")
    assert result.exit_code == 0, result.output
    rows = read_periods(out)
    assert find(rows, "day", "2026-11-20T00:00:00+07:00")["valid"] == "true"


# --------------------------------------------------------------------------- bad input


HEADER = "point,factor,time,value,flag\n"
GOOD = "P1,a21026,2026-11-20T00:00:00+08:00,1.5,N\n"


@pytest.mark.parametrize(
    "content, expected",
    [
        (HEADER + GOOD + "P1,a21026,2026-11-20 25:00,1.5,N\n", ["line 3", "bad time '2026-11-20 25:00'"]),
        (HEADER + GOOD + GOOD + "P1,a21026,2026-11-20T00:02:00+08:00,abc,N\n", ["line 4", "'abc' is not a number"]),
        ("point,factor,value\n" + "P1,a21026,1\n", ["line 1", "missing column(s) time"]),
        (HEADER + "P1,a21026\n", ["line 2", "field(s)"]),
        (HEADER + GOOD + "P1,a21026,2026-11-20T00:03:00+08:00,nan,N\n", ["line 3", "not a finite number"]),
        ("", ["line 1", "empty"]),
    ],
)
def test_bad_input_exit_2_names_line(tmp_path: Path, content: str, expected: list[str]) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content, encoding="utf-8")
    out, rates = tmp_path / "periods.csv", tmp_path / "rates.json"
    out.write_text("previous run\n", encoding="utf-8")
    result = run("--input", data, "--output", out, "--rates", rates)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output
    assert out.read_text(encoding="utf-8") == "previous run\n"  # untouched
    assert not rates.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--kind", "air"], "--kind must be gas or water"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--interval", "7"], "--interval 7 not allowed"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    data = tmp_path / "d.csv"
    data.write_text(HEADER + GOOD, encoding="utf-8")
    result = run("--input", data, "--output", tmp_path / "p.csv", *args)
    assert result.exit_code == 2
    assert expected in result.output


def test_missing_input_file(tmp_path: Path) -> None:
    result = run("--input", tmp_path / "nope.csv", "--output", tmp_path / "p.csv")
    assert result.exit_code == 2 and "not found" in result.output


def test_mark_one_minute_threshold_and_joined_reasons(gas_one_day: Path, tmp_path: Path) -> None:
    marks = write_csv(tmp_path / "marks.csv", ["point", "factor", "type", "start", "end"], [
        # exactly 1 minute of hour 14 (ends at 15:00 sharp → hour 15 untouched)
        ["P1", "a21002", "calibration", "2026-11-20T14:59:00+08:00", "2026-11-20T15:00:00+08:00"],
        # 59 s of hour 16 → ignored for hour 16
        ["P1", "a21002", "fault", "2026-11-20T16:00:00+08:00", "2026-11-20T16:00:59+08:00"],
        # two marks on hour 03, naive times read in --tz
        ["P1", "a21002", "fault", "2026-11-20 03:00:00", "2026-11-20 03:10:00"],
        ["P1", "a21002", "comm_interruption", "2026-11-20 03:05:00", "2026-11-20 03:20:00"],
    ])
    out = tmp_path / "p.csv"
    result = run("--input", gas_one_day, "--marks", marks, "--output", out)
    assert result.exit_code == 0, result.output
    rows = read_periods(out)
    assert find(rows, "hour", "2026-11-20T14:00:00+08:00", "a21002")["reason"] == "marked calibration"
    assert find(rows, "hour", "2026-11-20T15:00:00+08:00", "a21002")["valid"] == "true"
    assert find(rows, "hour", "2026-11-20T16:00:00+08:00", "a21002")["valid"] == "true"
    h3 = find(rows, "hour", "2026-11-20T03:00:00+08:00", "a21002")
    assert (h3["valid"], h3["reason"]) == ("false", "marked fault; marked comm_interruption")
    assert find(rows, "day", "2026-11-20T00:00:00+08:00", "a21002")["n_valid"] == "22"


@pytest.mark.parametrize("lang, said", [
    ("zh", "错误：{data} 第 4 行：列 'value'：'abc' 不是数字"),
    ("vi", "Lỗi: {data}, dòng 4: cột 'value': 'abc' không phải là số"),
    ("en", "error: {data}, line 4: column 'value': 'abc' is not a number"),
])
def test_compute_speaks_the_terminals_language(tmp_path: Path, monkeypatch, lang: str, said: str) -> None:
    monkeypatch.setenv("LANGUAGE", lang)
    data = tmp_path / "bad.csv"
    data.write_text(HEADER + GOOD + GOOD + "P1,a21026,2026-11-20T00:02:00+08:00,abc,N\n", encoding="utf-8")
    result = run("--input", data, "--output", tmp_path / "periods.csv")
    assert result.exit_code == 2 and said.format(data=data) in result.output, result.output
