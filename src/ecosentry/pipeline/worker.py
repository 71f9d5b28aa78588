"""The ingest worker: spool → database → derived hours. At-least-once from the spool, idempotent writes."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from sqlalchemy import Engine

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.envelope import Envelope
from ecosentry.pipeline.gaps import sync_gap_marks_for_hours
from ecosentry.pipeline.hourly import HourKey, hours_touched, recompute_hours
from ecosentry.pipeline.isolate import write_isolating
from ecosentry.pipeline.periods import days_of_hours, recompute_days, recompute_months
from ecosentry.pipeline.spool import SpoolReader
from ecosentry.store.db import is_transient
from ecosentry.store.fit import Fault
from ecosentry.store.ingest import WriteResult, set_aside, write_envelopes
from ecosentry.store.partitions import ensure_month_partitions

log = logging.getLogger(__name__)


class IngestWorker:
    """Drain the spool into the database in batches; recompute touched hours every ``hourly_every`` s.

    While the database is unreachable the worker retries with back-off; the spool keeps everything the
    gateways acknowledged, so nothing is lost and nothing waits in memory. A record the database refuses
    does not hold up the others: the batch is split until it is found (pipeline/isolate.py), the good
    records are written, the culprit is archived quarantined, and the spool moves on.
    """

    def __init__(self, engine: Engine, spool: SpoolReader, directory: PointDirectory, *, batch_max: int = 5000,
                 hourly_every: float = 5.0, wake: asyncio.Event | None = None, auto_gap_marks: bool = True) -> None:
        self.engine = engine
        self.spool = spool
        self.wake = wake  # set by an in-process spool writer on new data; otherwise the worker polls
        self.directory = directory
        self.batch_max = batch_max
        self.hourly_every = hourly_every
        self.auto_gap_marks = auto_gap_marks
        self.dirty_hours: set[HourKey] = set()
        self.db_ok = True
        self._stop = asyncio.Event()

    async def run(self) -> None:
        hourly = asyncio.create_task(self._hourly_loop())
        backoff = 0.2
        try:
            while not self._stop.is_set():
                batch = self.spool.read_batch(self.batch_max)
                if not batch:
                    await self._wait_for_data()
                    continue
                items = [(rec.seq, self._decode(rec.seq, rec.payload)) for rec in batch]
                try:
                    results, isolated = await asyncio.to_thread(self._write, items)
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
                for seq, fault in isolated:
                    self._report(seq, envelopes[seq], fault)
                for result in results:
                    counters.inc("ingest.frames", result.frames)
                    counters.inc("ingest.observations_offered", result.observations_offered)
                    self.dirty_hours |= hours_touched(result.touched_minutes or [], self.directory)
        finally:
            hourly.cancel()

    def _write(self, items: list[tuple[int, Envelope]]) -> tuple[list[WriteResult], list[tuple[int, Fault]]]:
        """Write a batch (in a worker thread); a record the database refuses is found and set aside."""
        done = write_isolating(
            items, lambda part: write_envelopes(self.engine, self.spool.id, part),
            lambda item, exc: set_aside(self.engine, self.spool.id, item[0], item[1], exc), is_transient)
        if done.attempts > 1:
            log.info("a batch of %d spool records was split in %d writes to set %d aside", len(items),
                     done.attempts, len(done.culprits))
        return done.results, [f for r in done.results for f in r.isolated]

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
    def _report(seq: int, env: Envelope, fault: Fault) -> None:
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

    async def _hourly_loop(self) -> None:
        last_partition_check = time.monotonic()
        while True:
            await asyncio.sleep(self.hourly_every)
            await self.flush_hours()
            if time.monotonic() - last_partition_check > 6 * 3600:  # a service running into a new month
                last_partition_check = time.monotonic()
                try:
                    await asyncio.to_thread(self._ensure_partitions)
                except Exception:
                    log.exception("creating monthly partitions failed; rows go to the default partition")

    def _ensure_partitions(self) -> None:
        with self.engine.begin() as conn:
            ensure_month_partitions(conn)

    async def flush_hours(self) -> int:
        """Recompute the touched hours, then their days and months; returns the hours written."""
        keys, self.dirty_hours = self.dirty_hours, set()
        if not keys:
            return 0
        try:
            return await asyncio.to_thread(self._recompute, keys)
        except Exception:
            counters.inc("hourly.errors")
            log.exception("hourly recompute failed; will retry")
            self.dirty_hours |= keys
            return 0

    def _recompute(self, keys: set[HourKey]) -> int:
        if self.auto_gap_marks:
            keys = keys | sync_gap_marks_for_hours(self.engine, keys, datetime.now(timezone.utc))
        n = recompute_hours(self.engine, keys, self.directory)
        months = recompute_days(self.engine, days_of_hours(keys, self.directory), self.directory)
        recompute_months(self.engine, months, self.directory)
        return n

    async def drain(self, upto: int, timeout: float = 30.0) -> None:
        """Wait until the database holds every spool record up to ``upto`` (tests, shutdown)."""
        async def _wait() -> None:
            while self.spool.cursor < upto:
                await asyncio.sleep(0.02)
        await asyncio.wait_for(_wait(), timeout)

    def stop(self) -> None:
        self._stop.set()
