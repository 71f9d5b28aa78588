"""The retention job in the running service (issue 16 item 6): a pass of :func:`..store.retention.run_retention`
at start and every ``gates.retention.every_s`` (0: never), in a worker thread so the event loop never waits on the
deletions; a failed pass is logged and counted and tried again at the next period."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone

from sqlalchemy import Engine

from ecosentry.metrics import counters
from ecosentry.store.pictures import PictureStore
from ecosentry.subsystems.gates.rules.retention import RetentionSettings
from ecosentry.subsystems.gates.store.retention import RetentionReport, run_retention

log = logging.getLogger(__name__)

__all__ = ["RetentionJob"]


class RetentionJob:
    def __init__(self, engine: Engine, settings: RetentionSettings, pictures: PictureStore,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.engine, self.settings, self.pictures, self.clock = engine, settings, pictures, clock
        self._stop = asyncio.Event()
        self.last: RetentionReport | None = None

    async def pass_once(self) -> RetentionReport:
        self.last = await asyncio.to_thread(run_retention, self.engine, self.clock(), self.settings, self.pictures)
        return self.last

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.pass_once()
            except Exception:
                counters.inc("gates.retention.failed")
                log.exception("gate retention pass failed; trying again in %s s", self.settings.every_s)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.every_s)

    def stop(self) -> None:
        self._stop.set()
