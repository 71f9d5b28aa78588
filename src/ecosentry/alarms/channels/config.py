"""Settings of the notification channels and the one place that builds them.

All settings are read from the environment with the prefix ``ECOSENTRY_NOTIFY_`` (e.g.
``ECOSENTRY_NOTIFY_SMTP_HOST=mail.example.gov.cn``), or from ``.env``. A channel whose essential setting is
missing is not built: e-mail needs an SMTP host, SMS needs a gateway URL. Webhooks (the address is the
recipient) and live push (in-process) are always available.

Example
-------
>>> from ecosentry.alarms.channels.config import ChannelSettings, build_channels
>>> sorted(build_channels(ChannelSettings(_env_file=None)))
['live', 'webhook']
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecosentry.alarms.channels.base import Channel, DeliveryResult, Notification
from ecosentry.metrics import counters

if TYPE_CHECKING:
    from ecosentry.alarms.channels.live import LiveHub

__all__ = ["ChannelSettings", "build_channels", "secret_value", "absolute_url", "alarm_json", "plain_title",
           "tally"]

log = logging.getLogger(__name__)


class ChannelSettings(BaseSettings):
    """How notifications leave the platform (prefix ``ECOSENTRY_NOTIFY_``)."""

    model_config = SettingsConfigDict(env_prefix="ECOSENTRY_NOTIFY_", env_file=".env", extra="ignore")

    # --- e-mail (SMTP, RFC 5321; message format RFC 5322, MIME RFC 2045-2047) ---------------------------
    #: SMTP relay host. Empty: the e-mail channel is not built.
    smtp_host: str | None = None
    #: SMTP port: 25 (relay), 587 (submission with STARTTLS, RFC 6409) or 465 (implicit TLS, RFC 8314).
    smtp_port: int = Field(25, ge=1, le=65535)
    #: Login user (SMTP AUTH, RFC 4954). Empty: no login.
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    #: Upgrade the plain connection with STARTTLS (RFC 3207) before login.
    smtp_starttls: bool = False
    #: Connect with implicit TLS (port 465, RFC 8314 §3.3). Excludes ``smtp_starttls``.
    smtp_ssl: bool = False
    #: Extra CA bundle (PEM) trusted for the TLS connection, e.g. a government internal CA.
    smtp_ca_file: Path | None = None
    #: Sender address (``From``), may carry a display name: ``"生态环境监控 <alarm@example.gov.cn>"``.
    smtp_from: str = "ecosentry@localhost"
    #: Seconds allowed for the connection and each SMTP command. [s]
    smtp_timeout: float = Field(10.0, gt=0)

    # --- webhook (HTTP POST, signed with HMAC-SHA256, RFC 2104 / FIPS 180-4) ---------------------------
    #: Shared secret for the ``X-Ecosentry-Signature`` header. Empty: requests are sent unsigned (a warning
    #: is logged once); receivers should then not trust them.
    webhook_secret: SecretStr | None = None
    #: Seconds allowed for one request (connect + response). [s] With the retries and back-off below the worst
    #: case is 4 × 5 + 0.5 + 1 + 2 = 23.5 s, inside the dispatcher's 30 s ``send_timeout``.
    webhook_timeout: float = Field(5.0, gt=0)
    #: Further attempts after the first on connection errors, 5xx and 429 (so 1 + retries requests at most).
    webhook_retries: int = Field(3, ge=0, le=10)
    #: First back-off delay; doubled after each failed attempt. [s]
    webhook_backoff: float = Field(0.5, ge=0)
    #: Upper bound of one back-off delay. [s]
    webhook_backoff_max: float = Field(30.0, ge=0)

    # --- SMS through a pluggable HTTP gateway -----------------------------------------------------------
    #: Gateway endpoint that accepts a JSON POST. Empty: the SMS channel is not built.
    sms_gateway_url: str | None = None
    #: Header that carries the token (``Authorization`` for a bearer token, or e.g. ``X-Api-Key``).
    sms_auth_header: str = "Authorization"
    #: Put before the token in the header (``"Bearer "`` for RFC 6750; empty for a plain API-key header).
    sms_auth_prefix: str = "Bearer "
    sms_token: SecretStr | None = None
    #: JSON field names of the gateway's request body.
    sms_to_field: str = "to"
    sms_text_field: str = "text"
    sms_sender_field: str = "from"
    #: Registered sender id / signature (e.g. the 短信签名 required by Chinese carriers). Empty: not sent.
    sms_sender_id: str | None = None
    #: Longest text in characters. 70 = one UCS-2 segment, which Chinese and Vietnamese text (diacritics)
    #: needs (3GPP TS 23.038 §6.1.2.3: 140 octets = 70 UCS-2 characters; 160 only for the GSM 7-bit alphabet).
    sms_max_length: int = Field(70, ge=20, le=1000)
    #: Time zone of the times written in SMS text (the regulator's local time; UTC stamps are converted).
    display_tz: str = "Asia/Shanghai"
    #: Seconds allowed for one request to the gateway. [s]
    sms_timeout: float = Field(10.0, gt=0)

    # --- links and live push --------------------------------------------------------------------------
    #: Public address of the web UI, used to make relative alarm links absolute (e-mail, SMS, webhook).
    public_base_url: str | None = None
    #: Messages buffered per live-push subscriber; the oldest is dropped when a slow client lags.
    live_queue_size: int = Field(100, ge=1)
    #: Messages the hub keeps for ``Last-Event-ID`` replay after a reconnect.
    live_replay_size: int = Field(200, ge=0)
    #: Seconds between heartbeat comments on an idle stream, well under the usual 60 s proxy idle
    #: timeout (nginx ``proxy_read_timeout`` default). [s]
    live_heartbeat_s: float = Field(15.0, gt=0)


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
        Read from the environment when omitted.
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

    s = settings if settings is not None else ChannelSettings()
    channels: dict[str, Channel] = {}
    if s.smtp_host:
        channels["email"] = EmailChannel(s)
    else:
        log.info("e-mail channel not configured (ECOSENTRY_NOTIFY_SMTP_HOST is empty)")
    channels["webhook"] = WebhookChannel(s)
    if s.sms_gateway_url:
        channels["sms"] = SmsChannel(s)
    else:
        log.info("SMS channel not configured (ECOSENTRY_NOTIFY_SMS_GATEWAY_URL is empty)")
    if hub is None:
        hub = LiveHub(s.live_queue_size, s.live_replay_size, s.live_heartbeat_s)
    channels["live"] = LiveChannel(hub)
    return channels
