"""``ecosentry bench steady``: what the ingest worker spends per minute of a fleet in steady state.

The ingest benchmarks measure bursts (every logger sending as fast as it is answered) or a few minutes of
paced loggers. In the field a logger sends one minute frame a minute for ever, and after each
``hourly_every`` the worker recomputes what those minutes touched: the automatic gap marks, the hour in
progress from its minutes so far, its day and its month. That follow-up work grows with the number of
loggers, not with the data rate, and it decides how many loggers one worker process keeps up with.

The bench creates a scratch PostgreSQL database with a fleet of ``loggers``, stores ``minutes`` minutes of
every logger up to now (the hours in progress hold their minutes so far, as in the field), then runs
``rounds`` rounds of: the minutes every logger sends in ``every`` seconds (one for ``every`` ≤ 60 s, else
``every / 60``) written through the real spool and worker, then the worker's flush. It reports, per round,
the CPU time of this process (the worker's work) and of the database server for the write and for the flush,
and the loggers one worker process keeps up with: a round holds ``k`` minutes of every logger and costs
``write + flush`` of CPU, so one process keeps up with ``loggers · k · 60 s / (write + flush)`` loggers. (A flush
every ``every`` ≤ 60 s finds each logger's new minute in one of the flushes of that minute: each hour in
progress is recomputed once a minute, as in a round of one minute.)
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ecosentry.fleet import import_fleet
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.said import N_, Said
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings
from ecosentry.subsystems.monitoring.bench.ingest import build_frames
from ecosentry.subsystems.monitoring.bench.recompute_db import _cpu_between, server_cpu
from ecosentry.subsystems.monitoring.bench.scratch import scratch_database
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.terminal.messages import gettext_of, say

__all__ = ["run_bench_steady"]

#: The simulated fleet's zone (demo_fleet's points are in Suzhou).
FLEET_TZ = "Asia/Shanghai"


async def _rounds(url: str, fleet: dict, minutes: int, rounds: int, k: int, work: Path, console: Console) -> dict:
    engine = prepare_database(url)
    try:
        import_fleet(engine, fleet)
        directory = PointDirectory(engine)
        # minutes up to now in the fleet's wall time: the last round's minute is the current one
        now_local = datetime.now(ZoneInfo(FLEET_TZ)).replace(tzinfo=None, second=0, microsecond=0)
        start = now_local - timedelta(minutes=minutes + k * rounds - 1)
        frames, _n = build_frames(fleet, minutes + k * rounds, start=start)
        # a logger sends a frame every min_interval minutes (a wastewater analyser's 10): frame i of a logger is
        # at start + i·interval; the history and each round take the frames whose minute falls in them
        steps = [int(p.get("min_interval") or 1) for e in fleet["enterprises"] for o in e["outlets"]
                 for p in o["points"]]

        def between(lo: int, hi: int) -> list[bytes]:
            """The frames of every logger at minutes [lo, hi) from the start."""
            return [f for fl, step in zip(frames, steps) for i, f in enumerate(fl) if lo <= i * step < hi]
        gateway = HJ212Gateway(directory, None)
        spool = Spool(work / "spool")
        # the bench calls the flush itself, between the rounds
        worker = IngestWorker(engine, SpoolReader(work / "spool"),
                              {"observations": ObservationSink.from_settings(engine, get_settings(), directory)},
                              flush_every=10**9)
        task = asyncio.create_task(worker.run())
        received = datetime.now(timezone.utc)
        try:
            history = between(0, minutes)
            t0 = time.perf_counter()
            for i in range(0, len(history), 20000):
                last = spool.append_sync([gateway.decode(f, "127.0.0.1:1", received)[0].encode()
                                          for f in history[i:i + 20000]])
                await worker.drain(last, timeout=3600)
            await worker.flush()
            console.print(say(N_("history: %(frames)s frames stored and followed up in %(seconds)s s"),
                              frames=len(history), seconds=f"{time.perf_counter() - t0:.1f}"))
            out = []
            for r in range(rounds):
                first = minutes + r * k
                batch = [gateway.decode(f, "127.0.0.1:1", datetime.now(timezone.utc))[0].encode()
                         for f in between(first, first + k)]
                c0, s0, w0 = time.process_time(), server_cpu(engine), time.perf_counter()
                last = spool.append_sync(batch)
                await worker.drain(last, timeout=3600)
                c1, s1, w1 = time.process_time(), server_cpu(engine), time.perf_counter()
                hours = await worker.flush()
                c2, s2, w2 = time.process_time(), server_cpu(engine), time.perf_counter()
                out.append({"write_cpu_s": round(c1 - c0, 3), "write_server_cpu_s": _cpu_between(s0, s1),
                            "write_wall_s": round(w1 - w0, 3), "flush_cpu_s": round(c2 - c1, 3),
                            "flush_server_cpu_s": _cpu_between(s1, s2), "flush_wall_s": round(w2 - w1, 3),
                            "hours": hours})
            return {"rounds": out}
        finally:
            worker.stop()
            await task
            spool.close()
    finally:
        engine.dispose()


def run_bench_steady(*, loggers: int, minutes: int, rounds: int, pg_url: str, out: Path | None,
                     console: Console, every: float | None = None) -> dict:
    """Run the bench (module docstring) on a scratch database of the server at ``pg_url``, with the worker's flush
    every ``every`` seconds (default: the setting ``hourly_every``); print and return the result (appended to
    ``out`` when given)."""
    every = float(get_settings().hourly_every if every is None else every)
    if loggers < 1 or rounds < 1 or not 1 <= minutes <= 24 * 60 or every <= 0:
        raise Said(N_("--loggers and --rounds must be ≥ 1, --minutes between 1 and 1440, --every > 0"))
    k = max(1, round(every / 60.0))
    fleet = demo_fleet(loggers, seed=11)
    url, drop = scratch_database(pg_url)
    try:
        with tempfile.TemporaryDirectory(prefix="ecosentry-bench-steady-") as work:
            result = asyncio.run(_rounds(url, fleet, minutes, rounds, k, Path(work), console))
    finally:
        drop()
    rs = result["rounds"]
    med = lambda key: sorted(r[key] or 0.0 for r in rs)[len(rs) // 2]  # noqa: E731
    # worker CPU per logger and second: a round is k minutes of every logger, written and followed up once
    per_s = (med("write_cpu_s") + med("flush_cpu_s")) / (k * 60.0) / loggers
    result.update({"database": url.rsplit("/", 1)[1], "loggers": loggers, "minutes_stored": minutes, "hourly_every_s": every,
                   "minutes_per_flush": k,
                   "worker_cpu_per_logger_minute_ms": round(per_s * 60_000, 3),
                   "loggers_one_worker_keeps_up_with": int(1.0 / per_s) if per_s else None})
    _ = gettext_of()
    table = Table(title=_(N_("ecosentry bench steady: %(loggers)s loggers, %(minutes)s minutes stored, then %(k)s "
                             "more minute(s) of each and a flush a round"))
                  % {"loggers": loggers, "minutes": minutes, "k": k})
    for col in (N_("round"), N_("write CPU [s]"), N_("server [s]"), N_("flush CPU [s]"), N_("server [s]"),
                N_("flush wall [s]"), N_("hours")):
        table.add_column(escape(_(col)), justify="right")  # "[s]" is not rich's strike-through
    for i, r in enumerate(rs, 1):
        table.add_row(str(i), f"{r['write_cpu_s']:.2f}", str(r["write_server_cpu_s"]), f"{r['flush_cpu_s']:.2f}",
                      str(r["flush_server_cpu_s"]), f"{r['flush_wall_s']:.2f}", str(r["hours"]))
    console.print(table)
    console.print(_(N_("worker CPU per logger and minute (its minute's write and its hour's recomputation): "
                       "%(ms)s ms; one worker process keeps up with about %(loggers)s loggers with a flush every "
                       "%(every)s s")) % {"ms": result["worker_cpu_per_logger_minute_ms"],
                                          "loggers": result["loggers_one_worker_keeps_up_with"],
                                          "every": f"{every:g}"})
    if out:
        record = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                              "platform": platform.platform()}, **result}
        history = json.loads(out.read_text()) if out.exists() else []
        history.append(record)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n")
        console.print(_(N_("recorded in %(path)s")) % {"path": out}, highlight=False)
    return result
