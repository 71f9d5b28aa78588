"""The ``ecosentry`` command line: one Typer app (``ecosentry.cli:app``, also ``python -m ecosentry.cli``).

The core's commands and groups are in ``main``; each subsystem adds its own commands here, from its module in
this package: the offline audit (``compute``), the detectors (``detect``), the alarms' evidence pack
(``evidence``), HJ 212 (``hj212``), the Vietnamese files (``vn``, ``ftp``), forwarding (``forward``) and the
accounts (``users``). The README's command table is tested against this app (tests/cli/test_cli_readme.py).
"""

from __future__ import annotations

from ecosentry.cli.compute import compute_command
from ecosentry.cli.detect import bench_detect_command, detect_command, simulate_inject_command
from ecosentry.cli.evidence import evidence_command
from ecosentry.cli.forward import app as forward_app
from ecosentry.cli.ftp import app as ftp_app
from ecosentry.cli.hj212 import app as hj212_app
from ecosentry.cli.main import alarm_app, app, bench_app, registry_app, report_app, rules_app
from ecosentry.cli.users import app as users_app
from ecosentry.cli.vn import app as vn_app

__all__ = ["app"]

app.add_typer(hj212_app, name="hj212")
app.add_typer(vn_app, name="vn")
app.add_typer(forward_app, name="forward")
app.add_typer(ftp_app, name="ftp")
app.add_typer(registry_app, name="registry")
app.add_typer(bench_app, name="bench")
app.add_typer(rules_app, name="rules")
app.add_typer(report_app, name="report")
app.add_typer(alarm_app, name="alarm")
app.add_typer(users_app, name="user")
alarm_app.command("evidence", help="The evidence pack (证据包) PDF of an alarm: data window, chart, rules, marks, "
                  "raw frames, history.")(evidence_command)
app.command("compute", help="Offline audit: hours, days, months and rates from a long-format CSV, no server.")(
    compute_command)
app.command("detect", help="Falsification and anomaly detectors on a CSV file (long or NAB), no server.")(
    detect_command)
app.command("simulate-inject", help="Write a labelled synthetic CEMS set with injected faults (files, no server).")(
    simulate_inject_command)
bench_app.command("detect", help="Precision and recall of every registered detector on injected faults.")(
    bench_detect_command)
