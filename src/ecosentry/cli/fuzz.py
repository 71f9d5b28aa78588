"""``ecosentry fuzz TARGET [--seconds N] [--runs N] [--corpus DIR]``: one parser under atheris, longer than the CI's
bounded run (issue 19 item 6; docs/testing.md "Coverage-guided fuzzing").

The run is a child process (:mod:`ecosentry.fuzzing`: atheris owns it), seeded from the target's committed corpus
and growing a working corpus of its own (``--corpus``, ``.fuzz/TARGET/corpus`` by default; the committed one is
only read). A crashing input is written to the folder beside the working corpus (``.fuzz/TARGET/crashes``); the
command then exits 1. Exit 2: an unknown target, or atheris not installed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import typer

from ecosentry.said import N_, Said

__all__ = ["fuzz", "targets"]


def targets() -> dict[str, str]:
    """Every target's name → reference: the core's and the installed subsystems'."""
    from ecosentry.fuzzing import CORE_TARGETS
    from ecosentry.installed import fuzz_targets

    return {**CORE_TARGETS, **fuzz_targets()}


def fuzz(target: str = typer.Argument(..., help="what to fuzz: hj212, vn-txt, and the installed subsystems' "
                                                "targets (gates-push, park-mqtt, power-mqtt, om-push)"),
         seconds: int = typer.Option(60, "--seconds", min=1, help="how long to run [s]"),
         runs: int = typer.Option(0, "--runs", min=0, help="stop after this many inputs instead (0: --seconds)"),
         corpus: Path | None = typer.Option(None, "--corpus", file_okay=False,
                                            help="working corpus, grown by the run (default .fuzz/TARGET/corpus)"),
         ) -> None:
    """Run one parser of outside input under the coverage-guided fuzzer atheris; only its typed errors may come
    out. Exit 1 with the crashing input written out, 2 when the target is unknown or atheris is missing."""
    from ecosentry.fuzzing import command, load
    from ecosentry.terminal.messages import error_line, say

    known = targets()
    if target not in known:
        typer.echo(error_line(N_("there is no fuzz target %(target)s; the targets are %(targets)s."),
                              target=target, targets=", ".join(sorted(known))), err=True)
        raise typer.Exit(2)
    if importlib.util.find_spec("atheris") is None:
        typer.echo(error_line(N_("atheris is not installed in %(python)s: pip install atheris (wheels for Linux "
                                 "x86-64, Python 3.11 to 3.14; elsewhere it is built with clang), or pip install "
                                 "-e '.[test]' on such a machine."), python=sys.prefix), err=True)
        raise typer.Exit(2)
    ref = known[target]
    seeds = load(ref).corpus
    work = corpus or Path(".fuzz") / target / "corpus"
    crashes = work.parent / "crashes" if corpus is None else work.with_name(work.name + "-crashes")
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    limit = Said(N_("%(n)s inputs"), n=runs) if runs else Said(N_("%(n)s s"), n=seconds)
    typer.echo(say(N_("Fuzzing %(target)s for %(limit)s: seeds %(seeds)s, corpus %(corpus)s, crashes to "
                      "%(crashes)s."), target=target, limit=limit, seeds=seeds, corpus=work, crashes=crashes))
    options = [f"-runs={runs}"] if runs else [f"-max_total_time={seconds}"]
    done = subprocess.run(command(ref, [work, seeds], crashes, options))
    if done.returncode == 0:
        typer.echo(say(N_("No finding in %(target)s."), target=target))
        return
    found = sorted(crashes.glob("*"), key=lambda p: p.stat().st_mtime)
    typer.echo(say(N_("A finding in %(target)s (exit %(code)s): the input is %(input)s. Fix the parser (a typed "
                      "error), then add the input to %(seeds)s as a regression."), target=target,
                   code=done.returncode, input=found[-1] if found else crashes, seeds=seeds), err=True)
    raise typer.Exit(1)
