"""The contract every notification channel fulfils (Home Assistant style: many integrations, one shape).

The alarm dispatcher (:mod:`ecosentry.alarms.dispatch`) turns alarm events into :class:`Notification`
objects, one per recipient and channel, and awaits :meth:`Channel.send`; the result is written to the
delivery log. A channel never raises for a delivery failure: it returns ``DeliveryResult(ok=False, ...)``
with a sentence saying why, so one bad address never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["AlarmEvent", "Notification", "DeliveryResult", "Channel"]

#: What happened to the alarm that this notification reports.
AlarmEvent = Literal["raised", "updated", "escalated", "repeat", "acknowledged", "cleared", "assigned", "commented"]


@dataclass(frozen=True)
class Notification:
    """One message to one recipient over one channel.

    Attributes
    ----------
    alarm_id : int
    event : AlarmEvent
    code : str
        Alarm type code (catalogue), e.g. ``ALM-EXCEEDANCE``.
    severity : {"info", "warning", "critical"}
    title : str
        One line (e-mail subject, SMS first words).
    body : str
        Plain text, a few lines: what, where, since when, the explanation, the link.
    recipient : str
        Channel address: e-mail address, webhook URL, phone number, or user name for live push.
    url : str or None
        Link to the alarm in the web UI.
    payload : dict
        The alarm as JSON (webhook body, live-push data).
    user : str or None
        The user the notification is for (``None`` for a system-wide webhook).
    severity_tag : str or None
        The severity in the recipient's language (subject and SMS tag); ``None``: the English tag.
    lang : str or None
        The language ``title`` and ``body`` are written in.
    """

    alarm_id: int
    event: AlarmEvent
    code: str
    severity: str
    title: str
    body: str
    recipient: str
    url: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    severity_tag: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    detail: str = ""


@runtime_checkable
class Channel(Protocol):
    """A way to reach people: ``name`` is ``"email"``, ``"webhook"``, ``"sms"`` or ``"live"``."""

    name: str

    async def send(self, notification: Notification) -> DeliveryResult:
        ...
