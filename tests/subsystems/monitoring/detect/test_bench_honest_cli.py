"""`ecosentry bench detect --set honest` end to end on a small set: runs `ecosentry detect` and writes its results."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ecosentry.subsystems.monitoring.cli.detect import app


def test_bench_detect_honest_writes_json_and_its_markdown_section(tmp_path):
    md = tmp_path / "bench.md"
    md.write_text("<!-- bench:injected:begin -->\ninjected tables\n<!-- bench:injected:end -->\n", encoding="utf-8")
    out = tmp_path / "honest.json"
    result = CliRunner().invoke(app, ["bench-detect", "--set", "honest", "--points", "12", "--days", "3",
                                      "--seed", "5", "--out", str(out), "--markdown", str(md)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    overall = doc["overall"]
    assert overall["labels"] == len([c for c in doc["classes"] for _ in range(c["labels"])]) > 0
    assert overall["clean_point_days"] == len(doc["setup"]["clean_points"]) * 3
    assert overall["all"]["findings"] == sum(c["all"]["findings"] for c in doc["codes"])
    text = md.read_text(encoding="utf-8")
    assert "injected tables" in text and "<!-- bench:honest:begin -->" in text and "Falsification signs" in text


def test_bench_detect_refuses_an_unknown_set_and_a_set_too_small():
    assert CliRunner().invoke(app, ["bench-detect", "--set", "nab"]).exit_code == 2
    assert CliRunner().invoke(app, ["bench-detect", "--set", "honest", "--points", "4"]).exit_code == 2


def test_bench_detect_honest_speaks_the_terminals_language_and_writes_english_docs(tmp_path):
    md, out = tmp_path / "bench.md", tmp_path / "honest.json"
    result = CliRunner().invoke(app, ["bench-detect", "--set", "honest", "--points", "12", "--days", "3", "--seed", "5",
                                      "--out", str(out), "--markdown", str(md)],
                                env={"LANGUAGE": "vi", "LC_ALL": "", "LC_MESSAGES": "", "COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "Các bộ phát hiện trên bộ dữ liệu nhà máy trung thực" in result.output
    assert "Dấu hiệu làm sai lệch số liệu:" in result.output and "độ chính xác" in result.output
    assert "Falsification signs" not in result.output and "precision" not in result.output
    assert "Falsification signs:" in md.read_text(encoding="utf-8")  # the docs stay English


def test_bench_detect_refuses_in_the_terminals_language():
    result = CliRunner().invoke(app, ["bench-detect", "--set", "honest", "--points", "4"],
                                env={"LANGUAGE": "zh", "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == "错误：正常企业数据集至少需要 8 个监测点和 3 天"


def test_the_timed_detect_imports_compiled_byte_code(tmp_path, monkeypatch):
    """bench detect writes the package's byte code before it times ``ecosentry detect`` (as installing a wheel
    does), also where the machine says not to write it at import: a stale or missing .pyc is written."""
    import sys

    from ecosentry.subsystems.monitoring.cli.detect import _compile_package

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "sub" / "mod.py").write_text("Y = 2\n")
    _compile_package(pkg)
    assert sorted(p.name.split(".")[0] for p in pkg.rglob("*.pyc")) == ["__init__", "mod"]
