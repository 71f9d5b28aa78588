"""The inspectors' offline check, ``ecosentry ops check``: the files of issue 18 item 10 end to end, one JSON
finding a line, and every bad input refused with exit 2 naming the file, the line and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ecosentry.subsystems.om.cli import register


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """The sentences compared below are the English ones, whatever the terminal's language."""
    monkeypatch.setenv("LANGUAGE", "en")


SRC = Path(__file__).resolve().parents[3] / "src"
HEADERS = {"M": "mark_id,point,factor,kind,start,end", "W": "order_id,point,kind,created,on_site,done,deadline",
           "D": "point,time,event", "C": "point,factor,time,kind,result,drift_pct"}
GOOD = {
    "M": ["M1,P1,a21026,maintenance,2026-03-03T09:10:00+08:00,2026-03-03T10:00:00+08:00",   # inspection visit
          "M2,P1,a21026,fault,2026-03-05T06:00:00+08:00,2026-03-06T16:00:00+08:00",         # repaired fault
          "M3,P1,a21002,维护,2026-03-07T14:00:00+08:00,2026-03-07T15:00:00+08:00",           # nobody came
          "M4,P1,a21026,calibration,2026-03-04T03:00:00+08:00,2026-03-04T03:12:00+08:00",   # the analyser's own
          "M5,P2,w01018,stop,2026-03-04T00:00:00+08:00,"],                                   # 停运, open
    "W": ["W1,P1,weekly_inspection,2026-03-02T17:00:00+08:00,2026-03-03T09:00:00+08:00,"
          "2026-03-03T10:30:00+08:00,",
          "W2,P1,故障,2026-03-05T08:00:00+08:00,2026-03-05T13:00:00+08:00,2026-03-06T16:00:00+08:00,",
          "W3,P2,offline,2026-03-04T08:00:00+08:00,,,2026-03-05T08:00:00+08:00"],             # overdue, open
    "D": ["P1,2026-03-03T08:55:00+08:00,open", "P1,2026-03-03T10:35:00+08:00,close",
          "P1,2026-03-05T12:58:00+08:00,open", "P1,2026-03-05T14:00:00+08:00,close",
          "P1,2026-03-06T21:30:00+08:00,open", "P1,2026-03-06T21:50:00+08:00,close",           # no order, no mark
          "P2,2026-03-06T21:30:00+08:00,open", "P2,2026-03-06T21:50:00+08:00,close"],          # W3 is at work
    "C": ["P1,a21026,2026-03-04T03:05:00+08:00,zero,pass,0.4", "P1,a21026,2026-03-04T03:10:00+08:00,span,pass,-1.1",
          "P1,a21026,2026-03-05T03:05:00+08:00,zero,pass,0.2", "P1,a21026,2026-03-05T03:10:00+08:00,span,fail,5.2",
          "P1,a21026,2026-03-05T15:00:00+08:00,span,pass,0.3", "P1,a21026,2026-03-06T03:05:00+08:00,zero,pass,0.1",
          "P1,a21026,2026-03-06T03:10:00+08:00,span,pass,0.6", "P1,a21026,2026-03-07T03:05:00+08:00,zero,pass,0.3",
          "P1,a21026,2026-03-07T03:10:00+08:00,span,pass,1.6"],
}


def app() -> typer.Typer:
    a, bench = typer.Typer(), typer.Typer()
    a.add_typer(bench, name="bench")
    register(a, {"bench": bench})
    return a


def write(tmp_path, **changes):
    out = {}
    for key, header in HEADERS.items():
        path = tmp_path / f"{key}.csv"
        path.write_text("\n".join([header, *changes.get(key, GOOD[key])]) + "\n", encoding="utf-8")
        out[key] = path
    return out


def run(files, tmp_path, *extra, calibrations=True):
    args = ["ops", "check", "--marks", str(files["M"]), "--work-orders", str(files["W"]), "--doors", str(files["D"]),
            "--output", str(tmp_path / "findings.jsonl"), *extra]
    if calibrations:
        args += ["--calibrations", str(files["C"])]
    return CliRunner().invoke(app(), args)


def rows(tmp_path):
    return [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_files_of_issue_18_give_one_finding_a_line(tmp_path):
    res = run(write(tmp_path), tmp_path, "--as-of", "2026-03-07T16:00:00+08:00")
    assert res.exit_code == 0, res.output
    found = rows(tmp_path)
    assert {"code", "severity", "point", "start", "end", "explanation", "evidence"} == set(found[0])
    by = sorted((r["code"], r["point"], r["start"], r["end"]) for r in found)
    assert by == [
        ("OM-CAL-FAIL", "P1", "2026-03-05T03:10:00+08:00", "2026-03-05T03:10:00+08:00"),
        ("OM-CAL-OUT-OF-CONTROL", "P1", "2026-03-05T03:10:00+08:00", "2026-03-05T15:00:00+08:00"),
        ("OM-DOOR-UNEXPLAINED", "P1", "2026-03-06T21:30:00+08:00", "2026-03-06T21:50:00+08:00"),
        ("OM-MARK-NO-DOOR", "P1", "2026-03-07T14:00:00+08:00", "2026-03-07T15:00:00+08:00"),
        ("OM-MARK-NO-ORDER", "P1", "2026-03-07T14:00:00+08:00", "2026-03-07T15:00:00+08:00"),
        ("OM-WO-OVERDUE", "P2", "2026-03-05T08:00:00+08:00", "2026-03-07T16:00:00+08:00"),
    ]
    ooc = next(r for r in found if r["code"] == "OM-CAL-OUT-OF-CONTROL")
    assert ooc["severity"] == "critical" and ooc["evidence"]["closed"] is True
    assert ooc["explanation"] == ("Sulphur dioxide (SO2) at P1 was out of control from 2026-03-05 03:10 until the "
                                  "passing check at 2026-03-05 15:00 (11.8 h): its data are invalid.")


def test_without_calibrations_the_automatic_calibration_mark_needs_a_visit(tmp_path):
    res = run(write(tmp_path), tmp_path, "--as-of", "2026-03-07T16:00:00+08:00", calibrations=False)
    assert res.exit_code == 0, res.output
    marks = {(r["code"], r["evidence"]["mark_id"]) for r in rows(tmp_path) if r["code"].startswith("OM-MARK")}
    assert ("OM-MARK-NO-DOOR", "M4") in marks and ("OM-MARK-NO-ORDER", "M4") in marks


def test_the_clock_defaults_to_the_latest_time_in_the_files(tmp_path):
    assert run(write(tmp_path), tmp_path).exit_code == 0
    overdue = next(r for r in rows(tmp_path) if r["code"] == "OM-WO-OVERDUE")
    assert overdue["end"] == "2026-03-07T15:00:00+08:00"      # the end of mark M3


@pytest.mark.parametrize("key, line, expected", [
    ("M", "M9,P1,a21026,coffee,2026-03-03T09:10:00+08:00,", "M.csv line 7, kind: 'coffee' is no mark kind"),
    ("M", "M1,P1,a21026,fault,2026-03-03T09:10:00+08:00,", "M.csv line 7, mark_id: 'M1' repeats line 2"),
    ("M", "M9,P1,a21026,fault,2026-03-03T09:10:00,", "M.csv line 7, start: '2026-03-03T09:10:00' has no offset"),
    ("M", "M9,P1,a21026,fault,2026-03-03T09:10:00+08:00,2026-03-03T08:00:00+08:00", "M.csv line 7, end: is before"),
    ("W", "W9,P1,fishing,2026-03-03T09:10:00+08:00,,,", "W.csv line 5, kind: 'fishing' is no work-order kind"),
    ("W", "W9,P1,offline,2026-03-03T09:10:00+08:00,2026-03-03T08:00:00+08:00,,", "W.csv line 5, on_site: is before"),
    ("W", "W9,,offline,2026-03-03T09:10:00+08:00,,,", "W.csv line 5, point: is empty"),
    ("D", "P1,yesterday,open", "D.csv line 10, time: 'yesterday' is not an ISO 8601 time"),
    ("D", "P1,2026-03-03T09:10:00+08:00,ajar", "D.csv line 10, event: must be open or close"),
    ("C", "P1,a21026,2026-03-03T09:10:00+08:00,middle,pass,1", "C.csv line 11, kind: must be zero or span"),
    ("C", "P1,a21026,2026-03-03T09:10:00+08:00,zero,maybe,1", "C.csv line 11, result: must be pass or fail"),
    ("C", "P1,a21026,2026-03-03T09:10:00+08:00,zero,pass,lots", "C.csv line 11, drift_pct: 'lots' is not a number"),
    ("C", "P1,a21026,2026-03-03T09:10:00+08:00,zero,pass,nan", "C.csv line 11, drift_pct: 'nan' is not a finite"),
    ("C", "P1,a21026,2026-03-03T09:10:00+08:00,zero,pass,1,extra", "C.csv line 11: more values than columns"),
])
def test_bad_input_exits_2_with_file_line_and_field(tmp_path, key, line, expected):
    files = write(tmp_path, **{key: [*GOOD[key], line]})
    res = run(files, tmp_path)
    assert res.exit_code == 2
    assert expected in res.output
    assert not (tmp_path / "findings.jsonl").exists()


def test_a_missing_column_a_missing_file_and_a_bad_clock(tmp_path):
    files = write(tmp_path)
    files["D"].write_text("point,time\nP1,2026-03-03T09:10:00+08:00\n", encoding="utf-8")
    res = run(files, tmp_path)
    assert res.exit_code == 2 and "D.csv line 1, event: missing column(s) event" in res.output
    files = write(tmp_path)
    files["W"].unlink()
    res = run(files, tmp_path)
    assert res.exit_code == 2 and "W.csv: cannot be read" in res.output
    res = run(write(tmp_path), tmp_path, "--as-of", "tomorrow")
    assert res.exit_code == 2 and "--as-of 'tomorrow' is not an ISO 8601 time" in res.output



def command(files, tmp_path, lang: str, *extra: str) -> subprocess.CompletedProcess:
    """``ecosentry ops check`` in a terminal of ``lang``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "LANGUAGE": lang,
           "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.monitoring,ecosentry.subsystems.om"}
    args = [sys.executable, "-m", "ecosentry", "ops", "check", "--marks", str(files["M"]), "--work-orders",
            str(files["W"]), "--doors", str(files["D"]), "--calibrations", str(files["C"]), "--output",
            str(tmp_path / "findings.jsonl"), *extra]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("lang, said, summary, clock", [
    ("zh", "错误：{D} 第 10 行，event：应为 open（开门）或 close（关门），而不是 'ajar'", "条发现已写入",
     "错误：--as-of 'tomorrow' 不是带时区偏移的 ISO 8601 时间"),
    ("vi", "Lỗi: {D} dòng 10, event: phải là open (mở) hoặc close (đóng), không phải 'ajar'", "phát hiện đã ghi vào",
     "Lỗi: --as-of 'tomorrow' không phải thời gian ISO 8601 có độ lệch múi giờ"),
    ("en", "error: {D} line 10, event: must be open or close, not 'ajar'", "findings in",
     "error: --as-of 'tomorrow' is not an ISO 8601 time with an offset"),
])
def test_the_errors_and_the_summary_are_in_the_terminals_language(tmp_path, lang, said, summary, clock):
    out = command(write(tmp_path), tmp_path, lang)
    assert out.returncode == 0 and summary in out.stderr, out.stderr
    out = command(write(tmp_path), tmp_path, lang, "--as-of", "tomorrow")
    assert out.returncode == 2 and clock in out.stderr, out.stderr
    files = write(tmp_path, D=[*GOOD["D"], "P1,2026-03-03T09:10:00+08:00,ajar"])
    out = command(files, tmp_path, lang)
    assert out.returncode == 2 and said.format(D=files["D"]) in out.stderr, out.stderr
