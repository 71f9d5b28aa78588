"""``ecosentry vn ...``: Vietnamese station files (Circular 10/2021/TT-BTNMT) from the command line.

Registered in ``ecosentry/cli/__init__.py`` with ``app.add_typer(vn_app, name="vn")``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer


app = typer.Typer(
    help="Vietnam (Circular 10/2021/TT-BTNMT): read and check station files.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _main() -> None:
    """Vietnam (Circular 10/2021/TT-BTNMT): read and check station files."""


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


@app.command("parse")
def parse(
    files: list[Path] = typer.Argument(..., help="Station files <Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt"),
    lenient_time: bool = typer.Option(False, "--lenient-time", help="Keep lines whose time differs from the "
                                      "file-name time (noted) instead of rejecting the file."),
    decimal_comma: bool = typer.Option(False, "--decimal-comma", help="Read 12,5 as 12.5."),
) -> None:
    """Parse station files; print one JSON object per file (one line each).

    Accepted: {"file", "ok": true, "name": {province, facility, station, station_key, time}, "lines":
    [{line, parameter, value, unit, time, status}], "notes": [...]}. Rejected: {"file", "ok": false,
    "error": {"reason", "message", "line"}}.

    Exit code: 0 if every file was accepted, 2 if any was rejected (or could not be read).
    """
    from ecosentry.protocols.vn_txt import VnFileError, parse_file

    rejected = 0
    for path in files:
        out: dict = {"file": str(path)}
        try:
            data = path.read_bytes()
        except OSError as exc:
            rejected += 1
            out.update(ok=False, error={"reason": "unreadable", "message": f"{exc.strerror or exc}", "line": None})
            typer.echo(json.dumps(out, ensure_ascii=False))
            continue
        try:
            f = parse_file(path.name, data, strict_time=not lenient_time, decimal_comma=decimal_comma)
        except VnFileError as exc:
            rejected += 1
            out.update(ok=False, error={"reason": exc.reason, "message": str(exc), "line": exc.line})
        else:
            n = f.name
            out.update(
                ok=True,
                name={"province": n.province, "facility": n.facility, "station": n.station,
                      "station_key": n.station_key, "time": _iso(n.time)},
                lines=[{"line": ln.line, "parameter": ln.parameter, "value": ln.value, "unit": ln.unit,
                        "time": _iso(ln.time), "status": ln.status} for ln in f.lines],
                notes=list(f.notes))
        typer.echo(json.dumps(out, ensure_ascii=False))
    if rejected:
        raise typer.Exit(2)
