"""E-mail channel: one multipart (text + HTML) message per recipient over SMTP.

The message follows RFC 5322 (``Date``, ``Message-ID``), MIME (RFC 2045-2047: UTF-8 bodies, encoded-word
subject so 二氧化硫超标 and "Vượt quy chuẩn" survive any relay) and marks itself automatic (RFC 3834
``Auto-Submitted: auto-generated``) so vacation responders stay silent. :mod:`smtplib` blocks, so each send
runs in a worker thread (:func:`asyncio.to_thread`) and the event loop never waits on the mail server.
"""

from __future__ import annotations

import asyncio
import html
import smtplib
import ssl
from collections import Counter
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from ecosentry.alarms.channels.base import DeliveryResult, Notification, absolute_url, plain_title, secret_value, tally
from ecosentry.alarms.channels.settings import ChannelSettings

__all__ = ["EmailChannel", "build_message"]

#: Subject prefix per severity (kept short: mail clients cut long subjects).
SEVERITY_TAG = {"critical": "CRITICAL", "warning": "WARNING", "info": "INFO"}


def _is_mailbox(address: str) -> bool:
    """A single plain ``local@domain`` address without header-injection characters."""
    if any(c in address for c in "\r\n<>,;") or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in address)


def _sender_domain(from_header: str) -> str:
    addr = parseaddr(from_header)[1]
    return addr.rpartition("@")[2] or "localhost"


def subject_of(n: Notification) -> str:
    """``[CRITICAL] <title>``: the severity first so it sorts and filters in a mailbox (never twice)."""
    tag = n.severity_tag or SEVERITY_TAG.get(n.severity, n.severity.upper())
    return f"[{tag}] {plain_title(n.title, n.severity, n.severity_tag)}"


def _html_body(n: Notification, link: str | None) -> str:
    lines = "<br>\n".join(html.escape(line) for line in n.body.splitlines())
    anchor = f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>\n' if link else ""
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n"
            f"<h3>{html.escape(subject_of(n))}</h3>\n<p>{lines}</p>\n{anchor}"
            f"<p style=\"color:#777;font-size:small\">{html.escape(n.code)} · alarm #{n.alarm_id} · "
            f"{html.escape(n.event)}</p>\n</body></html>\n")


def build_message(n: Notification, sender: str, base_url: str | None = None) -> EmailMessage:
    """The MIME message for one notification (pure: no network).

    Parameters
    ----------
    n : Notification
        ``recipient`` is the e-mail address.
    sender : str
        ``From`` header, optionally with a display name.
    base_url : str, optional
        Public web address that makes a relative ``n.url`` absolute.

    Returns
    -------
    email.message.EmailMessage
        ``multipart/alternative`` with a text/plain and a text/html part, both UTF-8.
    """
    link = absolute_url(n.url, base_url)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = n.recipient
    msg["Subject"] = subject_of(n)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=f"alarm{n.alarm_id}.{n.event}", domain=_sender_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834 §5
    msg["X-Ecosentry-Alarm"] = str(n.alarm_id)
    msg["X-Ecosentry-Event"] = n.event
    msg["X-Ecosentry-Code"] = n.code
    text = n.body if not link or link in n.body else f"{n.body.rstrip()}\n\n{link}"
    msg.set_content(text + "\n", charset="utf-8")
    msg.add_alternative(_html_body(n, link), subtype="html", charset="utf-8")
    return msg


class EmailChannel:
    """Send notifications by SMTP (``name = "email"``; the recipient is an e-mail address)."""

    name = "email"

    def __init__(self, settings: ChannelSettings) -> None:
        if settings.smtp_ssl and settings.smtp_starttls:
            raise ValueError("smtp_ssl (implicit TLS) and smtp_starttls exclude each other")
        self.settings = settings
        self.counts: Counter[str] = Counter()

    async def send(self, notification: Notification) -> DeliveryResult:
        """Build and send the message in a worker thread; never raises for a delivery failure."""
        if not _is_mailbox(notification.recipient):
            result = DeliveryResult(False, f"not a valid e-mail address: {notification.recipient!r}")
        else:
            msg = build_message(notification, self.settings.smtp_from, self.settings.public_base_url)
            result = await asyncio.to_thread(self._deliver, msg, notification.recipient)
        return tally(self.name, self.counts, notification, result)

    # -- blocking part, runs in a thread ------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        ca = self.settings.smtp_ca_file
        ctx = ssl.create_default_context()
        if ca is not None:
            ctx.load_verify_locations(cafile=str(ca))
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_ssl:
            return smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=self._tls_context())
        return smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)

    def _deliver(self, msg: EmailMessage, recipient: str) -> DeliveryResult:
        s = self.settings
        server = f"{s.smtp_host}:{s.smtp_port}"
        try:
            with self._connect() as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=self._tls_context())
                if s.smtp_user:
                    smtp.login(s.smtp_user, secret_value(s.smtp_password))
                refused = smtp.send_message(msg, from_addr=parseaddr(s.smtp_from)[1], to_addrs=[recipient])
            if refused:
                code, reason = refused[recipient]
                return DeliveryResult(False, f"the mail server {server} refused {recipient}: {code} {_text(reason)}")
            return DeliveryResult(True, f"accepted by {server} as {msg['Message-ID']}")
        except smtplib.SMTPAuthenticationError as e:
            return DeliveryResult(False, f"login as {s.smtp_user!r} failed at {server}: {e.smtp_code} "
                                         f"{_text(e.smtp_error)}")
        except smtplib.SMTPRecipientsRefused as e:
            code, reason = e.recipients.get(recipient, (0, b""))
            return DeliveryResult(False, f"the mail server {server} refused the recipient {recipient}: "
                                         f"{code} {_text(reason)}")
        except smtplib.SMTPSenderRefused as e:
            return DeliveryResult(False, f"the mail server {server} refused the sender {e.sender}: "
                                         f"{e.smtp_code} {_text(e.smtp_error)}")
        except smtplib.SMTPNotSupportedError as e:
            return DeliveryResult(False, f"the mail server {server} does not support a required extension: {e}")
        except smtplib.SMTPResponseException as e:
            return DeliveryResult(False, f"the mail server {server} answered {e.smtp_code} {_text(e.smtp_error)}")
        except smtplib.SMTPException as e:
            return DeliveryResult(False, f"SMTP error with {server}: {e}")
        except ssl.SSLError as e:
            return DeliveryResult(False, f"TLS with the mail server {server} failed: {e}")
        except TimeoutError:
            return DeliveryResult(False, f"the mail server {server} did not answer within {s.smtp_timeout:g} s")
        except OSError as e:
            return DeliveryResult(False, f"cannot connect to the mail server {server}: {e.strerror or e}")


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
