"""The rule catalogue: stable codes, sorted, and every code the CN rule modules emit is catalogued."""

import re
from pathlib import Path

import pytest

import ecosentry.subsystems.monitoring.rules.cn.substitution as substitution
from ecosentry.contracts.catalogue import RULES, Rule, catalogue, get, register, rule

SRC = Path(substitution.__file__).resolve().parent


def test_catalogue_sorted_and_contains_required_codes():
    codes = [r.code for r in catalogue()]
    assert codes == sorted(codes)
    for code in (
        "CN-HOUR-45MIN", "CN-DAY-20H", "CN-MONTH-25D", "CN-FLAG-ROLLUP",
        "CN-RATE-TRANS", "CN-RATE-EFFE", "CN-RATE-EFFE-TRANS", "CN-RATE-EXEMPT-STDSAMPLE",
        "CN-EXC-GAS-HOUR", "CN-EXC-WATER-DAY", "CN-EXC-NOT-JUDGED-INVALID",
        "CN-SUB-CAPTURE-RATE", "CN-SUB-GAS-OOC-180", "CN-SUB-GAS-GAP-2160", "CN-SUB-WATER-PH-MEDIAN",
    ):
        assert code in codes
    assert get("CN-HOUR-45MIN").module == "ecosentry.subsystems.monitoring.rules.cn.hourly"
    assert get("CN-DAY-20H").module == "ecosentry.subsystems.monitoring.rules.cn.aggregates"


def test_every_entry_is_complete():
    for r in catalogue():
        assert r.summary and r.source and r.module.startswith(("ecosentry.subsystems.", "ecosentry.alarms."))
        assert r.severity in (None, "info", "warning", "critical")


def test_codes_emitted_by_substitution_are_catalogued():
    # Every literal rule code in substitution.py (including f-string families) is in the catalogue.
    text = (SRC / "substitution.py").read_text(encoding="utf-8")
    literal = set(re.findall(r'"(CN-[A-Z0-9-]+)"', text))
    assert literal and literal <= set(RULES)
    families = {f"CN-SUB-GAS-{fam}-{h}" for fam in ("OOC", "GAP") for h in (180, 720, 2160)}
    assert families <= set(RULES)


def test_register_and_decorator():
    @rule(code="TEST-CATALOGUE-X", severity="info", summary="s", source="src")
    def checker():
        return 1

    try:
        assert checker.rule_code == "TEST-CATALOGUE-X"
        assert get("TEST-CATALOGUE-X").module.endswith("checker")
        register(get("TEST-CATALOGUE-X"))  # identical re-registration is fine
        with pytest.raises(ValueError, match="already registered"):
            register(Rule("TEST-CATALOGUE-X", None, "other", "src", "m"))
    finally:
        RULES.pop("TEST-CATALOGUE-X", None)
    with pytest.raises(ValueError):
        Rule("CN-X", "fatal", "s", "src", "m")
    with pytest.raises(ValueError):
        Rule("cn-lower", None, "s", "src", "m")
