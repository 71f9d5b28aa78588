"""The core's commands (migrate, serve, worker, recompute, simulate, demo, registry, rules, report, bench) and
the root app and groups the subsystems add theirs to (``ecosentry.cli``)."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer
from rich.console import Console

from ecosentry.settings import Settings, get_settings

app = typer.Typer(help="ecosentry: open platform for pollution-source supervision.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
registry_app = typer.Typer(help="Registry: regions, enterprises, outlets, points, factors.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print and record numbers.", no_args_is_help=True)
rules_app = typer.Typer(help="The catalogue of rule codes.", no_args_is_help=True)
report_app = typer.Typer(help="Reports in the HJ 76 layouts, as PDF or XLSX.", no_args_is_help=True)
alarm_app = typer.Typer(help="Alarms: the evidence pack for enforcement.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _run_until_signal(main) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await main(stop)


def _run_service(main, st: Settings, options: dict[str, str]) -> None:
    """Run ``main`` until a signal; a listening port held by another program ends the command with one
    sentence naming the port and the option (``options``: web/hj212/ftp → option) that moves it, exit 2;
    so does a spool whose ingest worker another process runs."""
    from ecosentry.cli.messages import cli_language, port_in_use_message
    from ecosentry.pipeline.spool_lock import SpoolBusy
    from ecosentry.service import PortInUse

    try:
        asyncio.run(_run_until_signal(main))
    except PortInUse as exc:
        err.print(port_in_use_message(exc, options, cli_language(st.default_locale)), highlight=False,
                  markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except SpoolBusy as exc:
        _print_spool_busy(exc, st)
        raise typer.Exit(2) from None


@rules_app.command("list")
def rules_list(as_json: bool = typer.Option(False, "--json", help="one JSON object per rule")) -> None:
    """Print every rule code with its severity, summary and source (generated from the code)."""
    import json

    from rich.table import Table

    from ecosentry.catalogue import full_catalogue

    entries = full_catalogue()
    if as_json:
        for r in entries:
            print(json.dumps({"code": r.code, "severity": r.severity, "summary": r.summary, "source": r.source,
                              "module": r.module, "tag": r.tag}, ensure_ascii=False))
        return
    table = Table(title=f"ecosentry rule catalogue ({len(entries)} codes)")
    for col in ("code", "severity", "summary", "source", "tag"):
        table.add_column(col, overflow="fold")
    for r in entries:
        table.add_row(r.code, r.severity or "—", r.summary, r.source, r.tag)
    console.print(table)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and seed the factor catalogue."""
    from ecosentry.service import prepare_database

    st = get_settings()
    prepare_database(st.database_url).dispose()
    console.print(f"database ready: {st.database_url}")


@registry_app.command("import")
def registry_import(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                help="fleet file (.yaml/.yml nested, or .csv one row per point-factor)")) -> None:
    """Load regions, enterprises, outlets, points, factors, limits and users (idempotent)."""
    from ecosentry.service import prepare_database
    from ecosentry.store.registry import RegistryError, import_fleet, load_fleet_file

    st = get_settings()
    engine = prepare_database(st.database_url)
    try:
        summary = import_fleet(engine, load_fleet_file(path), default_tz=st.default_tz)
    except RegistryError as exc:
        err.print(f"[red]import failed, nothing changed:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"imported {summary}")


@app.command()
def serve(verbose: bool = typer.Option(False, "-v", "--verbose")) -> None:
    """Run the HJ 212 gateway, the ingest worker and the web/API server (settings from ECOSENTRY_*)."""
    from ecosentry.service import Service

    _logging(verbose)
    st = get_settings()

    async def main(stop: asyncio.Event) -> None:
        svc = Service(st)
        await svc.start()
        console.print(f"HJ 212 gateway on {st.hj212_host}:{svc.hj212_port}; web and API at {svc.url} "
                      f"(OpenAPI {svc.url}docs)")
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
    from ecosentry.pipeline.directory import PointDirectory
    from ecosentry.pipeline.parent_watch import watch_parent
    from ecosentry.pipeline.spool import SpoolReader
    from ecosentry.pipeline.spool_lock import SpoolBusy, SpoolLock
    from ecosentry.pipeline.worker import IngestWorker
    from ecosentry.store.db import make_engine

    _logging(verbose)
    st = get_settings()
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
        w = IngestWorker(engine, SpoolReader(st.data_dir / "spool"), PointDirectory(engine),
                         batch_max=st.ingest_batch_max, hourly_every=st.hourly_every)
        task = asyncio.create_task(w.run())
        await stop.wait()
        await w.flush_hours()
        w.stop()
        await asyncio.wait_for(task, 10)
        engine.dispose()

    with lock:
        asyncio.run(_run_until_signal(main))


def _print_spool_busy(exc, st: Settings) -> None:
    from ecosentry.cli.messages import cli_language, spool_busy_message

    err.print(spool_busy_message(exc, cli_language(st.default_locale)), highlight=False, markup=False,
              soft_wrap=True)


@app.command()
def recompute(start: str = typer.Option(..., "--from", help="start, ISO 8601 (local time of --tz without offset)"),
              end: str = typer.Option(..., "--to", help="end (exclusive), ISO 8601"),
              region: str | None = typer.Option(None, help="GB/T 2260 code: this region and below"),
              tz: str = typer.Option("Asia/Shanghai", help="time zone of --from/--to without offset")) -> None:
    """Recompute derived hours, days and months (validity, exceedance) over a time range."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.progress import Progress

    from ecosentry.pipeline.directory import PointDirectory
    from ecosentry.pipeline.recompute import recompute_range
    from ecosentry.service import prepare_database

    def parse(v: str, name: str) -> datetime:
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            err.print(f"[red]--{name} {v!r} is not an ISO 8601 time[/red] (e.g. 2026-11-01 or 2026-11-01T08:00+08:00)")
            raise typer.Exit(2) from None
        return t if t.tzinfo else t.replace(tzinfo=ZoneInfo(tz))

    t0, t1 = parse(start, "from"), parse(end, "to")
    if t0 >= t1:
        err.print("[red]--from must be before --to[/red]")
        raise typer.Exit(2)
    st = get_settings()
    engine = prepare_database(st.database_url)
    directory = PointDirectory(engine)
    with Progress(console=console) as progress:
        task = progress.add_task("recomputing", total=None)
        totals = recompute_range(engine, directory, t0, t1, region=region,
                                 progress=lambda i, n: progress.update(task, completed=i, total=n))
    console.print(f"recomputed {totals['hours']} hours, {totals['days']} days, {totals['months']} months "
                  f"of {totals['points']} points")


def _write_report(kind: str, fmt: str, output: Path, build) -> None:
    from ecosentry.api.routes.reports import render
    from ecosentry.reports.model import ReportError

    if fmt not in ("pdf", "xlsx"):
        err.print(f"[red]--format must be pdf or xlsx, not {fmt!r}[/red]")
        raise typer.Exit(2)
    try:
        data = render(kind, fmt, build)
    except (ReportError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data)} bytes)")


def _engine():
    from ecosentry.service import prepare_database

    return prepare_database(get_settings().database_url)


def _date(value: str, name: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]--{name} {value!r} is not a date (YYYY-MM-DD)[/red]")
        raise typer.Exit(2) from None


FORMAT = typer.Option("pdf", "--format", help="pdf | xlsx")
OUTPUT = typer.Option(..., "--output", "-o", help="file to write")


@report_app.command("daily")
def report_daily(point: int = typer.Option(..., help="point id (see /api/v1/points)"),
                 day: str = typer.Option(..., help="local day, YYYY-MM-DD"), fmt: str = FORMAT,
                 output: Path = OUTPUT) -> None:
    """HJ 76 daily report (日报表): one row per hour."""
    from ecosentry.reports.model import build_daily_report

    d = _date(day, "day")
    _write_report("daily", fmt, output, lambda: build_daily_report(_engine(), point, d))


@report_app.command("monthly")
def report_monthly(point: int = typer.Option(...), year: int = typer.Option(...), month: int = typer.Option(...),
                   fmt: str = FORMAT, output: Path = OUTPUT) -> None:
    """Monthly report (月报表): one row per day."""
    from ecosentry.reports.periodic import build_monthly_report

    _write_report("monthly", fmt, output, lambda: build_monthly_report(_engine(), point, year, month))


@report_app.command("yearly")
def report_yearly(point: int = typer.Option(...), year: int = typer.Option(...), fmt: str = FORMAT,
                  output: Path = OUTPUT) -> None:
    """Yearly report (年报表): one row per month."""
    from ecosentry.reports.periodic import build_yearly_report

    _write_report("yearly", fmt, output, lambda: build_yearly_report(_engine(), point, year))


@report_app.command("rates")
def report_rates(start: str = typer.Option(..., "--from", help="first local day, YYYY-MM-DD"),
                 end: str = typer.Option(..., "--to", help="last local day (inclusive)"),
                 region: str | None = typer.Option(None, help="GB/T 2260 code: this region and below"),
                 fmt: str = FORMAT, output: Path = OUTPUT) -> None:
    """Transmission-rate report (有效传输率) per point, enterprise and region, by summed counts."""
    from ecosentry.reports.rate_report import build_rate_report

    d0, d1 = _date(start, "from"), _date(end, "to")
    _write_report("rates", fmt, output, lambda: build_rate_report(_engine(), region, d0, d1))


@app.command()
def simulate(loggers: int = typer.Option(10, "--loggers", "-n", min=1, help="virtual data loggers"),
             host: str = typer.Option("127.0.0.1", help="HJ 212 server host"),
             port: int = typer.Option(9212, help="HJ 212 server port"),
             fleet_out: Path | None = typer.Option(None, help="write the simulated fleet here (YAML) to import it"),
             backfill_hours: float = typer.Option(0, help="first send this many hours of history"),
             rtd_interval: int = typer.Option(30, help="real-time upload interval [s]"),
             seed: int = 1, verbose: bool = typer.Option(False, "-v"),
             inject: str | None = typer.Option(None, help="all or fault classes (comma-separated): write a labelled "
                                               "set with injected faults to --inject-out instead of sending"),
             inject_out: Path | None = typer.Option(None, help="directory for the labelled set (with --inject)")) -> None:
    """Run N virtual data loggers (flue gas and wastewater) against an HJ 212 server over real TCP.

    With ``--inject``, write a labelled synthetic set with injected faults instead (see ``simulate-inject``).
    """
    if inject is not None:
        if inject_out is None:
            err.print("[red]--inject needs --inject-out DIR[/red]")
            raise typer.Exit(2)
        from ecosentry.cli.detect import simulate_inject_command

        simulate_inject_command(out=inject_out, inject=inject, seed=seed, points=24, days=30, per_class=2, clean=4)
        return
    from ecosentry.simulate.fleet import demo_fleet, write_fleet_yaml
    from ecosentry.simulate.runner import run_fleet

    _logging(verbose)
    fleet = demo_fleet(loggers, seed=seed)
    if fleet_out:
        write_fleet_yaml(fleet, fleet_out)
        console.print(f"fleet written to {fleet_out}; import it with: ecosentry registry import {fleet_out}")

    async def main(stop: asyncio.Event) -> None:
        await run_fleet(fleet, host, port, stop=stop, backfill_hours=backfill_hours, rtd_interval=rtd_interval,
                        console=console)

    asyncio.run(_run_until_signal(main))


@app.command()
def demo(loggers: int = typer.Option(12, "--loggers", "-n", min=1),
         port: int = typer.Option(8000, help="web port (0 = any free port)"),
         hj212_port: int = typer.Option(0, help="HJ 212 port (0 = any free port)"),
         data_dir: Path = typer.Option(Path("var/demo"), help="SQLite file and spool go here"),
         backfill_hours: float = typer.Option(24, help="hours of history each simulated logger sends first"),
         country: str = typer.Option("cn", help="cn: HJ 212 loggers over TCP; vn: Circular 10/2021 stations "
                                     "uploading files over FTP, Vietnamese interface"),
         verbose: bool = typer.Option(False, "-v")) -> None:
    """SQLite + HJ 212 server + simulated loggers + web, in one process. Prints the URL."""
    if country not in ("cn", "vn"):
        err.print("[red]--country must be cn or vn[/red]")
        raise typer.Exit(2)
    if country == "vn":
        _demo_vn(loggers, port, data_dir, backfill_hours, verbose)
        return
    from ecosentry.service import Service, prepare_database
    from ecosentry.simulate.fleet import DEMO_PASSWORD, demo_accounts, demo_fleet
    from ecosentry.simulate.runner import run_fleet
    from ecosentry.store.registry import import_fleet

    _logging(verbose)
    data_dir.mkdir(parents=True, exist_ok=True)
    st = Settings(database_url=f"sqlite:///{data_dir / 'ecosentry.sqlite'}", data_dir=data_dir,
                  http_host="127.0.0.1", http_port=port, hj212_host="127.0.0.1", hj212_port=hj212_port,
                  hourly_every=5.0, worker_lock_wait=5.0,  # in one process: no orphaned worker to wait for
                  # every simulated logger connects from 127.0.0.1: the per-address bound must admit them all
                  hj212_max_connections_per_peer=max(64, 2 * loggers))
    # the demo's points go live now, with the history they back-fill: data are expected from then on
    fleet = demo_fleet(loggers, connected_at=datetime.now(timezone.utc) - timedelta(hours=backfill_hours))
    import_fleet(prepare_database(st.database_url), fleet)

    async def main(stop: asyncio.Event) -> None:
        svc = Service(st)
        await svc.start()
        console.print(f"[bold green]ecosentry demo running:[/bold green] open {svc.url}")
        console.print(f"  API docs {svc.url}docs · HJ 212 on 127.0.0.1:{svc.hj212_port} · "
                      f"{loggers} simulated loggers · data in {data_dir} · Ctrl-C to stop")
        console.print(f"  demo accounts (password [bold]{DEMO_PASSWORD}[/bold], log in at {svc.url}login):")
        for username, role, name in demo_accounts(fleet):
            console.print(f"    {username:<11} {role:<10} {name}", highlight=False)
        sim = asyncio.create_task(run_fleet(fleet, "127.0.0.1", svc.hj212_port, stop=stop,
                                            backfill_hours=backfill_hours, rtd_interval=10))
        await stop.wait()
        sim.cancel()
        await asyncio.gather(sim, return_exceptions=True)
        await svc.stop()

    _run_service(main, st, {"web": "--port", "hj212": "--hj212-port", "ftp": "--port"})


def _demo_vn(stations: int, port: int, data_dir: Path, backfill_hours: float, verbose: bool) -> None:
    """The Vietnamese demo: a DONRE platform receiving station files by FTP (issue 7)."""
    from ecosentry.service import Service, prepare_database
    from ecosentry.simulate.fleet import DEMO_PASSWORD
    from ecosentry.simulate.vn_stations import demo_vn_fleet
    from ecosentry.simulate.vn_uploader import run_vn_stations
    from ecosentry.store.registry import import_fleet

    _logging(verbose)
    data_dir = data_dir.with_name(data_dir.name + "-vn") if data_dir == Path("var/demo") else data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    st = Settings(database_url=f"sqlite:///{data_dir / 'ecosentry.sqlite'}", data_dir=data_dir,
                  http_host="127.0.0.1", http_port=port, hj212_host="127.0.0.1", hj212_port=0,
                  ftp_enabled=True, ftp_host="127.0.0.1", ftp_port=0, hourly_every=5.0, worker_lock_wait=5.0,
                  default_tz="Asia/Ho_Chi_Minh", default_locale="vi")
    fleet = demo_vn_fleet(stations)
    province = next(r["code"] for r in fleet["regions"] if r.get("level") == "province")
    fleet["users"] = [
        {"username": "admin", "role": "admin", "display_name": "Quản trị", "password": DEMO_PASSWORD, "locale": "vi"},
        {"username": "donre", "role": "regulator", "region": province, "display_name": "Sở TN&MT",
         "password": DEMO_PASSWORD, "locale": "vi"},
    ]
    for e in fleet["enterprises"]:
        e["published"] = True
    import_fleet(prepare_database(st.database_url), fleet)

    async def main(stop: asyncio.Event) -> None:
        svc = Service(st)
        await svc.start()
        console.print(f"[bold green]ecosentry demo (Việt Nam) running:[/bold green] open {svc.url}")
        console.print(f"  FTP on 127.0.0.1:{svc.ftp_port} (one account per station) · {stations} stations · "
                      f"data in {data_dir} · Ctrl-C to stop")
        console.print(f"  accounts admin, donre (password [bold]{DEMO_PASSWORD}[/bold]), log in at {svc.url}login")
        sim = asyncio.create_task(run_vn_stations(fleet, "127.0.0.1", svc.ftp_port, stop=stop,
                                                  backfill_hours=backfill_hours, late_share=0.05,
                                                  malformed_share=0.02))
        await stop.wait()
        sim.cancel()
        await asyncio.gather(sim, return_exceptions=True)
        await svc.stop()

    _run_service(main, st, {"web": "--port", "hj212": "--port", "ftp": "--port"})


@bench_app.command("nab")
def bench_nab(nab_dir: Path = typer.Option(Path("../shared/nab"), help="NAB data and labels (data/, labels/, config/)"),
              profile: str = typer.Option("standard", help="standard | reward_low_FP | reward_low_FN"),
              out: Path | None = typer.Option(Path("docs/bench-nab.json"), help="write the result here")) -> None:
    """Score the statistical detector on the Numenta Anomaly Benchmark (58 series, NAB scoring re-implemented)."""
    from ecosentry.bench.nab import run_bench_nab

    if not (nab_dir / "labels" / "combined_windows.json").is_file():
        err.print(f"[red]no NAB corpus at {nab_dir}[/red] (expected labels/combined_windows.json); "
                  "pass --nab-dir")
        raise typer.Exit(2)
    run_bench_nab(nab_dir, profile=profile, out=out, console=console)


@bench_app.command("recompute")
def bench_recompute(outlets: int = typer.Option(1000, help="outlets in the generated city"),
                    factors: int = typer.Option(10, help="factors per outlet"),
                    year: int = typer.Option(2025, help="year of hourly data"),
                    seed: int = typer.Option(1)) -> None:
    """Generate a city in memory; time minute→hour, hour→day, day→month, rates and exceedance for a year."""
    from ecosentry.bench.recompute import run_bench_recompute

    run_bench_recompute(outlets=outlets, factors=factors, year=year, seed=seed, console=console)


@bench_app.command("ingest")
def bench_ingest(loggers: int = typer.Option(200, help="concurrent simulated loggers"),
                 frames: int = typer.Option(20, help="minute frames each logger sends"),
                 databases: str = typer.Option("sqlite,postgresql", help="comma-separated: sqlite, postgresql"),
                 pg_url: str = typer.Option("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                            help="server where a scratch database is created"),
                 out: Path | None = typer.Option(Path("docs/bench-ingest.json"), help="append results here")) -> None:
    """Drive the TCP server with simulated loggers; print frames/s, data points/s, p99 reply latency,
    and the rate of a plain PostgreSQL COPY of the same rows."""
    from ecosentry.bench.ingest import run_bench

    run_bench(loggers=loggers, frames=frames, databases=[d.strip() for d in databases.split(",") if d.strip()],
              pg_url=pg_url, out=out, console=console)
