"""``ecosentry detect`` end to end through the main Typer app, on small hand-written CSV files."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.subsystems.monitoring.detect.nab import NAB_DETECTORS
from ecosentry.subsystems.monitoring.detect.registry import all_detectors, codes_of_family

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """The sentences compared below are the English ones, whatever the terminal's language."""
    monkeypatch.setenv("LANGUAGE", "en")
T0 = datetime(2026, 10, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))


def invoke(*args: str):
    return runner.invoke(cli.app, list(args))


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_gas_csv(path, *, step_minutes: int, hours: int, stuck: range) -> None:
    """A gas point: dust (a34013) varying except a stuck run over the hours in ``stuck``; O2 and flow running."""
    lines = ["point,factor,time,value,flag"]
    n = hours * 60 // step_minutes
    for i in range(n):
        t = T0 + timedelta(minutes=i * step_minutes)
        hour = i * step_minutes // 60
        dust = 5.0 if hour in stuck else 4.0 + 1.5 * math.sin(i / 7.0) + 0.01 * (i % 13)
        stamp = t.isoformat()
        lines.append(f"P1,a34013,{stamp},{dust:.3f},N")
        lines.append(f"P1,a19001,{stamp},{7.0 + 0.5 * math.sin(i / 5.0) + 0.003 * (i % 7):.3f},N")
        lines.append(f"P1,a00000,{stamp},{250.0 + 20.0 * math.sin(i / 9.0) + 0.1 * (i % 5):.3f},N")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def overlaps(finding: dict, start: datetime, end: datetime) -> bool:
    f0 = datetime.fromisoformat(finding["start"].replace("Z", "+00:00"))
    f1 = datetime.fromisoformat(finding["end"].replace("Z", "+00:00"))
    return f0 <= end and f1 >= start


@pytest.mark.parametrize("step_minutes", [60, 1], ids=["hourly", "minute"])
def test_constant_run_gives_a_constant_finding(tmp_path, step_minutes):
    constant_codes = codes_of_family("constant")
    assert constant_codes, "no constant-value detector registered"
    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=step_minutes, hours=48, stuck=range(20, 30))
    result = invoke("detect", "--input", str(data), "--output", str(out))
    assert result.exit_code == 0, result.output
    findings = read_jsonl(out)
    for f in findings:
        assert set(f) == {"code", "severity", "kind", "point", "factor", "start", "end", "explanation",
                          "corroborated_by", "evidence", "detected_at"}
    stuck = [f for f in findings if f["code"] in constant_codes and "a34013" in f["factor"].split(",")]
    assert stuck, findings
    assert stuck[0]["point"] == "P1"
    # the stuck hours, 20:00–06:00 local (UTC+8) = 12:00–22:00 UTC
    assert overlaps(stuck[0], T0 + timedelta(hours=20), T0 + timedelta(hours=30))
    assert not any(
        f["code"] in constant_codes and not overlaps(f, T0 + timedelta(hours=20), T0 + timedelta(hours=30))
        for f in findings
    )


def test_a_file_the_columnar_reader_declines_gives_the_same_findings(tmp_path):
    """The command reads the data's columns in a thread while it imports the detectors; a file that path
    declines (here every point quoted) is read row by row afterwards, with the same findings."""
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    write_gas_csv(plain, step_minutes=1, hours=30, stuck=range(20, 26))
    quoted.write_text(plain.read_text(encoding="utf-8").replace("\nP1,", '\n"P1",'), encoding="utf-8")
    outs = []
    for data in (plain, quoted):
        outs.append(tmp_path / f"{data.stem}.jsonl")
        result = invoke("detect", "--input", str(data), "--output", str(outs[-1]))
        assert result.exit_code == 0, result.output
    assert read_jsonl(outs[0]) and read_jsonl(outs[0]) == read_jsonl(outs[1])


def test_skip_garbage_search_at_exit_registers_one_hook(monkeypatch):
    """However often the command runs in one process (the tests), the shutdown freezes the heap once."""
    import atexit
    import gc

    from ecosentry.subsystems.monitoring.cli.detect import skip_garbage_search_at_exit

    hooks: list = []
    monkeypatch.setattr(atexit, "register", hooks.append)
    monkeypatch.setattr(atexit, "unregister", lambda f: hooks.remove(f) if f in hooks else None)
    skip_garbage_search_at_exit()
    skip_garbage_search_at_exit()
    assert hooks == [gc.freeze]


def test_only_restricts_the_codes(tmp_path):
    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=60, hours=48, stuck=range(20, 30))
    code = codes_of_family("constant")[0]
    result = invoke("detect", "--input", str(data), "--output", str(out), "--only", code)
    assert result.exit_code == 0, result.output
    findings = read_jsonl(out)
    assert findings and {f["code"] for f in findings} == {code}


def test_only_with_an_unknown_code_is_exit_2(tmp_path):
    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=60, hours=10, stuck=range(0))
    result = invoke("detect", "--input", str(data), "--output", str(out), "--only", "DET-NO-SUCH-CODE")
    assert result.exit_code == 2
    assert "DET-NO-SUCH-CODE" in result.output
    assert not out.exists()


def test_nab_format_runs_exactly_the_detectors_bench_nab_scores(tmp_path):
    """A NAB-style 5-minute series with a flat stretch of 6 h and 2 h of negative values: the national rules
    (constant value, negative value) judge HJ 212 pollutant records, not an anonymous NAB series, and are not
    run on it (issue 13: they cost the NAB score); the statistical detector sees the drop, at the row where
    the data showed it (``detected_at``), in the file's own clock (NAB timestamps carry no zone)."""
    data, out = tmp_path / "machine_temp.csv", tmp_path / "findings.jsonl"
    rows = ["timestamp,value"]
    t = datetime(2014, 3, 1, 0, 0)
    flat = range(1200, 1272)  # 72 five-minute values = 6 h
    for i in range(2016):  # one week
        if i in flat:
            v = 42.0
        elif 1704 <= i < 1728:
            v = -3.0 - 0.01 * (i % 3)
        else:
            v = 40.0 + 5.0 * math.sin(2 * math.pi * i / 288) + 0.37 * ((i * 7919) % 11 - 5)
        rows.append(f"{(t + timedelta(minutes=5 * i)).strftime('%Y-%m-%d %H:%M:%S')},{v:.3f}")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--format", "nab", "--output", str(out))  # no --tz
    assert result.exit_code == 0, result.output
    findings = read_jsonl(out)
    specs = all_detectors()
    allowed = {code for name in NAB_DETECTORS for code in specs[name].codes}
    assert NAB_DETECTORS == ("statistical",)
    assert findings and {f["code"] for f in findings} <= allowed, findings
    assert all(f["point"] == "machine_temp" and f["factor"] == "value" for f in findings)
    drop = t.replace(tzinfo=timezone.utc) + timedelta(minutes=5 * 1704)  # the file's time, read as UTC
    at_drop = [f for f in findings if f["detected_at"] == drop.isoformat().replace("+00:00", "Z")]
    assert at_drop and at_drop[0]["code"] == "DET-STAT-SPIKE", findings
    assert all(f["start"] <= f["detected_at"] <= f["end"] for f in findings)


def test_nab_format_refuses_a_code_no_nab_detector_emits(tmp_path):
    data, out = tmp_path / "series.csv", tmp_path / "findings.jsonl"
    data.write_text("timestamp,value\n2014-03-01 00:00:00,1\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--format", "nab", "--only", "DET-NEGATIVE", "--output", str(out))
    assert result.exit_code == 2 and "DET-NEGATIVE" in result.output


def test_bad_time_is_exit_2_naming_file_and_line(tmp_path):
    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    data.write_text(
        "point,factor,time,value\n"
        "P1,a34013,2026-10-01T00:00:00+08:00,5.1\n"
        "P1,a34013,2026-10-01T01:00:00+08:00,5.2\n"
        "P1,a34013,yesterday noon,5.3\n",
        encoding="utf-8",
    )
    result = invoke("detect", "--input", str(data), "--output", str(out))
    assert result.exit_code == 2
    assert f"{data}, line 4" in result.output
    assert "bad time" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_limit_is_exit_2_naming_the_limits_file(tmp_path):
    data, limits, out = tmp_path / "data.csv", tmp_path / "limits.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=60, hours=10, stuck=range(0))
    limits.write_text("point,factor,kind,limit\nP1,a34013,hour,10\nP1,a21026,week,35\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--limits", str(limits), "--output", str(out))
    assert result.exit_code == 2
    assert f"{limits}, line 3" in result.output and "week" in result.output
    assert not out.exists()


def test_missing_column_in_nab_file_is_exit_2(tmp_path):
    data, out = tmp_path / "series.csv", tmp_path / "findings.jsonl"
    data.write_text("time,val\n2014-03-01 00:00:00,1\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--format", "nab", "--output", str(out))
    assert result.exit_code == 2
    assert f"{data}, line 1" in result.output and "timestamp" in result.output


def test_point_only_in_master_data_is_reported_without_data(tmp_path):
    """A point named in limits.csv but absent from the data is still examined (no-data detectors)."""
    data, limits, out = tmp_path / "data.csv", tmp_path / "limits.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=60, hours=24, stuck=range(0))
    limits.write_text("point,factor,kind,limit\nP1,a34013,hour,10\nP2,a34013,hour,10\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--limits", str(limits), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "2 point(s)" in result.output
    no_data = codes_of_family("no_data")
    if no_data:  # the national rule 联网异常 is registered
        assert any(f["point"] == "P2" and f["code"] in no_data for f in read_jsonl(out))


#: Libraries of the server, the database and the reports: ``ecosentry detect`` (an offline command) must not pay
#: for importing them (issue 13 item 3: start-up is part of the command's time).
HEAVY_FOR_DETECT = ("sqlalchemy", "asyncpg", "pydantic_settings", "plotly", "matplotlib", "reportlab", "fastapi",
                    "starlette", "jinja2", "pandas", "asyncio", "ssl",
                    # the other commands' rules, simulators and parsers: imported when their command runs
                    "ecosentry.subsystems.monitoring.offline.compute", "ecosentry.subsystems.power.check",
                    "ecosentry.subsystems.gates.bench", "ecosentry.subsystems.park.bench",
                    "ecosentry.subsystems.om.bench", "ecosentry.fuzzing", "ecosentry.protocols.hj212")


def test_detect_as_a_whole_process_imports_no_server_library(tmp_path):
    import subprocess
    import sys

    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    write_gas_csv(data, step_minutes=60, hours=48, stuck=range(20, 30))
    probe = ("import runpy, sys\n"
             "sys.argv = ['ecosentry', 'detect', '--input', sys.argv[1], '--output', sys.argv[2]]\n"
             "try:\n"
             "    runpy.run_module('ecosentry', run_name='__main__')\n"
             "except SystemExit as exc:\n"
             "    assert not exc.code, exc.code\n"
             f"print(sorted(m for m in {HEAVY_FOR_DETECT!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe, str(data), str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
    assert read_jsonl(out), "the run found nothing: the probe did not run detect"


def test_keep_freed_memory_is_taken_by_glibc():
    """The allocator settings of ``ecosentry detect`` are accepted (glibc on Linux) or skipped elsewhere."""
    import platform
    import sys

    from ecosentry.subsystems.monitoring.cli.detect import keep_freed_memory

    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected


@pytest.mark.parametrize("lang, said, summary", [
    ("zh", "错误：{data} 第 3 行：时间 'yesterday noon' 有误（应为 ISO 8601）", "个监测点，"),
    ("vi", "Lỗi: {data}, dòng 3: thời gian 'yesterday noon' không hợp lệ (cần ISO 8601)", "điểm, "),
    ("en", "error: {data}, line 3: bad time 'yesterday noon' (ISO 8601 expected)", "point(s), "),
])
def test_detect_speaks_the_terminals_language(tmp_path, monkeypatch, lang, said, summary):
    monkeypatch.setenv("LANGUAGE", lang)
    data, out = tmp_path / "data.csv", tmp_path / "findings.jsonl"
    data.write_text("point,factor,time,value\nP1,a34013,2026-10-01T00:00:00+08:00,5.1\n"
                    "P1,a34013,2026-10-01T01:00:00+08:00,5.2\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--output", str(out))
    assert result.exit_code == 0 and summary in result.output, result.output
    data.write_text("point,factor,time,value\nP1,a34013,2026-10-01T00:00:00+08:00,5.1\n"
                    "P1,a34013,yesterday noon,5.3\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--output", str(tmp_path / "again.jsonl"))
    assert result.exit_code == 2 and said.format(data=data) in result.output, result.output


def write_ammonia_csv(path, *, hours: int = 24 * 8) -> None:
    """A wastewater point: hourly NH3-N (w21003) at 0.02–0.05 mg/L for ``hours``, the flow running."""
    lines = ["point,factor,time,value,flag"]
    for i in range(hours):
        stamp = (T0 + timedelta(hours=i)).isoformat()
        lines.append(f"W1,w21003,{stamp},{0.02 + 0.03 * ((i * 7) % 11) / 10:.3f},N")
        lines.append(f"W1,w00000,{stamp},{40.0 + 5.0 * math.sin(i / 3.0):.2f},N")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_ranges_files_detection_limit_column_feeds_the_detection_limit_rule(tmp_path):
    """A week and a day of NH3-N at 0.02–0.05 mg/L: with the 0.025 mg/L method detection limit (HJ 535-2009) in
    the ranges file, DET-AT-DETECTION-LIMIT; an old ranges file (four columns) still reads, without it."""
    data, ranges, out = tmp_path / "data.csv", tmp_path / "ranges.csv", tmp_path / "findings.jsonl"
    write_ammonia_csv(data)
    ranges.write_text("point,factor,low,high\nW1,w21003,0,20\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--ranges", str(ranges), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert [f for f in read_jsonl(out) if f["code"] == "DET-AT-DETECTION-LIMIT"] == []

    # the column by its header name, anywhere; a row without a value gives none
    ranges.write_text("point,factor,detection_limit,low,high\nW1,w21003,0.025,0,20\nW1,w00000,,0,200\n",
                      encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--ranges", str(ranges), "--output", str(out))
    assert result.exit_code == 0, result.output
    [f] = [f for f in read_jsonl(out) if f["code"] == "DET-AT-DETECTION-LIMIT"]
    assert (f["point"], f["factor"]) == ("W1", "w21003")
    assert f["evidence"]["detection_limit"] == 0.025 and f["evidence"]["hours"] == 192
    assert "0.025 mg/L method detection limit" in f["explanation"]


@pytest.mark.parametrize("row, said", [
    ("W1,w21003,0,20,0", "{ranges}, line 2: detection_limit 0 is not above 0"),
    ("W1,w21003,0,20,20", "{ranges}, line 2: detection_limit 20 is not below high 20"),
    ("W1,w21003,0,20,low", "{ranges}, line 2"),
], ids=["zero", "at-high", "not-a-number"])
def test_a_bad_detection_limit_is_exit_2_naming_the_ranges_file(tmp_path, row, said):
    data, ranges, out = tmp_path / "data.csv", tmp_path / "ranges.csv", tmp_path / "findings.jsonl"
    write_ammonia_csv(data, hours=4)
    ranges.write_text(f"point,factor,low,high,detection_limit\n{row}\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--ranges", str(ranges), "--output", str(out))
    assert result.exit_code == 2 and said.format(ranges=ranges) in result.output, result.output
    assert not out.exists()


def test_a_bad_detection_limit_is_said_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "zh")
    data, ranges, out = tmp_path / "data.csv", tmp_path / "ranges.csv", tmp_path / "findings.jsonl"
    write_ammonia_csv(data, hours=4)
    ranges.write_text("point,factor,low,high,detection_limit\nW1,w21003,0,20,25\n", encoding="utf-8")
    result = invoke("detect", "--input", str(data), "--ranges", str(ranges), "--output", str(out))
    assert result.exit_code == 2
    assert f"{ranges} 第 2 行：检出限 detection_limit 25 不低于量程上限 high 20" in result.output, result.output


def test_detect_help_names_the_detection_limit_column():
    result = invoke("detect", "--help")
    assert result.exit_code == 0 and "detection_limit" in result.output


@pytest.mark.parametrize("lang, args, said", [
    ("zh", ["--format", "csv"], "--format 只能是 long 或 nab，不能是 'csv'"),
    ("vi", ["--tz", "Mars/Olympus"], "múi giờ không xác định 'Mars/Olympus'"),
    ("zh", ["--limits", "nowhere.csv"], "--limits：文件 'nowhere.csv' 不存在"),
    ("vi", ["--only", "DET-NOPE"], "mã bộ phát hiện không xác định DET-NOPE; các mã đã biết: DET-"),
    ("zh", ["--output", "no/such/folder/out.jsonl"], "'no/such/folder/out.jsonl' 所在的文件夹不存在"),
])
def test_detect_refuses_its_options_in_the_terminals_language(tmp_path, monkeypatch, lang, args, said):
    monkeypatch.setenv("LANGUAGE", lang)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("point,factor,time,value\nP1,a21026,2026-10-01T00:00:00+08:00,1\n")
    base = {"--input": "data.csv", "--output": "out.jsonl"}
    base.update(dict(zip(args[::2], args[1::2])))
    r = runner.invoke(cli.app, ["detect", *[w for kv in base.items() for w in kv]])
    assert r.exit_code == 2
    assert said in r.output and "must be" not in r.output and "unknown" not in r.output


def test_simulate_inject_refuses_an_unknown_class_in_the_terminals_language(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "zh")
    r = runner.invoke(cli.app, ["simulate-inject", "--out", str(tmp_path / "set"), "--inject", "teleport"])
    assert r.exit_code == 2 and "未知的故障类别 teleport；已知类别：all、" in r.output
