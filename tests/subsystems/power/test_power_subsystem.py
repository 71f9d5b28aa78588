"""The power subsystem as a whole: its manifest and catalogue, its words in zh and vi, all rules over simulated
enterprises (the benchmark's measures) and ``ecosentry bench power``."""

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
from ecosentry.subsystems.power import SUBSYSTEM
from ecosentry.subsystems.power.bench import run_bench
from ecosentry.subsystems.power.check import check_enterprise
from ecosentry.subsystems.power.simulate import simulate_enterprise

PACKAGE = Path(importlib.import_module("ecosentry.subsystems.power").__file__).parent
SRC = PACKAGE.parents[2]
FINDING_CODES = ("PWR-TREAT-OFF", "PWR-START-ORDER", "PWR-STOP-ORDER", "PWR-TREAT-LOW-LOAD", "PWR-METER-OFFLINE",
                 "PWR-ZERO-ALL-PHASES", "PWR-CT-RATIO-CHANGE", "PWR-ORDER-STOP-RUNNING", "PWR-ORDER-LIMIT-EXCEEDED")


def msgids() -> list[str]:
    out = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "N_":
                out.append(n.args[0].value)
    return out


def test_manifest_names_its_parts():
    assert SUBSYSTEM.name == "power" and SUBSYSTEM.title == "Electricity monitoring"
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    for code in FINDING_CODES:
        rule = get(code)
        assert rule.severity in ("warning", "critical") and "subsystems.md §" in rule.source and rule.tag
    assert get("PWR-TREAT-OFF").severity == "critical" and get("PWR-STATE").severity is None
    module, attr = SUBSYSTEM.cli.split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    module, attr = SUBSYSTEM.settings["power"].split(":")
    settings = getattr(importlib.import_module(module), attr)()
    assert settings.linkage.grace_minutes == 5 and settings.orders.baseline_days == 30
    assert settings.thresholds.dwell == 3 and settings.linkage.low_share == 0.30


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_sentence_and_summary_is_translated_with_the_same_parameters(lang):
    catalog = subsystem_catalogue(PACKAGE, lang)
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    wanted = msgids() + [get(c).summary for c in FINDING_CODES + ("PWR-STATE", "PWR-THRESHOLD-LEARNED",
                                                                   "PWR-LOAD-SHARE", "PWR-BASELINE")]
    for msgid in wanted:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"{lang}: {msgid!r} untranslated"
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_a_finding_said_in_chinese_and_vietnamese():
    sim = simulate_enterprise(4, "E4", days=3, schedule="day", violations=("treat_off",))
    [f] = [f for f in check_enterprise(sim.enterprise, sim.readings, orders=sim.orders).findings
           if f.code == "PWR-TREAT-OFF"]
    for lang, word in (("zh", "停运"), ("vi", "Thiết bị xử lý")):
        with open(PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            catalog = read_po(fh)
        said = f.say(lambda m: catalog.get(m).string)
        assert word in said and f.params["start"] in said
    assert f.as_dict()["explanation"] == f.explanation and f.as_dict()["severity"] == "critical"


def test_the_benchmark_on_a_small_fleet():
    res = run_bench(seed=3, honest=12, violating=16, days=7)
    summary = res.summary()
    assert summary["honest_enterprise_days"] > 40
    assert summary["honest_findings_per_enterprise_day"] <= 0.05
    rows = {r["code"]: r for r in summary["codes"]}
    for code, row in rows.items():
        if row["injected"]:
            assert row["recall"] >= 0.9, row
        if row["findings"]:
            assert row["precision"] >= 0.9, row
    for code in ("PWR-TREAT-OFF", "PWR-START-ORDER", "PWR-STOP-ORDER", "PWR-ORDER-STOP-RUNNING"):
        if code in rows and rows[code]["delay_max_min"] is not None:
            assert rows[code]["delay_max_min"] <= 2, rows[code]  # §7 item 3: an alarm within 2 minutes
    assert res.readings > 0 and res.readings_per_s > 0


@pytest.mark.slow
def test_ecosentry_bench_power_command():
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.power"}
    out = subprocess.run([sys.executable, "-m", "ecosentry", "bench", "power", "--honest", "4", "--violating", "4",
                          "--days", "3", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["enterprises"] == 8 and got["readings_per_s"] > 0
    assert {r["code"] for r in got["codes"]} & {"PWR-TREAT-OFF", "PWR-START-ORDER", "PWR-TREAT-LOW-LOAD"}
