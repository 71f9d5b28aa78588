"""``ecosentry bench outage``: PostgreSQL unreachable under load, refusing or hanging (issue 19 item 5).

The server runs in its own process (``ecosentry serve``, the ingest worker a child process), reaching PostgreSQL
through a TCP proxy of this process; simulated loggers send minute frames at a steady pace. After ``warm``
seconds the proxy cuts the database for ``seconds`` seconds, either **refusing** (listener closed, open
connections reset: the worker sees errors at once) or **hanging** (connections stay open and new ones are
accepted, but no byte is forwarded: the worker's statements wait, nothing tells it the database is gone), then
restores it. Reported: frames and data points sent, acknowledged and stored; the replies' p50/p99 before,
during and after the outage (the replies must not wait on the database); the backlog at the restore; the
catch-up time (from the restore until everything acknowledged before it is stored); and whether every
acknowledged data point is stored exactly once (rows = points sent, raw frames = frames sent).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from ecosentry.fleet import import_fleet
from ecosentry.gateways.ports import free_port
from ecosentry.protocols.hj212 import FrameReader, HJ212Error
from ecosentry.said import N_, Said
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.ingest import SIDE_LISTENERS_ANY_PORT, _qn, _wait_port, build_frames
from ecosentry.subsystems.monitoring.bench.scratch import scratch_database
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.terminal.messages import gettext_of, say

MODES = ("refuse", "hang")
#: A mode as the table names it.
MODE_NAMES = {"refuse": N_("refusing"), "hang": N_("hanging")}


class DatabaseProxy:
    """A TCP proxy in front of PostgreSQL, on its own event loop in a thread: ``refuse()`` closes the listener
    and resets every connection, ``hang()`` holds every byte (connections stay open, new ones are accepted),
    ``restore()`` undoes either.

    Its port is the kernel's choice at the first ``start()`` (port 0) and stays the proxy's until ``close()``: while
    refusing, a socket bound beside the listener (``SO_REUSEPORT``) and never listening holds it, so the restore
    listens on the same port and no other program can take it meanwhile."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.held: socket.socket | None = None  # the port's socket while no server listens on it
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="db-proxy")
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.flowing: asyncio.Event = self._call(self._event())

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    @staticmethod
    async def _event() -> asyncio.Event:
        ev = asyncio.Event()
        ev.set()
        return ev

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                await self.flowing.wait()
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            ur, uw = await asyncio.open_connection(*self.target)
        except OSError:
            w.close()
            return
        self.links |= {w, uw}
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    def _bound(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # beside the listener, until that closes
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        return sock

    async def _listen(self) -> None:
        if self.server is None:
            sock, self.held = self.held or self._bound(), None
            # as asyncio's servers: the connections it accepts, once closed, do not keep the port from a server
            # (set only now: a held socket with it would let any server bind the port beside it)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.server = await asyncio.start_server(self._handle, sock=sock)  # it listens on the socket

    async def _refuse(self, hold: bool = True) -> None:
        if self.server is not None:
            self.held = self._bound() if hold else None
            self.server.close()
            self.server = None
        if not hold and self.held is not None:
            self.held.close()
            self.held = None
        for w in self.links:
            w.transport.abort()
        self.links.clear()

    def start(self) -> None:
        self._call(self._listen())

    def refuse(self) -> None:
        self._call(self._refuse())

    def hang(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.clear)

    def restore(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.set)
        self._call(self._listen())

    async def _cancel_links(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self.restore()
        self._call(self._refuse(hold=False))
        self._call(self._cancel_links())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Clock:
    t0: float
    cut: float = 0.0
    restored: float = 0.0


async def _paced(port: int, frames: list[bytes], every: float, clock: Clock, replies: list[tuple[float, float]],
                 acked: list[float]) -> None:
    """One logger: a frame every ``every`` seconds, each reply timed (sent at, latency); ``acked`` the times."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent: dict[str, float] = {}
    left = len(frames)

    async def read_replies() -> None:
        nonlocal left
        framer = FrameReader()
        while left:
            data = await reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            for item in framer.feed(data):
                if isinstance(item, HJ212Error):
                    continue
                t_sent = sent.pop(_qn(item), None)
                if t_sent is not None:
                    now = time.perf_counter()
                    replies.append((t_sent - clock.t0, now - t_sent))
                    acked.append(now - clock.t0)
                    left -= 1

    rt = asyncio.create_task(read_replies())
    for i, f in enumerate(frames):
        delay = clock.t0 + i * every - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[_qn(f)] = time.perf_counter()
        writer.write(f)
        await writer.drain()
    await asyncio.wait_for(rt, 600)
    writer.close()


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 1)


def run_outage(*, mode: str, seconds: float, warm: float, after: float, loggers: int, every: float,
               pg_url: str, console: Console) -> dict:
    if mode not in MODES:
        raise Said(N_("--mode must be one of %(modes)s"), modes=", ".join(MODES))
    url, drop = scratch_database(pg_url, "ecosentry_outage")
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, port_s = host_port.split(":") if ":" in host_port else (host_port, "5432")
    proxy = DatabaseProxy(host, int(port_s))
    proxy.start()
    via_proxy = url.replace(host_port, f"127.0.0.1:{proxy.port}")
    work = Path(tempfile.mkdtemp(prefix="ecosentry-outage-"))
    fleet = demo_fleet(loggers)
    engine = prepare_database(url)
    import_fleet(engine, fleet)
    n_frames = int((warm + seconds + after) / every)
    frames, n_points = build_frames(fleet, n_frames)
    gw_port = free_port()  # the server is another process: below the ephemeral range (ecosentry.gateways.ports)
    env = {**os.environ, **SIDE_LISTENERS_ANY_PORT, "ECOSENTRY_DATABASE_URL": via_proxy,
           "ECOSENTRY_DATA_DIR": str(work / "state"),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(gw_port),
           "ECOSENTRY_HTTP_PORT": str(free_port()), "ECOSENTRY_INGEST_PROCESS": "true",
           "ECOSENTRY_HJ212_MAX_CONNECTIONS_PER_PEER": str(len(frames) + 10)}
    # the server's log to a file: an outage makes it write a lot, and a pipe nobody reads would block it
    server_log = open(work / "server.log", "wb")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=server_log)
    replies: list[tuple[float, float]] = []
    acked: list[float] = []
    stored_at: list[tuple[float, int]] = []
    try:
        _wait_port(gw_port, proc)
        clock = Clock(t0=time.perf_counter() + 0.5)

        def stored() -> int:
            with engine.connect() as c:
                return int(c.execute(select(func.count()).select_from(s.observations)).scalar_one())

        async def main() -> None:
            async def outage() -> None:
                await asyncio.sleep(clock.t0 + warm - time.perf_counter())
                clock.cut = time.perf_counter() - clock.t0
                await asyncio.to_thread(proxy.refuse if mode == "refuse" else proxy.hang)
                console.print(f"  {clock.cut:.1f} s: " + (say(N_("database refusing")) if mode == "refuse"
                                                           else say(N_("database hanging"))))
                await asyncio.sleep(seconds)
                await asyncio.to_thread(proxy.restore)
                clock.restored = time.perf_counter() - clock.t0
                console.print(f"  {clock.restored:.1f} s: " + say(N_("database back")))

            async def watch() -> None:  # the stored rows over time (directly, not through the proxy)
                while True:
                    stored_at.append((time.perf_counter() - clock.t0, await asyncio.to_thread(stored)))
                    await asyncio.sleep(0.5)

            watcher = asyncio.create_task(watch())
            await asyncio.gather(outage(), *(_paced(gw_port, f, every, clock, replies, acked) for f in frames))
            deadline = time.perf_counter() + 600
            while (await asyncio.to_thread(stored)) < n_points and time.perf_counter() < deadline:
                await asyncio.sleep(0.5)
            stored_at.append((time.perf_counter() - clock.t0, await asyncio.to_thread(stored)))
            watcher.cancel()

        asyncio.run(main())
        with engine.connect() as c:
            rows = int(c.execute(select(func.count()).select_from(s.observations)).scalar_one())
            raw = int(c.execute(select(func.count()).select_from(s.raw_frames)).scalar_one())
        per_frame = n_points / sum(len(f) for f in frames)
        acked_before_restore = sum(1 for t in acked if t <= clock.restored) * per_frame
        at_restore = max((n for t, n in stored_at if t <= clock.restored), default=0)  # stored before the restore
        caught = next((t for t, n in stored_at if t >= clock.restored and n >= acked_before_restore), None)
        phases = {"before": [lat for t, lat in replies if t < clock.cut],
                  "during": [lat for t, lat in replies if clock.cut <= t < clock.restored],
                  "after": [lat for t, lat in replies if t >= clock.restored]}
        return {
            "mode": mode, "outage_s": seconds, "loggers": loggers, "frame_every_s": every,
            "frames_sent": sum(len(f) for f in frames), "frames_acked": len(acked), "data_points_sent": n_points,
            "rows_stored": rows, "raw_frames_stored": raw,
            "exactly_once": rows == n_points and raw == sum(len(f) for f in frames),
            "backlog_points_at_restore": round(acked_before_restore - at_restore),
            "catch_up_s": None if caught is None else round(caught - clock.restored, 1),
            "reply_ms": {k: {"n": len(v), "p50": _pct(v, 0.5), "p99": _pct(v, 0.99)} for k, v in phases.items()},
            "server_log": str(work / "server.log"), "cut_at_s": round(clock.cut, 1), "restored_at_s": round(clock.restored, 1),
            # (seconds from the start, data points acknowledged, rows stored), every second or so
            "timeline": [(round(t, 1), round(sum(1 for a in acked if a <= t) * per_frame), n)
                         for t, n in stored_at[::2]],
        }
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        server_log.close()
        engine.dispose()
        proxy.close()
        drop()


def run_bench_outage(*, modes: list[str], seconds: float, warm: float, after: float, loggers: int, every: float,
                     pg_url: str, out: Path | None, console: Console) -> list[dict]:
    _ = gettext_of()
    results = []
    for mode in modes:
        said = (N_("%(loggers)s loggers, a frame each every %(every)s s; PostgreSQL refusing for %(seconds)s s after "
                   "%(warm)s s") if mode == "refuse" else
                N_("%(loggers)s loggers, a frame each every %(every)s s; PostgreSQL hanging for %(seconds)s s after "
                   "%(warm)s s"))
        console.print("[bold]bench outage[/bold]: " + _(said) % {"loggers": loggers, "every": every,
                                                                 "seconds": f"{seconds:g}", "warm": f"{warm:g}"})
        results.append(run_outage(mode=mode, seconds=seconds, warm=warm, after=after, loggers=loggers, every=every,
                                  pg_url=pg_url, console=console))
    table = Table(title=_(N_("PostgreSQL outage under load")))
    for col in (N_("mode"), N_("frames sent / acked"), N_("points sent / stored"), N_("exactly once"),
                N_("backlog at restore"), N_("catch-up s"), N_("reply p99 ms before / during / after")):
        table.add_column(_(col))
    for r in results:
        rp = r["reply_ms"]
        table.add_row(_(MODE_NAMES[r["mode"]]), f"{r['frames_sent']} / {r['frames_acked']}",
                      f"{r['data_points_sent']} / {r['rows_stored']}", _(N_("yes")) if r["exactly_once"] else _(N_("NO")),
                      str(r["backlog_points_at_restore"]), str(r["catch_up_s"]),
                      " / ".join(str(rp[k]["p99"]) for k in ("before", "during", "after")))
    console.print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print("  " + _(N_("wrote %(json)s")) % {"json": out}, highlight=False)
    return results
