"""The NATS JetStream bus between gateways and workers (``ecosentry serve --role gateway|worker|api``).

A gateway process keeps its own durable spool (:mod:`ecosentry.pipeline.spool`): a frame is appended and
``fsync``-ed first, as in the embedded mode. Then, before the gateway replies, the envelope is published to the
stream and the stream's acknowledgement awaited (:class:`PublishingSpool`). If NATS does not answer in time the
gateway replies anyway: the frame is on its disk, and the :class:`SpoolForwarder` (the spool's only reader in
this mode) publishes everything the stream has not acknowledged, in spool order, once NATS is back. The
spool's cursor then means "the stream holds everything up to here".

Each message carries ``Nats-Msg-Id: <spool id>:<seq>``: JetStream drops a second publish of the same frame
within its duplicate window (a replay after a crash between publish and cursor), and the sinks, which key the
raw frames on (spool, seq), store it once even beyond that window.

Subjects are ``<prefix>.<kind>.<partition>``, the partition being a stable hash of the point (its MN, else its
registry id, else the sender's address) modulo the number of partitions: one point, one partition, one order.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ecosentry.contracts.envelope import Envelope
from ecosentry.metrics import counters
from ecosentry.pipeline.bus_settings import BusSettings
from ecosentry.pipeline.spool import Spool, SpoolReader

log = logging.getLogger(__name__)

#: Headers of a published envelope: where it was made durable first (the sinks' idempotency key).
SPOOL_HEADER = "Ecosentry-Spool"
SEQ_HEADER = "Ecosentry-Seq"
_SUBJECT_UNSAFE = str.maketrans({".": "_", "*": "_", ">": "_", " ": "_"})


def point_key(env: Envelope) -> str:
    """What identifies the point an envelope belongs to, for partitioning: the MN a logger sends (always the
    same for one point), else the registry id the gateway found, else the sender."""
    if env.mn:
        return f"mn:{env.mn}"
    if env.point_id is not None:
        return f"id:{env.point_id}"
    return f"peer:{env.peer or ''}"


def partition_of(key: str, partitions: int) -> int:
    """Stable partition of a point key: CRC-32 of its UTF-8 bytes modulo ``partitions`` (the same in every
    process and release, unlike Python's salted ``hash``)."""
    return zlib.crc32(key.encode()) % partitions


def subject_for(settings: BusSettings, kind: str, partition: int) -> str:
    return f"{settings.subject_prefix}.{kind.translate(_SUBJECT_UNSAFE) or '_'}.{partition}"


def partition_filter(settings: BusSettings, partition: int) -> str:
    """The subjects of one partition, every kind."""
    return f"{settings.subject_prefix}.*.{partition}"


def message_id(spool_id: str, seq: int) -> str:
    return f"{spool_id}:{seq}"


@dataclass(frozen=True)
class Routed:
    subject: str
    headers: dict[str, str]


def route(settings: BusSettings, spool_id: str, seq: int, payload: bytes) -> Routed:
    """Subject and headers of a spool record. A record that does not decode goes to partition 0 under the
    kind ``undecodable``; the worker archives its bytes as rejected and terminates the message."""
    try:
        env = Envelope.decode(payload)
        kind, key = env.kind, point_key(env)
    except Exception:
        kind, key = "undecodable", ""
    headers = {"Nats-Msg-Id": message_id(spool_id, seq), SPOOL_HEADER: spool_id, SEQ_HEADER: str(seq)}
    return Routed(subject_for(settings, kind, partition_of(key, settings.partitions)), headers)


def stream_config(settings: BusSettings) -> StreamConfig:
    return StreamConfig(
        name=settings.stream, subjects=[f"{settings.subject_prefix}.>"],
        retention=RetentionPolicy.WORK_QUEUE if settings.retention == "workqueue" else RetentionPolicy.LIMITS,
        storage=StorageType.FILE, num_replicas=settings.replicas, max_age=settings.max_age,
        duplicate_window=settings.duplicate_window)


class BusConnection:
    """One connection to NATS, made in the background and kept (the client reconnects by itself once it was
    connected); :attr:`js` is None until the first connection and the stream exist."""

    def __init__(self, settings: BusSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.nc: nats.NATS | None = None
        self.js: JetStreamContext | None = None
        self.ready = asyncio.Event()
        #: Times the connection was lost: what was published before may be gone from an unflushed server.
        self.disconnects = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_loop(), name=f"nats-connect-{self.name}")

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.ready.wait(), timeout)

    async def _connect_loop(self) -> None:
        backoff = 0.2
        while True:
            nc: nats.NATS | None = None
            try:
                nc = await nats.connect(servers=self.settings.servers, name=self.name, connect_timeout=2,
                                        allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                        error_cb=self._on_error, disconnected_cb=self._on_disconnect,
                                        reconnected_cb=self._on_reconnect)
                js = nc.jetstream()
                await ensure_stream(js, self.settings)
            except Exception as exc:
                counters.inc("bus.connect_errors")
                if backoff == 0.2:
                    log.error("NATS at %s not reachable (%s); retrying", ",".join(self.settings.servers), exc)
                if nc is not None:
                    await nc.close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self.nc, self.js = nc, js
            self.ready.set()
            log.info("connected to NATS %s, stream %s", nc.connected_url.netloc if nc.connected_url else "?",
                     self.settings.stream)
            return

    async def _on_error(self, exc: Exception) -> None:
        counters.inc("bus.client_errors")
        log.debug("NATS client: %s", exc)

    async def _on_disconnect(self) -> None:
        self.disconnects += 1
        if self.nc is not None and not (self.nc.is_closed or self.nc.is_draining):
            log.warning("disconnected from NATS; reconnecting")

    async def _on_reconnect(self) -> None:
        log.info("reconnected to NATS")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self.nc is not None and not self.nc.is_closed:
            # not drain(): pull subscriptions would hold it for its whole timeout; what was acknowledged or
            # published is flushed here, and anything else is redelivered or republished anyway
            try:
                await asyncio.wait_for(self.nc.flush(), 2)
            except Exception:
                pass
            await self.nc.close()


async def ensure_stream(js: JetStreamContext, settings: BusSettings) -> None:
    """Create the stream, or bring its configuration to the settings' (subjects, limits, window)."""
    config = stream_config(settings)
    try:
        await js.stream_info(settings.stream)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


class SpoolForwarder:
    """The spool's reader in a gateway or API process: publishes what the stream does not hold yet, in spool
    order, and moves the cursor once JetStream has acknowledged it.

    While it is *caught up* (nothing older waiting) the gateways publish inline before replying
    (:meth:`publish_inline`) and the forwarder only moves the cursor over what they published. When NATS fails,
    inline publishing stops (a later frame must not overtake an earlier one of the same point) until the
    forwarder has published the backlog.
    """

    def __init__(self, spool: Spool, bus: BusConnection) -> None:
        self.spool = spool
        self.bus = bus
        self.reader = SpoolReader(spool.dir)
        self.caught_up = False
        #: Records published inline → the connection's disconnect count when NATS acknowledged them.
        self._acked: dict[int, int] = {}
        #: Highest record published (acknowledged by NATS) in spool order, settled or not.
        self._forwarded = self.reader.cursor
        #: (last record of a published batch, when, disconnect count then), oldest first.
        self._unsettled: deque[tuple[int, float, int]] = deque()
        #: Highest settled record not yet written to the cursor file, and when the cursor was last written.
        self._settled_seq = self.reader.cursor
        self._cursor_written = float("-inf")
        self._inflight: set[int] = set()
        self._settled = asyncio.Event()
        self._committed = asyncio.Event()
        self._stop = asyncio.Event()
        self._failing = False

    @property
    def settings(self) -> BusSettings:
        return self.bus.settings

    async def _publish(self, records: list[tuple[int, bytes]]) -> None:
        """Publish records in the given order, pipelined, and wait for all of JetStream's acknowledgements
        (``publish_timeout`` in all); raises if any is missing."""
        js = self.bus.js
        if js is None:
            raise ConnectionError("not connected to NATS yet")
        futures = []
        for seq, payload in records:  # sent in this order on the one connection: the stream keeps it
            routed = route(self.settings, self.spool.id, seq, payload)
            futures.append(await js.publish_async(routed.subject, payload, wait_stall=self.settings.publish_timeout,
                                                  stream=self.settings.stream, headers=routed.headers))
        acks = await asyncio.wait_for(asyncio.gather(*futures), self.settings.publish_timeout)
        duplicates = sum(1 for ack in acks if ack.duplicate)
        counters.inc("bus.published", len(acks) - duplicates)
        counters.inc("bus.published_duplicate", duplicates)

    async def publish_inline(self, first_seq: int, payloads: list[bytes]) -> None:
        """Publish freshly appended records before the gateway replies; never raises (the spool holds them).

        While the forwarder is publishing a backlog over a working connection, wait (at most
        ``publish_timeout``) for it to pass these records instead; while NATS fails, return at once.
        """
        if self.bus.js is None or self._failing:
            return
        if not self.caught_up:
            await self._wait_forwarded(first_seq + len(payloads) - 1)
            return
        seqs = range(first_seq, first_seq + len(payloads))
        self._inflight.update(seqs)
        try:
            disconnects = self.bus.disconnects
            try:
                await self._publish(list(zip(seqs, payloads)))
            except Exception as exc:
                self._failed(exc)  # the forwarder takes them, in order
            else:
                self._acked.update(dict.fromkeys(seqs, disconnects))
        finally:
            self._inflight.difference_update(seqs)
            self._settled.set()

    async def _wait_forwarded(self, seq: int) -> None:
        deadline = asyncio.get_running_loop().time() + self.settings.publish_timeout
        while self._forwarded < seq and not self._failing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            self._committed.clear()
            try:
                await asyncio.wait_for(self._committed.wait(), remaining)
            except TimeoutError:
                return

    def _failed(self, exc: BaseException) -> None:
        counters.inc("bus.publish_errors")
        self.caught_up = False
        if not self._failing:
            self._failing = True
            log.error("publishing to NATS failed (%s: %s); the spool keeps the frames, forwarding them later",
                      type(exc).__name__, exc)

    async def run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            self._settle()
            batch = self.reader.read_batch(self.settings.fetch_batch)
            if not batch:
                if self.bus.js is not None and self.reader.read_seq >= self.spool.durable_seq:
                    if not self.caught_up and self._failing:
                        log.info("the stream holds the spool again up to record %d", self._forwarded)
                    self.caught_up, self._failing = True, False
                await self._wait_for_data()
                continue
            # a gateway that appended a record is about to publish it (its reply waits for that): give it the time
            deadline = asyncio.get_running_loop().time() + self.settings.publish_timeout + 1.0
            disconnects = self.bus.disconnects  # a loss from now on, even before our acks arrive, means replay
            try:
                need = [(rec.seq, rec.payload) for rec in batch if not await self._held(rec.seq, deadline)]
                if need:
                    await self._publish(need)
            except Exception as exc:
                self._failed(exc)
                self._replay()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            self._forwarded = batch[-1].seq
            self._unsettled.append((batch[-1].seq, asyncio.get_running_loop().time(), disconnects))
            self._committed.set()
            self._acked = {s: d for s, d in self._acked.items() if s > batch[-1].seq}

    def _settle(self) -> None:
        """Move the cursor over what NATS acknowledged ``publish_settle`` s ago with the connection up since
        (a server killed right after its acknowledgement may not have written the message yet); after a lost
        connection, publish everything unsettled again (JetStream and the sinks drop what they already hold)."""
        now = asyncio.get_running_loop().time()
        if any(d != self.bus.disconnects for _, _, d in self._unsettled):
            self._replay()
            return
        while self._unsettled and now - self._unsettled[0][1] >= self.settings.publish_settle:
            self._settled_seq, _, _ = self._unsettled.popleft()
        # the cursor file is written (two fsyncs, on this loop) at most once per ``publish_settle``, not once per
        # published batch: with thousands of loggers a batch is a frame or two, and the writes held every reply.
        # A cursor behind what settled costs only a replay after a crash, which JetStream and the sinks drop.
        if self._settled_seq > self.reader.cursor and now - self._cursor_written >= self.settings.publish_settle:
            self.reader.commit(self._settled_seq)
            self._cursor_written = now

    def _replay(self) -> None:
        if self._unsettled:
            counters.inc("bus.replays")
            log.warning("the NATS connection was lost after records %d-%d were published: publishing them again",
                        self.reader.cursor + 1, self._forwarded)
        self._unsettled.clear()
        self._acked.clear()
        self._settled_seq = self.reader.cursor
        self.reader.rewind()
        self._forwarded = self.reader.cursor
        self.caught_up = False

    async def _held(self, seq: int, deadline: float) -> bool:
        """Whether the stream holds record ``seq`` (published inline, now or before ``deadline``) with the
        connection up since; if not, the forwarder publishes it."""
        while self.caught_up and seq not in self._acked:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 and seq not in self._inflight:
                break
            self._settled.clear()
            try:
                await asyncio.wait_for(self._settled.wait(), max(remaining, 0.05))
            except TimeoutError:
                pass
        if self._acked.get(seq) == self.bus.disconnects:
            return True
        while seq in self._inflight:  # an inline publish of it is still waiting for its answer
            self._settled.clear()
            try:
                await asyncio.wait_for(self._settled.wait(), 0.5)
            except TimeoutError:
                pass
        return self._acked.get(seq) == self.bus.disconnects

    async def _wait_for_data(self) -> None:
        self.spool.new_data.clear()
        try:
            await asyncio.wait_for(self.spool.new_data.wait(), 0.2)
        except TimeoutError:
            pass

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the stream holds every record the spool has made durable so far."""
        upto = self.spool.durable_seq

        async def _wait() -> None:
            while self.reader.cursor < upto:
                await asyncio.sleep(0.02)
        await asyncio.wait_for(_wait(), timeout)

    def stop(self) -> None:
        self._stop.set()


class PublishingSpool(Spool):
    """The spool of a gateway or API process on the bus: :meth:`append` returns once the records are on disk
    *and* (while NATS answers) in the stream, so the gateway's reply follows both."""

    def __init__(self, directory: Path | str, segment_bytes: int = 64 * 1024 * 1024) -> None:
        super().__init__(directory, segment_bytes)
        self.forwarder: SpoolForwarder | None = None

    async def append(self, payloads: list[bytes]) -> int:
        last = await super().append(payloads)
        if self.forwarder is not None:
            await self.forwarder.publish_inline(last - len(payloads) + 1, list(payloads))
        return last
