"""The Circular 10/2021 file parser as a coverage-guided fuzz target (``ecosentry fuzz vn-txt``, issue 19 item 6).

Each input is a station file's content, parsed under a valid name (strict, and lenient: line times unequal to
the name's, decimal commas) and under a name made of its own first bytes. Only a :class:`VnFileError` with one of
the stable :data:`REASONS` may come out; a file accepted holds lines with finite values, one per parameter, and
what :func:`write_file` writes of it reads back to the same values.
"""

from __future__ import annotations

import math
from pathlib import Path

from ecosentry.contracts.fuzz import Defect, FuzzTarget
from ecosentry.protocols.vn_txt.model import VnFile, VnFileError
from ecosentry.protocols.vn_txt.parser import REASONS, parse_file
from ecosentry.protocols.vn_txt.writer import write_file

__all__ = ["TARGET", "one_input"]

CORPUS = Path(__file__).with_name("fuzz_corpus")
NAME = "HN_PHCH_NUOPCH_20260203124500.txt"


def _parsed(name: str, data: bytes, **options) -> VnFile | None:
    try:
        out = parse_file(name, data, **options)
    except VnFileError as exc:
        if exc.reason not in REASONS or not str(exc):
            raise Defect(f"{exc!r}: reason {exc.reason!r} is not one of REASONS") from exc
        return None
    if not out.lines or len({line.parameter for line in out.lines}) != len(out.lines):
        raise Defect(f"{name!r}: no lines, or a parameter twice: {out.lines!r}")
    for line in out.lines:
        if line.value is None or not math.isfinite(line.value):
            raise Defect(f"{name!r} line {line.line}: value {line.value!r}")
    return out


def one_input(data: bytes) -> None:
    out = _parsed(NAME, data)
    _parsed(NAME, data, strict_time=False, decimal_comma=True)
    _parsed(data[:48].decode("utf-8", "replace"), data)
    if out is not None:
        name, written = write_file(out.name, out.lines, decimals=None)
        again = _parsed(name, written)
        if again is None or [(x.parameter, x.value) for x in again.lines] != [(x.parameter, x.value)
                                                                             for x in out.lines]:
            raise Defect(f"the file written of an accepted one does not read back the same: {written[:200]!r}")


TARGET = FuzzTarget(
    name="vn-txt",
    summary="Circular 10/2021 station files: name, encoding, lines, values, times; only VnFileError",
    one_input=one_input,
    typed=(VnFileError,),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
