"""SMS channel through a pluggable HTTP SMS gateway (JSON POST with a token header).

The gateway's request shape is configured, not coded: the JSON field names for the number, the text and the
sender id come from :class:`~ecosentry.alarms.channels.config.ChannelSettings`, so any gateway that takes a
JSON POST works (a carrier's, a cloud provider's, or the regulator's own SMS platform).

The text is a short form: severity, title, point, local time and link, cut to ``sms_max_length`` characters with
"…" (one UCS-2 segment is 70 characters, 3GPP TS 23.038). Numbers are normalised to E.164 (ITU-T E.164):
Chinese mobiles (11 digits, ``1[3-9]x``, numbering plan of MIIT) become ``+86...``; Vietnamese numbers
(``0`` + 9 digits, mobile prefixes 03/05/07/08/09 after the 2018 renumbering by MIC) become ``+84...``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from ecosentry.alarms.channels.base import (DeliveryResult, Notification, absolute_url, alarm_json, plain_title,
                                            secret_value, system_tls, tally)
from ecosentry.alarms.channels.settings import ChannelSettings

__all__ = ["SmsChannel", "normalise_phone", "sms_text"]

ELLIPSIS = "…"
#: Short severity tags (every character counts in an SMS).
SEVERITY_TAG = {"critical": "CRIT", "warning": "WARN", "info": "INFO"}

_CN_MOBILE = re.compile(r"1[3-9]\d{9}")  # 11 digits, 13x-19x (MIIT numbering plan)
_VN_MOBILE = re.compile(r"[35789]\d{8}")  # 9 digits after 0 / +84: 03x, 05x, 07x, 08x, 09x (MIC, 2018)
_E164 = re.compile(r"\+[1-9]\d{6,14}")  # ITU-T E.164: at most 15 digits, country code never starts with 0


def normalise_phone(raw: str) -> str | None:
    """The E.164 form of a mobile number that can receive an SMS, or ``None``.

    Parameters
    ----------
    raw : str
        As typed: spaces, dashes, dots and brackets are ignored; ``00`` stands for ``+``.

    Returns
    -------
    str or None
        ``+8613812345678``, ``+84912345678``, or another well-formed ``+<country><number>``. Numbers of China
        (+86) and Viet Nam (+84) must be mobiles (SMS does not reach landlines).

    Examples
    --------
    >>> normalise_phone("138 1234 5678")
    '+8613812345678'
    >>> normalise_phone("091-234-5678")
    '+84912345678'
    >>> normalise_phone("12345") is None
    True
    """
    s = re.sub(r"[\s\-.()]", "", raw or "")
    if s.startswith("00"):
        s = "+" + s[2:]
    elif s.startswith(("86", "84")) and len(s) in (11, 13) and not _CN_MOBILE.fullmatch(s):
        s = "+" + s  # country code typed without "+" (8613812345678, 84912345678)
    if s.startswith("+86"):
        return s if _CN_MOBILE.fullmatch(s[3:]) else None
    if s.startswith("+84"):
        return s if _VN_MOBILE.fullmatch(s[3:]) else None
    if _E164.fullmatch(s):
        return s
    if _CN_MOBILE.fullmatch(s):
        return "+86" + s
    if s.startswith("0") and _VN_MOBILE.fullmatch(s[1:]):
        return "+84" + s[1:]
    return None


def _short_time(value: object, tz: str | None) -> str | None:
    """``MM-DD HH:MM`` in the display time zone (an aware stamp is converted; a naive one is taken as is)."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if t.tzinfo is not None and tz:
        t = t.astimezone(ZoneInfo(tz))
    return t.strftime("%m-%d %H:%M")


def _first(record: dict, *keys: str) -> object | None:
    for k in keys:
        if record.get(k) not in (None, ""):
            return record[k]
    return None


def _short_link(url: str | None) -> str | None:
    return url.split("://", 1)[-1] if url else None


def sms_text(n: Notification, max_length: int = 70, base_url: str | None = None,
             tz: str | None = "Asia/Shanghai") -> str:
    """The short SMS text: ``[CRIT] <title> <point> <MM-DD HH:MM> <link>``, at most ``max_length`` characters.

    The point and time are read from the alarm (:func:`~ecosentry.alarms.channels.config.alarm_json`):
    ``point_name``/``point``/``mn`` when present and not already in the title, and
    ``last_at``/``raised_at``/``first_at``, shown in ``tz``. A ``[SEVERITY]`` tag already in the title is not
    repeated. When too long, the words before the link are cut and end with "…", keeping the link whole if
    that leaves at least 10 characters of text; otherwise the whole text is cut.
    """
    alarm = alarm_json(n.payload)
    title = plain_title(n.title, n.severity, n.severity_tag).strip()
    parts = [f"[{n.severity_tag or SEVERITY_TAG.get(n.severity, n.severity.upper()[:4])}]", title]
    point = _first(alarm, "point_name", "point", "mn")
    if point is not None and str(point) not in title:
        parts.append(str(point))
    when = _short_time(_first(alarm, "last_at", "raised_at", "first_at"), tz)
    if when:
        parts.append(when)
    head = " ".join(parts)
    link = _short_link(absolute_url(n.url, base_url))
    full = f"{head} {link}" if link else head
    if len(full) <= max_length:
        return full
    if link and max_length - len(link) - 1 >= 10:
        room = max_length - len(link) - 1
        return f"{head[:room - 1].rstrip()}{ELLIPSIS} {link}"
    return full[:max_length - 1].rstrip() + ELLIPSIS


class SmsChannel:
    """Send notifications as SMS through the configured HTTP gateway (``name = "sms"``)."""

    name = "sms"

    def __init__(self, settings: ChannelSettings) -> None:
        if not settings.sms_gateway_url:
            raise ValueError("the SMS channel needs ECOSENTRY_NOTIFY__SMS_GATEWAY_URL")
        self.settings = settings
        self.counts: Counter[str] = Counter()
        self._tls = system_tls()  # one TLS context for all requests (building one costs ~0.1 s)

    def request_body(self, n: Notification, number: str) -> dict[str, str]:
        """The gateway's JSON body, with the configured field names."""
        s = self.settings
        text = sms_text(n, s.sms_max_length, s.public_base_url, s.display_tz)
        body = {s.sms_to_field: number, s.sms_text_field: text}
        if s.sms_sender_id:
            body[s.sms_sender_field] = s.sms_sender_id
        return body

    def request_headers(self) -> dict[str, str]:
        s = self.settings
        token = secret_value(s.sms_token)
        return {s.sms_auth_header: f"{s.sms_auth_prefix}{token}"} if token else {}

    async def send(self, notification: Notification) -> DeliveryResult:
        """POST one SMS to the gateway; never raises for a delivery failure."""
        number = normalise_phone(notification.recipient)
        if number is None:
            result = DeliveryResult(False, f"not a valid phone number: {notification.recipient!r}")
        else:
            result = await self._post(notification, number)
        return tally(self.name, self.counts, notification, result)

    async def _post(self, n: Notification, number: str) -> DeliveryResult:
        url = self.settings.sms_gateway_url
        try:
            async with httpx.AsyncClient(timeout=self.settings.sms_timeout, follow_redirects=False,
                                         verify=self._tls) as client:
                resp = await client.post(url, json=self.request_body(n, number), headers=self.request_headers())
        except httpx.HTTPError as e:
            return DeliveryResult(False, f"cannot reach the SMS gateway {url}: {type(e).__name__} {e}".rstrip())
        if resp.is_success:
            return DeliveryResult(True, f"accepted by the SMS gateway for {number} (HTTP {resp.status_code})")
        excerpt = resp.text.strip().replace("\n", " ")[:200]
        return DeliveryResult(False, f"the SMS gateway refused the message to {number}: "
                                     f"HTTP {resp.status_code} {excerpt}".rstrip())
