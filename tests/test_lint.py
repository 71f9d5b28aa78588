"""Hygiene: ruff (pyflakes and syntax rules) on src/ and mypy on the core contracts run with the tests, so an
unused import or a wrong type in a contract fails here, not in review. The rules and the file list are in
pyproject.toml ([tool.ruff], [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_ruff_finds_nothing_in_src():
    done = _run("ruff", "check", "--no-cache", "src")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_passes_on_the_core_contracts():
    done = _run("mypy", "--config-file", "pyproject.toml", "--no-incremental", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
