"""``ecosentry ftp ...``: run the Vietnamese file intake alone (FTP server, folder watcher), edit the mapping.

``serve`` and ``watch`` run their gateway with an ingest worker of their own on a spool of their own
(``<data_dir>/spool-ftp``, ``<data_dir>/spool-vn-folder``: a spool has one writing process), plus the
missing-file check (``ALM-DATA-MISSING``) every ``--check-every`` seconds. Inside ``ecosentry serve`` the
same parts share the service's spool instead.
"""

from __future__ import annotations

import logging
import signal
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ecosentry.said import N_
from ecosentry.terminal.messages import fail, say

app = typer.Typer(help="Vietnamese station files (Circular 10/2021): FTP intake, folder watcher, parameter mapping.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


@app.callback()
def _main() -> None:
    """Vietnamese station files (Circular 10/2021): FTP intake, folder watcher, parameter mapping."""


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _run(*, spool_name: str, ftp: bool, dirs: list[Path], check_every: float,
               ready=None) -> None:
    """Run one intake stack until SIGINT/SIGTERM."""
    import asyncio
    from ecosentry.pipeline.spool_lock import SpoolLock
    from ecosentry.settings import get_settings

    st = get_settings()
    # one ingest worker per spool, as for `ecosentry worker` (issue 11, 1f)
    lock = await asyncio.to_thread(SpoolLock(st.data_dir / spool_name).acquire, st.worker_lock_wait)
    try:
        await _serve_stack(st, spool_name=spool_name, ftp=ftp, dirs=dirs, check_every=check_every, ready=ready)
    finally:
        lock.release()


async def _serve_stack(st, *, spool_name: str, ftp: bool, dirs: list[Path], check_every: float, ready) -> None:
    import asyncio
    from ecosentry.gateways.folder import FolderWatcher
    from ecosentry.gateways.ftp import FtpGateway
    from ecosentry.gateways.station_files import SpoolAppender
    from ecosentry.pipeline.directory import PointDirectory
    from ecosentry.pipeline.sinks import build_sinks
    from ecosentry.pipeline.spool import Spool, SpoolReader
    from ecosentry.pipeline.worker import IngestWorker
    from ecosentry.service import prepare_database
    from ecosentry.subsystems.monitoring.vn.missing import check_missing_files

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = await asyncio.to_thread(prepare_database, st.database_url)
    directory = await asyncio.to_thread(PointDirectory, engine)
    spool = Spool(st.data_dir / spool_name)
    vst = st.vn
    appender = SpoolAppender(spool, loop)
    worker = IngestWorker(engine, SpoolReader(st.data_dir / spool_name), build_sinks(engine, st, directory),
                          batch_max=st.ingest_batch_max, flush_every=st.hourly_every, wake=spool.new_data)
    tasks = [asyncio.create_task(worker.run(), name="ingest-worker")]
    gateway = watcher = None
    if ftp:
        gateway = FtpGateway(appender, directory, st.ftp.root or st.data_dir / "ftp", st.ftp)
        await asyncio.to_thread(gateway.start, st.ftp_host, st.ftp_port)
        console.print(say(N_("FTP intake on %(address)s, drop folders in %(root)s"),
                          address=f"{st.ftp_host}:{gateway.port}", root=gateway.root))
    if dirs:
        watcher = FolderWatcher(appender, dirs, st.vn_folder)
        tasks.append(asyncio.create_task(watcher.run(), name="folder-watcher"))
        console.print(say(N_("watching %(folders)s"), folders=", ".join(map(str, dirs))))

    async def checks() -> None:
        while True:
            await asyncio.sleep(check_every)
            try:
                await check_missing_files(engine, datetime.now(timezone.utc), settings=vst)
            except Exception:
                logging.getLogger(__name__).exception("missing-file check failed; retrying")

    checker = asyncio.create_task(checks(), name="vn-missing-files")
    if ready is not None:
        ready(gateway, watcher)
    await stop.wait()
    if gateway:
        await asyncio.to_thread(gateway.stop)
    if watcher:
        watcher.stop()
    checker.cancel()
    with suppress(Exception):
        await worker.drain(spool.durable_seq, timeout=10)
    await worker.flush()
    worker.stop()
    for t in tasks:
        with suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(t, 10)
    spool.close()
    engine.dispose()


@app.command("serve")
def serve(check_every: float = typer.Option(60.0, help="seconds between missing-file checks"),
          watch: list[Path] = typer.Option([], "--watch", help="also watch this folder (repeatable)"),
          verbose: bool = typer.Option(False, "-v", "--verbose")) -> None:
    """Run the FTP intake alone: one account per station (station key / points.password), drop folders in
    ECOSENTRY_FTP__ROOT (default <data_dir>/ftp), port ECOSENTRY_FTP_PORT (2121)."""
    _logging(verbose)
    _run_stack(spool_name="spool-ftp", ftp=True, dirs=list(watch), check_every=check_every)


@app.command("watch")
def watch(dirs: list[Path] = typer.Argument(None, help="folders to watch (default ECOSENTRY_VN_FOLDER__DIRS)"),
          check_every: float = typer.Option(60.0, help="seconds between missing-file checks"),
          verbose: bool = typer.Option(False, "-v", "--verbose")) -> None:
    """Run the folder watcher alone: station files arriving by other means (another FTP server, rsync ...)."""
    from ecosentry.settings import get_settings

    _logging(verbose)
    folders = list(dirs or []) or list(get_settings().vn_folder.dirs)
    if not folders:
        fail(N_("no folder to watch: give folders or set ECOSENTRY_VN_FOLDER__DIRS"))
    _run_stack(spool_name="spool-vn-folder", ftp=False, dirs=folders, check_every=check_every)


def _run_stack(**kwargs) -> None:
    """:func:`_run`; a spool whose worker another process runs ends the command with one sentence (exit 2)."""
    import asyncio
    from ecosentry.terminal.messages import cli_language, spool_busy_message
    from ecosentry.pipeline.spool_lock import SpoolBusy
    from ecosentry.settings import get_settings

    try:
        asyncio.run(_run(**kwargs))
    except SpoolBusy as exc:
        err.print(spool_busy_message(exc, cli_language(get_settings().default_locale)), highlight=False,
                  markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command("map-set")
def map_set(station: str = typer.Argument(..., help="station key (points.mn)"),
            raw_name: str = typer.Argument(..., help="parameter name as the station writes it"),
            factor: str = typer.Argument(..., help="HJ 212 factor code, e.g. w01018"),
            unit: str = typer.Option("", help="unit as written; empty = any unit"),
            scale: float = typer.Option(1.0, help="canonical = raw × scale + offset"),
            offset: float = typer.Option(0.0)) -> None:
    """Map a station's parameter name (and unit) to a canonical factor."""
    from sqlalchemy import select

    from ecosentry.service import prepare_database
    from ecosentry.settings import get_settings
    from ecosentry.store import schema as s
    from ecosentry.subsystems.monitoring.vn.mapping import name_key, unit_key
    from ecosentry.subsystems.monitoring.store.vn import MappingRow, set_mapping

    engine = prepare_database(get_settings().database_url)
    with engine.connect() as conn:
        pid = conn.execute(select(s.points.c.id).where(s.points.c.mn == station)).scalar()
        known = conn.execute(select(s.factors.c.code).where(s.factors.c.code == factor)).scalar()
    if pid is None or known is None:
        if pid is None:
            fail(N_("unknown station %(mn)s"), mn=station)
        fail(N_("unknown factor %(code)s"), code=factor)
    import getpass
    from datetime import datetime, timezone

    from ecosentry.subsystems.monitoring.store.vn import MappingTooLong

    actor = f"cli:{getpass.getuser()}"
    try:  # audited like an edit on the mapping page (entity point, action vn_map_parameter)
        set_mapping(engine, MappingRow(pid, raw_name, unit, name_key(raw_name), unit_key(unit), factor, scale, offset,
                                       changed_at=datetime.now(timezone.utc), changed_by=actor), actor=actor)
    except MappingTooLong as exc:
        fail(N_("%(what)s has %(length)d characters; at most %(limit)d are kept"), what=exc.field, length=exc.length,
             limit=exc.limit)
    console.print(f"{station}: {raw_name!r} [{unit or say(N_('any unit'))}] → {factor} × {scale:g} + {offset:g}",
                  highlight=False, markup=False)


@app.command("map-list")
def map_list(station: str | None = typer.Argument(None, help="station key; all stations when omitted")) -> None:
    """List the station mapping rules (the built-in default names apply where no rule matches)."""
    from ecosentry.service import prepare_database
    from ecosentry.settings import get_settings
    from ecosentry.store.registry import load_point_directory
    from ecosentry.subsystems.monitoring.store.vn import load_mappings

    engine = prepare_database(get_settings().database_url)
    mn_by_id = {p.point_id: p.mn for p in load_point_directory(engine).values()}
    table = Table("station", "raw name", "raw unit", "factor", "scale", "offset")
    for pid, rows in load_mappings(engine).items():
        if station and mn_by_id.get(pid) != station:
            continue
        for r in rows:
            table.add_row(mn_by_id.get(pid, str(pid)), r.raw_name, r.raw_unit or "(any)", r.factor_code,
                          f"{r.scale:g}", f"{r.offset:g}")
    console.print(table)
