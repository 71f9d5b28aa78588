"""The monitoring subsystem's commands, added to the core's Typer app by :func:`register`
(:attr:`ecosentry.contracts.subsystem.Subsystem.cli`)."""

from __future__ import annotations

import typer

from ecosentry.subsystems.monitoring.cli import commands
from ecosentry.subsystems.monitoring.cli.compute import compute_command
from ecosentry.subsystems.monitoring.cli.detect import bench_detect_command, detect_command, simulate_inject_command
from ecosentry.subsystems.monitoring.cli.evidence import evidence_command
from ecosentry.subsystems.monitoring.cli.forward import app as forward_app
from ecosentry.subsystems.monitoring.cli.ftp import app as ftp_app
from ecosentry.subsystems.monitoring.cli.hj212 import app as hj212_app
from ecosentry.subsystems.monitoring.cli.vn import app as vn_app


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the monitoring commands to ``app`` and to the core's groups (``bench``, ``alarm`` ...)."""
    app.add_typer(hj212_app, name="hj212")
    app.add_typer(vn_app, name="vn")
    app.add_typer(forward_app, name="forward")
    app.add_typer(ftp_app, name="ftp")
    app.add_typer(commands.report_app, name="report")
    for command in commands.app.registered_commands:
        app.registered_commands.append(command)
    for command in commands.bench_app.registered_commands:
        groups["bench"].registered_commands.append(command)
    groups["alarm"].command("evidence", help="The evidence pack (证据包) PDF of an alarm: data window, chart, rules, "
                            "marks, raw frames, history.")(evidence_command)
    app.command("compute", help="Offline audit: hours, days, months and rates from a long-format CSV, no server.")(
        compute_command)
    app.command("detect", help="Falsification and anomaly detectors on a CSV file (long or NAB), no server.")(
        detect_command)
    app.command("simulate-inject", help="Write a labelled synthetic CEMS set with injected faults (files, no "
                "server).")(simulate_inject_command)
    groups["bench"].command("detect", help="Precision and recall of every registered detector on a labelled set (--set injected|honest).")(
        bench_detect_command)
