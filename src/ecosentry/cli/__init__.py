"""The ``ecosentry`` command line: one Typer app (``ecosentry.cli:app``, also ``python -m ecosentry.cli``).

The core's commands and groups are in ``main`` (serve, worker, demo, registry, rules, users, and the ``bench``
and ``alarm`` groups); each installed subsystem adds its own through its ``register(app, groups)``
(:attr:`ecosentry.contracts.subsystem.Subsystem.cli`). A subsystem's commands use the shared consoles and
helpers of :mod:`ecosentry.terminal`, below this shell, never this package. The README's command table is
tested against this app (tests/cli/test_cli_readme.py).
"""

from __future__ import annotations

from ecosentry.cli.alerts import app as alerts_app
from ecosentry.cli.fuzz import fuzz
from ecosentry.cli.main import alarm_app, app, bench_app, registry_app, rules_app
from ecosentry.cli.users import app as users_app
from ecosentry.installed import each

__all__ = ["app", "GROUPS"]

#: The core's command groups a subsystem may add commands to.
GROUPS = {"registry": registry_app, "bench": bench_app, "rules": rules_app, "alarm": alarm_app, "user": users_app}

for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)
app.add_typer(alerts_app, name="alerts")
app.command("fuzz")(fuzz)
for _, _register in each("cli"):
    _register(app, GROUPS)
