"""The dispatcher: sends the notifications the router and the escalation schedule decide, over whatever
channels it is given, and writes the delivery log (``alarm_deliveries``).

Sends run concurrently; a channel that fails, raises or does not answer within ``send_timeout`` gives a
failed delivery row and never stops the others. Time is a parameter (``now``/``at``), so the schedule is
driven by the caller's clock: the service calls :meth:`Dispatcher.tick` every minute with the wall clock,
tests with a controlled one. Database work runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select

from ecosentry.alarms import disposal_store, store
from ecosentry.alarms.channels.base import Channel, DeliveryResult
from ecosentry.alarms.disposal import NEXT_THEIRS, OWES
from ecosentry.alarms.escalation import plan_overdue, plan_tick
from ecosentry.alarms.channels.live import message_regions
from ecosentry.alarms.routing import AlarmPolicy, Delivery, alarm_payload, route_event
from ecosentry.alarms.store import AlarmChange
from ecosentry.alarms.subscriptions import region_parents, routing_context
from ecosentry.alarms.voice import load_voice, reader_language
from ecosentry.alarms.wording import notification_text
from ecosentry.store import schema as s

__all__ = ["Dispatcher", "TickReport"]


@dataclass
class TickReport:
    """What one tick did: alarm ids escalated, reminded and whose supervision step went overdue, and the
    delivery rows written."""

    escalated: list[int] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)


class Dispatcher:
    """Routes alarm events to subscriptions and sends them over ``channels`` (name → :class:`Channel`).

    Parameters
    ----------
    engine : Engine
    channels : mapping of str to Channel
        ``"email"``, ``"webhook"``, ``"sms"``, ``"live"``; a subscription whose channel is missing gets a
        failed delivery row saying so.
    policy : AlarmPolicy
        Routing depth, escalation and repeat settings.
    send_timeout : float
        Seconds a channel may take for one message before the delivery counts as failed. [s]
    """

    def __init__(self, engine: Engine, channels: Mapping[str, Channel], policy: AlarmPolicy | None = None, *,
                 send_timeout: float = 30.0, hub: Any = None, default_locale: str = "zh",
                 default_tz: str = "Asia/Shanghai") -> None:
        self.engine = engine
        #: Language of recipients without a preferred one, and the zone of alarms without a point.
        self.default_locale = default_locale
        self.default_tz = default_tz
        self.channels = dict(channels)
        self.policy = policy or AlarmPolicy()
        self.send_timeout = send_timeout
        #: :class:`~ecosentry.alarms.channels.live.LiveHub` of the open pages: every raise, severity rise,
        #: escalation and clear is broadcast there (filtered by region per page), besides subscriptions.
        self.hub = hub

    @classmethod
    def from_settings(cls, engine: Engine, channels: Mapping[str, Channel], settings: Any,
                      hub: Any = None) -> Dispatcher:
        return cls(engine, channels, AlarmPolicy.from_settings(settings), send_timeout=settings.alarms.send_timeout,
                   hub=hub, default_locale=getattr(settings, "default_locale", "zh"),
                   default_tz=getattr(settings, "default_tz", "Asia/Shanghai"))

    def broadcast(self, alarm: Mapping[str, Any], event: str) -> None:
        """Publish an alarm event to the open pages (live hub), if there is one."""
        if self.hub is None:
            return
        payload = alarm_payload(alarm, event)
        self.hub.publish(event, alarm["type"], {"alarm_id": alarm["id"], "event": event, "code": alarm["type"],
                                                "severity": alarm["severity"], "title": alarm["title"],
                                                "alarm": payload["alarm"]},
                         regions=message_regions(payload))

    async def notify_cleared(self, alarm: Mapping[str, Any]) -> None:
        """An alarm was cleared (by data or by hand): open pages learn it at once."""
        self.broadcast(alarm, "cleared")

    # ------------------------------------------------------------------ events

    async def notify(self, alarm: dict, change: AlarmChange, at: datetime | None = None) -> list[dict]:
        """Tell the current recipients about a raise or a severity rise (nothing for a quiet update)."""
        if not change.notify:
            return []
        self.broadcast(alarm, change.kind)
        regions, subs = await asyncio.to_thread(self._context, alarm["region_code"])
        deliveries = route_event(alarm, change.kind, subs, regions, self.policy)
        return await self.send(alarm["id"], change.kind, change.event_id, deliveries, at)

    async def raise_alarm(self, **kwargs: Any) -> tuple[dict, AlarmChange, list[dict]]:
        """:func:`ecosentry.alarms.store.raise_alarm` then :meth:`notify`; returns the deliveries too."""
        alarm, change = await asyncio.to_thread(lambda: store.raise_alarm(self.engine, **kwargs))
        return alarm, change, await self.notify(alarm, change, kwargs.get("at"))

    async def tick(self, now: datetime) -> TickReport:
        """Run the escalations and repeats due at ``now`` for every active (unacknowledged) alarm, and tell the
        level above about every supervision step past its deadline (once per step)."""
        report = TickReport()
        alarms = await asyncio.to_thread(store.open_alarms, self.engine)
        overdue = await asyncio.to_thread(disposal_store.overdue_cases, self.engine, now)
        if not alarms and not overdue:
            return report
        parents = await asyncio.to_thread(self._parents)
        await self._overdue(overdue, parents, now, report)
        for alarm in alarms:
            regions, subs = await asyncio.to_thread(self._context, alarm["region_code"], parents)
            plan = plan_tick(alarm, subs, regions, self.policy, now)
            if plan.escalation_level is None and plan.repeats is None:
                continue
            events = await asyncio.to_thread(lambda: store.claim_tick(
                self.engine, alarm, escalation_level=plan.escalation_level, repeats=plan.repeats, at=now))
            if events is None:  # another tick, an acknowledgement or a clear came first
                continue
            if "escalated" in events:
                report.escalated.append(alarm["id"])
                self.broadcast(alarm, "escalated")
                report.deliveries += await self.send(alarm["id"], "escalated", events["escalated"],
                                                     plan.escalated, now)
            if "repeat" in events:
                report.repeated.append(alarm["id"])
                report.deliveries += await self.send(alarm["id"], "repeat", events["repeat"], plan.repeated, now)
        return report

    async def _overdue(self, cases: list[dict], parents: dict, now: datetime, report: TickReport) -> None:
        for case in cases:
            alarm = case["alarm"]
            regions, subs = await asyncio.to_thread(self._context, alarm["region_code"], parents)
            deliveries = plan_overdue(alarm, case["owed_by"], subs, regions, self.policy)
            event_id = await asyncio.to_thread(disposal_store.claim_overdue, self.engine, case, now)
            if event_id is None:  # another tick, or the late party acted meanwhile
                continue
            report.overdue.append(alarm["id"])
            self.broadcast(alarm, "overdue")
            report.deliveries += await self.send(alarm["id"], "overdue", event_id, deliveries, now)

    # ------------------------------------------------------------------ sending

    async def send(self, alarm_id: int, event: str, event_id: int | None, deliveries: Sequence[Delivery],
                   at: datetime | None = None) -> list[dict]:
        """Send ``deliveries`` concurrently and write one ``alarm_deliveries`` row each; returns the rows."""
        if not deliveries:
            return []
        deliveries = await asyncio.to_thread(self._in_languages, alarm_id, event, deliveries)
        results = await asyncio.gather(*(self._send_one(d) for d in deliveries))
        stamp = at or datetime.now(timezone.utc)
        rows = [{"alarm_id": alarm_id, "event_id": event_id, "event": event, "channel": d.channel,
                 "recipient": d.notification.recipient[:300], "subscription_id": d.subscription_id, "at": stamp,
                 "ok": r.ok, "detail": r.detail} for d, r in zip(deliveries, results)]
        await asyncio.to_thread(self._log, rows)
        return rows

    async def _send_one(self, delivery: Delivery) -> DeliveryResult:
        channel = self.channels.get(delivery.channel)
        if channel is None:
            return DeliveryResult(False, f"no {delivery.channel!r} channel is configured")
        try:
            result = await asyncio.wait_for(channel.send(delivery.notification), self.send_timeout)
        except asyncio.TimeoutError:
            return DeliveryResult(False, f"the {delivery.channel} channel did not answer within "
                                         f"{self.send_timeout:g} s")
        except Exception as exc:  # a channel must not raise; if one does, it only fails its own delivery
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}")
        if not isinstance(result, DeliveryResult):
            return DeliveryResult(False, f"the {delivery.channel} channel returned {type(result).__name__}, "
                                         "not a DeliveryResult")
        return result

    # ------------------------------------------------------------------ database (worker thread)

    def _parents(self) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            return region_parents(conn)

    def _context(self, region_code: str | None, parents: dict[str, str | None] | None = None):
        with self.engine.connect() as conn:
            return routing_context(conn, region_code, parents)

    def _in_languages(self, alarm_id: int, event: str, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Each notification said in its recipient's language (the user's locale, else the deployment's),
        with names and local times; the payload keeps the alarm as stored (machine fields)."""
        users = {d.notification.user for d in deliveries if d.notification.user}
        with self.engine.connect() as conn:
            alarm = store.get_alarm(self.engine, alarm_id)
            locales = dict(conn.execute(select(s.users.c.username, s.users.c.locale)
                                        .where(s.users.c.username.in_(users))).all()) if users else {}
            voices: dict[str, Any] = {}
            # an overdue supervision step: say which step is owed and since when it was due
            case = disposal_store.case(self.engine, alarm_id) if event == "overdue" else None
            out = []
            for d in deliveries:
                lang = reader_language(locales.get(d.notification.user), self.default_locale)
                if lang not in voices:
                    voices[lang] = load_voice(conn, alarm, lang, self.default_tz)
                title, body, tag = notification_text(alarm, event, voices[lang], d.notification.url)
                if case is not None and case["state"] in OWES and case["due_at"] is not None:
                    voice = voices[lang]
                    owed = voice.gettext(NEXT_THEIRS[OWES[case["state"]][1]]) % {"due": voice.when(case["due_at"])}
                    first, _, rest = body.partition("\n")
                    body = f"{first}\n{owed}\n{rest}"
                out.append(replace(d, notification=replace(d.notification, title=title, body=body,
                                                           severity_tag=tag, lang=lang)))
        return out

    def _log(self, rows: list[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(s.alarm_deliveries), rows)
