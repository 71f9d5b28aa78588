"""The park subsystem as a whole: its manifest, catalogue and settings, its words in zh and vi with the same
parameters, and no import of another subsystem."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from i18n_kit import subsystem_catalogue

from ecosentry.contracts.catalogue import get
from ecosentry.installed import INSTALLED
from ecosentry.subsystems.park import SUBSYSTEM
from ecosentry.subsystems.park.substances import SUBSTANCES

PACKAGE = Path(importlib.import_module("ecosentry.subsystems.park").__file__).parent
CODES = ("PARK-ATTENTION", "PARK-LEVEL-I", "PARK-LEVEL-II", "PARK-LEVEL-III", "PARK-TRACEBACK")


def msgids() -> list[str]:
    out = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "N_":
                out.append(n.args[0].value)
    return out


def test_manifest_names_its_parts_and_is_installed():
    assert SUBSYSTEM.name == "park" and SUBSYSTEM.title == "Chemical park early warning"
    assert "ecosentry.subsystems.park" in INSTALLED
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    severities = [get(c).severity for c in CODES]
    assert severities == ["info", "warning", "critical", "critical", None]
    module, attr = SUBSYSTEM.cli.split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    module, attr = SUBSYSTEM.settings["park"].split(":")
    settings = getattr(importlib.import_module(module), attr)()
    assert settings.warnings.attention_multiple == 2.0 and settings.traceback.sector_half_angle_deg == 22.5
    assert set(SUBSTANCES) == {"Cl2", "NH3", "H2S", "HCl", "HCN", "COCl2", "C6H6"}


def test_it_imports_no_other_subsystem():
    for p in sorted(PACKAGE.rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else (
                [n.module or ""] if isinstance(n, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith("ecosentry.subsystems.") or name.startswith("ecosentry.subsystems.park"), p


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_sentence_and_summary_is_translated_with_the_same_parameters(lang):
    catalog = subsystem_catalogue(PACKAGE, lang)
    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    ids = msgids() + [get(c).summary for c in CODES]
    assert len(ids) > 20
    for msgid in ids:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"{lang}: {msgid!r} untranslated"
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid
