"""The example subsystem (``example_noise``, docs/extending.md) plugs in without a change to a core file.

A deployment lists it in ``ECOSENTRY_SUBSYSTEMS``; the settings class, the page templates and the command line
are assembled from that list when first imported, so the checks run in a Python process of their own that has
the variable from the start (``deployment_checks.py``, on SQLite and on PostgreSQL; with ``CI=true`` the
PostgreSQL variant must run), together with the shape test of every installed subsystem, the example included.
This process, where the example is not installed, must not see it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecosentry.installed import installed, installed_names

HERE = Path(__file__).parent
TESTS = HERE.parent
#: The installed list of the deployment: the platform's subsystems and the example.
SUBSYSTEMS = ",".join((*installed_names(), "example_noise"))


def deployment_env() -> dict[str, str]:
    """This process's environment, with the example listed and importable."""
    path = [str(HERE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "ECOSENTRY_SUBSYSTEMS": SUBSYSTEMS, "PYTHONPATH": os.pathsep.join(path)}


@pytest.mark.slow
def test_a_deployment_that_lists_the_example_has_every_part_of_it():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", "-rs",
         str(HERE / "deployment_checks.py"), str(TESTS / "test_subsystems_shape.py")],
        cwd=TESTS.parent, env=deployment_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "run by test_example_noise.py" not in proc.stdout, proc.stdout[-8000:]
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        assert "skipped" not in summary, proc.stdout[-8000:]  # the PostgreSQL variants ran


def test_a_deployment_that_does_not_list_it_does_not_see_it():
    assert "noise" not in {sub.name for sub in installed()}
