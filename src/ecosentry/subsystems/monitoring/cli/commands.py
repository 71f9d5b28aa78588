"""The monitoring subsystem's own commands: recompute, the HJ 76 and rate reports, the virtual loggers and its
benchmarks (added to the core's ``bench`` group)."""

from __future__ import annotations

from pathlib import Path

import typer

from ecosentry.said import N_, Said
from ecosentry.terminal import console, run_until_signal, setup_logging
from ecosentry.terminal.messages import fail as _fail, say


def get_settings():
    """The one settings object, imported when a command needs it (not when the command line is assembled:
    ``ecosentry detect`` and the other offline commands read no settings)."""
    from ecosentry.settings import get_settings as _get_settings

    return _get_settings()


app = typer.Typer()
report_app = typer.Typer(help="Reports in the HJ 76 layouts, as PDF or XLSX.", no_args_is_help=True)
bench_app = typer.Typer()


@app.command()
def recompute(start: str = typer.Option(..., "--from", help="start, ISO 8601 (local time of --tz without offset)"),
              end: str = typer.Option(..., "--to", help="end (exclusive), ISO 8601"),
              region: str | None = typer.Option(None, help="GB/T 2260 code: this region and below"),
              tz: str = typer.Option("Asia/Shanghai", help="time zone of --from/--to without offset"),
              path: str = typer.Option("auto", help="auto | bulk | per-period: bulk reads the minutes by COPY "
                                                    "and computes in bulk (same rows); auto takes it for ranges "
                                                    "above a day of one point")) -> None:
    """Recompute derived hours, days and months (validity, exceedance) over a time range."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.progress import Progress

    from ecosentry.pipeline.directory import PointDirectory
    from ecosentry.service import prepare_database
    from ecosentry.subsystems.monitoring.pipeline.bulk_recompute import bulk_recompute_range, choose_path
    from ecosentry.subsystems.monitoring.pipeline.recompute import points_in_scope, recompute_range

    def parse(v: str, name: str) -> datetime:
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            _fail(N_("--%(name)s %(value)s is not an ISO 8601 time (e.g. 2026-11-01 or 2026-11-01T08:00+08:00)."),
                  name=name, value=repr(v))
        return t if t.tzinfo else t.replace(tzinfo=ZoneInfo(tz))

    t0, t1 = parse(start, "from"), parse(end, "to")
    if t0 >= t1:
        _fail(N_("--from must be before --to."))
    if path not in ("auto", "bulk", "per-period"):
        _fail(N_("--path is auto, bulk or per-period, not %(value)s."), value=repr(path))
    st = get_settings()
    engine = prepare_database(st.database_url)
    directory = PointDirectory(engine)
    ids = points_in_scope(engine, region)
    if path == "auto":
        path = choose_path(len(ids), t0, t1)
    run = bulk_recompute_range if path == "bulk" else recompute_range
    with Progress(console=console) as progress:
        task = progress.add_task(say(N_("recomputing (%(path)s)"), path=path), total=len(ids))
        totals = run(engine, directory, t0, t1, point_ids=ids,
                     progress=lambda i, n: progress.update(task, completed=i, total=n))
    console.print(say(N_("recomputed %(hours)s hours, %(days)s days, %(months)s months of %(points)s points "
                         "(%(path)s path)"), hours=totals["hours"], days=totals["days"], months=totals["months"],
                      points=totals["points"], path=path), highlight=False)


def _write_report(kind: str, fmt: str, output: Path, build) -> None:
    from ecosentry.subsystems.monitoring.api.reports import render
    from ecosentry.subsystems.monitoring.reports.model import ReportError

    if fmt not in ("pdf", "xlsx"):
        _fail(N_("--format is pdf or xlsx, not %(value)s."), value=repr(fmt))
    try:
        data = render(kind, fmt, build)
    except (ReportError, ValueError) as exc:
        _fail(N_("%(error)s"), error=exc if isinstance(exc, Said) else str(exc))
    output.write_bytes(data)
    console.print(say(N_("wrote %(output)s (%(n)s bytes)"), output=output, n=len(data)), highlight=False,
                  soft_wrap=True)


def _engine():
    from ecosentry.service import prepare_database

    return prepare_database(get_settings().database_url)


def _date(value: str, name: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(N_("--%(name)s %(value)s is not a date (YYYY-MM-DD)."), name=name, value=repr(value))


FORMAT = typer.Option("pdf", "--format", help="pdf | xlsx")
OUTPUT = typer.Option(..., "--output", "-o", help="file to write")


@report_app.command("daily")
def report_daily(point: int = typer.Option(..., help="point id (see /api/v1/points)"),
                 day: str = typer.Option(..., help="local day, YYYY-MM-DD"), fmt: str = FORMAT,
                 output: Path = OUTPUT) -> None:
    """HJ 76 daily report (日报表): one row per hour."""
    from ecosentry.subsystems.monitoring.reports.model import build_daily_report

    d = _date(day, "day")
    _write_report("daily", fmt, output, lambda: build_daily_report(_engine(), point, d))


@report_app.command("monthly")
def report_monthly(point: int = typer.Option(...), year: int = typer.Option(...), month: int = typer.Option(...),
                   fmt: str = FORMAT, output: Path = OUTPUT) -> None:
    """Monthly report (月报表): one row per day."""
    from ecosentry.subsystems.monitoring.reports.periodic import build_monthly_report

    _write_report("monthly", fmt, output, lambda: build_monthly_report(_engine(), point, year, month))


@report_app.command("yearly")
def report_yearly(point: int = typer.Option(...), year: int = typer.Option(...), fmt: str = FORMAT,
                  output: Path = OUTPUT) -> None:
    """Yearly report (年报表): one row per month."""
    from ecosentry.subsystems.monitoring.reports.periodic import build_yearly_report

    _write_report("yearly", fmt, output, lambda: build_yearly_report(_engine(), point, year))


@report_app.command("rates")
def report_rates(start: str = typer.Option(..., "--from", help="first local day, YYYY-MM-DD"),
                 end: str = typer.Option(..., "--to", help="last local day (inclusive)"),
                 region: str | None = typer.Option(None, help="GB/T 2260 code: this region and below"),
                 fmt: str = FORMAT, output: Path = OUTPUT) -> None:
    """Transmission-rate report (有效传输率) per point, enterprise and region, by summed counts."""
    from ecosentry.subsystems.monitoring.reports.rate_report import build_rate_report

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
    import asyncio
    if inject is not None:
        if inject_out is None:
            _fail(N_("--inject needs --inject-out DIR"))
        from ecosentry.subsystems.monitoring.cli.detect import simulate_inject_command

        simulate_inject_command(out=inject_out, inject=inject, seed=seed, points=24, days=30, per_class=2, clean=4)
        return
    from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet, write_fleet_yaml
    from ecosentry.subsystems.monitoring.simulate.runner import run_fleet

    setup_logging(verbose)
    fleet = demo_fleet(loggers, seed=seed)
    if fleet_out:
        write_fleet_yaml(fleet, fleet_out)
        console.print(say(N_("fleet written to %(path)s; import it with: %(command)s"), path=fleet_out,
                          command=f"ecosentry registry import {fleet_out}"))

    async def main(stop: asyncio.Event) -> None:
        await run_fleet(fleet, host, port, stop=stop, backfill_hours=backfill_hours, rtd_interval=rtd_interval,
                        console=console)

    asyncio.run(run_until_signal(main))



@bench_app.command("nab")
def bench_nab(nab_dir: Path = typer.Option(Path("../shared/nab"), help="NAB data and labels (data/, labels/, config/)"),
              profile: str = typer.Option("standard", help="standard | reward_low_FP | reward_low_FN"),
              out: Path | None = typer.Option(Path("docs/bench-nab.json"), help="write the result here")) -> None:
    """Score the statistical detector on the Numenta Anomaly Benchmark (58 series, NAB scoring re-implemented)."""
    from ecosentry.subsystems.monitoring.bench.nab import run_bench_nab

    if not (nab_dir / "labels" / "combined_windows.json").is_file():
        _fail(N_("no NAB corpus at %(path)s (expected labels/combined_windows.json); pass --nab-dir"), path=nab_dir)
    try:
        run_bench_nab(nab_dir, profile=profile, out=out, console=console)
    except Said as exc:  # a profile the corpus does not define
        _fail(exc)


@bench_app.command("recompute")
def bench_recompute(outlets: int = typer.Option(1000, help="outlets in the generated city"),
                    factors: int = typer.Option(10, help="factors per outlet"),
                    year: int = typer.Option(2025, help="year of hourly data"),
                    seed: int = typer.Option(1),
                    db: str | None = typer.Option(None, "--db", help="an EMPTY database (e.g. postgresql+psycopg://"
                                                                     "…/bench): time `ecosentry recompute` there"),
                    points: int = typer.Option(100, help="--db: flue-gas points (4 factors each)"),
                    month: str = typer.Option("2026-10", help="--db: the month generated and recomputed"),
                    paths: str = typer.Option("bulk,per-period", help="--db: paths timed, comma-separated"),
                    out: Path | None = typer.Option(None, help="--db: write the result here (JSON)")) -> None:
    """Generate a city in memory; time minute→hour, hour→day, day→month, rates and exceedance for a year.
    With --db: a month of minute data in a database, recomputed by the bulk and the per-period path."""
    if db:
        from datetime import date

        from ecosentry.subsystems.monitoring.bench.recompute_db import run_bench_recompute_db

        try:
            first = date.fromisoformat(month + "-01")
        except ValueError:
            _fail(N_("--month %(text)r is not a month YYYY-MM"), text=month)
        wanted = tuple(p.strip() for p in paths.split(",") if p.strip())
        if not wanted or set(wanted) - {"bulk", "per-period"}:
            _fail(N_("--paths %(text)r: bulk and/or per-period"), text=paths)
        try:
            run_bench_recompute_db(db, points=points, month=first, seed=seed, paths=wanted, console=console,
                                   out=out)
        except ValueError as exc:
            _fail(exc if isinstance(exc, Said) else str(exc))
        return
    from ecosentry.subsystems.monitoring.bench.recompute import run_bench_recompute

    run_bench_recompute(outlets=outlets, factors=factors, year=year, seed=seed, console=console)


@bench_app.command("api")
def bench_api(db: str = typer.Option(..., "--db", help="an EMPTY PostgreSQL database, e.g. "
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/bench_api"),
              points: int = typer.Option(1000, help="flue-gas points (6 factors each)"),
              minute_days: int = typer.Option(7, help="days of minute data"),
              requests: int = typer.Option(400, help="timed requests of a month of hours"),
              seed: int = typer.Option(1),
              out: Path | None = typer.Option(Path("docs/bench-api.json"), help="results (and .plans.txt) here")
              ) -> None:
    """Load a year of hours and a week of minutes for POINTS points into an empty PostgreSQL database, show the
    main reads' plans (EXPLAIN ANALYZE) and time the API's month of hours and day of minutes (p50/p95/p99)."""
    from ecosentry.subsystems.monitoring.bench.api_db import run_bench_api

    if points < 1 or minute_days < 1 or requests < 20:
        _fail(N_("--points and --minute-days must be ≥ 1, --requests ≥ 20"))
    try:
        run_bench_api(db, points=points, minute_days=minute_days, requests=requests, seed=seed, console=console,
                      out=out)
    except ValueError as exc:
        _fail(exc if isinstance(exc, Said) else str(exc))


@bench_app.command("outage")
def bench_outage(modes: str = typer.Option("refuse,hang", "--mode", help="refuse and/or hang, comma-separated"),
                 seconds: float = typer.Option(60, help="how long the database is unreachable"),
                 warm: float = typer.Option(10, help="seconds of load before the outage"),
                 after: float = typer.Option(20, help="seconds of load after it"),
                 loggers: int = typer.Option(50, help="simulated loggers"),
                 every: float = typer.Option(1.0, help="seconds between two frames of a logger"),
                 pg_url: str = typer.Option("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                            help="server where a scratch database is created"),
                 out: Path | None = typer.Option(Path("docs/bench-outage.json"), help="results here")) -> None:
    """PostgreSQL unreachable under load (refusing or hanging): nothing lost, replies unaffected, catch-up time."""
    from ecosentry.subsystems.monitoring.bench.outage import MODES, run_bench_outage

    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    if not wanted or set(wanted) - set(MODES) or seconds <= 0 or every <= 0 or loggers < 1:
        _fail(N_("--mode refuse and/or hang; --seconds, --every > 0; --loggers ≥ 1"))
    run_bench_outage(modes=wanted, seconds=seconds, warm=warm, after=after, loggers=loggers, every=every,
                     pg_url=pg_url, out=out, console=console)


@bench_app.command("steady")
def bench_steady(loggers: int = typer.Option(300, help="simulated loggers, one minute frame a minute each"),
                 minutes: int = typer.Option(30, help="minutes of every logger stored before the rounds"),
                 rounds: int = typer.Option(3, help="rounds of one more minute from every logger, then a flush"),
                 pg_url: str = typer.Option("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                            help="server where a scratch database is created"),
                 every: float | None = typer.Option(None, help="seconds between the worker's flushes (default: "
                                                    "the setting hourly_every)"),
                 out: Path | None = typer.Option(Path("docs/bench-steady.json"), help="append results here")) -> None:
    """The ingest worker in steady state: CPU of one minute's writes and of the follow-up flush (gap marks,
    hours, days, months) for LOGGERS loggers, and how many loggers one worker process keeps up with."""
    from ecosentry.subsystems.monitoring.bench.steady import run_bench_steady

    try:
        run_bench_steady(loggers=loggers, minutes=minutes, rounds=rounds, pg_url=pg_url, out=out, console=console,
                         every=every)
    except ValueError as exc:
        _fail(exc if isinstance(exc, Said) else str(exc))


@bench_app.command("ingest")
def bench_ingest(loggers: int = typer.Option(200, help="concurrent simulated loggers"),
                 frames: int = typer.Option(20, help="minute frames each logger sends"),
                 databases: str = typer.Option("sqlite,postgresql", help="comma-separated: sqlite, postgresql"),
                 pg_url: str = typer.Option("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                            help="server where a scratch database is created"),
                 out: Path | None = typer.Option(Path("docs/bench-ingest.json"), help="append results here"),
                 bus: str = typer.Option("embedded", help="embedded: one `serve`; nats: a gateway process, NATS "
                                         "JetStream and worker processes (PostgreSQL only)"),
                 workers: str = typer.Option("1,2", help="--bus nats: comma-separated worker process counts"),
                 nats_url: str = typer.Option("nats://127.0.0.1:4222", help="--bus nats: the NATS server"),
                 partitions: int = typer.Option(16, help="--bus nats: partitions of the stream"),
                 every: float = typer.Option(0.0, min=0.0, help="seconds between one logger's frames, as in the "
                                             "field (0: keep frames in flight, the saturation run)"),
                 gateways: int = typer.Option(1, min=1, help="--bus nats: gateway processes sharing the HJ 212 "
                                              "port (one process holds at most its open-file limit of loggers)")
                 ) -> None:
    """Drive the TCP server with simulated loggers; print frames/s, data points/s, p99 reply latency,
    and the rate of a plain PostgreSQL COPY of the same rows. With --every, each logger sends one frame every
    that many seconds and the reply latencies are what a logger in the field sees."""
    from ecosentry.subsystems.monitoring.bench.ingest import run_bench

    if bus not in ("embedded", "nats"):
        _fail(N_("--bus is embedded or nats, not %(value)s."), value=bus)
    runs = None
    if bus == "nats":  # a gateway process → NATS JetStream → 1, 2 … worker processes → PostgreSQL
        from ecosentry.subsystems.monitoring.bench.ingest_bus import runs_on_bus

        runs = runs_on_bus([int(w) for w in workers.split(",") if w.strip()], pg_url=pg_url, nats_url=nats_url,
                           partitions=partitions, console=console, gateways=gateways, every=every)
    elif gateways > 1 or every:
        _fail(N_("--every and --gateways run on the NATS bus: add --bus nats."))
    run_bench(loggers=loggers, frames=frames, databases=[d.strip() for d in databases.split(",") if d.strip()],
              pg_url=pg_url, out=out, console=console, runs=runs, every=every)
