"""``ecosentry bench ingest --every 30``: loggers that send as loggers do, one frame every ``every`` seconds.

The saturation mode of ``bench ingest`` keeps frames in flight on every connection and measures throughput;
this mode measures what a logger in the field sees: thousands of connections open at once, each sending one
frame every ``every`` seconds (at its own phase in the period, as loggers switched on at different moments
do), and the time from the frame's last byte to the gateway's 9014 reply, which comes only once the frame is
durable. The issue's goal is 20,000 loggers every 30 s with a p99 reply under 200 ms.

One process cannot hold that many sockets where the open-file limit is 20,000 (as on our machines), so the
loggers are shared by several client processes, and the server side by several gateway processes listening
on the same port (``hj212_reuse_port``; ``serve --role gateway``). Connections are opened at a bounded rate
first (``connect_rate`` per second over all clients, as a real fleet reconnects after an outage); a logger
whose connection fails retries up to three times, one second apart, and is counted once if it never gets in.
A frame without a reply when the run ends is counted as unanswered, not given a latency.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from ecosentry.protocols.hj212 import FrameReader, HJ212Error

#: Loggers per client process (the open-file limit of one process is 20,000 on our machines).
LOGGERS_PER_CLIENT = 8_000
#: Seconds to wait for the replies still due after the last frame was sent.
DRAIN_SECONDS = 30.0


def _qn(frame: bytes) -> str:
    """The QN of a frame without a full parse: the bench's clients must not compete for CPU."""
    return frame.split(b"QN=", 1)[1].split(b";", 1)[0].decode()


async def _logger(port: int, frames: list[bytes], every: float, phase: float, t0: float, connect_at: float,
                  out: dict) -> None:
    """One logger: connect at ``connect_at`` (monotonic), then send frame k at ``t0 + phase + k·every``."""
    await asyncio.sleep(max(0.0, connect_at - time.monotonic()))
    for attempt in range(4):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            if attempt == 3:
                out["connect_failures"] += 1
                out["unsent"] += len(frames)
                return
            await asyncio.sleep(1.0)
    out["connected"] += 1
    sent: dict[str, float] = {}
    pending = len(frames)
    all_replied = asyncio.Event()

    async def read_replies() -> None:
        nonlocal pending
        framer = FrameReader()
        while pending:
            data = await reader.read(65536)
            if not data:
                out["closed_by_server"] += 1
                return
            for item in framer.feed(data):
                if isinstance(item, HJ212Error):
                    continue
                t_sent = sent.pop(_qn(item), None)
                if t_sent is not None:
                    out["latencies"].append(time.monotonic() - t_sent)
                    pending -= 1
        all_replied.set()

    replies = asyncio.create_task(read_replies())
    try:
        for k, frame in enumerate(frames):
            await asyncio.sleep(max(0.0, t0 + phase + k * every - time.monotonic()))
            if replies.done():  # the server closed the connection: the rest is not sent
                out["unsent"] += len(frames) - k
                break
            writer.write(frame)
            sent[_qn(frame)] = time.monotonic()  # the whole frame is in the kernel's buffer (a few hundred bytes)
            out["sent"] += 1
        end = t0 + phase + (len(frames) - 1) * every + DRAIN_SECONDS
        try:
            await asyncio.wait_for(all_replied.wait(), timeout=max(0.1, end - time.monotonic()))
        except asyncio.TimeoutError:
            pass
        out["unanswered"] += len(sent)
    finally:
        replies.cancel()
        writer.close()


def run_client(port: int, loggers: list[list[bytes]], every: float, t0_wall: float, connect_start_wall: float,
               connect_rate: float, seed: int) -> dict:
    """One client process: its loggers' connections and frames; returns the latencies in seconds and counts.

    ``t0_wall``/``connect_start_wall`` are wall-clock instants shared by every client (``time.time()``);
    ``connect_rate`` is this client's connections per second.
    """
    rnd = random.Random(seed)
    offset = time.monotonic() - time.time()
    t0 = t0_wall + offset
    c0 = connect_start_wall + offset
    out = {"latencies": [], "connected": 0, "connect_failures": 0, "sent": 0, "unsent": 0, "unanswered": 0,
           "closed_by_server": 0}

    async def main() -> None:
        await asyncio.gather(*(_logger(port, frames, every, rnd.uniform(0, every), t0, c0 + i / connect_rate, out)
                               for i, frames in enumerate(loggers)))

    asyncio.run(main())
    return out


def drive_paced(port: int, frames: list[list[bytes]], *, every: float, connect_rate: float = 2_000.0,
                seed: int = 5) -> dict:
    """Every logger of ``frames`` connected and paced, over as many client processes as the file limit needs.

    Returns the sorted latencies (s) and the counts summed over the clients, and ``connect_s``, the time given to
    opening the connections before the first period begins.
    """
    clients = max(1, math.ceil(len(frames) / LOGGERS_PER_CLIENT))
    shares = [frames[i::clients] for i in range(clients)]
    connect_s = len(frames) / connect_rate + 2.0
    now = time.time() + 3.0  # the client processes start (spawned: a fresh interpreter each)
    with ProcessPoolExecutor(max_workers=clients, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_client, port, share, every, now + connect_s, now, connect_rate / clients,
                               seed + i) for i, share in enumerate(shares)]
        results = [f.result() for f in futures]
    total = {k: sum(r[k] for r in results) for k in results[0] if k != "latencies"}
    total["latencies"] = sorted(x for r in results for x in r["latencies"])
    total["clients"] = clients
    total["connect_s"] = round(connect_s, 1)
    return total


def percentile_ms(sorted_s: list[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of sorted seconds, in ms; ``None`` when there is none."""
    if not sorted_s:
        return None
    return round(sorted_s[min(len(sorted_s) - 1, max(0, math.ceil(q * len(sorted_s)) - 1))] * 1000, 2)
