"""The subsystem's running part (``Subsystem.services``): every ``ECOSENTRY_NOISE__WATCH_EVERY`` seconds, each
meter's last hour (readings, how many were above the limit, their energy mean), kept for whoever asks
(``service.noise_watch.summary``)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta, timezone

from ecosentry.contracts.subsystem import ServiceContext
from example_noise.queries import meter_summary

log = logging.getLogger(__name__)


class NoiseWatch:
    name = "noise_watch"

    def __init__(self, ctx: ServiceContext) -> None:
        self.engine, self.every = ctx.engine, ctx.settings.noise.watch_every
        self.summary: dict[str, dict] = {}
        self.checked_at: datetime | None = None
        self._task: asyncio.Task | None = None

    def check(self, now: datetime | None = None) -> dict[str, dict]:
        """Sum up the hour before ``now`` (default: the wall clock)."""
        now = now or datetime.now(timezone.utc)
        self.summary, self.checked_at = meter_summary(self.engine, now - timedelta(hours=1)), now
        return self.summary

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("noise summary failed; trying again in %s s", self.every)
            await asyncio.sleep(self.every)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task


def parts(ctx: ServiceContext) -> list[NoiseWatch]:
    return [NoiseWatch(ctx)]
