"""Live push: an in-process publish/subscribe hub and the channel that feeds it.

The browser opens ``GET /api/v1/alarms/stream`` (Server-Sent Events, :mod:`ecosentry.api.routes.live`); the
route subscribes to the :class:`LiveHub` kept in ``app.state.live_hub``; the alarm dispatcher sends through
:class:`LiveChannel`, which publishes to the same hub.

Each subscriber has a bounded queue. A client that reads slower than alarms arrive loses the **oldest**
messages, not the newest (the current state matters more than history), and the number lost is counted so
the client can be told to reload. The hub also keeps the last messages for ``Last-Event-ID`` replay after a
reconnect (WHATWG HTML Living Standard §9.2 "Server-sent events").

Publishing is safe from any thread or event loop: a message for a subscriber living on another loop is
handed over with :meth:`asyncio.AbstractEventLoop.call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ecosentry.alarms.channels.base import DeliveryResult, Notification, alarm_json, tally
from ecosentry.metrics import counters

__all__ = ["LiveMessage", "Subscription", "LiveHub", "LiveChannel", "message_regions", "gbt2260_ancestors"]

log = logging.getLogger(__name__)


def gbt2260_ancestors(code: str) -> list[str]:
    """Province and prefecture of a 6-digit GB/T 2260 division code: ``320105`` → ``320100``, ``320000``.

    GB/T 2260 codes are positional (2 digits province, 2 prefecture, 2 county), so the ancestors follow from
    the code itself; other codes (e.g. Vietnamese ones) have none here.
    """
    if len(code) != 6 or not code.isdigit():
        return []
    return [a for a in (code[:4] + "00", code[:2] + "0000") if a != code]


def message_regions(payload: dict[str, Any]) -> frozenset[str]:
    """The region codes an alarm belongs to, so a provincial subscriber sees its cities' alarms.

    Its own code (``region_code`` / ``region`` of the alarm), the ancestors listed in ``region_path`` (root
    first, list or ``/``-separated) if given, and the GB/T 2260 ancestors of a 6-digit code.
    """
    sources = (payload, alarm_json(payload))
    own = {str(d[k]) for d in sources for k in ("region_code", "region") if d.get(k) not in (None, "")}
    regions = set(own)
    for code in own:
        regions.update(gbt2260_ancestors(code))
    for d in sources:
        path = d.get("region_path") or []
        if isinstance(path, str):
            path = [p for p in path.replace(",", "/").split("/") if p]
        regions.update(str(p) for p in path)
    return frozenset(regions)


@dataclass(frozen=True)
class LiveMessage:
    """One published alarm event.

    Attributes
    ----------
    id : int
        Hub-wide sequence number (SSE ``id``), increasing.
    event : str
        Alarm event (SSE ``event`` name): ``raised``, ``cleared``, ...
    code : str
        Alarm type code.
    data : dict
        JSON sent as SSE ``data``.
    user : str or None
        Only this user's subscribers receive it; ``None``: everyone whose filters match.
    regions : frozenset of str
        Region codes of the alarm, see :func:`message_regions`.
    """

    id: int
    event: str
    code: str
    data: dict[str, Any]
    user: str | None = None
    regions: frozenset[str] = frozenset()


@dataclass(eq=False)
class Subscription:
    """One connected client: its filters and its bounded queue.

    A subscriber with a ``user`` receives that user's messages and the messages for everyone; a subscriber
    without one receives only the messages for everyone. ``regions`` and ``types`` (alarm codes) and
    ``events`` narrow further when given (empty: no restriction).
    """

    queue: asyncio.Queue[LiveMessage]
    loop: asyncio.AbstractEventLoop
    user: str | None = None
    regions: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    #: Messages dropped because the queue was full (the oldest went).
    dropped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matches(self, m: LiveMessage) -> bool:
        if m.user is not None and m.user != self.user:
            return False
        if self.regions and not (self.regions & m.regions):
            return False
        if self.types and m.code not in self.types:
            return False
        return not self.events or m.event in self.events

    def offer(self, m: LiveMessage) -> None:
        """Enqueue, dropping the oldest message when full. Runs on the subscriber's loop."""
        while True:
            try:
                self.queue.put_nowait(m)
                return
            except asyncio.QueueFull:
                try:
                    self.queue.get_nowait()
                except asyncio.QueueEmpty:  # pragma: no cover - emptied meanwhile by the reader
                    continue
                with self._lock:
                    self.dropped += 1
                counters.inc("notify.live.dropped")

    async def get(self, timeout: float | None = None) -> LiveMessage | None:
        """The next message, or ``None`` if none came within ``timeout`` seconds (``None``: wait). [s]"""
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            if timeout is not None and timeout <= 0:
                return None
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


class LiveHub:
    """In-process pub/sub of alarm events for live push.

    Parameters
    ----------
    queue_size : int
        Messages buffered per subscriber.
    replay_size : int
        Recent messages kept for ``Last-Event-ID`` replay.
    heartbeat_s : float
        Seconds between heartbeat comments on an idle stream (read by the SSE route). [s]
    """

    def __init__(self, queue_size: int = 100, replay_size: int = 200, heartbeat_s: float = 15.0) -> None:
        self.queue_size = queue_size
        self.heartbeat_s = heartbeat_s
        self._subs: set[Subscription] = set()
        self._recent: deque[LiveMessage] = deque(maxlen=replay_size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.published = 0

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)

    @property
    def dropped(self) -> int:
        """Messages dropped so far for the subscribers still connected."""
        with self._lock:
            return sum(s.dropped for s in self._subs)

    def subscribe(self, user: str | None = None, regions: Iterable[str] = (), types: Iterable[str] = (),
                  events: Iterable[str] = (), last_event_id: int | None = None) -> Subscription:
        """Register a subscriber on the running event loop (call from a coroutine).

        With ``last_event_id``, the kept messages after it that match the filters are queued at once.
        """
        sub = Subscription(asyncio.Queue(self.queue_size), asyncio.get_running_loop(), user or None,
                           frozenset(regions), frozenset(types), frozenset(events))
        with self._lock:
            self._subs.add(sub)
            backlog = [m for m in self._recent if last_event_id is not None and m.id > last_event_id]
        for m in backlog:
            if sub.matches(m):
                sub.offer(m)
        log.debug("live subscriber added (user=%s regions=%s types=%s), %d connected",
                  sub.user, sorted(sub.regions), sorted(sub.types), self.subscriber_count)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)
        if sub.dropped:
            log.info("live subscriber (user=%s) left after %d dropped message(s)", sub.user, sub.dropped)

    def publish(self, event: str, code: str, data: dict[str, Any], user: str | None = None,
                regions: Iterable[str] = ()) -> LiveMessage:
        """Send a message to every matching subscriber; safe from any thread."""
        with self._lock:
            m = LiveMessage(next(self._ids), event, code, data, user, frozenset(regions))
            self._recent.append(m)
            targets = [s for s in self._subs if s.matches(m)]
            self.published += 1
        for sub in targets:
            self._hand_over(sub, m)
        return m

    @staticmethod
    def _hand_over(sub: Subscription, m: LiveMessage) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is sub.loop:
            sub.offer(m)
        elif not sub.loop.is_closed():
            try:
                sub.loop.call_soon_threadsafe(sub.offer, m)
            except RuntimeError:  # loop closed between the check and the call
                pass


class LiveChannel:
    """Publish notifications to a :class:`LiveHub` (``name = "live"``; the recipient is a user name).

    The message goes to ``notification.user`` (else the recipient; ``"*"`` or empty: to everyone).
    Delivery means "handed to the hub": a user with no open browser simply does not see it live (the alarm
    list still shows it), so this never fails for a valid notification.
    """

    name = "live"

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self.counts: Counter[str] = Counter()

    async def send(self, notification: Notification) -> DeliveryResult:
        n = notification
        user = n.user or n.recipient or None
        if user == "*":  # the recipient "*" addresses every connected user
            user = None
        data = {"alarm_id": n.alarm_id, "event": n.event, "code": n.code, "severity": n.severity,
                "title": n.title, "body": n.body, "url": n.url, "alarm": alarm_json(n.payload)}
        m = self.hub.publish(n.event, n.code, data, user=user, regions=message_regions(n.payload))
        return tally(self.name, self.counts, n, DeliveryResult(True, f"published as live event {m.id}"))
