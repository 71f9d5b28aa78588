"""When an unacknowledged alarm escalates and repeats: a pure schedule (alarm + subscriptions + region
ancestry + now → what to send), used by :meth:`ecosentry.alarms.dispatch.Dispatcher.tick`.

Level ``k`` above the initial routing is due at ``first_at + k × escalate_after``; repeat ``n`` at
``first_at + n × repeat_every`` for ``n ≤ repeat_max``. Counting from the raise (not from the previous
notification) lets a late tick catch up in one step without drifting. An acknowledged or cleared alarm
neither escalates nor repeats. Platform choice (tag ``ours``); the numbers are settings
(``alarms.escalate_after_minutes``, ``alarms.repeat_minutes``, ``alarms.repeat_max``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ecosentry.alarms.disposal import overdue_audience
from ecosentry.alarms.routing import AlarmPolicy, Delivery, Subscription, compose, recipients, routed_depth

__all__ = ["TickPlan", "max_escalation", "plan_tick", "plan_overdue"]


@dataclass(frozen=True)
class TickPlan:
    """What a tick should do for one alarm: the new escalation level and repeat count (``None`` = no
    change) and the deliveries, per event kind."""

    escalation_level: int | None = None
    repeats: int | None = None
    escalated: list[Delivery] = field(default_factory=list)
    repeated: list[Delivery] = field(default_factory=list)


def max_escalation(policy: AlarmPolicy, n_levels: int) -> int:
    """Most levels an alarm can escalate above its initial routing in a tree of ``n_levels`` ancestors."""
    return max(0, n_levels - policy.route_levels)


def plan_tick(alarm: Mapping[str, Any], subscriptions: Sequence[Subscription], regions: Sequence[str],
              policy: AlarmPolicy, now: datetime) -> TickPlan:
    """Due escalation and repeat for one alarm at ``now``.

    Only an ``active`` (unacknowledged) alarm escalates or repeats. Level ``k`` above the initial routing is
    due at ``first_at + k × escalate_after``; repeat ``n`` at ``first_at + n × repeat_every`` (n ≤
    ``repeat_max``). Several due steps are taken at once (one notification each kind). Recipients newly
    reached by escalation get the ``escalated`` message and not also the repeat.
    """
    if alarm["state"] != "active":
        return TickPlan()
    elapsed = now - alarm["first_at"]
    if elapsed < timedelta(0):
        return TickPlan()
    level = int(alarm.get("escalation_level") or 0)
    repeats = int(alarm.get("repeats") or 0)
    due_level = min(max_escalation(policy, len(regions)), math.floor(elapsed / policy.escalate_after))
    due_repeats = min(policy.repeat_max, math.floor(elapsed / policy.repeat_every))
    new_level = due_level if due_level > level else None
    new_repeats = due_repeats if due_repeats > repeats else None
    escalated: list[Delivery] = []
    served: list[tuple[str, str]] = []
    if new_level is not None:
        old_depth = routed_depth(policy, level, len(regions))
        new_depth = routed_depth(policy, new_level, len(regions))
        below = [(s.channel, s.address) for s in
                 recipients(alarm["type"], alarm["severity"], subscriptions, regions[:old_depth])]
        escalated = [Delivery(s.channel, s.id, compose(alarm, "escalated", s, policy.base_url))
                     for s in recipients(alarm["type"], alarm["severity"], subscriptions,
                                         regions[old_depth:new_depth], exclude=below)]
        served = [(d.channel, d.notification.recipient) for d in escalated]
    repeated: list[Delivery] = []
    if new_repeats is not None:
        depth = routed_depth(policy, new_level if new_level is not None else level, len(regions))
        repeated = [Delivery(s.channel, s.id, compose(alarm, "repeat", s, policy.base_url))
                    for s in recipients(alarm["type"], alarm["severity"], subscriptions, regions[:depth],
                                        exclude=served)]
    return TickPlan(new_level, new_repeats, escalated, repeated)


def plan_overdue(alarm: Mapping[str, Any], owed_by: str, subscriptions: Sequence[Subscription],
                 regions: Sequence[str], policy: AlarmPolicy) -> list[Delivery]:
    """The ``overdue`` notifications of a supervision step past its deadline (:mod:`ecosentry.alarms.disposal`):
    the subscriptions of the level above the late party (:func:`~ecosentry.alarms.disposal.overdue_audience`:
    county and city for a late enterprise, the province too for a late regulator), one per address."""
    depth = overdue_audience(owed_by, len(regions), policy.route_levels)
    return [Delivery(s.channel, s.id, compose(alarm, "overdue", s, policy.base_url))
            for s in recipients(alarm["type"], alarm["severity"], subscriptions, regions[:depth])]
