"""Settings of alarm routing, escalation and delivery: the section ``alarms`` of
:class:`ecosentry.settings.Settings` (``ECOSENTRY_ALARMS__ROUTE_LEVELS`` …; the former flat
``ECOSENTRY_ALARM_ROUTE_LEVELS`` … are still read, with a warning naming the new name). Kept apart from the
dispatcher so the settings import no alarm code.

Platform choices (tag "ours"): no national rule fixes these numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AlarmSettings", "DisposalSettings"]


class DisposalSettings(BaseModel):
    """Deadlines of the alarm disposal (督办, :mod:`ecosentry.alarms.disposal`), section ``alarms.disposal``
    (``ECOSENTRY_ALARMS__DISPOSAL__FEEDBACK_HOURS_CRITICAL`` …). Platform choices (tag "ours"): no national
    rule fixes them; a regulator may give another feedback deadline with each push."""

    model_config = ConfigDict(extra="forbid")

    #: From the push to the enterprise's acknowledgement (签收), critical alarms / the others. [h]
    handle_critical_hours: float = 2.0
    handle_hours: float = 8.0
    #: From the push (or a return) to the enterprise's feedback, critical alarms / the others. [h]
    feedback_critical_hours: float = 24.0
    feedback_hours: float = 72.0
    #: From the feedback to the regulator's check (核查). [h]
    verify_hours: float = 72.0
    #: From the accepted check to the closed case (结案). [h]
    close_hours: float = 72.0
    #: Largest evidence file accepted. [MB]
    evidence_max_mb: float = 20.0


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
    #: Deadlines of the supervision (督办) of alarms.
    disposal: DisposalSettings = DisposalSettings()
