"""The gate subsystem as a whole: its manifest and catalogue, its words in zh and vi, all checks over simulated
enterprises (the benchmark's measures) and ``ecosentry bench gate``; it imports no other subsystem."""

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
from ecosentry.subsystems.gates import SUBSYSTEM
from ecosentry.subsystems.gates.bench import run_bench
from ecosentry.subsystems.gates.check import check_dataset
from ecosentry.subsystems.gates.rules.checks import FINDING_CODES
from ecosentry.subsystems.gates.simulate import VIOLATIONS, simulate_enterprise

PACKAGE = Path(importlib.import_module("ecosentry.subsystems.gates").__file__).parent
SRC = PACKAGE.parents[2]


def msgids() -> list[str]:
    out = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "N_":
                out.append(n.args[0].value)
    return out


def test_manifest_names_its_parts():
    assert SUBSYSTEM.name == "gates" and SUBSYSTEM.title == "Gates and vehicle ledger"
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    for code in FINDING_CODES:
        rule = get(code)
        assert code.startswith("VEH-") and rule.severity in ("info", "warning", "critical") and rule.tag
        assert "§" in rule.source or "GB 16735" in rule.source or "GA 36" in rule.source, code
    assert get("VEH-ALERT-STAGE").severity == "critical" and get("VEH-GATE-DECISION").severity is None
    module, attr = SUBSYSTEM.cli.split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    module, attr = SUBSYSTEM.settings["gates"].split(":")
    settings = getattr(importlib.import_module(module), attr)()
    assert settings.checks.small_volume_limit == 10 and settings.grades.of("B").share_min == 0.8
    assert settings.checks.inspection.windows_min == 2 and settings.checks.inspection.window_minutes_max == 10


def test_it_imports_no_other_subsystem():
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else (
                [n.module or ""] if isinstance(n, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith("ecosentry.subsystems.") or name.startswith("ecosentry.subsystems.gates"), p


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_sentence_and_summary_is_translated_with_the_same_parameters(lang):
    catalog = subsystem_catalogue(PACKAGE, lang)
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    for msgid in msgids() + [get(c).summary for c in FINDING_CODES + ("VEH-GATE-DECISION", "VEH-DAILY-INDICATORS")]:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"{lang}: {msgid!r} untranslated"
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_a_finding_said_in_chinese_and_vietnamese():
    sim = simulate_enterprise(4, 4, days=7, grade="B", level="orange", violations=("alert_stage",))
    [f] = [f for f in check_dataset(sim.dataset()) if f.code == "VEH-ALERT-STAGE"]
    for lang, words in (("zh", ("国三", "橙色", "国五")), ("vi", ("Quốc III", "cam", "Quốc V"))):
        with open(PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            catalog = read_po(fh)
        said = f.say(lambda m: catalog.get(m).string)
        assert all(w in said for w in words) and f.params["time"] in said, said
    assert f.as_dict()["explanation"] == f.explanation and f.as_dict()["severity"] == "critical"


def test_every_violation_is_found_and_honest_enterprises_stay_clean():
    for grade in ("A", "B", "C"):
        sim = simulate_enterprise(5, 7, days=10, grade=grade, level="red", exempt=True,
                                  violations=tuple(v for v in VIOLATIONS if v != "share" or grade == "B"))
        found = {f.code for f in check_dataset(sim.dataset())}
        assert {i.code for i in sim.injected} <= found, grade
    for grade in ("leading", "A", "B", "B-", "C", "D"):
        assert check_dataset(simulate_enterprise(6, 8, days=10, grade=grade, level="orange").dataset()) == []


def test_the_benchmark_on_a_small_fleet():
    res = run_bench(seed=3, honest=12, violating=12, days=7)
    summary = res.summary()
    assert summary["honest_enterprise_days"] == 84 and summary["honest_findings_per_enterprise_day"] == 0
    for row in summary["codes"]:
        if row["injected"]:
            assert row["recall"] >= 0.9, row
        if row["findings"]:
            assert row["precision"] >= 0.9, row
    assert res.passages > 0 and res.passages_per_s > 0


@pytest.mark.slow
def test_ecosentry_bench_gate_command():
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.gates"}
    out = subprocess.run([sys.executable, "-m", "ecosentry", "bench", "gate", "--honest", "3", "--violating", "6",
                          "--days", "3", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["enterprises"] == 9 and got["passages_per_s"] > 0 and got["codes"]


def test_the_direction_is_said_in_the_readers_language():
    sim = simulate_enterprise(4, 5, days=7, grade="A", violations=("no_ledger",))
    [f] = [f for f in check_dataset(sim.dataset()) if f.code == "VEH-PASSAGE-NO-LEDGER"]
    with open(PACKAGE / "locale" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    assert "（进）" in f.say(lambda m: catalog.get(m).string) and "(in)" in f.explanation


def test_bench_gate_prints_in_the_terminals_language():
    from typer.testing import CliRunner

    from ecosentry.cli import app

    result = CliRunner().invoke(app, ["bench", "gate", "--honest", "2", "--violating", "2", "--days", "2"],
                                env={"LANGUAGE": "zh", "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 0, result.output
    assert "家企业" in result.output and "条通行记录" in result.output and "passages" not in result.output
    assert "代码" in result.output and "召回率" in result.output and "VEH-" in result.output
