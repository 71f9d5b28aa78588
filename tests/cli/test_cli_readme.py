"""The README's command table (``## Commands``) against the app ``ecosentry --help`` describes: every command a
row names exists, with every option the row shows, and every command of the app (each group's subcommands too)
has a row. Read from the Click command tree Typer builds (names and options), not from the printed help."""

from __future__ import annotations

import itertools
import json
import os
import pkgutil
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import typer

import ecosentry.subsystems
from ecosentry.cli import app
from ecosentry.installed import installed_names

README = Path(__file__).resolve().parents[2] / "README.md"
WORD = re.compile(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$")  # a command word, or alternatives a|b|c
OPTION = re.compile(r"-{1,2}[a-zA-Z][a-zA-Z0-9-]*$")


def table_rows() -> list[str]:
    """The command cells of the table under ``## Commands`` (first column, ``\\|`` unescaped)."""
    section = README.read_text(encoding="utf-8").split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "no command table under ## Commands"
    return [re.split(r"(?<!\\)\|", row)[1].strip().replace("\\|", "|") for row in rows]


def usages(cell: str) -> list[tuple[list[list[str]], set[str]]]:
    """Each code span of a cell (``a`` / ``b``) as (command words, each a list of alternatives; options).
    A span without the leading ``ecosentry`` continues the previous one's first word (``bench nab``)."""
    out = []
    for span in re.findall(r"`([^`]+)`", cell):
        tokens = span.split()
        if tokens[0] == "ecosentry":
            tokens = tokens[1:]
        else:
            assert out, f"{span!r} does not start with ecosentry"
        words = list(itertools.takewhile(WORD.match, tokens))
        options = {bare for t in tokens[len(words):] for part in t.strip("[]").split("=")
                   if OPTION.match(bare := part.strip("[]"))}
        out.append(([w.split("|") for w in words], options))
    return out


def commands(group, prefix=()) -> dict[tuple[str, ...], object]:
    """Every command of the tree by its path of words (groups and leaves)."""
    found = {}
    for name, cmd in getattr(group, "commands", {}).items():
        found[prefix + (name,)] = cmd
        found.update(commands(cmd, prefix + (name,)))
    return found


TREE = commands(typer.main.get_command(app))


@lru_cache(maxsize=1)
def every_subsystems_tree() -> dict[tuple[str, ...], set[str]]:
    """The command tree (path → options) with every subsystem of the source tree listed, installed or not (the
    README describes them all): read in a child process, so that loading a subsystem that is not installed leaves
    this process's catalogue and settings alone."""
    names = [f"ecosentry.subsystems.{m.name}" for m in pkgutil.iter_modules(ecosentry.subsystems.__path__)]
    if set(names) <= set(installed_names()):
        return {path: {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} for path, cmd in TREE.items()}
    code = ("import json, typer; from ecosentry.cli import app; from tests.cli.test_cli_readme import commands; "
            "print(json.dumps([[list(k), sorted({o for p in c.params for o in (*p.opts, *p.secondary_opts)})] "
            "for k, c in commands(typer.main.get_command(app)).items()]))")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ECOSENTRY_SUBSYSTEMS": ",".join(dict.fromkeys([*installed_names(), *names])),
           "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=root)
    assert out.returncode == 0, out.stderr
    return {tuple(k): set(opts) for k, opts in json.loads(out.stdout.strip().splitlines()[-1])}


def test_every_row_names_commands_and_options_that_exist():
    """Against the app with every subsystem of the source tree (a row may name a subsystem not installed here)."""
    wrong = []
    tree = every_subsystems_tree()
    for cell in table_rows():
        for words, options in usages(cell):
            for path in itertools.product(*words):
                known = tree.get(path)
                if known is None:
                    wrong.append(f"{cell}: no command `ecosentry {' '.join(path)}`")
                    continue
                wrong += [f"{cell}: `ecosentry {' '.join(path)}` has no option {o}" for o in sorted(options - known)]
    assert not wrong, "\n".join(wrong)


def test_every_command_of_the_app_has_a_row():
    shown = {path for cell in table_rows() for words, _ in usages(cell) for path in itertools.product(*words)}
    # a row naming a subcommand shows its group; a group's row alone does not show its subcommands
    shown |= {path[:i] for path in shown for i in range(1, len(path))}
    missing = sorted(" ".join(p) for p in TREE if p not in shown)
    assert not missing, "commands of `ecosentry --help` without a README row: " + ", ".join(missing)


def test_the_reader_of_the_table_sees_what_a_wrong_row_looks_like():
    """The parser itself: alternatives, options in brackets and after `=`, a continued span."""
    cell = "`ecosentry report daily\\|monthly --point ID [--format pdf\\|xlsx]` / `report rates --from=D`"
    spans = usages(cell.replace("\\|", "|"))
    assert spans == [([["report"], ["daily", "monthly"]], {"--point", "--format"}),
                     ([["report"], ["rates"]], {"--from"})]
