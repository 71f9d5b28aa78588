"""Settings of the notification channels (e-mail, webhook, SMS, live push): the section ``notify`` of
:class:`ecosentry.settings.Settings`, kept apart from the channels so the settings import no channel code."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["ChannelSettings"]


class ChannelSettings(BaseModel):
    """How notifications leave the platform: the section ``notify`` (``ECOSENTRY_NOTIFY__SMTP_HOST`` …)."""

    model_config = ConfigDict(extra="forbid")

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
