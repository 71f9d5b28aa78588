"""``ecosentry bench ingest``: HJ 212 frames over TCP → spool → database, measured end to end.

The server runs in its own process (``ecosentry serve``), as in production; this process plays the
loggers. Each logger keeps up to ``window`` frames in flight and times each 9014 reply (sent by the
server only after the frame is durable in the spool). Data points/s counts observation rows in the
database from the first frame sent until the last row is there. In the same run, a plain PostgreSQL
COPY of the same rows into an empty table of the same shape gives the ceiling to compare with.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, func, select

from ecosentry.fleet import import_fleet
from ecosentry.gateways.ports import free_port
from ecosentry.protocols.hj212 import FrameReader, HJ212Error, build_frame
from ecosentry.said import N_
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.ingest_paced import _qn
from ecosentry.subsystems.monitoring.bench.scratch import scratch_database
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.terminal.messages import gettext_of, say

WINDOW = 8  # frames in flight per logger (latency at saturation ≈ loggers × WINDOW / throughput)
#: A run's measures (its result's keys, recorded in the JSON) as the table names them.
MEASURES: dict[str, str] = {
    "gateways": N_("gateway processes"), "frames_per_gateway": N_("frames per gateway"), "loggers": N_("loggers"),
    "every_s": N_("seconds between a logger's frames"), "clients": N_("clients"), "connected": N_("connected"),
    "connect_failures": N_("failed connections"), "frames": N_("frames"), "sent": N_("sent"),
    "unsent": N_("not sent"), "replies": N_("replies"), "unanswered": N_("unanswered"),
    "closed_by_server": N_("closed by the server"), "data_points": N_("data points"), "stored": N_("stored"),
    "frames_per_s": N_("frames/s"), "points_per_s_acked": N_("data points/s acknowledged"),
    "points_per_s_stored": N_("data points/s stored"), "reply_p50_ms": N_("reply p50 ms"),
    "reply_p95_ms": N_("reply p95 ms"), "reply_p99_ms": N_("reply p99 ms"), "reply_max_ms": N_("reply max ms"),
    "stored_after_last_reply_s": N_("stored after the last reply, s"), "load_1min": N_("load average (1 min)"),
    "plain_copy_rows_per_s": N_("plain COPY rows/s"), "ratio_to_copy": N_("ratio to COPY"),
}


#: ``ecosentry serve``'s listeners beside its HJ 212 and web ports (power's on the HJ 212 port + 1, park's on + 2,
#: the gates push on 9216 once the HJ 212 port is given) each on a port the kernel picks as it binds: the bench
#: does not use them, and on fixed ports two benches, or a bench beside a demo, collide ("port … is in use").
SIDE_LISTENERS_ANY_PORT = {"ECOSENTRY_POWER__HJ212_PORT": "0", "ECOSENTRY_PARK__HJ212_PORT": "0",
                           "ECOSENTRY_GATES__PUSH__PORT": "0"}


def _points(fleet: dict) -> list[dict]:
    return [p | {"medium": o["medium"]} for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]]


def build_frames(fleet: dict, frames_per_logger: int, seed: int = 7,
                 start: datetime | None = None) -> tuple[list[list[bytes]], int]:
    """Minute frames (CN 2051) for every point from ``start`` (the points' local wall time, naive; default
    2026-01-01 00:00); returns frames per logger and the number of data points."""
    rnd = random.Random(seed)
    start = start or datetime(2026, 1, 1, 0, 0)
    out, n_points = [], 0
    for p in _points(fleet):
        codes = [f["code"] if isinstance(f, dict) else f for f in p["factors"]]
        frames = []
        for i in range(frames_per_logger):
            t = start + timedelta(minutes=i * int(p.get("min_interval") or 1))
            cp = [{"DataTime": t.strftime("%Y%m%d%H%M%S")}]
            for c in codes:
                v = round(rnd.uniform(5, 50), 3)
                cp.append({f"{c}-Min": f"{v * 0.9:.3f}", f"{c}-Avg": f"{v}", f"{c}-Max": f"{v * 1.1:.3f}",
                           f"{c}-Flag": "N"})
            qn = t.strftime("%Y%m%d%H%M%S") + f"{i % 1000:03d}"
            frames.append(build_frame(qn=qn, st=p["st"], cn="2051", pw=p["password"], mn=p["mn"], flag=5, cp=cp))
            n_points += len(codes)
        out.append(frames)
    return out, n_points


async def _drive(port: int, frames: list[bytes], latencies: list[float], progress) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent: dict[str, float] = {}
    window = asyncio.Semaphore(WINDOW)
    done = asyncio.Event()
    remaining = len(frames)

    async def read_replies() -> None:
        nonlocal remaining
        framer = FrameReader()
        while remaining:
            data = await reader.read(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            for item in framer.feed(data):
                if isinstance(item, HJ212Error):
                    continue
                qn = _qn(item)
                t0 = sent.pop(qn, None)
                if t0 is not None:
                    latencies.append(time.perf_counter() - t0)
                    remaining -= 1
                    progress()
                    window.release()
        done.set()

    rt = asyncio.create_task(read_replies())
    for f in frames:
        await window.acquire()
        qn = _qn(f)
        sent[qn] = time.perf_counter()
        writer.write(f)
        await writer.drain()
    await rt
    writer.close()


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    t_end = time.time() + timeout
    while time.time() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("server did not start")


def _copy_baseline(url: str, rows: int, console: Console) -> float:
    """Rows/s of a plain COPY of the same observation rows into an empty table of the same shape."""
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS copy_baseline")
        conn.exec_driver_sql("CREATE TABLE copy_baseline (LIKE observations INCLUDING ALL)")
        src = conn.exec_driver_sql(
            "SELECT point_id, factor_code, kind, period_start, value, min, max, cou, flag, received_at "
            "FROM observations").fetchall()
    cols = "point_id, factor_code, kind, period_start, value, min, max, cou, flag, received_at"
    raw = eng.raw_connection()
    try:
        drv = raw.driver_connection
        t0 = time.perf_counter()
        with drv.cursor() as cur:
            with cur.copy(f"COPY copy_baseline ({cols}) FROM STDIN") as cp:
                for r in src:
                    cp.write_row(r)
        drv.commit()
        dt = time.perf_counter() - t0
    finally:
        raw.close()
    eng.dispose()
    return len(src) / dt if dt else 0.0


def run_one(db: str, fleet: dict, frames: list[list[bytes]], n_points: int, pg_url: str,
            console: Console) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"ecosentry-bench-{db}-"))
    drop = None
    if db == "sqlite":
        url = f"sqlite:///{work / 'bench.sqlite'}"
    else:
        url, drop = scratch_database(pg_url)
    engine = prepare_database(url)
    import_fleet(engine, fleet)
    # the server is another process: its ports are drawn below the ephemeral range (a port of 127.0.0.1:0,
    # closed and handed over, could be taken by an outgoing connection before the server binds it)
    port = free_port()
    env = {**os.environ, **SIDE_LISTENERS_ANY_PORT, "ECOSENTRY_DATABASE_URL": url,
           "ECOSENTRY_DATA_DIR": str(work / "state"),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port),
           "ECOSENTRY_HTTP_PORT": str(free_port()), "ECOSENTRY_INGEST_PROCESS": "true",
           # every simulated logger connects from 127.0.0.1: lift the per-address bound for the bench
           "ECOSENTRY_HJ212_MAX_CONNECTIONS_PER_PEER": str(len(frames) + 10)}
    # the server's log goes to a file: a pipe nobody reads would stop the server once it filled
    server_log = (work / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=server_log)
    try:
        try:
            _wait_port(port, proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc} (its log: {work / 'server.log'})") from exc
        latencies: list[float] = []
        total = sum(len(f) for f in frames)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(say(N_("%(db)s: sending %(total)s frames"), db=db, total=total), total=total)

            def tick() -> None:
                progress.advance(task)

            async def main() -> None:
                await asyncio.gather(*(_drive(port, f, latencies, tick) for f in frames))

            t0 = time.perf_counter()
            asyncio.run(main())
            t_acked = time.perf_counter() - t0
            o = s.observations
            stored = 0
            while True:
                with engine.connect() as c:
                    stored = c.execute(select(func.count()).select_from(o)).scalar_one()
                if stored >= n_points or time.perf_counter() - t0 > 600:
                    break
                time.sleep(0.05)
            t_stored = time.perf_counter() - t0
        latencies.sort()
        result = {
            "database": db, "loggers": len(frames), "frames": total, "data_points": n_points,
            "stored": stored, "frames_per_s": round(total / t_acked, 1),
            "points_per_s_acked": round(n_points / t_acked, 1),
            "points_per_s_stored": round(stored / t_stored, 1),
            "reply_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "reply_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        }
        if db == "postgresql":
            result["plain_copy_rows_per_s"] = round(_copy_baseline(url, stored, console), 1)
            result["ratio_to_copy"] = round(result["points_per_s_stored"] / result["plain_copy_rows_per_s"], 3)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        server_log.close()
        engine.dispose()
        if drop:
            drop()


def run_bench(*, loggers: int, frames: int, databases: list[str], pg_url: str, out: Path | None,
              console: Console, runs: Callable[..., list[dict]] | None = None, every: float = 0.0) -> list[dict]:
    """``runs``: instead of one server per database, ``runs(fleet, frames, n_points)`` returns the results
    (``bench ingest --bus nats``: one per worker count)."""
    fleet = demo_fleet(loggers, seed=11)
    # paced loggers send the last minutes before now, as in the field (the hours in progress, not finished days of
    # 2026-01-01 whose substitution a flush would redo); a saturation run keeps its fixed past
    start = None
    if every:
        tz = fleet["enterprises"][0]["outlets"][0]["points"][0].get("tz") or "Asia/Shanghai"
        now = datetime.now(ZoneInfo(tz)).replace(tzinfo=None, second=0, microsecond=0)
        start = now - timedelta(minutes=frames)
    built, n_points = build_frames(fleet, frames, start=start)
    _ = gettext_of()
    numbers = {"loggers": loggers, "frames": frames, "total": sum(map(len, built)), "points": n_points,
               "every": f"{every:g}", "window": WINDOW}
    console.print(_(N_("%(loggers)s loggers × %(frames)s minute frames = %(total)s frames, %(points)s data points; "
                       "server in separate processes; each logger one frame every %(every)s s")) % numbers if every
                  else _(N_("%(loggers)s loggers × %(frames)s minute frames = %(total)s frames, %(points)s data "
                            "points; server in separate processes; window %(window)s frames per logger")) % numbers)
    if runs is not None:
        results = runs(fleet, built, n_points)
    else:
        results = [run_one(db, fleet, built, n_points, pg_url, console) for db in databases]
    table = Table(title="ecosentry bench ingest" + (" --bus nats" if runs is not None else ""))
    table.add_column(_(N_("measure")))
    for r in results:
        table.add_column(_(N_("%(workers)s worker(s)")) % {"workers": r["workers"]} if "workers" in r
                         else r["database"], justify="right")
    for key, name in MEASURES.items():
        if any(key in r for r in results):
            table.add_row(_(name), *(str(r.get(key, "")) for r in results))
    console.print(table)
    if out:
        machine = {"cpu_count": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                   "platform": platform.platform()}
        record = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine,
                  "results": results}
        out.parent.mkdir(parents=True, exist_ok=True)
        history = json.loads(out.read_text()) if out.exists() else []
        history.append(record)
        out.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n")
        console.print(_(N_("recorded in %(path)s")) % {"path": out}, highlight=False)
    return results
