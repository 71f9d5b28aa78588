"""The process one coverage-guided fuzz run lives in (issue 19 item 6): ``python -m ecosentry.fuzzing REF ARGS``.

``REF`` is a :class:`~ecosentry.contracts.fuzz.FuzzTarget` as ``"module:attribute"``; ``ARGS`` are libFuzzer's
(corpus folders, ``-runs=N``, ``-max_total_time=S``, ``-artifact_prefix=DIR/`` ...). atheris owns the process:
it instruments the target's modules as they are imported (so nothing of ecosentry is imported here before that),
runs until its limit and exits, with a non-zero code and the crashing input written out when ``one_input`` raised.
``ecosentry fuzz`` (:mod:`ecosentry.cli.fuzz`) starts it; the CI runs each target for a bounded number of inputs.

:func:`replay` gives a corpus to a target in this process without atheris (no coverage, no mutation): the
regression run of the committed seeds, which needs no fuzzer installed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecosentry.contracts.fuzz import FuzzTarget

__all__ = ["CORE_TARGETS", "load", "command", "seeds", "replay", "main"]

#: The core's targets (each subsystem names its own: ``Subsystem.fuzz_targets``).
CORE_TARGETS = {
    "hj212": "ecosentry.protocols.hj212.fuzz:TARGET",
    "vn-txt": "ecosentry.protocols.vn_txt.fuzz:TARGET",
}


def load(ref: str) -> FuzzTarget:
    """The target ``"module:attribute"`` names."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


def command(ref: str, corpus: list[Path], crashes: Path, options: list[str]) -> list[str]:
    """The command line of one run: ``corpus`` folders (libFuzzer adds what it finds to the first one only, so the
    committed seeds go after it), crashing inputs written into ``crashes``, libFuzzer ``options``."""
    return [sys.executable, "-m", "ecosentry.fuzzing", ref, f"-artifact_prefix={crashes}/", *options,
            *map(str, corpus)]


def seeds(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """The files of a corpus folder (and its subfolders), in name order."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        yield path, path.read_bytes()


def replay(target: FuzzTarget, folder: Path | None = None) -> int:
    """Give every seed of ``folder`` (the target's committed corpus by default) to the target; the number given.
    A defect raises, with the seed's path in the message."""
    n = 0
    for path, data in seeds(folder or target.corpus):
        try:
            target.one_input(data)
        except Exception as exc:
            raise AssertionError(f"{target.name}: {path} gives {exc!r}") from exc
        n += 1
    return n


def _pure_python_json() -> None:
    """The JSON decoder's pure-Python scanner (same results, and the same RecursionError, at a smaller depth), so
    the fuzzer sees JSON's structure: nesting, strings, numbers (``10**400``) that the C scanner hides from the
    coverage it steers by. (``datetime`` cannot be swapped likewise: its pure-Python form asserts where the C one
    raises ValueError, and C extensions holding C datetimes, msgpack's, crash on it; the targets' dictionaries
    carry the extreme times instead.)"""
    import json
    import json.decoder
    import json.scanner

    json.decoder.scanstring = json.decoder.py_scanstring
    json.scanner.make_scanner = json.scanner.py_make_scanner
    json._default_decoder = json.JSONDecoder()  # type: ignore[attr-defined]


def main(argv: list[str]) -> None:
    import atheris  # the fuzz extra (pyproject.toml); `ecosentry fuzz` says how to get it when it is missing

    if len(argv) < 2:
        raise SystemExit("usage: python -m ecosentry.fuzzing MODULE:ATTRIBUTE [libFuzzer options] [CORPUS ...]")
    with atheris.instrument_imports():
        target = load(argv[1])
    _pure_python_json()
    options = argv[2:]
    if target.dictionary is not None and not any(a.startswith("-dict=") for a in options):
        options.insert(0, f"-dict={target.dictionary}")
    atheris.Setup([argv[0], *options], target.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
