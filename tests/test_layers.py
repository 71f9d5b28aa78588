"""Layers point downwards (issue 12 item 5, DESIGN.md §3): the import-linter contracts of pyproject.toml
(``[tool.importlinter]``) hold, they cover every module of the core and every subsystem folder, and they do
fail on an upward import, on a core module importing a subsystem and on a loop."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ecosentry

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = Path(ecosentry.__file__).resolve().parent


def contracts() -> dict[str, dict]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def lint_imports(src: Path, config: Path = PYPROJECT) -> subprocess.CompletedProcess:
    """``lint-imports`` of the tree under ``src`` in a fresh interpreter (no cache written into the tree)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--config", str(config), "--no-cache", "--no-logo"],
                          capture_output=True, text=True, env=env, cwd=src, timeout=120)


def core_modules() -> set[str]:
    """The top-level modules and packages of ecosentry, the subsystems excepted."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return {f"ecosentry.{n}" for n in names - {"subsystems"}}


def test_the_contracts_are_kept():
    result = lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_core_module_is_in_a_layer_and_may_not_import_a_subsystem():
    c = contracts()
    layered = {m.strip() for layer in c["core-layers"]["layers"] for m in layer.split("|")}
    assert layered == core_modules()
    assert set(c["core-without-subsystems"]["source_modules"]) == core_modules()
    assert c["core-without-subsystems"]["forbidden_modules"] == ["ecosentry.subsystems"]


def test_every_subsystem_folder_is_independent_of_the_others():
    [expression] = contracts()["subsystems-independent"]["modules"]
    pattern = re.compile("^" + re.escape(expression).replace(r"\*", r"[^.]+") + "$")
    folders = [p.parent.name for p in (PACKAGE / "subsystems").glob("*/__init__.py")]
    assert "monitoring" in folders
    assert all(pattern.match(f"ecosentry.subsystems.{name}") for name in folders)


@pytest.mark.parametrize("module, line, broken", [
    ("store/audit.py", "from ecosentry.web import i18n", "The core's layers point downwards"),
    ("pipeline/spool.py", "import ecosentry.subsystems.monitoring", "The core never imports a subsystem"),
    ("protocols/hj212/crc.py", "from ecosentry.protocols.hj212 import stream", "No import loops"),
    ("said.py", "def _hidden():\n    from ecosentry.store import schema", "The core's layers point downwards"),
])
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, broken):
    """The check is not vacuous: one upward import (also inside a function), a core module importing a
    subsystem, or a loop, added to a copy of the tree, breaks the contract that forbids it."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "ecosentry", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    target = src / "ecosentry" / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + line + "\n", encoding="utf-8")
    result = lint_imports(src)
    assert result.returncode != 0
    assert any(line.startswith(broken) and line.rstrip().endswith(("BROKEN", ")")) and "BROKEN" in line
               for line in result.stdout.splitlines()), result.stdout
