"""``ecosentry forward ...``: upper-level forwarding targets, backlog, and a standalone forwarder.

What the commands print (results, tables, refusals: ``error: …`` and exit code 2) is said in the terminal's
language (:mod:`ecosentry.terminal.messages`); ``--json`` keeps the field names for scripts.

Registered in ``ecosentry/cli/__init__.py`` with ``app.add_typer(forward_app, name="forward")``.
"""

from __future__ import annotations

import json
import logging
import signal

import typer
from rich.console import Console
from rich.table import Table

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.forward.settings import ACK_MODES, KINDS
from ecosentry.terminal.messages import fail, say

# The queue and the runner (SQLAlchemy, the store's schema) are imported by the commands that use them, not
# when the command line is assembled: ``ecosentry detect`` and the other offline commands never load them.


def get_settings():
    """The one settings object, imported when a command needs it (not when the command line is assembled:
    ``ecosentry detect`` and the other offline commands read no settings)."""
    from ecosentry.settings import get_settings as _get_settings

    return _get_settings()


app = typer.Typer(help="Forwarding to upper platforms: MONRE by FTP (Vietnam), HJ 212 relay (China).",
                  no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)

TARGET_COLUMNS = (N_("name"), N_("kind"), N_("address"), N_("what"), N_("forwarding"))
BACKLOG_COLUMNS = (N_("target"), N_("kind"), N_("pending"), N_("delivered"), N_("failed"), N_("oldest pending"),
                   N_("last error"))


def _engine():
    from ecosentry.service import prepare_database

    return prepare_database(get_settings().database_url)


def _parse_map(items: list[str]) -> dict[str, dict[str, str]]:
    """``LOCAL=UPPER`` or ``LOCAL=UPPER:PW`` → MN map."""
    from ecosentry.subsystems.monitoring.forward.queue import ForwardError

    out: dict[str, dict[str, str]] = {}
    for it in items:
        local, sep, upper = it.partition("=")
        if not sep or not local or not upper:
            raise ForwardError(N_("--map %(item)r: expected LOCAL_MN=UPPER_MN or LOCAL_MN=UPPER_MN:UPPER_PW"),
                               item=it)
        mn, _, pw = upper.partition(":")
        out[local] = {k: v for k, v in (("mn", mn), ("pw", pw)) if v}
    return out


@app.command("add")
def add(
    name: str = typer.Argument(..., help="a unique name, e.g. monre or provincial-platform"),
    kind: str = typer.Option(..., "--kind", help=f"{' | '.join(KINDS)}"),
    host: str = typer.Option(..., "--host"),
    port: int = typer.Option(None, "--port", help="default 21 (vn-ftp) or 9212 (hj212)"),
    user: str = typer.Option(None, "--user", help="FTP user (vn-ftp)"),
    password: str = typer.Option(None, "--password",
                                 help="FTP password (vn-ftp); default upper PW (hj212; omit to keep the logger's)"),
    remote_path: str = typer.Option(None, "--remote-path", help="remote folder (vn-ftp), created when missing"),
    region: str = typer.Option(None, "--region", help="forward the points of this region subtree"),
    point: list[str] = typer.Option(None, "--point", help="forward this point (MN or VN station key); repeatable"),
    mn_map: list[str] = typer.Option(None, "--map", help="hj212: LOCAL_MN=UPPER_MN[:UPPER_PW]; repeatable"),
    pass_through: bool = typer.Option(False, "--pass-through", help="hj212: relay frames byte for byte"),
    ack_mode: str = typer.Option("as_sent", "--ack", help=f"hj212: {' | '.join(ACK_MODES)}"),
    cn: list[str] = typer.Option(None, "--cn", help="hj212: relay these CNs (default: the data uploads)"),
    from_start: bool = typer.Option(False, "--from-start", help="also forward data archived before now"),
) -> None:
    """Add a forwarding target (an upper platform) and print it as JSON."""
    from ecosentry.subsystems.monitoring.forward.queue import ForwardError, add_target

    try:
        t = add_target(_engine(), name=name, kind=kind, host=host,
                       port=port or (21 if kind == "vn-ftp" else 9212), username=user, password=password,
                       remote_path=remote_path, region_code=region, point_mns=point or None,
                       mn_map=_parse_map(mn_map or []), pass_through=pass_through, ack_mode=ack_mode,
                       cns=cn or None, from_start=from_start)
    except ForwardError as exc:
        fail(N_("cannot add target: %(problem)s"), problem=exc)
    print(json.dumps(_public(t), ensure_ascii=False))


def _public(t) -> dict:
    return {"id": t.id, "name": t.name, "kind": t.kind, "host": t.host, "port": t.port, "user": t.username,
            "remote_path": t.remote_path, "region": t.region_code, "point_ids": t.point_ids,
            "mn_map": {k: {"mn": v.get("mn")} for k, v in t.mn_map.items()}, "pass_through": t.pass_through,
            "ack": t.ack_mode, "cns": sorted(t.cns) if t.cns else None, "active": t.active}


@app.command("list")
def list_targets(as_json: bool = typer.Option(False, "--json", help="one JSON object per target")) -> None:
    """List the forwarding targets (passwords are never printed)."""
    from ecosentry.subsystems.monitoring.forward.queue import load_targets

    targets = load_targets(_engine(), active_only=False)
    if as_json:
        for t in targets:
            print(json.dumps(_public(t), ensure_ascii=False))
        return
    table = Table(title=say(N_("forwarding targets (%(n)s)"), n=len(targets)))
    for col in TARGET_COLUMNS:
        table.add_column(say(col), overflow="fold")
    for t in targets:
        what = ", ".join(x for x in (say(N_("region %(code)s"), code=t.region_code) if t.region_code else "",
                                     say(N_("%(n)s point(s)"), n=len(t.point_ids)) if t.point_ids else "") if x) \
            or say(N_("every point"))
        table.add_row(t.name, t.kind, f"{t.host}:{t.port}{t.remote_path or ''}", what,
                      say(N_("yes") if t.active else N_("no")))
    console.print(table)


@app.command("backlog")
def show_backlog(as_json: bool = typer.Option(False, "--json", help="one JSON object per target")) -> None:
    """Pending, delivered and failed items per target, the oldest pending item and the last error."""
    from ecosentry.subsystems.monitoring.forward.queue import backlog

    rows = backlog(_engine())
    if as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return
    table = Table(title=say(N_("forwarding backlog")))
    for col in BACKLOG_COLUMNS:
        table.add_column(say(col), overflow="fold")
    for r in rows:
        table.add_row(r["target"], r["kind"], str(r["pending"]), str(r["delivered"]), str(r["failed"]),
                      r["oldest_pending"] or "—", r["last_error"] or "—")
    console.print(table)


@app.command("pause")
def pause(name: str) -> None:
    """Stop forwarding to a target (its queue keeps filling)."""
    _set_active(name, False)


@app.command("resume")
def resume(name: str) -> None:
    """Resume forwarding to a target; its backlog is sent in order."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    from ecosentry.subsystems.monitoring.forward.queue import ForwardError, set_target_active

    try:
        set_target_active(_engine(), name, active)
    except ForwardError as exc:
        fail(exc)
    console.print(say(N_("%(name)s: %(state)s"), name=name, state=Said(N_("active") if active else N_("paused"))),
                  highlight=False)


@app.command("retry")
def retry(name: str) -> None:
    """Put a target's failed items back in its queue."""
    from ecosentry.subsystems.monitoring.forward.queue import ForwardError, retry_failed

    try:
        n = retry_failed(_engine(), name)
    except ForwardError as exc:
        fail(exc)
    console.print(say(N_("%(name)s: %(n)s item(s) queued again"), name=name, n=n), highlight=False)


@app.command("run")
def run(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Run the forwarder on its own (when ``serve`` does not run it): feed, send, retry until Ctrl-C."""
    import asyncio
    from ecosentry.subsystems.monitoring.forward.runner import ForwardRunner

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def _main() -> None:
        runner = ForwardRunner(_engine(), get_settings().forward)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop)
        await runner.run()

    asyncio.run(_main())
