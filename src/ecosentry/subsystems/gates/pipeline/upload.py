"""The sender job of the upload to the upper platform (issue 16 item 7; ``shared/reference/subsystems.md`` §3.6,
§7 item 23): takes the deliveries due from the outbox (:mod:`..store.outbox`), maps each ledger row to the
platform's JSON (:func:`..rules.upload.map_row`, ``gates.upload.mapping``) and POSTs it to ``gates.upload.url``
with the header ``Idempotency-Key: <delivery id>`` (the ledger row's id, also ``record_id`` in the body).

An answer 2xx is the acknowledgement; 409 (the platform already has that key) is one too. Anything else — no
answer, a refused connection, a time-out, another status — is a failed attempt: the delivery waits its back-off
(:func:`..rules.upload.retry_delay`) and is tried again, ``dead`` after ``max_attempts`` (kept; :func:`..store.outbox.requeue_dead`
puts it back). A row the mapping refuses (``VEH-UPLOAD-INVALID``) is a failed attempt without a
request, so a row the guard corrects goes on its next try. Every attempt is a row of the delivery log. The
database work runs in worker threads; the requests on the event loop, ``concurrency`` at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone

import httpx
from sqlalchemy import Engine

from ecosentry.metrics import counters
from ecosentry.subsystems.gates.rules.upload import MappingError, UploadSettings, map_row
from ecosentry.subsystems.gates.store.outbox import Attempt, Due, claim_due, next_due_at, record_attempts

log = logging.getLogger(__name__)

__all__ = ["UploadSender", "ACK_STATUSES"]

#: Answers that acknowledge a delivery besides 2xx: 409, the platform already holds the idempotency key.
ACK_STATUSES = frozenset({409})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UploadSender:
    """Send what the outbox holds until :meth:`stop`; :meth:`round` is one pass (the tests call it)."""

    def __init__(self, engine: Engine, settings: UploadSettings, *, clock: Callable[[], datetime] = _utcnow,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        self._transport = transport
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.db_ok = True

    def wake(self) -> None:
        """Look at the outbox now (new rows queued)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        st = self.settings
        async with self._client() as client:
            while not self._stop.is_set():
                try:
                    sent = await self.round(client)
                    due = None if sent else await asyncio.to_thread(next_due_at, self.engine, self.clock())
                    self.db_ok = True
                except Exception as exc:  # a database away: log once, retry at the idle period
                    counters.inc("gates.upload.db_errors")
                    if self.db_ok:
                        log.error("gate upload: cannot read or write the outbox (%s); retrying", exc)
                    self.db_ok, sent, due = False, 0, None
                if sent:
                    continue
                wait = st.every_s
                if due is not None:
                    wait = min(wait, max((due - self.clock()).total_seconds(), 0.0))
                if self._stop.is_set():
                    break
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.settings.timeout_s, transport=self._transport,
                                 headers={"Content-Type": "application/json; charset=utf-8", **self.settings.headers})

    async def round(self, client: httpx.AsyncClient) -> int:
        """Send the deliveries due now (one batch); how many were attempted."""
        st = self.settings
        due = await asyncio.to_thread(claim_due, self.engine, self.clock(), st.batch)
        if not due:
            return 0
        gate = asyncio.Semaphore(st.concurrency)

        async def one(d: Due) -> Attempt:
            async with gate:
                return await self._send(client, d)

        attempts = await asyncio.gather(*(one(d) for d in due))
        await asyncio.to_thread(record_attempts, self.engine, list(attempts), self.clock(), st)
        ok = sum(a.ok for a in attempts)
        counters.inc("gates.upload.sent", ok)
        if ok < len(attempts):
            counters.inc("gates.upload.failed", len(attempts) - ok)
            first = next(a for a in attempts if not a.ok)
            log.warning("gate upload: %s of %s deliveries failed (%s); retrying with back-off",
                        len(attempts) - ok, len(attempts), first.error)
        return len(attempts)

    async def _send(self, client: httpx.AsyncClient, d: Due) -> Attempt:
        started = self.clock()
        try:
            body = map_row(d.row, self.settings)
        except MappingError as exc:
            return Attempt(d.outbox_id, d.delivery, started, False, d.row["time"], error=f"VEH-UPLOAD-INVALID: {exc}")
        t0 = time.perf_counter()
        try:
            r = await client.post(self.settings.url, content=json.dumps(body, ensure_ascii=False).encode(),
                                  headers={"Idempotency-Key": d.delivery.id})
        except httpx.HTTPError as exc:
            return Attempt(d.outbox_id, d.delivery, started, False, d.row["time"], None, (time.perf_counter() - t0) * 1000,
                           f"{type(exc).__name__}: {exc}"[:500])
        latency = (time.perf_counter() - t0) * 1000
        ok = 200 <= r.status_code < 300 or r.status_code in ACK_STATUSES
        return Attempt(d.outbox_id, d.delivery, started, ok, d.row["time"], r.status_code, latency,
                       "" if ok else f"HTTP {r.status_code}: {r.text[:300]}")
