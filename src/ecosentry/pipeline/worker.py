"""The ingest worker: spool → the sink of each record kind → database, then the sinks' follow-up work (derived
hours ...) on a schedule. At-least-once from the spool; the sinks write idempotently."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import Engine

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import Sink, SinkResult
from ecosentry.metrics import counters
from ecosentry.pipeline.isolate import write_isolating
from ecosentry.pipeline.spool import SpoolReader
from ecosentry.store.db import is_transient
from ecosentry.store.partitions import ensure_month_partitions

log = logging.getLogger(__name__)


class IngestWorker:
    """Drain the spool into the database in batches, each envelope through the sink of its record kind
    (:mod:`ecosentry.contracts.sink`); call the sinks' :meth:`~ecosentry.contracts.sink.Sink.flush` every
    ``flush_every`` s (the monitoring sink recomputes the touched hours then).

    While the database is unreachable the worker retries with back-off; the spool keeps everything the
    gateways acknowledged, so nothing is lost and nothing waits in memory. A record the database refuses
    does not hold up the others: the batch is split until it is found (pipeline/isolate.py), the good
    records are written, the culprit is archived by its sink, and the spool moves on. An envelope of a kind
    no installed subsystem stores is counted and logged once per kind, and skipped.
    """

    def __init__(self, engine: Engine, spool: SpoolReader, sinks: dict[str, Sink], *, batch_max: int = 5000,
                 flush_every: float = 5.0, wake: asyncio.Event | None = None) -> None:
        self.engine = engine
        self.spool = spool
        self.wake = wake  # set by an in-process spool writer on new data; otherwise the worker polls
        self.sinks = sinks
        self.batch_max = batch_max
        self.flush_every = flush_every
        self.db_ok = True
        self._stop = asyncio.Event()
        self._unknown_kinds: set[str] = set()

    async def run(self) -> None:
        flushing = asyncio.create_task(self._flush_loop())
        backoff = 0.2
        try:
            while not self._stop.is_set():
                batch = self.spool.read_batch(self.batch_max)
                if not batch:
                    await self._wait_for_data()
                    continue
                items = [(rec.seq, self._decode(rec.seq, rec.payload)) for rec in batch]
                try:
                    done = await asyncio.to_thread(self._write, items)
                except Exception as exc:
                    counters.inc("ingest.db_errors")
                    if self.db_ok:
                        log.error("database write failed (%s); the spool keeps the data, retrying", exc)
                    self.db_ok = False
                    self.spool.rewind()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if not self.db_ok:
                    log.info("database writes resumed at spool record %d", self.spool.cursor)
                self.db_ok, backoff = True, 0.2
                self.spool.commit(batch[-1].seq)
                # reported once the batch is in: a batch retried after an outage is not counted twice
                envelopes = dict(items)
                for kind, results in done:
                    for result in results:
                        for seq, fault in result.isolated:
                            self._report(seq, envelopes[seq], fault)
                        counters.inc("ingest.frames", result.frames)
                        counters.inc("ingest.observations_offered", result.records_offered)
                        self.sinks[kind].after_commit(result)
        finally:
            flushing.cancel()

    def _write(self, items: list[tuple[int, Envelope]]) -> list[tuple[str, list[SinkResult]]]:
        """Write a batch (in a worker thread), kind by kind in spool order of first appearance; a record the
        database refuses is found and set aside by its sink."""
        by_kind: dict[str, list[tuple[int, Envelope]]] = {}
        for item in items:
            by_kind.setdefault(item[1].kind, []).append(item)
        out: list[tuple[str, list[SinkResult]]] = []
        for kind, part in by_kind.items():
            sink = self.sinks.get(kind)
            if sink is None:
                self._unknown_kind(kind, len(part))
                continue
            done = write_isolating(part, partial(self._write_part, sink), partial(self._set_aside, sink),
                                   is_transient)
            if done.attempts > 1:
                log.info("a batch of %d %s records was split in %d writes to set %d aside", len(part), kind,
                         done.attempts, len(done.culprits))
            out.append((kind, done.results))
        return out

    def _write_part(self, sink: Sink, part: Sequence[tuple[int, Envelope]]) -> SinkResult:
        return sink.write(self.spool.id, part)

    def _set_aside(self, sink: Sink, item: tuple[int, Envelope], exc: BaseException) -> SinkResult:
        return sink.set_aside(self.spool.id, item[0], item[1], exc)

    def _unknown_kind(self, kind: str, n: int) -> None:
        counters.inc("ingest.unknown_kind", n)
        if kind not in self._unknown_kinds:
            self._unknown_kinds.add(kind)
            log.error("spool records of kind %r have no sink (is the subsystem that stores them installed?); "
                      "skipped, their bytes stay in the spool file", kind)

    @staticmethod
    def _decode(seq: int, payload: bytes) -> Envelope:
        """The spool record as an envelope; one we cannot read is archived as received, rejected."""
        try:
            return Envelope.decode(payload)
        except Exception as exc:  # a record we wrote ourselves and cannot read: keep its bytes, keep going
            counters.inc("spool.undecodable")
            log.exception("spool record %d cannot be decoded; archived as rejected", seq)
            return Envelope(transport="spool", received_at=datetime.now(timezone.utc), raw=payload,
                            status="rejected", error="spool_undecodable", detail=f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _report(seq: int, env: Envelope, fault: Any) -> None:
        """Count and log a record stored other than as received, once."""
        counters.inc("ingest.isolated")
        counters.inc(f"ingest.isolated.{fault.code}")
        log.warning("spool record %d (%s from %s, MN=%r) stored as %s: %s", seq, env.transport, env.peer,
                    str(env.mn or "")[:40], fault.code, fault.note)

    async def _wait_for_data(self) -> None:
        if self.wake is None:
            await asyncio.sleep(0.02)
            return
        self.wake.clear()
        try:
            await asyncio.wait_for(self.wake.wait(), 0.5)
        except TimeoutError:
            pass

    async def _flush_loop(self) -> None:
        last_partition_check = time.monotonic()
        while True:
            await asyncio.sleep(self.flush_every)
            await self.flush()
            if time.monotonic() - last_partition_check > 6 * 3600:  # a service running into a new month
                last_partition_check = time.monotonic()
                try:
                    await asyncio.to_thread(self._ensure_partitions)
                except Exception:
                    log.exception("creating monthly partitions failed; rows go to the default partition")

    def _ensure_partitions(self) -> None:
        with self.engine.begin() as conn:
            ensure_month_partitions(conn)

    async def flush(self) -> int:
        """Every sink's follow-up work (the monitoring sink: touched hours, then their days and months);
        returns the units done. A sink that fails keeps its work for the next flush."""
        n = 0
        for kind, sink in self.sinks.items():
            try:
                n += await asyncio.to_thread(sink.flush)
            except Exception:
                counters.inc("sink.flush_errors")
                log.exception("follow-up work of the %s sink failed; will retry", kind)
        return n

    async def drain(self, upto: int, timeout: float = 30.0) -> None:
        """Wait until the database holds every spool record up to ``upto`` (tests, shutdown)."""
        async def _wait() -> None:
            while self.spool.cursor < upto:
                await asyncio.sleep(0.02)
        await asyncio.wait_for(_wait(), timeout)

    def stop(self) -> None:
        self._stop.set()
