"""The offline tools of issue 17 item 9: ``ecosentry park plume`` and ``ecosentry park traceback`` end to end
(formats, units, the meteorological wind direction), and every bad input refused with exit 2 naming the option,
or the file, the line and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ecosentry.subsystems.park.cli import register


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """The sentences compared below are the English ones, whatever the terminal's language."""
    monkeypatch.setenv("LANGUAGE", "en")


SRC = Path(__file__).resolve().parents[3] / "src"
HEADERS = {"S": "station,x,y", "R": "station,time,factor,value", "M": "time,wind_speed,wind_dir_deg,stability",
           "Q": "source,enterprise,x,y,substances"}


def app() -> typer.Typer:
    a, bench = typer.Typer(), typer.Typer()
    a.add_typer(bench, name="bench")
    register(a, {"bench": bench})
    return a


def invoke(*args: str):
    return CliRunner().invoke(app(), list(args))


def test_plume_prints_one_csv_line_per_point_and_the_zones():
    res = invoke("park", "plume", "--rate", "3", "--wind", "7", "--stability", "D", "--height", "0",
                 "--at", "3000,0,0", "--at", "-100,0,0", "--at", "1000,50,1.5")
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "3000,0,0,0.00844389" and lines[1] == "-100,0,0,0"  # upwind: nothing
    assert lines[2].startswith("1000,50,1.5,") and float(lines[2].split(",")[3]) > 0
    res = invoke("park", "plume", "--rate", "100", "--wind", "3", "--stability", "F", "--height", "2",
                 "--release-s", "600", "--zones", "AEGL1,AEGL2,AEGL3", "--substance", "Cl2")
    assert res.exit_code == 0, res.output
    rows = [r.split(",") for r in res.output.strip().splitlines()]
    assert [r[0] for r in rows] == ["AEGL1", "AEGL2", "AEGL3"]
    extents = [float(r[2]) for r in rows]
    assert extents[0] > extents[1] > extents[2] > 0
    steady = invoke("park", "plume", "--rate", "100", "--wind", "3", "--stability", "F", "--height", "2",
                    "--zones", "AEGL1", "--substance", "Cl2")
    assert float(steady.output.split(",")[2]) > extents[0]  # a 10-min release reaches less far than a steady one


@pytest.mark.parametrize("args,said", [
    (("--stability", "G"), "--stability"),
    (("--wind", "0"), "--wind"),
    (("--at", "1,2"), "--at"),
    (("--at", "1,2,-3"), "--at"),
    (("--release-s", "-5"), "--release-s"),
    (("--zones", "AEGL1"), "--substance"),
    (("--zones", "AEGL1", "--substance", "COCl2"), "no AEGL1"),
    (("--zones", "ERPG9", "--substance", "Cl2"), "ERPG9"),
])
def test_plume_refuses_bad_input(args, said):
    base = {"--rate": "1", "--wind": "2", "--stability": "D", "--at": "100,0,0"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    res = invoke("park", "plume", *[x for kv in base.items() for x in kv])
    assert res.exit_code == 2 and said in res.output, res.output


def write(tmp_path: Path, **rows: list[str]) -> dict[str, Path]:
    good = {
        "S": ["B01,1000,0", "B02,1000,400", "B03,0,1500"],
        "Q": ["S1,Acme,0,0,Cl2;HCl", "S2,Beta,0,600,NH3", "S3,Gamma,-800,0,Cl2"],
        "M": [f"2026-05-01T08:{m:02d}:00+08:00,3,270,D" for m in range(30)],
        "R": [f"{s},2026-05-01T08:{m:02d}:00+08:00,Cl2,{v}" for m in range(30)
              for s, v in (("B01", 0.8 if m >= 10 else 0.003), ("B02", 0.003), ("B03", 0.003))],
    }
    out = {}
    for key, header in HEADERS.items():
        p = tmp_path / f"{key}.csv"
        p.write_text("\n".join([header, *rows.get(key, good[key])]) + "\n", encoding="utf-8")
        out[key] = p
    return out


def traceback_args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["park", "traceback", "--stations", str(files["S"]), "--readings", str(files["R"]), "--met",
            str(files["M"]), "--sources", str(files["Q"]), "--output", str(out), *extra]


def test_traceback_writes_the_ranking(tmp_path):
    files = write(tmp_path)
    out = tmp_path / "ranking.json"
    res = invoke(*traceback_args(files, out))
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text(encoding="utf-8"))["candidates"]
    assert [c["source"] for c in got][0] == "S1" and set(got[0]) == {"source", "score", "reason"}
    assert got[0]["score"] >= got[1]["score"] >= got[2]["score"]
    assert "handles chlorine" in got[0]["reason"] and "does not handle" in got[-1]["reason"]
    res = invoke(*traceback_args(files, out, "--lang", "zh"))
    assert res.exit_code == 0 and "氯气" in json.loads(out.read_text(encoding="utf-8"))["candidates"][0]["reason"]


@pytest.mark.parametrize("key,rows,said", [
    ("S", ["B01,east,0"], "S.csv line 2, x:"),
    ("S", ["B01,1,0", "B01,2,0"], "S.csv line 3, station:"),
    ("R", ["B09,2026-05-01T08:00:00+08:00,Cl2,1"], "R.csv line 2, station:"),
    ("R", ["B01,2026-05-01T08:00:00,Cl2,1"], "R.csv line 2, time:"),
    ("R", ["B01,2026-05-01T08:00:00+08:00,Cl2,-1"], "R.csv line 2, value:"),
    ("M", ["2026-05-01T08:00:00+08:00,3,400,D"], "M.csv line 2, wind_dir_deg:"),
    ("M", ["2026-05-01T08:00:00+08:00,3,270,H"], "M.csv line 2, stability:"),
    ("Q", ["S1,Acme,0"], "Q.csv line 2, y:"),
])
def test_traceback_refuses_bad_files_naming_file_line_and_field(tmp_path, key, rows, said):
    files = write(tmp_path, **{key: rows})
    res = invoke(*traceback_args(files, tmp_path / "r.json"))
    assert res.exit_code == 2 and said in res.output, res.output
    assert not (tmp_path / "r.json").exists()


def test_a_missing_column_is_named(tmp_path):
    files = write(tmp_path)
    files["M"].write_text("time,speed,wind_dir_deg,stability\n", encoding="utf-8")
    res = invoke(*traceback_args(files, tmp_path / "r.json"))
    assert res.exit_code == 2 and "M.csv line 1, wind_speed:" in res.output


@pytest.mark.slow
def test_ecosentry_park_commands_in_a_deployment_that_lists_the_subsystem(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.park"}
    out = subprocess.run([sys.executable, "-m", "ecosentry", "park", "plume", "--rate", "3", "--wind", "7",
                          "--stability", "D", "--at", "3000,0,0"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "3000,0,0,0.00844389", out.stderr
    out = subprocess.run([sys.executable, "-m", "ecosentry", "bench", "park", "--releases", "10", "--json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["traceback"]["releases"] == 10 and got["plume_with_zones_200x200_s"] > 0
    assert got["warning"]["readings_to_level_i"] == 0



@pytest.mark.slow
@pytest.mark.parametrize("lang, said, summary", [
    ("zh", "错误：{M} 第 2 行，stability：'H' 不是 A 到 F 的稳定度等级", "个候选源已排序并写入"),
    ("vi", "Lỗi: {M} dòng 2, stability: 'H' không phải cấp ổn định từ A đến F", "nguồn nghi vấn đã được xếp hạng"),
    ("en", "error: {M} line 2, stability: 'H' is not a class A to F", "candidates ranked in"),
])
def test_the_error_and_the_summary_are_in_the_terminals_language(tmp_path, lang, said, summary):
    env = {**os.environ, "PYTHONPATH": str(SRC), "LANGUAGE": lang, "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.park"}
    files = write(tmp_path)
    args = [sys.executable, "-m", "ecosentry", *traceback_args(files, tmp_path / "r.json")]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and summary in out.stderr, out.stderr
    files = write(tmp_path, M=["2026-05-01T08:00:00+08:00,3,270,H"])
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2 and said.format(M=files["M"]) in out.stderr, out.stderr
