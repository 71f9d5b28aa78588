"""The ingest worker on the bus (``ecosentry serve --role worker``): stream → the sink of each record kind →
database, several workers sharing the partitions.

Partitions are claimed with leases in a JetStream key-value bucket (``<stream>_leases``, entries expiring
``lease_ttl`` after their last renewal): a worker announces itself (``w.<id>``), counts the live workers, keeps
its share of the partitions (``p.<n>``) and renews them; what a dead worker held expires and is claimed by the
others, a worker holding more than its share gives the surplus back. One partition has one durable pull
consumer, and one owner at a time, so a point's envelopes are stored in the order they were received.

On claiming a partition the worker makes its consumer afresh: on a work-queue stream it starts at the first
envelope not yet acknowledged (acknowledged ones have left the stream); on a ``limits`` stream just after the
acknowledged floor. What the previous owner took but never acknowledged is therefore delivered again at once,
in order, without waiting for ``ack_wait``.

An envelope is acknowledged only after the database transaction that stored it committed; the sinks are
idempotent on (spool id, sequence), so an envelope delivered twice (a worker killed between the commit and
the acknowledgement) is stored once. While the database is unreachable the worker keeps its batch, tells
JetStream it is still working on it, and retries. A message without the spool headers, or whose envelope does
not decode, is counted, its bytes are archived as rejected, and it is terminated: never delivered again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any

import nats.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import KeyWrongLastSequenceError, NoKeysError, NotFoundError
from nats.js.kv import KeyValue
from sqlalchemy import Engine

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import Sink, SinkResult
from ecosentry.metrics import counters
from ecosentry.pipeline.bus_nats import SEQ_HEADER, SPOOL_HEADER, BusConnection, partition_filter
from ecosentry.pipeline.bus_settings import BusSettings
from ecosentry.pipeline.isolate import write_isolating
from ecosentry.store.db import is_transient

log = logging.getLogger(__name__)

_KEY_UNSAFE = re.compile(r"[^-_A-Za-z0-9]")


def default_worker_id() -> str:
    """``<host>-<pid>-<random>``: unique among the workers, readable in the lease bucket."""
    return _KEY_UNSAFE.sub("_", f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}")


def fair_share(partitions: int, workers: int) -> int:
    """Partitions one worker keeps when ``workers`` share ``partitions`` (the last may hold fewer)."""
    return math.ceil(partitions / max(workers, 1))


@dataclass
class _Item:
    """One message of a fetched batch."""

    msg: Any
    spool_id: str
    seq: int
    envelope: Envelope
    terminate: bool = False  # stored as rejected, then terminated (never redelivered)


@dataclass
class _Claim:
    revision: int
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None


class BusWorker:
    """Consume the partitions this worker holds, store each batch through the sinks, acknowledge after commit.

    Parameters
    ----------
    engine : Engine
        The database the sinks write.
    sinks : dict
        Record kind → sink (:func:`ecosentry.pipeline.sinks.build_sinks`).
    settings : BusSettings
        The ``nats`` section.
    worker_id : str, optional
        Name of this worker in the lease bucket; :func:`default_worker_id` when omitted.
    flush_every : float
        Seconds between the sinks' follow-up work (touched hours ...). [s]
    """

    def __init__(self, engine: Engine, sinks: dict[str, Sink], settings: BusSettings, *,
                 worker_id: str | None = None, flush_every: float = 5.0) -> None:
        self.engine = engine
        self.sinks = sinks
        self.settings = settings
        self.worker_id = _KEY_UNSAFE.sub("_", worker_id) if worker_id else default_worker_id()
        self.flush_every = flush_every
        self.bus = BusConnection(settings, f"ecosentry-worker-{self.worker_id}")
        self.claims: dict[int, _Claim] = {}
        self.db_ok = True
        self.stored = 0  # envelopes acknowledged after their commit, by this worker
        self._kv: KeyValue | None = None
        self._stop = asyncio.Event()
        self._unknown_kinds: set[str] = set()
        self._presence_rev: int | None = None

    # ------------------------------------------------------------------------------ leases

    @property
    def bucket(self) -> str:
        return f"{self.settings.stream}_leases"

    async def _lease_bucket(self) -> KeyValue:
        js = self.bus.js
        assert js is not None
        try:
            return await js.key_value(self.bucket)
        except Exception:
            return await js.create_key_value(bucket=self.bucket, ttl=self.settings.lease_ttl, history=1,
                                             replicas=self.settings.replicas)

    async def run(self) -> None:
        self.bus.start()
        await self.bus.ready.wait()
        self._kv = await self._lease_bucket()
        flushing = asyncio.create_task(self._flush_loop(), name="bus-worker-flush")
        try:
            while not self._stop.is_set():
                try:
                    await self._lease_round()
                except Exception as exc:  # NATS away: the claims lapse by themselves if this goes on
                    counters.inc("bus.lease_errors")
                    log.warning("lease round failed: %s: %s", type(exc).__name__, exc)
                try:
                    await asyncio.wait_for(self._stop.wait(), self.settings.lease_ttl / 3)
                except TimeoutError:
                    pass
        finally:
            flushing.cancel()
            await self._release_all()

    async def _lease_round(self) -> None:
        kv = self._kv
        assert kv is not None
        self._presence_rev = await kv.put(f"w.{self.worker_id}", b"1")
        try:
            keys = await kv.keys()
        except NoKeysError:
            keys = []
        workers = {k for k in keys if k.startswith("w.")} | {f"w.{self.worker_id}"}
        n = self.settings.partitions
        share = fair_share(n, len(workers))
        for p, claim in list(self.claims.items()):  # renew, or learn we lost it
            try:
                claim.revision = await kv.update(f"p.{p}", self.worker_id.encode(), last=claim.revision)
            except KeyWrongLastSequenceError:
                log.warning("lease of partition %d lapsed (another worker holds it now)", p)
                await self._drop(p, release=False)
        for p in sorted(self.claims, reverse=True)[: max(0, len(self.claims) - share)]:
            await self._drop(p, release=True)  # more than our share: give it back for a newer worker
        if len(self.claims) >= share:
            return
        start = int.from_bytes(self.worker_id.encode()[-4:].rjust(4, b"\0"), "big") % n  # spread the first picks
        for i in range(n):
            p = (start + i) % n
            if p in self.claims or f"p.{p}" in keys:
                continue
            try:
                rev = await kv.create(f"p.{p}", self.worker_id.encode())
            except KeyWrongLastSequenceError:
                continue  # claimed by another worker meanwhile
            claim = _Claim(rev)
            self.claims[p] = claim
            claim.task = asyncio.create_task(self._consume(p, claim.stop), name=f"bus-partition-{p}")
            log.info("worker %s claimed partition %d", self.worker_id, p)
            if len(self.claims) >= share:
                break

    async def _drop(self, p: int, *, release: bool) -> None:
        """Stop consuming partition ``p`` (after the batch in hand); with ``release`` free its lease at once."""
        claim = self.claims.pop(p)
        claim.stop.set()
        if claim.task is not None:
            try:
                await asyncio.wait_for(claim.task, self.settings.lease_ttl)
            except (asyncio.CancelledError, Exception):
                pass
        if release and self._kv is not None:
            try:
                await self._kv.delete(f"p.{p}", last=claim.revision)
            except Exception:
                pass  # it lapses by itself
            log.info("worker %s released partition %d", self.worker_id, p)

    async def _release_all(self) -> None:
        for claim in self.claims.values():
            claim.stop.set()  # all at once: each finishes its batch in hand
        for p in list(self.claims):
            await self._drop(p, release=True)
        if self._kv is not None and self._presence_rev is not None:
            try:
                await self._kv.delete(f"w.{self.worker_id}")
            except Exception:
                pass

    # ------------------------------------------------------------------------------ one partition

    async def _subscribe(self, p: int):
        """The partition's durable consumer, made afresh from its acknowledged floor (see the module doc)."""
        js = self.bus.js
        assert js is not None
        st = self.settings
        durable = f"{st.stream}_p{p}"
        floor = 0
        try:
            info = await js.consumer_info(st.stream, durable)
            floor = info.ack_floor.stream_seq if info.ack_floor else 0
            await js.delete_consumer(st.stream, durable)
        except NotFoundError:
            pass
        config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT,
                                filter_subject=partition_filter(st, p), ack_wait=st.ack_wait, max_deliver=-1,
                                max_ack_pending=-1)
        if st.retention == "limits" and floor:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = floor + 1
        await js.add_consumer(st.stream, config)
        return await js.pull_subscribe_bind(durable, stream=st.stream)

    async def _consume(self, p: int, stop: asyncio.Event) -> None:
        sub = None
        try:
            while not stop.is_set():
                try:
                    if sub is None:
                        sub = await self._subscribe(p)
                    msgs = await sub.fetch(self.settings.fetch_batch, timeout=1.0)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue  # nothing new in this partition
                except Exception as exc:  # connection lost, consumer gone: make it again (if still ours)
                    counters.inc("bus.fetch_errors")
                    log.warning("partition %d: fetching failed (%s: %s); retrying", p, type(exc).__name__, exc)
                    sub = await self._unsubscribe(sub)
                    await asyncio.sleep(0.5)
                    continue
                try:
                    await self._handle(p, msgs, stop)
                except Exception as exc:  # stored, but the acknowledgements may not have reached NATS
                    counters.inc("bus.ack_errors")
                    log.warning("partition %d: acknowledging failed (%s: %s); taking the partition up again from "
                                "its acknowledged floor", p, type(exc).__name__, exc)
                    # made afresh: what was not acknowledged comes again, in order (and is stored once)
                    sub = await self._unsubscribe(sub)
                    await asyncio.sleep(0.5)
        finally:
            await self._unsubscribe(sub)

    @staticmethod
    async def _unsubscribe(sub) -> None:
        if sub is not None:
            try:
                await sub.unsubscribe()
            except Exception:
                pass  # the connection is gone: so is the subscription
        return None

    async def _handle(self, p: int, msgs: list, stop: asyncio.Event) -> None:
        items: list[_Item] = []
        for m in msgs:
            item = self._item(m)
            if item is None:
                await m.term()
                continue
            items.append(item)
        if not items:
            return
        backoff = 0.2
        while True:
            try:
                done = await asyncio.to_thread(self._write, items)
                break
            except Exception as exc:
                counters.inc("ingest.db_errors")
                if self.db_ok:
                    log.error("database write failed (%s); the stream keeps the data, retrying", exc)
                self.db_ok = False
                if stop.is_set():
                    return  # not ours any more: its next owner gets them again
                for item in items:
                    try:
                        await item.msg.in_progress()  # keep them ours while we retry
                    except Exception:
                        break
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        if not self.db_ok:
            log.info("database writes resumed (partition %d)", p)
        self.db_ok = True
        for item in items:
            if item.terminate:
                counters.inc("bus.terminated")
                await item.msg.term()
            else:
                await item.msg.ack()
        assert self.bus.nc is not None
        await self.bus.nc.flush(timeout=max(self.settings.ack_wait / 2, 1.0))
        self.stored += len(items)
        by_key = {(item.spool_id, item.seq): item for item in items}
        for kind, spool_id, results in done:
            for result in results:
                for seq, fault in result.isolated:
                    self._report(spool_id, seq, by_key[(spool_id, seq)].envelope, fault)
                counters.inc("ingest.frames", result.frames)
                counters.inc("ingest.observations_offered", result.records_offered)
                self.sinks[kind].after_commit(result)

    def _item(self, m) -> _Item | None:
        """The message as an envelope with its spool key; None (counted, logged) when it has none."""
        headers = m.headers or {}
        try:
            spool_id, seq = headers[SPOOL_HEADER], int(headers[SEQ_HEADER])
        except (KeyError, ValueError):
            counters.inc("bus.bad_messages")
            log.error("message on %s without the spool headers (%s); terminated", m.subject, sorted(headers))
            return None
        try:
            return _Item(m, spool_id, seq, Envelope.decode(m.data))
        except Exception as exc:
            counters.inc("bus.undecodable")
            log.error("envelope %s:%d on %s does not decode (%s); archived as rejected, terminated", spool_id, seq,
                      m.subject, exc)
            env = Envelope(transport="bus", received_at=datetime.now(timezone.utc), raw=m.data, status="rejected",
                           error="bus_undecodable", detail=f"{type(exc).__name__}: {exc}"[:500])
            return _Item(m, spool_id, seq, env, terminate=True)

    # ------------------------------------------------------------------------------ database

    def _write(self, items: list[_Item]) -> list[tuple[str, str, list[SinkResult]]]:
        """One transaction per kind and spool (in a worker thread), in order of first appearance; a record
        the database refuses is found and set aside by its sink."""
        groups: dict[tuple[str, str], list[tuple[int, Envelope]]] = {}
        for item in items:
            groups.setdefault((item.envelope.kind, item.spool_id), []).append((item.seq, item.envelope))
        out: list[tuple[str, str, list[SinkResult]]] = []
        for (kind, spool_id), part in groups.items():
            sink = self.sinks.get(kind)
            if sink is None:
                self._unknown_kind(kind, len(part))
                continue
            done = write_isolating(part, partial(self._write_part, sink, spool_id),
                                   partial(self._set_aside, sink, spool_id), is_transient)
            out.append((kind, spool_id, done.results))
        return out

    @staticmethod
    def _write_part(sink: Sink, spool_id: str, part: Sequence[tuple[int, Envelope]]) -> SinkResult:
        return sink.write(spool_id, part)

    @staticmethod
    def _set_aside(sink: Sink, spool_id: str, item: tuple[int, Envelope], exc: BaseException) -> SinkResult:
        return sink.set_aside(spool_id, item[0], item[1], exc)

    def _unknown_kind(self, kind: str, n: int) -> None:
        counters.inc("ingest.unknown_kind", n)
        if kind not in self._unknown_kinds:
            self._unknown_kinds.add(kind)
            log.error("envelopes of kind %r have no sink on this worker (is the subsystem that stores them "
                      "installed?); acknowledged without storing", kind)

    @staticmethod
    def _report(spool_id: str, seq: int, env: Envelope, fault: Any) -> None:
        counters.inc("ingest.isolated")
        counters.inc(f"ingest.isolated.{fault.code}")
        log.warning("envelope %s:%d (%s from %s, MN=%r) stored as %s: %s", spool_id, seq, env.transport, env.peer,
                    str(env.mn or "")[:40], fault.code, fault.note)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every)
            await self.flush()

    async def flush(self) -> int:
        """Every sink's follow-up work (touched hours ...); a sink that fails keeps its work for the next."""
        n = 0
        for kind, sink in self.sinks.items():
            try:
                n += await asyncio.to_thread(sink.flush)
            except Exception:
                counters.inc("sink.flush_errors")
                log.exception("follow-up work of the %s sink failed; will retry", kind)
        return n

    def stop(self) -> None:
        self._stop.set()

    async def close(self) -> None:
        await self.bus.close()
