"""The coverage-guided fuzz targets (issue 19 item 6): the HJ 212 codec, the Circular 10 files, the gates HTTP push
and the park and power MQTT messages (``ecosentry fuzz``, :mod:`ecosentry.fuzzing`).

* Every target's committed corpus (real frames, files and bodies, and each crashing input found, kept as a
  regression) replays without a defect, in this process: no fuzzer needed.
* Every target runs under atheris for a bounded number of inputs (:data:`RUNS`, seeded: the same inputs on a rerun;
  all targets at once, a few seconds in all) and ends without a finding. Skipped only when atheris cannot be
  imported (pyproject.toml installs it where PyPI has its wheel: Linux x86-64, CPython 3.11-3.14).
* A target that raises anything but its typed errors is a finding: the run fails and writes the input out.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecosentry.contracts.fuzz import FuzzTarget
from ecosentry.fuzzing import CORE_TARGETS, command, load, replay
from ecosentry.installed import fuzz_targets
from fuzzkit import scaled

TARGETS = {**CORE_TARGETS, **fuzz_targets()}
#: Inputs per target in CI (``ECOSENTRY_FUZZ_SCALE`` multiplies them); the slowest target (HJ 212) runs about
#: 2,000 a second on the shared 2-core machine.
RUNS = scaled(2000)
HAS_ATHERIS = importlib.util.find_spec("atheris") is not None
needs_atheris = pytest.mark.skipif(not HAS_ATHERIS, reason="atheris cannot be imported here (PyPI has its wheel only "
                                   "for Linux x86-64, CPython 3.11-3.14): the bounded atheris runs are skipped")


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_committed_corpus_replays_without_a_defect(name):
    target = load(TARGETS[name])
    assert isinstance(target, FuzzTarget) and target.name == name
    assert target.dictionary is None or target.dictionary.is_file()
    assert replay(target) >= 2, f"{target.corpus} holds too few seeds"


def test_a_defect_in_replay_names_the_seed(tmp_path):
    (tmp_path / "bad").write_bytes(b"x")

    def one_input(data: bytes) -> None:
        raise KeyError(data)

    with pytest.raises(AssertionError, match="bad"):
        replay(FuzzTarget("broken", "", one_input, (), tmp_path))


@pytest.mark.slow
@needs_atheris
def test_each_target_runs_under_atheris_without_a_finding(tmp_path):
    runs = {}
    for name, ref in sorted(TARGETS.items()):
        work, crashes = tmp_path / name / "corpus", tmp_path / name / "crashes"
        work.mkdir(parents=True)
        crashes.mkdir()
        argv = command(ref, [work, load(ref).corpus], crashes, [f"-runs={RUNS}", "-seed=1", "-print_final_stats=1"])
        runs[name] = (subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env()), crashes)
    # the broken target: proof that a finding fails the run and is written out
    seeds = tmp_path / "broken-seeds"
    seeds.mkdir()
    (seeds / "frame").write_bytes(b"##0101QN=")
    broken_crashes = tmp_path / "broken-crashes"
    broken_crashes.mkdir()
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env["PYTHONPATH"]])
    broken = subprocess.Popen(command("atheris_broken_target:TARGET", [seeds], broken_crashes, ["-runs=10"]),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    failures = []
    for name, (proc, crashes) in runs.items():
        out = proc.communicate(timeout=240)[0].decode(errors="replace")
        found = sorted(p.name for p in crashes.iterdir())
        if proc.returncode != 0 or found:
            failures.append(f"{name}: exit {proc.returncode}, {found}\n{out[-3000:]}")
        else:
            assert f"stat::number_of_executed_units: {RUNS}" in out, out[-2000:]
    out = broken.communicate(timeout=240)[0].decode(errors="replace")
    assert broken.returncode != 0 and "Defect: refused nothing" in out, out[-2000:]
    assert [p.name for p in broken_crashes.iterdir()], "the crashing input is written out"
    assert not failures, "\n\n".join(failures)
