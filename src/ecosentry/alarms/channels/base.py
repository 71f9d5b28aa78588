"""The contract every notification channel fulfils (Home Assistant style: many integrations, one shape).

The alarm dispatcher (:mod:`ecosentry.alarms.dispatch`) turns alarm events into :class:`Notification`
objects, one per recipient and channel, and awaits :meth:`Channel.send`; the result is written to the
delivery log. A channel never raises for a delivery failure: it returns ``DeliveryResult(ok=False, ...)``
with a sentence saying why, so one bad address never stops the others.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import SecretStr

from ecosentry.metrics import counters

__all__ = ["AlarmEvent", "Notification", "DeliveryResult", "Channel", "secret_value", "absolute_url", "alarm_json",
           "plain_title", "system_tls", "tally"]

log = logging.getLogger(__name__)

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


# -- what every channel does alike (the builder in config.py sits above the channels, so these live here) --


@lru_cache(maxsize=1)
def system_tls() -> ssl.SSLContext:
    """The process's one TLS context for the channels' HTTPS requests (system trust store): building one
    costs ~0.1 s of CPU, and a service builds its channels each time it starts. Shared, never changed."""
    return ssl.create_default_context()


def secret_value(secret: SecretStr | None) -> str:
    """The plain text of an optional secret (empty string when unset)."""
    return secret.get_secret_value() if secret is not None else ""


def absolute_url(url: str | None, base: str | None) -> str | None:
    """Join a relative alarm link (``/alarms/12``) with the public base URL; absolute links pass unchanged."""
    if not url:
        return None
    if "://" in url or not base:
        return url
    return base.rstrip("/") + "/" + url.lstrip("/")


def alarm_json(payload: dict[str, Any]) -> dict[str, Any]:
    """The alarm inside a notification payload: ``payload["alarm"]`` as composed by
    :func:`ecosentry.alarms.routing.compose` (``{"event": ..., "alarm": {...}}``), else the payload itself."""
    inner = payload.get("alarm")
    return inner if isinstance(inner, dict) else payload


def plain_title(title: str, severity: str, tag: str | None = None) -> str:
    """The title without a leading ``[SEVERITY]`` tag (or ``[tag]``, the severity in the recipient's
    language), so a channel adding its own does not repeat it."""
    stripped = title.lstrip()
    for t in (f"[{severity.upper()}]", f"[{tag}]" if tag else None):
        if t and stripped.upper().startswith(t.upper()):
            return stripped[len(t):].lstrip()
    return title


def tally(channel_name: str, counts: Counter[str], notification: Notification,
          result: DeliveryResult) -> DeliveryResult:
    """Count and log one delivery (process counters ``notify.<channel>.ok`` / ``.failed``, see /api/v1/stats).

    Returns the result unchanged, so a channel can ``return tally(...)``.
    """
    outcome = "ok" if result.ok else "failed"
    counts[outcome] += 1
    counters.inc(f"notify.{channel_name}.{outcome}")
    level = logging.INFO if result.ok else logging.WARNING
    log.log(level, "%s notification alarm=%s event=%s to=%s: %s%s", channel_name, notification.alarm_id,
            notification.event, notification.recipient, outcome, f" ({result.detail})" if result.detail else "")
    return result
