"""The subsystem's commands, added by :func:`register`: ``ecosentry ops check`` (the inspectors' offline check,
:mod:`.offline`), ``ecosentry ops assess`` (the monthly assessment over the stored data, :mod:`.store.assessment`)
and ``ecosentry bench ops`` (the rules on simulated stations, :mod:`.bench`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the command line is built without the subsystem's modules; a command imports them
    from ecosentry.subsystems.om.settings import OmSettings

from ecosentry.said import N_

app = typer.Typer(help="Operation and maintenance (运维): marks, work orders, station doors, calibration.",
                  no_args_is_help=True)


def _settings() -> OmSettings:
    """The deployment's section ``om`` when the subsystem is installed, else the documented defaults."""
    from ecosentry.subsystems.om.settings import OmSettings

    from ecosentry.settings import get_settings

    return getattr(get_settings(), "om", None) or OmSettings()


@app.command("check")
def check(marks: Path = typer.Option(..., help="M.csv: mark_id,point,factor,kind,start,end"),
          work_orders: Path = typer.Option(..., help="W.csv: order_id,point,kind,created,on_site,done,deadline"),
          doors: Path = typer.Option(..., help="D.csv: point,time,event (open/close)"),
          calibrations: Path | None = typer.Option(None, help="C.csv: point,factor,time,kind,result,drift_pct"),
          output: Path = typer.Option(..., help="findings, one JSON object a line"),
          as_of: str | None = typer.Option(None, help="the clock of the check, ISO 8601 with offset (default: the "
                                                      "latest time in the files)")) -> None:
    """Marks without a work order or door opening, door openings without a work order or mark, overdue orders and
    planned work, failed and overdue calibrations and the periods they make invalid: one JSON finding a line (exit
    2 on bad input, naming the file, the line and the field)."""
    from ecosentry.subsystems.om.check import check_dataset
    from ecosentry.subsystems.om.offline import InputError, load_dataset
    from ecosentry.terminal.messages import error_line, say

    settings = _settings()
    now = None
    if as_of:
        try:
            now = datetime.fromisoformat(as_of)
        except ValueError:
            now = None
        if now is None or now.tzinfo is None:
            typer.echo(error_line(N_("--as-of %(text)r is not an ISO 8601 time with an offset"), text=as_of),
                       err=True)
            raise typer.Exit(2)
    try:
        ds = load_dataset(marks, work_orders, doors, calibrations)
    except InputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    findings = check_dataset(ds, settings, now)
    with open(output, "w", encoding="utf-8") as out:
        for f in findings:
            out.write(json.dumps(f.as_dict(), ensure_ascii=False) + "\n")
    typer.echo(say(N_("%(count)s findings in %(output)s"), count=len(findings), output=output), err=True)


@app.command("assess")
def assess(month: str = typer.Option(..., help="the local month YYYY-MM (finished)")) -> None:
    """Assess the O&M organisations over the stored data of a finished month and store the result (a recompute
    replaces the month): the ranking, each organisation's score, grade and components, the formula and weights."""
    from ecosentry.terminal.messages import error_line, say

    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.om.queries.assessment import parse_month
    from ecosentry.subsystems.om.store.assessment import MonthNotFinished, assess_stored_month

    if parse_month(month) is None:
        typer.echo(error_line(N_("--month %(text)r is not a month YYYY-MM"), text=month), err=True)
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    try:
        res = assess_stored_month(engine, month, _settings(), datetime.now(timezone.utc))
    except MonthNotFinished:
        typer.echo(error_line(N_("the month %(month)s has not ended yet"), month=month), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(say(N_("%(month)s: %(count)s organisations assessed and stored"), month=month,
                   count=len(res.organisations)))
    if res.organisations:
        _print_ranking(res.organisations, _settings().assessment.overdue_penalty)


def _print_ranking(organisations: list, penalty: float) -> None:
    """The month's ranking as the ranking page shows it: the formula with its weights, then one row per
    organisation (score, grade, the components by their letters, overdue orders) and what each letter is."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from ecosentry.subsystems.om.words import COMPONENTS, GRADES, formula_text
    from ecosentry.terminal.messages import say

    letters = {key: letter for key, (letter, _name) in COMPONENTS.items()}
    typer.echo(formula_text(organisations[0][2].weights, penalty, say))
    table = Table(box=box.SIMPLE, pad_edge=False)
    for header, justify in ((N_("Rank"), "right"), (N_("O&M organisation"), "left"), (N_("Score"), "right"),
                            (N_("Grade"), "left")):
        table.add_column(say(header), justify=justify)
    for letter in letters.values():
        table.add_column(letter, justify="right")
    table.add_column(say(N_("Overdue")), justify="right")
    for rank, (code, name, a) in enumerate(organisations, start=1):
        table.add_row(str(rank), f"{name} ({code})", f"{a.score:.1f}", say(GRADES.get(a.grade, a.grade)),
                      *("—" if a.components.get(k) is None else f"{a.components[k]:.3f}" for k in letters),
                      str(a.overdue))
    console = Console(width=200, soft_wrap=True)
    console.print(table)
    for letter, name in COMPONENTS.values():
        console.print(f"{letter} = {say(name)}", markup=False)
    console.print(f"N = {say(N_('Overdue work orders and planned work not done in time'))}", markup=False)


def bench_ops(seed: int = typer.Option(18, help="seed of the simulated stations"),
              honest: int = typer.Option(30, min=0, help="stations with honest O&M"),
              violating: int = typer.Option(30, min=0, help="stations with three injected violations each"),
              days: int = typer.Option(28, min=14, help="days simulated per station"),
              as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
    """Records/s through every O&M check and precision/recall per code on simulated stations with injected false
    marks, unexplained door openings, overdue orders and failed calibrations."""
    from ecosentry.subsystems.om.bench import run_bench

    res = run_bench(seed, honest, violating, days).summary()
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    from ecosentry.terminal.code_table import code_table
    from ecosentry.terminal.messages import say

    typer.echo(say(N_("%(stations)s stations, %(records)s records in %(seconds)s s: %(rate)s records/s; honest: "
                      "%(honest)s findings per honest station-day"),
                   stations=res["stations"], records=f"{res['records']:,}", seconds=res["seconds"],
                   rate=f"{res['records_per_s']:,}", honest=res["honest_findings_per_station_day"]))
    typer.echo("\n".join(code_table(res["codes"], code_width=24)))


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``ops`` to the core's ``bench`` group and the ``ops`` group."""
    groups["bench"].command("ops")(bench_ops)
    app_.add_typer(app, name="ops")
