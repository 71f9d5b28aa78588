"""Webhook channel: a signed JSON POST to the recipient URL, retried with exponential back-off.

Headers sent with each request:

``X-Ecosentry-Event``
    The alarm event (``raised``, ``cleared``, ...).
``X-Ecosentry-Delivery``
    Idempotency key, the same for every retry of one notification (alarm, event, recipient): a receiver
    that has seen it already can ignore the duplicate.
``X-Ecosentry-Timestamp``
    Unix time of this attempt [s].
``X-Ecosentry-Signature``
    ``sha256=<hex>``, HMAC-SHA256 (RFC 2104, FIPS 180-4) of ``timestamp + "." + body`` keyed with the shared
    secret. Signing the timestamp with the body lets the receiver refuse replays outside a time window;
    :func:`verify_signature` is the receiver's check.

Connection errors, 5xx and 429 (RFC 6585 §4) are retried; other 4xx mean the receiver refused the request and
are not.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from typing import Any

import httpx

from ecosentry import __version__
from ecosentry.alarms.channels.base import (DeliveryResult, Notification, absolute_url, alarm_json, secret_value,
                                            system_tls, tally)
from ecosentry.alarms.channels.settings import ChannelSettings

__all__ = ["WebhookChannel", "sign", "verify_signature", "delivery_id", "webhook_body"]

log = logging.getLogger(__name__)

SIGNATURE_SCHEME = "sha256"
#: Default replay window for :func:`verify_signature` [s] (5 min, as common webhook practice).
DEFAULT_TOLERANCE_S = 300.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def verify_signature(secret: str, timestamp: str, body: bytes, header: str,
                     tolerance_s: float = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """Check a received webhook (for receivers): right signature and a timestamp inside the replay window.

    Parameters
    ----------
    secret : str
        The shared secret.
    timestamp : str
        Value of ``X-Ecosentry-Timestamp`` (Unix seconds).
    body : bytes
        The raw request body, exactly as received.
    header : str
        Value of ``X-Ecosentry-Signature``; several ``sha256=...`` values separated by commas are accepted
        (one per secret during a secret rotation).
    tolerance_s : float
        Largest accepted distance between ``timestamp`` and ``now``. [s]
    now : float, optional
        Current Unix time [s]; :func:`time.time` when omitted.

    Returns
    -------
    bool
        True only when a signature matches (constant-time comparison, :func:`hmac.compare_digest`) and the
        timestamp is within ``tolerance_s`` of ``now``.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    matched = False
    for candidate in header.split(","):
        # Compare every candidate (no early exit), so timing does not tell which one matched.
        matched |= hmac.compare_digest(expected, candidate.strip().encode("utf-8", "replace"))
    return matched


def delivery_id(n: Notification) -> str:
    """Stable idempotency key of one notification: alarm, event, recipient, and which occurrence of the event.

    The occurrence is the payload's ``event_id`` when it has one; otherwise the alarm's counters
    (``occurrences``, ``repeats``, ``escalation_level``, ``last_at``) tell two reminders or two updates of
    the same alarm apart. The key is the same for every retry of one notification.
    """
    alarm = alarm_json(n.payload)
    occurrence = n.payload.get("event_id") or alarm.get("event_id") or "/".join(
        str(alarm.get(k, "")) for k in ("occurrences", "repeats", "escalation_level", "last_at"))
    digest = hashlib.sha256(f"{n.alarm_id}|{n.event}|{occurrence}|{n.recipient}".encode()).hexdigest()
    return f"{n.alarm_id}-{n.event}-{digest[:16]}"


def webhook_body(n: Notification, base_url: str | None = None) -> bytes:
    """The JSON body: the alarm plus event, code, severity, title and link (UTF-8, not ASCII-escaped).

    ``alarm`` is the alarm record (``payload["alarm"]`` when the payload wraps it, see
    :func:`~ecosentry.alarms.channels.config.alarm_json`).
    """
    doc: dict[str, Any] = {
        "alarm_id": n.alarm_id,
        "event": n.event,
        "code": n.code,
        "severity": n.severity,
        "title": n.title,
        "url": absolute_url(n.url, base_url),
        "alarm": alarm_json(n.payload),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


class WebhookChannel:
    """POST notifications to the recipient URL (``name = "webhook"``)."""

    name = "webhook"

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self.counts: Counter[str] = Counter()
        self._tls = system_tls()  # one TLS context for all requests (building one costs ~0.1 s)
        self._secret = secret_value(settings.webhook_secret)
        #: said once, at the first webhook sent unsigned (a deployment without webhook recipients never sends one)
        self._unsigned_said = False

    def headers(self, n: Notification, body: bytes, now: float | None = None) -> dict[str, str]:
        """The request headers of one attempt (a fresh timestamp and signature per attempt)."""
        ts = str(int(time.time() if now is None else now))
        h = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"ecosentry/{__version__}",
            "X-Ecosentry-Event": n.event,
            "X-Ecosentry-Delivery": delivery_id(n),
            "X-Ecosentry-Timestamp": ts,
        }
        if self._secret:
            h["X-Ecosentry-Signature"] = sign(self._secret, ts, body)
        return h

    def backoff(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1`` (attempt counts from 1): base · 2^(attempt-1), capped. [s]"""
        s = self.settings
        return min(s.webhook_backoff * 2 ** (attempt - 1), s.webhook_backoff_max)

    async def send(self, notification: Notification) -> DeliveryResult:
        """POST with retries; never raises for a delivery failure."""
        url = notification.recipient
        if not url.startswith(("http://", "https://")):
            result = DeliveryResult(False, f"not an http(s) URL: {url!r}")
        else:
            if not self._secret and not self._unsigned_said:
                self._unsigned_said = True
                log.warning("webhook secret is empty (ECOSENTRY_NOTIFY__WEBHOOK_SECRET): webhooks are sent unsigned")
            body = webhook_body(notification, self.settings.public_base_url)
            result = await self._post_with_retries(url, notification, body)
        return tally(self.name, self.counts, notification, result)

    async def _post_with_retries(self, url: str, n: Notification, body: bytes) -> DeliveryResult:
        attempts = 1 + self.settings.webhook_retries
        last = ""
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout, follow_redirects=False,
                                     verify=self._tls) as client:
            for attempt in range(1, attempts + 1):
                try:
                    resp = await client.post(url, content=body, headers=self.headers(n, body))
                except httpx.HTTPError as e:
                    last = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                else:
                    if resp.is_success:
                        return DeliveryResult(True, f"HTTP {resp.status_code} after {attempt} attempt(s)")
                    last = f"HTTP {resp.status_code} {_excerpt(resp)}".rstrip()
                    if not _retryable(resp.status_code):
                        return DeliveryResult(False, f"the receiver {url} refused the webhook: {last} "
                                                     f"(not retried)")
                if attempt < attempts:
                    delay = self.backoff(attempt)
                    log.info("webhook to %s failed (%s), attempt %d/%d, retrying in %.3g s",
                             url, last, attempt, attempts, delay)
                    await asyncio.sleep(delay)
        return DeliveryResult(False, f"webhook to {url} failed after {attempts} attempt(s): {last}")


def _excerpt(resp: httpx.Response, limit: int = 200) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")
