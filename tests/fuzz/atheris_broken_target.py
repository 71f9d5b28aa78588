"""A fuzz target with a defect on every input that starts with ``##``: the proof, in
test_atheris_targets.py, that a finding fails an atheris run and is written out (imported by the fuzzing child)."""

from __future__ import annotations

from pathlib import Path

from ecosentry.contracts.fuzz import Defect, FuzzTarget


def _one_input(data: bytes) -> None:
    if data.startswith(b"##"):
        raise Defect(f"refused nothing: {data!r}")


TARGET = FuzzTarget("broken", "a defect on any input starting with ##", _one_input, (), Path(__file__).parent)
