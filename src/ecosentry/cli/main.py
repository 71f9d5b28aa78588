"""The core's commands (migrate, serve, worker, recompute, simulate, demo, registry, rules, report, bench) and
the root app and groups the subsystems add theirs to (``ecosentry.cli``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ecosentry.settings import Settings

from ecosentry.said import N_, Said
from ecosentry.terminal import console, err, run_until_signal, setup_logging
from ecosentry.terminal.usage import TerminalGroup

#: The root: its group says Typer's own refusals (unknown command or option, missing or malformed value) in the
#: terminal's language, as the commands say theirs (ecosentry.terminal.usage).
app = typer.Typer(help="ecosentry: open platform for pollution-source supervision.", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=TerminalGroup)
registry_app = typer.Typer(help="Registry: regions, enterprises, outlets, points, factors.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print and record numbers.", no_args_is_help=True)
rules_app = typer.Typer(help="The catalogue of rule codes.", no_args_is_help=True)
alarm_app = typer.Typer(help="Alarms: the evidence pack for enforcement.", no_args_is_help=True)


def get_settings():
    """The one settings object, imported when a command needs it (not when the command line is assembled)."""
    from ecosentry.settings import get_settings as _get_settings

    return _get_settings()


def with_changes(*args, **kwargs):
    from ecosentry.settings import with_changes as _with_changes

    return _with_changes(*args, **kwargs)


def _run_service(main, st: Settings, options: dict[str, str]) -> None:
    """Run ``main`` until a signal; a listening port held by another program ends the command with one
    sentence naming the port and the option (``options``: web/hj212/ftp → option) that moves it, exit 2;
    so does a spool whose ingest worker another process runs."""
    import asyncio
    from ecosentry.terminal.messages import cli_language, port_in_use_message
    from ecosentry.pipeline.spool_lock import SpoolBusy
    from ecosentry.service import PortInUse

    try:
        asyncio.run(run_until_signal(main))
    except PortInUse as exc:
        err.print(port_in_use_message(exc, options, cli_language(st.default_locale)), highlight=False,
                  markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except SpoolBusy as exc:
        _print_spool_busy(exc, st)
        raise typer.Exit(2) from None


@rules_app.command("list")
def rules_list(as_json: bool = typer.Option(False, "--json", help="one JSON object per rule")) -> None:
    """Print every rule code with its severity, finding kind, summary and source (generated from the code)."""
    import json

    from rich.table import Table

    from ecosentry.catalogue import full_catalogue

    entries = full_catalogue()
    if as_json:
        for r in entries:
            print(json.dumps({"code": r.code, "severity": r.severity, "summary": r.summary, "source": r.source,
                              "module": r.module, "tag": r.tag, "kind": getattr(r, "kind", None)},
                             ensure_ascii=False))
        return
    table = Table(title=f"ecosentry rule catalogue ({len(entries)} codes)")
    for col in ("code", "severity", "kind", "summary", "source", "tag"):
        table.add_column(col, overflow="fold")
    for r in entries:
        table.add_row(r.code, r.severity or "—", getattr(r, "kind", None) or "—", r.summary, r.source, r.tag)
    console.print(table)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and seed the factor catalogue."""
    from ecosentry.service import prepare_database

    st = get_settings()
    prepare_database(st.database_url).dispose()
    from ecosentry.terminal.messages import say

    console.print(say(N_("database ready: %(url)s"), url=st.database_url), highlight=False, soft_wrap=True)


@registry_app.command("import")
def registry_import(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                help="fleet file (.yaml/.yml nested, or .csv one row per point-factor)")) -> None:
    """Load regions, enterprises, outlets, points, factors, limits and users (idempotent)."""
    from ecosentry.service import prepare_database
    from rich.markup import escape

    from ecosentry.fleet import RegistryError, import_fleet, load_fleet_file
    from ecosentry.locale import translations
    from ecosentry.terminal.language import cli_language

    st = get_settings()
    engine = prepare_database(st.database_url)
    try:
        summary = import_fleet(engine, load_fleet_file(path), default_tz=st.default_tz)
    except RegistryError as exc:
        tr = translations(cli_language(st.default_locale))
        err.print(f"[red]{escape(tr.gettext('Import failed, nothing changed:'))}[/red] "
                  f"{escape(exc.say(tr.gettext))}")
        raise typer.Exit(2) from None
    tr = translations(cli_language(st.default_locale))
    said = tr.gettext(IMPORTED) % {k: getattr(summary, k) for k in IMPORTED_COUNTS}
    more = "".join(f"; {name} {n}" for name, n in summary.subsystems.items())   # a subsystem's own tables
    console.print(said + more, highlight=False, markup=False)


@app.command()
def serve(verbose: bool = typer.Option(False, "-v", "--verbose"),
          role: str = typer.Option("all", "--role", envvar="ECOSENTRY_ROLE",
                                   help="all: everything in one process (embedded spool); gateway | worker | api: "
                                        "one part of a scale-out deployment over NATS JetStream (ECOSENTRY_NATS__*)"),
          ) -> None:
    """Run the HJ 212 gateway, the ingest worker and the web/API server (settings from ECOSENTRY_*)."""
    import asyncio
    from ecosentry.service import ROLES, Service

    if role not in ROLES:
        from ecosentry.terminal.messages import fail

        fail(N_("--role must be one of %(choices)s, not %(value)r"), choices=", ".join(ROLES), value=role)
    setup_logging(verbose)
    st = get_settings()

    async def main(stop: asyncio.Event) -> None:
        from ecosentry.terminal.messages import operator_language, say

        svc = Service(st, role=role)
        await svc.start()
        lang = operator_language(st)
        if role == "worker":
            assert svc.bus_worker is not None
            line = say(N_("ingest worker %(worker)s on NATS %(servers)s, stream %(stream)s (%(n)s partitions)"), lang,
                       worker=svc.bus_worker.worker_id, servers=",".join(st.nats.servers), stream=st.nats.stream,
                       n=st.nats.partitions)
        elif role == "gateway":
            line = say(N_("HJ 212 gateway on %(address)s, publishing to NATS stream %(stream)s"), lang,
                       address=f"{st.hj212_host}:{svc.hj212_port}", stream=st.nats.stream)
        elif role == "api":
            line = say(N_("web and API at %(url)s (OpenAPI %(docs)s); received data goes to NATS stream %(stream)s"),
                       lang, url=svc.url, docs=f"{svc.url}docs", stream=st.nats.stream)
        else:
            line = say(N_("HJ 212 gateway on %(address)s; web and API at %(url)s (OpenAPI %(docs)s)"), lang,
                       address=f"{st.hj212_host}:{svc.hj212_port}", url=svc.url, docs=f"{svc.url}docs")
        console.print(line, highlight=False, soft_wrap=True)
        await stop.wait()
        await svc.stop()

    _run_service(main, st, {"web": "ECOSENTRY_HTTP_PORT", "hj212": "ECOSENTRY_HJ212_PORT",
                            "ftp": "ECOSENTRY_FTP_PORT"})


@app.command()
def worker(verbose: bool = typer.Option(False, "-v", "--verbose"),
           parent_pid: int | None = typer.Option(None, hidden=True, help="set by serve: stop when it ends"),
           parent_fd: int | None = typer.Option(None, hidden=True, help="set by serve: its pipe's read end"),
           lock_wait: float = typer.Option(0.0, hidden=True, help="seconds to wait for the spool lock")) -> None:
    """Run only the ingest worker: spool (ECOSENTRY_DATA_DIR) → database. `serve` starts it itself when
    ECOSENTRY_INGEST_PROCESS=true. One worker per spool: a second one exits (code 2) naming the first."""
    import asyncio
    from ecosentry.pipeline.directory import PointDirectory
    from ecosentry.pipeline.parent_watch import watch_parent
    from ecosentry.pipeline.sinks import build_sinks
    from ecosentry.pipeline.spool import SpoolReader
    from ecosentry.pipeline.spool_lock import SpoolBusy, SpoolLock
    from ecosentry.pipeline.worker import IngestWorker
    from ecosentry.store.db import make_engine

    from ecosentry.service import tune_gc

    setup_logging(verbose)
    st = get_settings()
    tune_gc(st)
    try:
        lock = SpoolLock(st.data_dir / "spool").acquire(wait=lock_wait)
    except SpoolBusy as exc:
        _print_spool_busy(exc, st)
        raise typer.Exit(2) from None

    async def main(stop: asyncio.Event) -> None:
        if parent_pid is not None:  # started by serve: end with it (issue 11, 1f)
            loop = asyncio.get_running_loop()
            watch_parent(parent_pid, lambda: loop.call_soon_threadsafe(stop.set), pipe_fd=parent_fd)
        engine = make_engine(st.database_url)
        w = IngestWorker(engine, SpoolReader(st.data_dir / "spool"), build_sinks(engine, st, PointDirectory(engine)),
                         batch_max=st.ingest_batch_max, flush_every=st.hourly_every)
        task = asyncio.create_task(w.run())
        await stop.wait()
        await w.flush()
        w.stop()
        await asyncio.wait_for(task, 10)
        engine.dispose()

    with lock:
        asyncio.run(run_until_signal(main))


def _print_spool_busy(exc, st: Settings) -> None:
    from ecosentry.terminal.messages import cli_language, spool_busy_message

    err.print(spool_busy_message(exc, cli_language(st.default_locale)), highlight=False, markup=False,
              soft_wrap=True)


@app.command()
def retention(dry_run: bool = typer.Option(False, "--dry-run", help="count what would go; change nothing"),
              verbose: bool = typer.Option(False, "-v")) -> None:
    """Drop the monthly partitions and delete the rows older than the retention settings allow (section
    ``retention``; never below the legal minimum), audited; the service does this every day by itself."""
    from datetime import datetime, timezone

    from ecosentry.retention.apply import run_retention
    from ecosentry.retention.policy import WORDS
    from ecosentry.service import prepare_database
    from ecosentry.terminal.messages import say

    setup_logging(verbose)
    st = get_settings()
    engine = prepare_database(st.database_url)
    try:
        report = run_retention(engine, datetime.now(timezone.utc), st.retention, dry_run=dry_run)
    finally:
        engine.dispose()
    for note in report.cutoffs.raised:
        err.print(say(note))
    lines = [say(N_("%(what)s: %(months)s months kept, data before %(cutoff)s go"), what=Said(WORDS[k]), months=n,
                 cutoff=report.cutoffs.by_kind[k].date().isoformat()) for k, n in report.cutoffs.months.items()]
    for line in lines:
        console.print(line)
    head = N_("Would drop %(n)s partitions and delete %(rows)s rows.") if dry_run else \
        N_("Dropped %(n)s partitions and deleted %(rows)s rows.")
    console.print(say(head, n=len(report.dropped), rows=sum(report.deleted.values())))
    for name, rows in report.dropped.items():
        console.print("  " + say(N_("partition %(name)s: ~%(rows)s rows"), name=name, rows=f"{rows:,}"))
    for what, rows in report.deleted.items():
        if rows:
            console.print("  " + say(N_("%(what)s: %(rows)s rows"), what=Said(_deleted_words(what, WORDS)),
                                     rows=f"{rows:,}"))


#: What the retention report's deleted rows are, by their table (observations: by their kind, ``observations:min``).
DELETED_WORDS = {"raw_frames": "raw", "hourly_values": N_("derived hourly values"),
                 "derived_periods": N_("derived daily and monthly values"), "quarantine": N_("quarantined input")}


def _deleted_words(key: str, kinds: dict[str, str]) -> str:
    """The msgid of what a retention report's ``deleted`` key counts."""
    table, _, kind = key.partition(":")
    word = kinds.get(kind) if kind else DELETED_WORDS.get(table)
    return kinds.get(word, word) if word else key


#: What ``registry import`` says it imported: the entries of the file, whether inserted or updated.
IMPORTED = N_("imported: %(regions)s regions, %(enterprises)s enterprises, %(outlets)s outlets, %(points)s points, "
              "%(point_factors)s point factors, %(limits)s limits, %(users)s users, %(parks)s parks")
IMPORTED_COUNTS = ("regions", "enterprises", "outlets", "points", "point_factors", "limits", "users", "parks")


@app.command()
def demo(loggers: int = typer.Option(12, "--loggers", "-n", min=1,
                                     help="simulated devices of each installed subsystem (loggers, stations ...)"),
         port: int = typer.Option(8000, help="web port (0 = any free port)"),
         hj212_port: int = typer.Option(0, help="HJ 212 port (0 = any free port)"),
         data_dir: Path = typer.Option(Path("var/demo"), help="SQLite file and spool go here"),
         backfill_hours: float = typer.Option(24, help="hours of history each simulated device sends first"),
         country: str = typer.Option("cn", help="cn: HJ 212 loggers over TCP; vn: Circular 10/2021 stations "
                                     "uploading files over FTP, Vietnamese interface"),
         verbose: bool = typer.Option(False, "-v")) -> None:
    """SQLite + HJ 212 server + simulated loggers + web, in one process. Prints the URL.

    Each installed subsystem adds its registry rows and its simulators (``Subsystem.demo``)."""
    import asyncio
    from ecosentry.contracts.subsystem import DemoOptions
    from ecosentry.installed import each
    from ecosentry.service import Service, prepare_database
    from ecosentry.fleet import import_fleet

    if country not in ("cn", "vn"):
        from ecosentry.terminal.messages import fail

        fail(N_("--country must be cn or vn, not %(value)r"), value=country)
    setup_logging(verbose)
    if country == "vn" and data_dir == Path("var/demo"):
        data_dir = data_dir.with_name(data_dir.name + "-vn")
    data_dir.mkdir(parents=True, exist_ok=True)
    options = DemoOptions(size=loggers, country=country, backfill_hours=backfill_hours, data_dir=data_dir,
                          port=port, hj212_port=hj212_port)
    plans = [plan for _, make in each("demo") if (plan := make(options)) is not None]
    wanted: dict = {"database_url": f"sqlite:///{data_dir / 'ecosentry.sqlite'}", "data_dir": data_dir,
                    "http_host": "127.0.0.1", "http_port": port, "hj212_host": "127.0.0.1", "hj212_port": hj212_port,
                    # in one process: no orphaned worker to wait for
                    "hourly_every": 5.0, "worker_lock_wait": 5.0}
    if country == "vn":
        wanted.update(default_tz="Asia/Ho_Chi_Minh", default_locale="vi")
    fleet: dict = {}
    for plan in plans:
        wanted.update(plan.settings)
        for key, rows in plan.fleet.items():
            fleet.setdefault(key, []).extend(rows) if isinstance(rows, list) else fleet.setdefault(key, rows)
    st = with_changes(get_settings(), wanted)  # the environment read once, the demo's choices over it
    import_fleet(prepare_database(st.database_url), fleet)

    async def main(stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as around:  # what the plans need up before the service starts
            for plan in plans:
                if plan.around:
                    await around.enter_async_context(plan.around(st))
            await run_demo(stop)

    async def run_demo(stop: asyncio.Event) -> None:
        svc = Service(st)
        await svc.start()
        from ecosentry.auth.guards import role_word
        from ecosentry.terminal.messages import operator_language, padded, say

        lang = operator_language(st)
        title = say(N_("ecosentry demo (Vietnam) running:") if country == "vn" else N_("ecosentry demo running:"), lang)
        console.print(f"[bold green]{title}[/bold green] " + say(N_("open %(url)s"), lang, url=svc.url))
        lines = [line for plan in plans if plan.banner for line in plan.banner(svc)]
        parts = [line for line in lines if not line.startswith(" ")]   # indented lines: after the accounts
        console.print("  " + " · ".join([say(N_("API docs %(url)s"), lang, url=f"{svc.url}docs"), *parts,
                                         say(N_("data in %(folder)s"), lang, folder=str(data_dir)),
                                         say(N_("Ctrl-C to stop"), lang)]))
        accounts = [a for plan in plans for a in plan.accounts]
        password = next((plan.password for plan in plans if plan.password), "")
        console.print("  " + say(N_("demo accounts (password %(password)s, log in at %(url)s):"), lang,
                                 password=f"[bold]{password}[/bold]", url=f"{svc.url}login"))
        for username, role, name in accounts:
            console.print(f"    {padded(username, 12)} {padded(say(role_word(role), lang), 18)} {name}", highlight=False)
        for line in lines:
            if line.startswith(" "):
                console.print(line, highlight=False, soft_wrap=True)
        sims = [asyncio.create_task(plan.run(svc, stop)) for plan in plans if plan.run]
        await stop.wait()
        for sim in sims:
            sim.cancel()
        await asyncio.gather(*sims, return_exceptions=True)
        await svc.stop()

    port_options = {"web": "--port", "hj212": "--hj212-port" if country == "cn" else "--port", "ftp": "--port"}
    _run_service(main, st, port_options)
