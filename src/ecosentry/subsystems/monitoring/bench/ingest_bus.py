"""``ecosentry bench ingest --bus nats --workers 1,2``: the scale-out mode measured end to end.

One gateway process (``ecosentry serve --role gateway``) takes the loggers' frames, makes them durable in its
spool, publishes them to a NATS JetStream stream and replies; 1, 2 … worker processes (``serve --role worker``)
share the stream's partitions and store into PostgreSQL. Each worker count runs on a fresh database and a
stream of its own, with the same frames as ``bench ingest``; data points/s counts observation rows from the
first frame sent until the last row is there.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select

from ecosentry.fleet import import_fleet
from ecosentry.gateways.ports import free_port
from ecosentry.pipeline.spool import last_seq
from ecosentry.said import N_
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.ingest import _drive, _wait_port
from ecosentry.subsystems.monitoring.bench.ingest_paced import drive_paced, percentile_ms
from ecosentry.subsystems.monitoring.bench.scratch import scratch_database
from ecosentry.terminal.messages import say


def _bus_env(url: str, work: Path, nats_url: str, stream: str, partitions: int) -> dict[str, str]:
    return {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(work / "state"),
            "ECOSENTRY_NATS__SERVERS": f'["{nats_url}"]', "ECOSENTRY_NATS__STREAM": stream,
            "ECOSENTRY_NATS__SUBJECT_PREFIX": f"{stream.lower()}.in",
            "ECOSENTRY_NATS__PARTITIONS": str(partitions)}


def _remove_stream(nats_url: str, stream: str) -> None:
    import nats

    async def remove() -> None:
        nc = await nats.connect(servers=[nats_url], connect_timeout=2, max_reconnect_attempts=0)
        js = nc.jetstream()
        for name in (stream, f"KV_{stream}_leases"):
            try:
                await js.delete_stream(name)
            except Exception:
                pass
        await nc.close()

    try:
        asyncio.run(remove())
    except Exception:
        pass


def run_one_on_bus(workers: int, fleet: dict, frames: list[list[bytes]], n_points: int, pg_url: str,
                   nats_url: str, partitions: int, console: Console, *, gateways: int = 1,
                   every: float = 0.0) -> dict:
    """One run: ``gateways`` gateway processes sharing one port, ``workers`` worker processes; the loggers keep
    frames in flight (``every`` 0) or send one frame every ``every`` seconds (:mod:`.ingest_paced`)."""
    work = Path(tempfile.mkdtemp(prefix=f"ecosentry-bench-bus-{workers}-"))
    url, drop = scratch_database(pg_url)
    engine = prepare_database(url)
    import_fleet(engine, fleet)
    stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    port = free_port()  # shared by the gateway processes (SO_REUSEPORT): drawn below the ephemeral range
    env = _bus_env(url, work, nats_url, stream, partitions)
    gw_env = {**env, "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port),
              # HJ 212 only: the other subsystems' listeners (gates push, MQTT …) would be one port per process
              "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.monitoring",
              "ECOSENTRY_HJ212_MAX_CONNECTIONS_PER_PEER": str(len(frames) + 10),
              "ECOSENTRY_HJ212_REUSE_PORT": "true" if gateways > 1 else "false"}
    # each gateway its own spool (a spool has one writer); their logs in files (a full pipe would stop them)
    logs = [(work / f"gateway-{g}.log").open("wb") for g in range(gateways)]
    procs = [subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve", "--role", "gateway"],
                              env={**gw_env, "ECOSENTRY_DATA_DIR": str(work / f"state-gateway-{g}")},
                              stdout=subprocess.DEVNULL, stderr=logs[g]) for g in range(gateways)]
    procs += [subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve", "--role", "worker"],
                               env={**env, "ECOSENTRY_NATS__WORKER_ID": f"bench-{i}"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    try:
        _wait_port(port, procs[0])
        time.sleep(2.0 + gateways)  # every gateway listens, the workers claim their partitions
        dead = [g for g in range(gateways) if procs[g].poll() is not None]
        if dead:
            raise RuntimeError(f"gateway process {dead[0]} exited with {procs[dead[0]].returncode} "
                               f"(its log: {work / f'gateway-{dead[0]}.log'})")
        total = sum(len(f) for f in frames)
        t0 = time.perf_counter()
        if every > 0:
            console.print(say(N_("%(loggers)s loggers connect, then each sends %(frames)s frames, one every %(every)s "
                                 "s, through %(gateways)s gateway process(es)"), loggers=len(frames),
                              frames=len(frames[0]), every=f"{every:g}", gateways=gateways))
            paced = drive_paced(port, frames, every=every)
            latencies = paced.pop("latencies")
            t_acked = time.perf_counter() - t0
        else:
            paced, latencies = None, []
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(say(N_("%(workers)s worker(s): sending %(total)s frames"), workers=workers,
                                             total=total), total=total)

                async def main() -> None:
                    await asyncio.gather(*(_drive(port, f, latencies, lambda: progress.advance(task))
                                           for f in frames))

                asyncio.run(main())
            t_acked = time.perf_counter() - t0
        with Progress(console=console, transient=True) as progress:
            progress.add_task(say(N_("waiting for the rows")), total=None)
            stored = 0
            while True:
                with engine.connect() as c:
                    stored = c.execute(select(func.count()).select_from(s.observations)).scalar_one()
                if stored >= n_points or time.perf_counter() - t0 > 600:
                    break
                time.sleep(0.05)
            t_stored = time.perf_counter() - t0
        latencies.sort()
        result = {
            "database": "postgresql", "bus": "nats", "gateways": gateways, "workers": workers,
            "partitions": partitions, "loggers": len(frames), "frames": total, "data_points": n_points,
            "stored": stored, "reply_p50_ms": percentile_ms(latencies, 0.50),
            "reply_p95_ms": percentile_ms(latencies, 0.95), "reply_p99_ms": percentile_ms(latencies, 0.99),
            "reply_max_ms": percentile_ms(latencies, 1.0),
        }
        if paced is None:
            result |= {"frames_per_s": round(total / t_acked, 1), "points_per_s_acked": round(n_points / t_acked, 1),
                       "points_per_s_stored": round(stored / t_stored, 1)}
        else:
            result |= {"every_s": every, "replies": len(latencies), "load_1min": round(os.getloadavg()[0], 2),
                       # from the last reply until every data point is in the database: the workers keeping up
                       "stored_after_last_reply_s": round(t_stored - t_acked, 2),
                       # how the kernel spread the loggers over the gateways sharing the port
                       "frames_per_gateway": "/".join(str(last_seq(work / f"state-gateway-{g}" / "spool"))
                                                      for g in range(gateways))}
            result |= {k: paced[k] for k in ("clients", "connected", "connect_failures", "sent", "unsent",
                                             "unanswered", "closed_by_server")}
        return result
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()
        engine.dispose()
        _remove_stream(nats_url, stream)
        drop()


def runs_on_bus(workers: list[int], *, pg_url: str, nats_url: str, partitions: int, console: Console,
                gateways: int = 1, every: float = 0.0):
    """The ``runs`` of :func:`ecosentry.subsystems.monitoring.bench.ingest.run_bench`: one run per worker count."""
    def runs(fleet: dict, frames: list[list[bytes]], n_points: int) -> list[dict]:
        return [run_one_on_bus(n, fleet, frames, n_points, pg_url, nats_url, partitions, console,
                               gateways=gateways, every=every) for n in workers]
    return runs
