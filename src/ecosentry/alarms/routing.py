"""Who hears about an alarm: a pure function of the alarm, the subscriptions and the region tree (no
database, no clock, no network); *when* (escalation and repeats) is :mod:`ecosentry.alarms.escalation`.

Routing by region tree (GB/T 2260 administrative levels as stored in ``regions``): the alarm carries the
region of its originator (county, usually). A subscription reaches the alarm when its region is the
alarm's region or one of its ancestors within the *routed depth*:

* at first, ``route_levels`` levels counted upward from the alarm's region (default 2: county and city at
  once);
* each ``escalate_after`` without acknowledgement adds one level (province, then country …), up to the
  top of the tree; the newly reached level is notified (event ``escalated``);
* while unacknowledged, the current recipients are reminded every ``repeat_every`` (event ``repeat``),
  at most ``repeat_max`` times;
* an update of an open alarm notifies nobody unless its severity rises (quiet de-duplication).

The schedule counts from ``first_at`` (when the alarm was raised), so a missed tick catches up in one step
instead of drifting. These are platform choices (tag ``ours``); the numbers are settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecosentry.alarms.catalogue import ALARM_TYPES, severity_rank
from ecosentry.alarms.channels.base import Notification
from ecosentry.store.audit import jsonable  # a pure helper (datetimes → ISO 8601)

__all__ = [
    "AlarmPolicy", "Subscription", "Delivery", "ancestry", "routed_depth", "recipients", "compose",
    "route_event",
]


@dataclass(frozen=True)
class AlarmPolicy:
    """The routing settings (see the section ``alarms`` of the settings).

    Attributes
    ----------
    route_levels : int
        Region levels reached at once, counted from the alarm's region upward. [levels]
    escalate_after : timedelta
        Unacknowledged time after which one more level is reached. [min]
    repeat_every : timedelta
        Interval of repeat notifications while unacknowledged. [min]
    repeat_max : int
        Most repeat notifications per alarm.
    base_url : str or None
        Web UI base URL for the link in notifications.
    """

    route_levels: int = 2
    escalate_after: timedelta = timedelta(minutes=30)
    repeat_every: timedelta = timedelta(minutes=60)
    repeat_max: int = 3
    base_url: str | None = None

    def __post_init__(self) -> None:
        if self.route_levels < 1:
            raise ValueError("alarms.route_levels must be at least 1 (the alarm's own region)")
        if self.escalate_after <= timedelta(0) or self.repeat_every <= timedelta(0):
            raise ValueError("alarm escalation and repeat intervals must be positive")
        if self.repeat_max < 0:
            raise ValueError("alarms.repeat_max must not be negative")

    @classmethod
    def from_settings(cls, settings: Any) -> AlarmPolicy:
        """The policy from an :class:`ecosentry.settings.Settings` (its section ``alarms``)."""
        a = settings.alarms
        return cls(route_levels=a.route_levels, escalate_after=timedelta(minutes=a.escalate_after_minutes),
                   repeat_every=timedelta(minutes=a.repeat_minutes), repeat_max=a.repeat_max, base_url=a.base_url)


@dataclass(frozen=True)
class Subscription:
    """An active wish to be told: who, over which channel, about which region, types and severities.

    ``alarm_types`` ``None`` means every type; ``min_severity`` is the lowest severity wanted.
    """

    id: int
    user: str | None
    channel: str
    address: str
    region_code: str
    alarm_types: frozenset[str] | None = None
    min_severity: str = "info"
    active: bool = True

    def wants(self, alarm_type: str, severity: str) -> bool:
        """Whether this subscription asks for an alarm of this type and severity."""
        if not self.active:
            return False
        if self.alarm_types is not None and alarm_type not in self.alarm_types:
            return False
        return severity_rank(severity) >= severity_rank(self.min_severity)


@dataclass(frozen=True)
class Delivery:
    """One notification to send over one channel, for one subscription."""

    channel: str
    subscription_id: int | None
    notification: Notification


def ancestry(region_code: str | None, parents: Mapping[str, str | None]) -> tuple[str, ...]:
    """The region and its ancestors, nearest first (``parents`` maps a code to its parent code).

    Stops at the root or at a cycle in the stored tree.
    """
    out: list[str] = []
    code = region_code
    while code is not None and code not in out:
        out.append(code)
        code = parents.get(code)
    return tuple(out)


def routed_depth(policy: AlarmPolicy, escalation_level: int, n_levels: int) -> int:
    """How many ancestry levels (from the alarm's region up) currently receive the alarm."""
    return min(n_levels, policy.route_levels + escalation_level)


def recipients(alarm_type: str, severity: str, subscriptions: Iterable[Subscription], regions: Sequence[str],
               exclude: Iterable[tuple[str, str]] = ()) -> list[Subscription]:
    """Subscriptions of ``regions`` that want this type and severity, one per (channel, address).

    Order: by the position of the region in ``regions`` (nearest first), then subscription id.
    ``exclude`` lists (channel, address) pairs already served.
    """
    position = {code: i for i, code in enumerate(regions)}
    seen = set(exclude)
    chosen: list[Subscription] = []
    for sub in sorted((s for s in subscriptions if s.region_code in position),
                      key=lambda s: (position[s.region_code], s.id)):
        key = (sub.channel, sub.address)
        if key in seen or not sub.wants(alarm_type, severity):
            continue
        seen.add(key)
        chosen.append(sub)
    return chosen


_EVENT_WORDS = {
    "raised": "New alarm", "updated": "Alarm severity rose", "escalated": "Escalated alarm",
    "repeat": "Reminder: unacknowledged alarm", "acknowledged": "Alarm acknowledged",
    "cleared": "Alarm cleared", "assigned": "Alarm assigned", "commented": "Alarm comment",
    "overdue": "Supervision deadline passed",
}


def compose(alarm: Mapping[str, Any], event: str, sub: Subscription, base_url: str | None = None) -> Notification:
    """The notification of ``event`` on ``alarm`` for one subscription (title, plain-text body, payload)."""
    kind = ALARM_TYPES.get(alarm["type"])
    url = f"{base_url.rstrip('/')}/alarms/{alarm['id']}" if base_url else None
    where = ", ".join(f"{k.replace('_', ' ')} {alarm[k]}" for k in ("point_id", "enterprise_id", "region_code")
                      if alarm.get(k) is not None)
    lines = [
        f"{_EVENT_WORDS.get(event, event)}: {alarm['title']}",
        f"Type: {alarm['type']} ({kind.summary if kind else 'unknown type'})",
        f"Severity: {alarm['severity']}; state: {alarm['state']}; occurrences: {alarm['occurrences']}",
        f"Originator: {alarm['source_type']} {alarm['source_id']}" + (f" ({where})" if where else ""),
        f"Since: {_iso(alarm['first_at'])}; last: {_iso(alarm['last_at'])}",
    ]
    if alarm.get("explanation"):
        lines.append(str(alarm["explanation"]))
    if url:
        lines.append(url)
    return Notification(
        alarm_id=int(alarm["id"]), event=event, code=alarm["type"], severity=alarm["severity"],  # type: ignore
        title=f"[{alarm['severity'].upper()}] {alarm['title']}"[:200], body="\n".join(lines), recipient=sub.address,
        url=url, payload=alarm_payload(alarm, event), user=sub.user)


def route_event(alarm: Mapping[str, Any], event: str, subscriptions: Iterable[Subscription],
                regions: Sequence[str], policy: AlarmPolicy) -> list[Delivery]:
    """Deliveries for a ``raised`` or ``updated`` (severity rose) event: every current recipient."""
    depth = routed_depth(policy, int(alarm.get("escalation_level") or 0), len(regions))
    return [Delivery(s.channel, s.id, compose(alarm, event, s, policy.base_url))
            for s in recipients(alarm["type"], alarm["severity"], subscriptions, regions[:depth])]


def _iso(t: Any) -> str:
    return t.isoformat() if isinstance(t, datetime) else str(t)


def alarm_payload(alarm: Mapping[str, Any], event: str) -> dict[str, Any]:
    """The JSON body of a notification: the event and the alarm row (webhook body, live data)."""
    return {"event": event, "alarm": jsonable(dict(alarm))}
