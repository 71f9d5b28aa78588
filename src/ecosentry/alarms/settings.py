"""Settings of alarm routing, escalation and delivery: the section ``alarms`` of
:class:`ecosentry.settings.Settings` (``ECOSENTRY_ALARMS__ROUTE_LEVELS`` …; the former flat
``ECOSENTRY_ALARM_ROUTE_LEVELS`` … are still read, with a warning naming the new name). Kept apart from the
dispatcher so the settings import no alarm code.

Platform choices (tag "ours"): no national rule fixes these numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AlarmSettings"]


class AlarmSettings(BaseModel):
    """Who receives a new alarm, when it escalates and repeats, how long a channel may take."""

    model_config = ConfigDict(extra="forbid")

    #: Region levels that receive a new alarm at once, counted upward from the alarm's own region:
    #: 2 = the county (区县) and the city (地市) together, the usual first line of 环境执法.
    route_levels: int = 2
    #: An alarm not acknowledged within this many minutes escalates one region level up (province …);
    #: each further period adds one more level. [min]
    escalate_after_minutes: float = 30.0
    #: Repeat notifications to the current recipients every this many minutes while unacknowledged. [min]
    repeat_minutes: float = 60.0
    #: At most this many repeat notifications per alarm.
    repeat_max: int = 3
    #: A channel that has not answered within this many seconds counts as a failed delivery. [s]
    send_timeout: float = 30.0
    #: Base URL of the web UI, for the link in notifications and evidence packs, and the origin the CSRF
    #: check trusts behind a proxy (``None``: no link; the ``Host`` of the request).
    base_url: str | None = None
    #: Seconds between escalation/repeat checks of the open alarms. [s]
    tick_every: float = 60.0
