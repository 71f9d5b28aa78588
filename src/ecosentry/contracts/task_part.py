"""A service part (:class:`ecosentry.contracts.subsystem.Part`) that is one asyncio task running ``target.run()``,
stopped with ``target.stop()``: the shape of a subsystem's periodic job (detection, warnings, the rules engine)."""

from __future__ import annotations

import asyncio
from contextlib import suppress

__all__ = ["TaskPart"]


class TaskPart:
    """``target.run()`` as one task named ``name`` (not started with ``run`` false: the service exposes the target
    without running it); :meth:`close` calls ``target.stop()`` and waits up to 5 s for the task to end."""

    def __init__(self, name: str, target, *, run: bool = True) -> None:
        self.name, self.target, self._run = name, target, run
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._run:
            self._task = asyncio.create_task(self.target.run(), name=self.name)

    async def close(self) -> None:
        self.target.stop()
        if self._task is not None:
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
