"""The O&M jobs of the running service: the overdue check of work orders, every ``check_seconds``.

:func:`check_overdue` (one pass, the clock an argument) raises ``ALM-OM-WO-OVERDUE`` for every order not done by
its deadline (finding ``OM-WO-OVERDUE`` of :func:`..rules.deadlines.overdue_orders`; originator ``work_order``,
one alarm per order) and clears the alarm of an order done, reviewed or cancelled since. The stored explanation is
the finding's sentence in the deployment's language (``default_locale``; English without one), the point named by
its name; the evidence keeps the sentence's msgid and parameters. :class:`OverduePart` runs
it as one asyncio task (the database work in a worker thread), raising through the service's dispatcher so the
alarms are notified, when the service runs its alarm jobs (``alarms`` enabled), like power's engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, select

from ecosentry.alarms import store as alarm_store
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.locale import translations
from ecosentry.store import schema as s
from ecosentry.subsystems.om.alarms import OVERDUE, WORK_ORDER
from ecosentry.subsystems.om.rules.deadlines import overdue_orders
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.cameras import check_offline
from ecosentry.subsystems.om.store.workorders import as_rule_order

log = logging.getLogger(__name__)

__all__ = ["check_overdue", "OverduePart", "assess_pass", "provisional_pass", "AssessPart", "CameraCheckPart",
           "MarkCheckPart", "parts", "camera_parts", "mark_parts"]

#: States in which an order is still to be done.
OPEN_STATES = ("created", "assigned", "accepted", "on_site", "rejected")


def check_overdue(engine: Engine, now: datetime, settings: OmSettings, raise_alarm: Callable | None = None,
                  locale: str | None = None) -> dict[str, int]:
    """One pass: raise for overdue open orders, clear for orders no longer open; the counts. ``locale``: the
    language of the stored explanations (None: English, the point by its id)."""
    zone = ZoneInfo(settings.timezone)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(wo).where(wo.c.state.in_(OPEN_STATES),
                                                               wo.c.deadline < now)).mappings()]
        names = dict(conn.execute(select(s.points.c.id, s.points.c.name).where(
            s.points.c.id.in_({r["point_id"] for r in rows}))).all()) if rows and locale else {}
        a = s.alarms
        stale = list(conn.execute(select(a.c.source_id).join(wo, and_(a.c.source_id == wo.c.id.cast(a.c.source_id.type)))
                                  .where(a.c.type == OVERDUE, a.c.source_type == WORK_ORDER, a.c.state != "cleared",
                                         wo.c.state.not_in(OPEN_STATES))).scalars())
    by_id = {str(r["id"]): r for r in rows}
    stats = {"raised": 0, "overdue": 0, "cleared": 0}
    for f in overdue_orders([as_rule_order(r) for r in rows], now, settings.deadlines, zone):
        row = by_id[f.evidence["order_id"]]
        stats["overdue"] += 1
        explanation = f.explanation
        if locale:
            said = replace(f, params={**f.params, "point": names.get(row["point_id"]) or f.params["point"]})
            explanation = said.say(translations(locale).gettext)
        kwargs = dict(type=OVERDUE, source_type=WORK_ORDER, source_id=row["id"], severity=None, title="",
                      explanation=explanation, point_id=row["point_id"], at=now,
                      evidence={**f.evidence, "sentence": {"msgid": f.msgid, "params": f.params}})
        _alarm, change = (raise_alarm or (lambda **k: alarm_store.raise_alarm(engine, **k)))(**kwargs)
        stats["raised"] += change.kind == "raised"
    for source_id in stale:
        if alarm_store.clear_by_data(engine, type=OVERDUE, source_type=WORK_ORDER, source_id=source_id, at=now,
                                     explanation="the work order is no longer open") is not None:
            stats["cleared"] += 1
    return stats


class OverduePart:
    """The overdue check as a service part (``service.om_overdue``)."""

    name = "om_overdue"

    def __init__(self, ctx: ServiceContext, *, run: bool = True,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.engine = ctx.engine
        self.settings = getattr(ctx.settings, "om", None) or OmSettings()
        self.locale = getattr(ctx.settings, "default_locale", None)
        self.dispatcher = ctx.dispatcher
        self.clock = clock
        self._run = run
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()
        self.target = self

    def alarm_raiser(self):
        """What a job's thread calls to raise an alarm: the dispatcher is async, so the call goes back to the
        service's loop and waits for its answer (alarm, change); ``None`` without a dispatcher."""
        if self.dispatcher is None:
            return None
        loop = asyncio.get_running_loop()

        def raise_alarm(**kwargs):
            fut = asyncio.run_coroutine_threadsafe(self.dispatcher.raise_alarm(**kwargs), loop)
            alarm, change, _deliveries = fut.result()
            return alarm, change
        return raise_alarm

    async def once(self) -> dict[str, int]:
        raise_alarm = self.alarm_raiser()
        return await asyncio.to_thread(check_overdue, self.engine, self.clock(), self.settings, raise_alarm,
                                       self.locale)

    #: What the log says when a pass fails.
    failure = "O&M overdue check failed"

    def every(self) -> float:
        """Seconds between passes."""
        return self.settings.check_seconds

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.once()
            except Exception:   # one failing pass must not end the job; logged, tried again next time
                log.exception(self.failure)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every())

    async def start(self) -> None:
        if self._run:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)


def assess_pass(engine: Engine, now: datetime, settings: OmSettings) -> str | None:
    """One pass of the monthly assessment: the last finished local month is computed and stored when it is not
    stored yet or stored only provisionally (``ecosentry ops assess --month`` recomputes any month); the month done, or None."""
    from ecosentry.subsystems.om.queries.assessment import provisional_months, stored_months
    from ecosentry.subsystems.om.store.assessment import assess_stored_month, last_finished_month

    month = last_finished_month(now, ZoneInfo(settings.timezone))
    with engine.connect() as conn:   # a month stored while it ran (provisional) is assessed again once finished
        if month in stored_months(conn) and month not in provisional_months(conn):
            return None
    assess_stored_month(engine, month, settings, now)
    log.info("O&M assessment of %s stored", month)
    return month


def provisional_pass(engine: Engine, now: datetime, settings: OmSettings) -> str:
    """The month ``now`` is in, assessed over its days so far and stored as provisional (replacing the previous
    pass's rows); the month."""
    from ecosentry.subsystems.om.store.assessment import assess_month_to_date

    return assess_month_to_date(engine, now, settings).month


class AssessPart(OverduePart):
    """The monthly assessment as a service part (``service.om_assess``): every ``assess_seconds``, the last
    finished month is stored once, then the current month to date (provisional) is recomputed."""

    name = "om_assess"

    async def once(self):  # type: ignore[override]
        now = self.clock()
        done = await asyncio.to_thread(assess_pass, self.engine, now, self.settings)
        await asyncio.to_thread(provisional_pass, self.engine, now, self.settings)
        return done

    failure = "O&M monthly assessment failed"

    def every(self) -> float:
        return self.settings.assess_seconds


class CameraCheckPart(OverduePart):
    """The cameras' offline check as a service part (``service.om_cameras``): every ``check_seconds``,
    ``ALM-OM-CAMERA-OFFLINE`` for each pushing camera not seen for ``cameras.offline_minutes``
    (:func:`.store.cameras.check_offline`)."""

    name = "om_cameras"
    failure = "O&M camera check failed"

    async def once(self) -> dict[str, int]:
        raise_alarm = self.alarm_raiser()
        after = timedelta(minutes=self.settings.cameras.offline_minutes)
        return await asyncio.to_thread(check_offline, self.engine, self.clock(), after, raise_alarm)


class MarkCheckPart(OverduePart):
    """The marks' check as a service part (``service.om_marks``): every ``check_seconds``, each mark past its grace
    period judged once (:func:`.store.marks.check_marks`), ``ALM-OM-MARK-UNSUPPORTED`` raised through the
    dispatcher for an unsupported one."""

    name = "om_marks"
    failure = "O&M mark check failed"

    async def once(self) -> dict[str, int]:
        from ecosentry.subsystems.om.store.marks import check_marks

        raise_alarm = self.alarm_raiser()
        return await asyncio.to_thread(check_marks, self.engine, self.clock(), self.settings, raise_alarm,
                                       self.locale)


def parts(ctx: ServiceContext) -> list:
    """The overdue check and the monthly assessment (running only when the service runs its alarm jobs)."""
    return [OverduePart(ctx, run="alarms" in ctx.enabled), AssessPart(ctx, run="alarms" in ctx.enabled)]


def camera_parts(ctx: ServiceContext) -> list:
    """The cameras' offline check (running only when the service runs its alarm jobs)."""
    return [CameraCheckPart(ctx, run="alarms" in ctx.enabled)]


def mark_parts(ctx: ServiceContext) -> list:
    """The marks' check (running only when the service runs its alarm jobs)."""
    return [MarkCheckPart(ctx, run="alarms" in ctx.enabled)]
