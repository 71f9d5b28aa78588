"""Settings of the notification channels and the one place that builds them.

The settings are the section ``notify`` of :class:`ecosentry.settings.Settings` (e.g.
``ECOSENTRY_NOTIFY__SMTP_HOST=mail.example.gov.cn``, in the environment or ``.env``; the former
``ECOSENTRY_NOTIFY_SMTP_HOST`` is still read, logged as deprecated). A channel whose essential setting is
missing is not built: e-mail needs an SMTP host, SMS needs a gateway URL. Webhooks (the address is the
recipient) and live push (in-process) are always available.

Example
-------
>>> from ecosentry.alarms.channels.config import ChannelSettings, build_channels
>>> sorted(build_channels(ChannelSettings()))
['live', 'webhook']
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ecosentry.alarms.channels.base import Channel, DeliveryResult, Notification
from ecosentry.alarms.channels.settings import ChannelSettings
from ecosentry.metrics import counters

if TYPE_CHECKING:
    from ecosentry.alarms.channels.live import LiveHub

__all__ = ["ChannelSettings", "build_channels", "secret_value", "absolute_url", "alarm_json", "plain_title",
           "tally"]

log = logging.getLogger(__name__)


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


def build_channels(settings: ChannelSettings | None = None, hub: LiveHub | None = None) -> dict[str, Channel]:
    """Build the configured channels, keyed by their ``name``.

    Parameters
    ----------
    settings : ChannelSettings, optional
        The section ``notify`` of :func:`ecosentry.settings.get_settings` when omitted.
    hub : LiveHub, optional
        The hub the live channel publishes to; it must be the one the SSE route reads
        (``app.state.live_hub``). A new hub is made when omitted (reach it as ``channels["live"].hub``).

    Returns
    -------
    dict of str to Channel
        ``email`` only with an SMTP host, ``sms`` only with a gateway URL; ``webhook`` and ``live`` always.
    """
    from ecosentry.alarms.channels.email import EmailChannel
    from ecosentry.alarms.channels.live import LiveChannel, LiveHub
    from ecosentry.alarms.channels.sms import SmsChannel
    from ecosentry.alarms.channels.webhook import WebhookChannel

    if settings is None:
        from ecosentry.settings import get_settings  # the one settings object, read once

        settings = get_settings().notify
    s = settings
    channels: dict[str, Channel] = {}
    if s.smtp_host:
        channels["email"] = EmailChannel(s)
    else:
        log.info("e-mail channel not configured (ECOSENTRY_NOTIFY__SMTP_HOST is empty)")
    channels["webhook"] = WebhookChannel(s)
    if s.sms_gateway_url:
        channels["sms"] = SmsChannel(s)
    else:
        log.info("SMS channel not configured (ECOSENTRY_NOTIFY__SMS_GATEWAY_URL is empty)")
    if hub is None:
        hub = LiveHub(s.live_queue_size, s.live_replay_size, s.live_heartbeat_s)
    channels["live"] = LiveChannel(hub)
    return channels
