"""A coverage-guided fuzz target (issue 19 item 6): one parser of bytes from outside, and what it may raise.

The core declares its own (the HJ 212 codec, the Circular 10 files), each subsystem those of its gateways
(:attr:`ecosentry.contracts.subsystem.Subsystem.fuzz_targets`). ``ecosentry fuzz TARGET`` runs one under atheris in a
process of its own (:mod:`ecosentry.fuzzing`); the CI runs each for a bounded number of inputs and replays its
committed corpus (tests/fuzz/test_atheris_targets.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from ecosentry.contracts.envelope import Envelope

__all__ = ["FuzzTarget", "Defect", "check_reader_envelope"]


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


def check_reader_envelope(env: Envelope, reasons: Collection[str], *, quarantine: Collection[str] = ()) -> None:
    """What a message reader (a subsystem's MQTT or push reader) must answer any input with, for a sender it knows
    and an active point: accepted, or rejected with one of its documented ``reasons`` and no readings, or
    quarantined for one of ``quarantine``; every reading finite and at a UTC instant; the envelope unchanged through
    the spool's encoding. Raises :class:`Defect` otherwise."""
    if env.status == "rejected":
        if env.error not in reasons or env.readings:
            raise Defect(f"rejected with reason {env.error!r} and {len(env.readings)} readings")
    elif env.status == "quarantined":
        if env.error not in quarantine:
            raise Defect(f"quarantined ({env.error!r}) though the sender is known and active")
    elif env.status != "accepted":
        raise Defect(f"status {env.status!r} for a known, active sender")
    for r in env.readings:
        if r.value is not None and not math.isfinite(r.value):
            raise Defect(f"reading {r!r} is not finite")
        if r.start.utcoffset() != timezone.utc.utcoffset(None):
            raise Defect(f"reading {r!r} is not at a UTC instant")
    if Envelope.decode(env.encode()).readings != env.readings:
        raise Defect("the envelope does not read back from the spool's encoding")
