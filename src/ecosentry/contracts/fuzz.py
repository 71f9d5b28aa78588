"""A coverage-guided fuzz target (issue 19 item 6): one parser of bytes from outside, and what it may raise.

The core declares its own (the HJ 212 codec, the Circular 10 files), each subsystem those of its gateways
(:attr:`ecosentry.contracts.subsystem.Subsystem.fuzz_targets`). ``ecosentry fuzz TARGET`` runs one under atheris in a
process of its own (:mod:`ecosentry.fuzzing`); the CI runs each for a bounded number of inputs and replays its
committed corpus (tests/fuzz/test_atheris_targets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FuzzTarget", "Defect"]


class Defect(AssertionError):
    """An input the parser answered with something it must never give (an accepted value that breaks a promise):
    raised by a target's ``one_input`` and reported by the fuzzer as a crash."""


@dataclass(frozen=True, slots=True)
class FuzzTarget:
    """One parser under the fuzzer.

    ``one_input(data)`` gives ``data`` to the parser (and to what the gateway does with its answer); it returns
    when the parser answered with a value or one of its typed errors (``typed``, checked for their promises:
    stable code, status), and raises anything else, :class:`Defect` included: that is a finding.
    """

    name: str
    #: One line: what the target parses and what it may answer.
    summary: str
    one_input: Callable[[bytes], None]
    #: The errors that are refusals, not defects (empty: the parser answers every input with a value).
    typed: tuple[type[BaseException], ...]
    #: The committed seeds: real frames, files or bodies, and each crashing input found (kept as a regression).
    corpus: Path
    #: A libFuzzer dictionary (``name="token"`` lines): the format's words and extreme values, which mutation alone
    #: rarely spells (the parsers' C parts, ``datetime.fromisoformat``, are invisible to the coverage it steers by).
    dictionary: Path | None = None
