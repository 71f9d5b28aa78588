"""The ``ecosentry`` command line: one Typer app (``ecosentry.cli:app``, also ``python -m ecosentry.cli``).

The core's commands and groups are in ``main`` (serve, worker, demo, registry, rules, users, and the empty
``bench`` and ``alarm`` groups); each installed subsystem adds its own through its ``register(app, groups)``
(:attr:`ecosentry.contracts.subsystem.Subsystem.cli`). The README's command table is tested against this app
(tests/cli/test_cli_readme.py).

The app is put together when it is first asked for (``ecosentry.cli.app``), not when the package is imported: a
subsystem's commands import the core's helpers from ``ecosentry.cli.main``, and registering the subsystems while
that import runs would look up the subsystem's ``register`` before its module has finished loading.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import typer

from ecosentry.cli.main import alarm_app, app as core_app, bench_app, registry_app, rules_app
from ecosentry.cli.users import app as users_app
from ecosentry.installed import each

__all__ = ["app"]

GROUPS = {"registry": registry_app, "bench": bench_app, "rules": rules_app, "alarm": alarm_app, "user": users_app}


@cache
def full_app() -> typer.Typer:
    """The core's app with its groups and every installed subsystem's commands (built once)."""
    for name, group in GROUPS.items():
        core_app.add_typer(group, name=name)
    for _, register in each("cli"):
        register(core_app, GROUPS)
    return core_app


def __getattr__(name: str) -> Any:
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
