"""The forwarding loop: feed the queue from ``raw_frames``, drain every active target in order, back off.

One asyncio task feeds (every ``poll_every`` seconds, :func:`~ecosentry.subsystems.monitoring.forward.queue.feed_from_raw_frames`)
and one task per active target drains its queue head first. A failed head item blocks its target until its
``next_attempt_at`` (exponential back-off, :func:`~ecosentry.subsystems.monitoring.forward.queue.backoff_delay`), so a receiver
that is down is retried at a falling rate and, when it comes back, gets the whole backlog in the original
order. Database calls run in threads; a database error is logged, counted and retried, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import Engine

from ecosentry.subsystems.monitoring.forward.hj212_relay import HJ212Relay
from ecosentry.subsystems.monitoring.forward.queue import (
    Attempt,
    QueueItem,
    Target,
    feed_from_raw_frames,
    load_target,
    load_targets,
    pending_items,
    record_attempts,
)
from ecosentry.subsystems.monitoring.forward.settings import ForwardSettings
from ecosentry.subsystems.monitoring.forward.vn_ftp import VnFtpForwarder
from ecosentry.metrics import counters
from ecosentry.settings import get_settings

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def deliver(self, items: list[QueueItem]) -> list[Attempt]: ...

    async def close(self) -> None: ...


def make_sender(target: Target, settings: ForwardSettings) -> Sender:
    """The sender for a target's kind (``vn-ftp`` → FTP upload, ``hj212`` → relay)."""
    return VnFtpForwarder(target, settings) if target.kind == "vn-ftp" else HJ212Relay(target, settings)


class ForwardRunner:
    """Run forwarding for every active target of one database.

    Parameters
    ----------
    engine : Engine
        The platform's database (``raw_frames`` and the ``forward_*`` tables).
    settings : ForwardSettings, optional
        Poll period, batch sizes, back-off and timeouts; default ``get_settings().forward``
        (env ``ECOSENTRY_FORWARD__*``).
    feed : bool
        Feed the queue from ``raw_frames`` (default). False when the pipeline calls
        :func:`~ecosentry.subsystems.monitoring.forward.queue.enqueue_for_targets` itself.
    """

    def __init__(self, engine: Engine, settings: ForwardSettings | None = None, *, feed: bool = True) -> None:
        self.engine = engine
        if settings is None:
            settings = get_settings().forward
        self.settings = settings
        self.feed = feed
        self._stop = asyncio.Event()
        self._wake: dict[int, asyncio.Event] = {}
        self._drainers: dict[int, asyncio.Task] = {}
        self.db_ok = True

    async def run(self) -> None:
        """Feed and supervise the per-target drainers until :meth:`stop`."""
        try:
            while not self._stop.is_set():
                await self.step()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.settings.poll_every)
        finally:
            for task in self._drainers.values():
                task.cancel()
            for task in self._drainers.values():
                with suppress(asyncio.CancelledError, Exception):
                    await task
            self._drainers.clear()

    async def step(self) -> None:
        """One round: feed the queues, start drainers for active targets, wake those with new items."""
        st = self.settings
        try:
            added = await asyncio.to_thread(feed_from_raw_frames, self.engine, batch=st.feed_batch,
                                            lookback=st.lookback) if self.feed else {}
            targets = await asyncio.to_thread(load_targets, self.engine)
        except Exception as exc:
            counters.inc("forward.db_errors")
            if self.db_ok:
                log.error("forwarding: database unavailable (%s); retrying", exc)
            self.db_ok = False
            return
        self.db_ok = True
        for t in targets:
            task = self._drainers.get(t.id)
            if task is None or task.done():
                self._wake[t.id] = asyncio.Event()
                self._drainers[t.id] = asyncio.create_task(self._drain(t.id), name=f"forward-{t.name}")
            if added.get(t.id):
                self._wake[t.id].set()

    async def _drain(self, target_id: int) -> None:
        st = self.settings
        sender: Sender | None = None
        target: Target | None = None
        try:
            while not self._stop.is_set():
                try:
                    fresh = await asyncio.to_thread(load_target, self.engine, target_id)
                    items = await asyncio.to_thread(pending_items, self.engine, target_id, st.send_batch)
                except Exception as exc:
                    counters.inc("forward.db_errors")
                    log.warning("forwarding: cannot read the queue of target %d: %s", target_id, exc)
                    await self._idle(target_id, st.poll_every)
                    continue
                if fresh is None or not fresh.active:
                    return  # removed or paused; the supervisor restarts the drainer when it is active again
                if target is None or fresh != _same_cursor(target, fresh):
                    if sender is not None:
                        await sender.close()
                    target, sender = fresh, make_sender(fresh, st)
                if not items:
                    await self._idle(target_id, st.poll_every)
                    continue
                head = items[0]
                now = datetime.now(timezone.utc)
                if head.next_attempt_at is not None and head.next_attempt_at > now:
                    await self._idle(target_id, min((head.next_attempt_at - now).total_seconds(), st.poll_every),
                                     wake_on_data=False)
                    continue
                attempts = await sender.deliver(items)
                if not attempts:
                    continue
                try:
                    await asyncio.to_thread(record_attempts, self.engine, attempts, backoff_base=st.backoff_base,
                                            backoff_max=st.backoff_max, max_attempts=st.max_attempts)
                except Exception:
                    # delivered but not recorded: the item stays pending and is sent again (at least once)
                    counters.inc("forward.db_errors")
                    log.exception("forwarding: recording the outcome for target %s failed", target.name)
                    await self._idle(target_id, st.poll_every)
                    continue
                failed = [a for a in attempts if not a.ok and not a.permanent]
                if failed:
                    log.warning("forwarding to %s failed (%s); %s", target.name, failed[0].detail,
                                "will retry with back-off")
        finally:
            if sender is not None:
                await sender.close()

    async def _idle(self, target_id: int, seconds: float, *, wake_on_data: bool = True) -> None:
        wake = self._wake.get(target_id)
        if wake is None or not wake_on_data:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(seconds, 0.0))
            return
        wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), max(seconds, 0.0))

    def stop(self) -> None:
        self._stop.set()


def _same_cursor(old: Target, fresh: Target) -> Target:
    """``old`` with the fresh cursor: a target counts as changed only when its configuration changed."""
    return replace(old, raw_cursor=fresh.raw_cursor)
