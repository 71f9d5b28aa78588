"""The one place that builds the notification channels from their settings.

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

from ecosentry.alarms.channels.base import Channel
from ecosentry.alarms.channels.email import EmailChannel
from ecosentry.alarms.channels.live import LiveChannel, LiveHub
from ecosentry.alarms.channels.settings import ChannelSettings
from ecosentry.alarms.channels.sms import SmsChannel
from ecosentry.alarms.channels.webhook import WebhookChannel

__all__ = ["ChannelSettings", "build_channels"]

log = logging.getLogger(__name__)


def build_channels(settings: ChannelSettings, hub: LiveHub | None = None) -> dict[str, Channel]:
    """Build the configured channels, keyed by their ``name``.

    Parameters
    ----------
    settings : ChannelSettings
        The section ``notify`` of the one settings object (``get_settings().notify``).
    hub : LiveHub, optional
        The hub the live channel publishes to; it must be the one the SSE route reads
        (``app.state.live_hub``). A new hub is made when omitted (reach it as ``channels["live"].hub``).

    Returns
    -------
    dict of str to Channel
        ``email`` only with an SMTP host, ``sms`` only with a gateway URL; ``webhook`` and ``live`` always.
    """
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
