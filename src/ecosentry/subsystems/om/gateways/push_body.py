"""The bodies and times station-room devices push (``POST /api/v1/om/doors/events``, ``.../cameras/snapshots``),
checked: pure, bytes or text in, a value or :class:`Malformed` (the route's 422 ``om_door_malformed`` /
``om_camera_malformed``) out; no database, the clock passed in.

A door event is the JSON ``{"time": ISO 8601 with its offset, "event": "open" | "close"}``, a snapshot's time the
query's ``time``; neither may lie more than the slack in the future. A time must have a UTC instant: the stores
convert it (``0001-01-01T00:00:00+08:00`` has none).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ecosentry.said import N_, Said

__all__ = ["Malformed", "door_event", "snapshot_time", "MAX_TIME"]

#: The longest time text read (an ISO 8601 time with fractions and offset is 32 characters).
MAX_TIME = 40


class Malformed(Said):
    """A body or time refused, with the sentence of the 422."""


def _shown(value: object) -> str:
    """A value as the refusal shows it: its repr, cut (a body may hold a long or deeply nested value)."""
    try:
        text = repr(value)
    except RecursionError:
        text = "[…]"
    return text if len(text) <= 60 else text[:59] + "…"


def _instant(text: object) -> datetime | None:
    """An ISO 8601 time with its offset and a UTC instant, or None."""
    if not isinstance(text, str) or not text or len(text) > MAX_TIME:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if at.tzinfo is None or at.utcoffset() is None:
            return None
        at.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return at


def door_event(body: bytes, now: datetime, slack: timedelta) -> tuple[str, datetime]:
    """(``open`` or ``close``, the event's time) of a door controller's body, or :class:`Malformed`."""
    try:  # RecursionError: a body of thousands of '[' is no ValueError (a 500 before, issue 19)
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    if not isinstance(data, dict) or set(data) - {"time", "event"}:
        raise Malformed(N_("A door event is the JSON {\"time\": ISO 8601 with offset, \"event\": \"open\" "
                           "or \"close\"}."))
    event, time = data.get("event"), data.get("time")
    if event not in ("open", "close"):
        raise Malformed(N_("The event of a door is open or close, not %(value)s."), value=_shown(event))
    at = _instant(time)
    if at is None or at > now + slack:
        raise Malformed(N_("The time of a door event is ISO 8601 with an offset, not in the future: %(value)s."),
                        value=_shown(time))
    return event, at


def snapshot_time(text: str, now: datetime, slack: timedelta) -> datetime:
    """The time of a camera's snapshot (the query's ``time``), or :class:`Malformed`."""
    at = _instant(text)
    if at is None or at > now + slack:
        raise Malformed(N_("The time of a snapshot is ISO 8601 with an offset, not in the future: %(value)s."),
                        value=repr(text[:MAX_TIME]))
    return at
