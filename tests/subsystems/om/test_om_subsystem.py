"""The O&M subsystem as a whole: its manifest and catalogue, its words in zh and vi, all checks over simulated
stations (the benchmark's measures) and ``ecosentry bench ops``; it imports no other subsystem."""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from i18n_kit import subsystem_catalogue

from ecosentry.contracts.catalogue import get
from ecosentry.subsystems.om import SUBSYSTEM
from ecosentry.subsystems.om.bench import run_bench
from ecosentry.subsystems.om.check import check_dataset
from ecosentry.subsystems.om.rules import calibration, consistency, deadlines
from ecosentry.subsystems.om.simulate import VIOLATIONS, simulate_station

PACKAGE = Path(importlib.import_module("ecosentry.subsystems.om").__file__).parent
SRC = PACKAGE.parents[2]
FINDING_CODES = deadlines.CODES + calibration.CODES + consistency.CODES


def msgids() -> list[str]:
    out = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("N_", "TransitionRefused") and n.args \
                    and isinstance(n.args[0], ast.Constant):
                out.append(n.args[0].value)
    return out


def catalog(lang: str):
    return subsystem_catalogue(PACKAGE, lang)


def test_manifest_names_its_parts_and_every_code_is_catalogued():
    assert SUBSYSTEM.name == "om" and SUBSYSTEM.title == "Operation and maintenance"
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    for code in FINDING_CODES:
        rule = get(code)
        assert code.startswith("OM-") and rule.severity in ("info", "warning", "critical") and rule.tag, code
        assert "§" in rule.source or "issue 18" in rule.source, code
    for code in ("OM-WO-STATE", "OM-SCORE", "OM-GRADE", "OM-HOUR-VALIDITY"):
        assert get(code).severity is None
    module, attr = SUBSYSTEM.settings["om"].split(":")
    settings = getattr(importlib.import_module(module), attr)()
    assert settings.deadlines.report_hours == 12 and settings.deadlines.restore_working_days == 5
    assert settings.calibration.allowed_drift["gas"].span == 2.5 and settings.assessment.grade_good == 75


def test_it_imports_no_other_subsystem():
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else (
                [n.module or ""] if isinstance(n, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith("ecosentry.subsystems.") or name.startswith("ecosentry.subsystems.om"), p


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_sentence_and_summary_is_translated_with_the_same_parameters(lang):
    cat = catalog(lang)
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    codes = FINDING_CODES + ("OM-WO-STATE", "OM-SCORE", "OM-GRADE", "OM-HOUR-VALIDITY")
    for msgid in msgids() + [SUBSYSTEM.title] + [get(c).summary for c in codes]:
        message = cat.get(msgid)
        assert message is not None and message.string, f"{lang}: {msgid!r} untranslated"
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_a_finding_said_in_chinese_and_vietnamese():
    sim = simulate_station(4, 1, violations=("overdue_order",))
    [f] = [f for f in check_dataset(sim.dataset(), now=sim.end) if f.code == "OM-WO-OVERDUE"]
    for lang, word in (("zh", "设备故障"), ("vi", "sự cố thiết bị")):
        cat = catalog(lang)
        said = f.say(lambda m: cat.get(m).string)
        assert word in said and f.params["deadline"] in said and f.params["order"] in said, said


def test_every_violation_is_found_and_honest_stations_stay_clean():
    for i in range(6):
        sim = simulate_station(7, i, days=42)
        assert check_dataset(sim.dataset(), now=sim.end) == [], i
    names = list(VIOLATIONS)
    for i in range(0, len(names), 3):
        sim = simulate_station(7, 100 + i, days=42, violations=tuple(names[i:i + 3]))
        found = {f.code for f in check_dataset(sim.dataset(), now=sim.end)}
        for inj in sim.injected:
            assert set(inj.codes) <= found, inj
        assert {inj.violation for inj in sim.injected} == set(names[i:i + 3])


def test_the_benchmark_on_a_small_fleet():
    res = run_bench(seed=3, honest=8, violating=12, days=28)
    summary = res.summary()
    assert summary["honest_station_days"] == 8 * 28 and summary["honest_findings_per_station_day"] == 0
    for row in summary["codes"]:
        if row["injected"]:
            assert row["recall"] >= 0.9, row
        if row["findings"]:
            assert row["precision"] >= 0.9, row
    assert res.records > 0 and res.records_per_s > 0


@pytest.mark.slow
def test_ecosentry_bench_ops_command():
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.om"}
    out = subprocess.run([sys.executable, "-m", "ecosentry", "bench", "ops", "--honest", "3", "--violating", "6",
                          "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["stations"] == 9 and got["records_per_s"] > 0 and got["codes"]


@pytest.mark.parametrize("lang, name, sentence", [
    ("zh", "二氧化硫", "失控"), ("vi", "Lưu huỳnh đioxit (SO2)", "mất kiểm soát")])
def test_the_factor_is_named_in_the_readers_language_by_the_cores_catalogue(lang, name, sentence):
    """A factor travels as its HJ 212 English name; the core's catalogue (which wins on a shared msgid) names it."""
    sim = simulate_station(5, 0, violations=("cal_fail",))   # seeded: the SO2 analyser fails
    f = next(f for f in check_dataset(sim.dataset(), now=sim.end) if f.code == "OM-CAL-OUT-OF-CONTROL")
    with open(SRC / "ecosentry" / "web" / "locale" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        core = read_po(fh)
    mine = catalog(lang)

    def gettext(m):
        entry = core.get(m) if core.get(m) is not None and core.get(m).string else mine.get(m)
        return entry.string

    said = f.say(gettext)
    assert f.evidence["factor"] == "a21026" and name in said and sentence in said, said
    assert "a21026" not in said and "Sulphur dioxide (SO2)" in f.explanation


def test_bench_ops_prints_in_the_terminals_language():
    from typer.testing import CliRunner

    from ecosentry.cli import app

    result = CliRunner().invoke(app, ["bench", "ops", "--honest", "2", "--violating", "2"],
                                env={"LANGUAGE": "vi", "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "trạm" in lines[0] and "bản ghi/giây" in lines[0] and "records" not in lines[0]
    assert lines[1].split()[:3] == ["mã", "đưa", "vào"] and "độ phủ" in lines[1] and "OM-CAL-FAIL" in result.output
