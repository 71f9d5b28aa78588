"""The engine's part of the service (:attr:`ecosentry.contracts.subsystem.Subsystem.services`): the rules engine
as one asyncio task running :meth:`PowerEngine.run` (its database work in worker threads), alarms notified through
the service's dispatcher. Runs when the service runs its alarm jobs (``alarms`` enabled), like monitoring's
detection job.

The orders (stop/limit during heavy-pollution alerts) come from the read model of the emergency measures
(:func:`ecosentry.subsystems.power.queries.measures.orders_for`): the region's alerts × the enterprise's
emission-reduction list."""

from __future__ import annotations

import logging

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.contracts.task_part import TaskPart
from ecosentry.subsystems.power.engine.engine import PowerEngine
from ecosentry.subsystems.power.queries.measures import orders_for
from ecosentry.subsystems.power.settings import PowerSettings

log = logging.getLogger(__name__)

__all__ = ["EnginePart", "parts"]


class EnginePart(TaskPart):
    """The rules engine as a service part (``service.power_engine`` is the :class:`PowerEngine`)."""

    name = "power_engine"

    def __init__(self, ctx: ServiceContext, *, run: bool = True) -> None:
        st = ctx.settings
        super().__init__(self.name,
                         PowerEngine(ctx.engine, getattr(st, "power", None) or PowerSettings(),
                                     orders_for=orders_for, dispatcher=ctx.dispatcher,
                                     locale=getattr(st, "default_locale", "zh"),
                                     default_tz=getattr(st, "default_tz", "Asia/Shanghai")), run=run)


def parts(ctx: ServiceContext) -> list:
    """The engine part (running only when the service runs its alarm jobs)."""
    return [EnginePart(ctx, run="alarms" in ctx.enabled)]
