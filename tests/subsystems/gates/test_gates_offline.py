"""The inspectors' offline check, ``ecosentry vehicles check``: the files of issue 16 item 11 end to end, one JSON
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

from ecosentry.subsystems.gates.cli import register


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """The sentences compared below are the English ones, whatever the terminal's language."""
    monkeypatch.setenv("LANGUAGE", "en")


SRC = Path(__file__).resolve().parents[3] / "src"
HEADERS = {"P": "enterprise,gate,time,direction,plate,plate_colour,confidence",
           "L": "enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t",
           "R": "plate,plate_colour,vin,emission_stage,fuel,registration_date",
           "E": "enterprise,grade,small_volume_exempt", "A": "enterprise,level,start,end"}
GOOD = {
    "E": ["E1,B,false", "E2,A,是"],
    "R": ["冀A00006,黄色,11111111111111111,国六,柴油,2022-01-01", "冀A00004,1,1M8GDM9AXKP042788,4,diesel,20190301",
          "冀AD00001,yellow_green,,d,electric,"],
    "P": ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,0.97",
          "E1,G2,2026-01-05T09:00:00+08:00,out,冀A00006,yellow,97",
          "E1,G1,2026-01-05T10:00:00+08:00,in,冀A00004,yellow,0.95",
          "E1,G1,2026-01-05T10:00:02+08:00,in,冀AD00001,yellow_green,0.95",
          "E1,G2,2026-01-05T11:00:00+08:00,out,冀A00004,yellow,0.95",
          "E1,G2,2026-01-05T11:30:00+08:00,out,冀AD00001,yellow_green,0.95",
          "E2,G9,2026-01-05T12:00:00+08:00,out,冀A00006,,"],
    "L": ["E1,2026-01-05T08:01:00+08:00,in,冀A00006,11111111111111111,6,diesel,coal,30.5",
          "E1,2026-01-05T09:01:00+08:00,out,冀A00006,11111111111111111,6,diesel,,0",
          "E1,2026-01-05T10:01:00+08:00,in,冀A00004,1M8GDM9AXKP042788,4,diesel,coal,28",
          "E1,2026-01-05T11:01:00+08:00,out,冀A00004,1M8GDM9AXKP042788,4,diesel,slag,12",
          "E1,2026-01-05T11:31:00+08:00,out,冀AD00001,1M8GDM9AXKP042788,d,electric,slag,12",
          "E2,2026-01-05T12:00:00+08:00,out,冀A00006,11111111111111111,6,diesel,coal,1"],
    "A": ["E1,orange,2026-01-05T09:30:00+08:00,2026-01-06T00:00:00+08:00"],
}


def app() -> typer.Typer:
    a, bench = typer.Typer(), typer.Typer()
    a.add_typer(bench, name="bench")
    register(a, {"bench": bench})
    return a


def write(tmp_path: Path, **changes: list[str]) -> dict[str, Path]:
    out = {}
    for key, header in HEADERS.items():
        path = tmp_path / f"{key}.csv"
        path.write_text("\n".join([header, *changes.get(key, GOOD[key])]) + "\n", encoding="utf-8")
        out[key] = path
    return out


def run(files: dict[str, Path], tmp_path: Path, *extra: str):
    return CliRunner().invoke(app(), ["vehicles", "check", "--passages", str(files["P"]), "--ledger",
                                      str(files["L"]), "--register", str(files["R"]), "--enterprises",
                                      str(files["E"]), "--alerts", str(files["A"]), "--output",
                                      str(tmp_path / "findings.jsonl"), *extra])


def test_the_files_of_issue_16_give_one_finding_a_line(tmp_path):
    res = run(write(tmp_path), tmp_path)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"code", "severity", "enterprise", "plate", "start", "end", "explanation", "evidence",
            "detected_at"} <= set(rows[0])
    by = {(r["code"], r["plate"]) for r in rows}
    assert ("VEH-ALERT-STAGE", "冀A00004") in by                 # 国四 out during the orange alert at grade B
    assert ("VEH-TAILGATE", "冀AD00001") in by                   # two seconds behind 冀A00004
    # the exit row without its cargo: its enterprise's ledger of that day, the row among its examples
    day = next(r for r in rows if r["code"] == "VEH-LEDGER-INCOMPLETE")
    assert day["plate"] == "" and day["evidence"]["fields"] == {"cargo": 1} and day["evidence"]["count"] == 1
    assert [x["plate"] for x in day["evidence"]["examples"]] == ["冀A00006"]
    assert "1 of " in day["explanation"] and "cargo missing in 1" in day["explanation"]
    assert ("VEH-VIN-MULTI-PLATE", "冀A00004") in by             # 冀AD00001 written with 冀A00004's VIN
    assert ("VEH-EXIT-WITHOUT-ENTRY", "冀A00006") not in by      # E2's exit is at the start of its data
    stage = next(r for r in rows if r["code"] == "VEH-ALERT-STAGE")
    assert stage["severity"] == "critical" and stage["start"] == "2026-01-05T10:00:00+08:00"
    assert stage["evidence"]["lines"] == [4, 6]  # its entry and its exit, both in the alert
    assert [r["plate"] for r in rows if r["code"] == "VEH-PASSAGE-NO-LEDGER"] == ["冀AD00001"]  # its entry row


def test_without_alerts_nothing_is_judged_against_a_level(tmp_path):
    files = write(tmp_path)
    res = CliRunner().invoke(app(), ["vehicles", "check", "--passages", str(files["P"]), "--ledger", str(files["L"]),
                                     "--register", str(files["R"]), "--enterprises", str(files["E"]), "--output",
                                     str(tmp_path / "f.jsonl")])
    assert res.exit_code == 0, res.output
    codes = {json.loads(line)["code"] for line in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()}
    assert "VEH-TAILGATE" in codes and not codes & {"VEH-ALERT-STAGE", "VEH-SHARE-ALERT", "VEH-INSPECT-VIDEO"}


def test_the_seed_redraws_the_inspection(tmp_path):
    files = write(tmp_path)
    assert run(files, tmp_path, "--seed", "7").exit_code == 0
    first = (tmp_path / "findings.jsonl").read_text(encoding="utf-8")
    assert run(files, tmp_path, "--seed", "7").exit_code == 0
    assert (tmp_path / "findings.jsonl").read_text(encoding="utf-8") == first


@pytest.mark.parametrize("key, rows, where", [
    ("P", ["E1,G1,2026-01-05 08:00:00,in,冀A00006,yellow,0.9"], "P.csv line 2, time: '2026-01-05 08:00:00' has no "
                                                                 "offset"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,0.9", "E1,G1,yesterday,in,冀A00006,yellow,0.9"],
     "P.csv line 3, time: 'yesterday' is not an ISO 8601 time"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,sideways,冀A00006,yellow,0.9"], "P.csv line 2, direction: must be in or"),
    ("P", ["E9,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,0.9"], "P.csv line 2, enterprise: 'E9' is not in"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,purple,0.9"], "P.csv line 2, plate_colour: 'purple'"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,high"], "P.csv line 2, confidence: 'high' is not"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,150"], "P.csv line 2, confidence: must be from 0"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in," + "冀" * 40 + ",yellow,0.9"], "P.csv line 2, plate: longer than 16"),
    ("P", ["E1,G1,2026-01-05T08:00:00+08:00,in,冀A00006,yellow,0.9,extra"], "P.csv line 2: more values than columns"),
    ("L", ["E1,2026-01-05T08:01:00+08:00,in,冀A00006,11111111111111111,7,diesel,coal,30"],
     "L.csv line 2, emission_stage: '7' is no emission stage"),
    ("L", ["E1,2026-01-05T08:01:00+08:00,in,冀A00006,11111111111111111,6,coal,coal,30"], "L.csv line 2, fuel: 'coal'"),
    ("L", ["E1,2026-01-05T08:01:00+08:00,in,冀A00006,11111111111111111,6,diesel,coal,1000"],
     "L.csv line 2, weight_t: must be from 0 to 999.9 t"),
    ("L", ["E1,2026-01-05T08:01:00+08:00,in,冀A00006,11111111111111111,6,diesel,coal,nan"],
     "L.csv line 2, weight_t: must be from 0 to 999.9 t"),
    ("R", ["冀A00006,yellow,,6,diesel,2022-01-01", "冀A 00006,yellow,,6,diesel,2022-01-01"],
     "R.csv line 3, plate: '冀A00006' is registered twice"),
    ("R", ["冀A00006,yellow,,6,diesel,01/02/2022"], "R.csv line 2, registration_date: '01/02/2022' is not a date"),
    ("R", [",yellow,,6,diesel,"], "R.csv line 2, plate: is empty"),
    ("E", ["E1,AAA,false"], "E.csv line 2, grade: must be A, B, B-, C, D or leading"),
    ("E", ["E1,B,maybe"], "E.csv line 2, small_volume_exempt: must be true or false"),
    ("E", ["E1,B,false", "E1,A,false"], "E.csv line 3, enterprise: 'E1' is listed twice"),
    ("A", ["E1,purple,2026-01-05T09:30:00+08:00,2026-01-06T00:00:00+08:00"], "A.csv line 2, level: must be blue"),
    ("A", ["E1,red,2026-01-05T09:30:00+08:00,2026-01-05T09:00:00+08:00"], "A.csv line 2, end: must be after start"),
])
def test_bad_input_exits_2_naming_the_file_the_line_and_the_field(tmp_path, key, rows, where):
    res = run(write(tmp_path, **{key: rows}), tmp_path)
    assert res.exit_code == 2
    assert f"error: {tmp_path}/{where}" in res.output


def test_missing_columns_unreadable_files_and_not_utf8(tmp_path):
    files = write(tmp_path)
    files["L"].write_text("enterprise,time,direction,plate\n", encoding="utf-8")
    res = run(files, tmp_path)
    assert res.exit_code == 2 and f"error: {files['L']} line 1, vin: missing column(s) vin, emission_stage" in res.output
    files = write(tmp_path)
    files["R"].write_bytes("plate,plate_colour,vin,emission_stage,fuel,registration_date\n冀A1".encode("gbk"))
    res = run(files, tmp_path)
    assert res.exit_code == 2 and f"error: {files['R']}: is not UTF-8 text" in res.output
    files["A"] = tmp_path / "nowhere.csv"
    files = {**write(tmp_path), "A": tmp_path / "nowhere.csv"}
    res = run(files, tmp_path)
    assert res.exit_code == 2 and "nowhere.csv: cannot be read" in res.output


def test_the_command_of_the_installed_subsystem(tmp_path):
    """``python -m ecosentry vehicles check`` with the subsystem listed in ECOSENTRY_SUBSYSTEMS."""
    files = write(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.monitoring,"
           "ecosentry.subsystems.power,ecosentry.subsystems.gates"}
    args = [sys.executable, "-m", "ecosentry", "vehicles", "check", "--passages", str(files["P"]), "--ledger",
            str(files["L"]), "--register", str(files["R"]), "--enterprises", str(files["E"]), "--alerts",
            str(files["A"]), "--output", str(tmp_path / "out.jsonl")]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "findings in" in out.stderr and (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("\n") >= 4
    files["E"].write_text("enterprise,grade,small_volume_exempt\nE1,Z,false\n", encoding="utf-8")
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2 and f"error: {files['E']} line 2, grade:" in out.stderr



def command(files: dict[str, Path], tmp_path: Path, lang: str) -> subprocess.CompletedProcess:
    """``ecosentry vehicles check`` in a terminal of ``lang``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "LANGUAGE": lang,
           "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.monitoring,ecosentry.subsystems.gates"}
    args = [sys.executable, "-m", "ecosentry", "vehicles", "check", "--passages", str(files["P"]), "--ledger",
            str(files["L"]), "--register", str(files["R"]), "--enterprises", str(files["E"]), "--alerts",
            str(files["A"]), "--output", str(tmp_path / "out.jsonl")]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("lang, said, summary", [
    ("zh", "错误：{P} 第 3 行，time：'yesterday' 不是 ISO 8601 时间", "条发现已写入"),
    ("vi", "Lỗi: {P} dòng 3, time: 'yesterday' không phải thời gian ISO 8601", "phát hiện đã ghi vào"),
    ("en", "error: {P} line 3, time: 'yesterday' is not an ISO 8601 time", "findings in"),
])
def test_the_error_and_the_summary_are_in_the_terminals_language(tmp_path, lang, said, summary):
    out = command(write(tmp_path), tmp_path, lang)
    assert out.returncode == 0 and summary in out.stderr, out.stderr
    files = write(tmp_path, P=[GOOD["P"][0], "E1,G1,yesterday,in,冀A00006,yellow,0.9"])
    out = command(files, tmp_path, lang)
    assert out.returncode == 2 and said.format(P=files["P"]) in out.stderr, out.stderr
