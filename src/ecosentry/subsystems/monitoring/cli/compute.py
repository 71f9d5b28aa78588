"""``ecosentry compute``: offline audit of the regulator's figures from a CSV file, without a server.

Wire into the main CLI with ``app.command("compute")(compute_command)``; :data:`app` is a standalone
single-command Typer app for tests (``CliRunner().invoke(app, ["--input", ...])``).
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ecosentry.said import N_, Said
from ecosentry.terminal.messages import fail as _fail

__all__ = ["app", "compute_command", "compute"]

#: Inputs larger than this show a progress bar. [bytes]
PROGRESS_MIN_BYTES = 2_000_000
#: Exit code for bad input or bad options.
EXIT_BAD_INPUT = 2

app = typer.Typer(add_completion=False)


def compute_command(
    input: Path = typer.Option(
        ..., "--input", "-i", help="Long-format CSV: point,factor,time,value[,flag][,zs_value]."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="periods.csv to write (hour, day, month rows)."),
    kind: str = typer.Option("gas", "--kind", help="gas (minute data) or water (10-min/hourly cycle data)."),
    marks: Optional[Path] = typer.Option(
        None, "--marks", help="Marks CSV: point,factor,type,start,end (factor empty = all factors)."
    ),
    rates: Optional[Path] = typer.Option(None, "--rates", help="rates.json to write (three rates with counts)."),
    tz: str = typer.Option(
        "Asia/Shanghai", "--tz", help="Time zone of local times; times without offset are read in it."
    ),
    interval: int = typer.Option(
        1, "--interval", help="Minutes per record: gas MinInterval (1…30), water cycle (e.g. 10 or 60)."
    ),
    first: Optional[str] = typer.Option(
        None, "--from", help="First local day of the rate period (YYYY-MM-DD); default: the input's first day."
    ),
    last: Optional[str] = typer.Option(
        None, "--to", help="End of the rate period: a local day, inclusive (YYYY-MM-DD), or a local time, exclusive "
             "(YYYY-MM-DDTHH:MM); default: the end of the input's last day."
    ),
    connected: list[str] = typer.Option(
        [], "--connected",
        help="POINT=YYYY-MM-DD[THH:MM]: the point's connection (联网) time, local; repeatable. "
             "Default: the hour of the point's first record.",
    ),
) -> None:
    """Compute hourly, daily and monthly values and the transmission rates from a CSV file.

    Every number can be checked by hand: periods.csv carries, for each row, the
    counts behind its validity (n_valid / n_received / n_expected, in the unit
    column) and the reason. Exit code 2 on bad input (the message names the
    line); outputs are written only when everything succeeded.
    """
    kind = kind.strip().lower()
    if kind not in ("gas", "water"):
        _fail(f"--kind must be gas or water, not {kind!r}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"unknown time zone {tz!r}")
    allowed = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if kind == "gas" else (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
    if interval not in allowed:
        _fail(f"--interval {interval} not allowed for {kind}; one of {', '.join(map(str, allowed))}")
    if not input.is_file():
        _fail(f"input file {str(input)!r} not found")
    if marks is not None and not marks.is_file():
        _fail(f"marks file {str(marks)!r} not found")
    for out in (output, rates):
        if out is not None and not (out.parent if str(out.parent) else Path(".")).is_dir():
            _fail(f"output directory of {str(out)!r} does not exist")

    period = None
    if first is not None or last is not None:
        if not first or not last:
            _fail("give --from and --to together")
        try:
            d0 = date.fromisoformat(first)
            # --to: a day (inclusive: up to its end) or a local time (exclusive), like the API's end
            end = (datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(), zone) if len(last) <= 10
                   else datetime.fromisoformat(last))
        except ValueError:
            _fail(f"--from must be a date (YYYY-MM-DD) and --to a date or a time, not {first!r}/{last!r}")
        end = end if end.tzinfo else end.replace(tzinfo=zone)
        start = datetime.combine(d0, time(), zone)
        if end <= start:
            _fail("--to is before --from")
        period = (start, end)
    # the audit's modules (numpy ...) are imported when the command runs, not when the command line is built
    from ecosentry.subsystems.monitoring.offline.compute import PERIOD_COLUMNS, collect, rates_to_json
    from ecosentry.subsystems.monitoring.offline.compute import compute as compute_periods
    from ecosentry.subsystems.monitoring.offline.csvio import (AuditInputError, iter_data_rows, read_marks,
                                                               write_atomically)

    connected_at: dict[str, datetime] = {}
    for item in connected:
        point, sep, when = item.partition("=")
        try:
            t = datetime.fromisoformat(when.strip())
        except ValueError:
            t = None
        if not sep or not point.strip() or t is None:
            _fail(f"--connected {item!r}: use POINT=YYYY-MM-DD or POINT=YYYY-MM-DDTHH:MM")
        connected_at[point.strip()] = t if t.tzinfo else t.replace(tzinfo=zone)
    try:
        mark_list = read_marks(marks, zone) if marks is not None else []
        size = input.stat().st_size
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True)
        with Progress(console=console, disable=size < PROGRESS_MIN_BYTES, transient=True) as progress:
            task = progress.add_task(f"reading {input.name}", total=size)
            groups = collect(iter_data_rows(input, zone, on_progress=lambda n: progress.advance(task, n)))
            series = progress.add_task("computing", total=len(groups))
            result = compute_periods(
                groups, kind=kind, zone=zone, interval=interval, marks=mark_list,
                on_series=lambda: progress.advance(series, 1),
                period=period, connected=connected_at, now=datetime.now(timezone.utc),
            )
    except AuditInputError as exc:
        _fail(exc)
    except UnicodeDecodeError as exc:
        _fail(N_("%(path)s: not UTF-8 text (%(reason)s)"), path=input, reason=exc.reason)
    except ValueError as exc:
        _fail(exc if isinstance(exc, Said) else Said(str(exc)))
    if not result.rows:
        _fail(N_("%(path)s: no data rows"), path=input)

    days = sorted({r.start.date() for r in result.rows if r.period == "day"})
    temps: list[tuple[Path, Path]] = []
    try:
        def write_periods(fh) -> None:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(PERIOD_COLUMNS)
            for row in result.rows:
                w.writerow(row.as_csv())

        temps.append((write_atomically(output, write_periods), output))
        if rates is not None:
            doc = rates_to_json(
                result, kind=kind, tz=tz, interval=interval,
                first=days[0].isoformat() if days else None, last=days[-1].isoformat() if days else None,
            )
            temps.append((
                write_atomically(rates, lambda fh: fh.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")),
                rates,
            ))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in temps:
        os.replace(tmp, final)

    n_series = len(result.factor_counts)
    from ecosentry.terminal.messages import say

    span = dict(series=n_series, days=len(days), first=days[0].isoformat() if days else "",
                last=days[-1].isoformat() if days else "", output=output)
    if rates is not None:
        typer.echo(say(N_("%(series)s point×factor series, %(days)s day(s) %(first)s…%(last)s: wrote %(output)s and "
                          "%(rates)s"), rates=rates, **span))
    else:
        typer.echo(say(N_("%(series)s point×factor series, %(days)s day(s) %(first)s…%(last)s: wrote %(output)s"),
                       **span))


#: Alias with the name used in the issue.
compute = compute_command
app.command("compute")(compute_command)
