"""E-mail channel against a real SMTP server (aiosmtpd) on a free local port."""

from __future__ import annotations

import asyncio
import email
import shutil
import ssl
import subprocess
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ecosentry.alarms.channels.base import Channel, Notification
from ecosentry.alarms.channels.config import ChannelSettings
from ecosentry.alarms.channels.email import EmailChannel, build_message
from ecosentry.metrics import counters
from netkit import free_port, refusing_port

REFUSED = "nobody@example.gov.cn"

# The AUTH test server allows login without TLS (loopback only); aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class StoringHandler:
    """Keeps every accepted envelope; refuses one address; can hold DATA until released."""

    def __init__(self) -> None:
        self.envelopes = []
        self.gate: threading.Event | None = None
        self.in_data = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.in_data.set()
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 10)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = StoringHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def settings(port: int, **kw) -> ChannelSettings:
    base = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_from="生态环境监控 <alarm@ecosentry.example>",
                smtp_timeout=5, public_base_url="https://ecosentry.example")
    base.update(kw)
    return ChannelSettings(**base)


def notification(recipient: str = "duty@example.gov.cn") -> Notification:
    return Notification(
        alarm_id=42, event="raised", code="ALM-EXCEEDANCE", severity="critical",
        title="二氧化硫超标 — Vượt quy chuẩn SO2",
        body="排放口 DA001 二氧化硫 折算浓度 512 mg/m³ 超过限值 200 mg/m³\nVượt quy chuẩn QCVN 19:2009/BTNMT",
        recipient=recipient, url="/alarms/42", payload={"id": 42},
    )


def parse(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)


async def test_utf8_message_reaches_the_server(smtp_server):
    controller, handler = smtp_server
    channel = EmailChannel(settings(controller.port))
    assert isinstance(channel, Channel)
    ok_before = counters.get("notify.email.ok")

    result = await channel.send(notification())

    assert result.ok, result.detail
    assert channel.counts["ok"] == 1 and counters.get("notify.email.ok") == ok_before + 1
    (env,) = handler.envelopes
    assert env.mail_from == "alarm@ecosentry.example"
    assert env.rcpt_tos == ["duty@example.gov.cn"]
    raw_subject = next(line for line in env.content.split(b"\r\n") if line.startswith(b"Subject:"))
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject.lower()  # RFC 2047 encoded-word
    msg = parse(env)
    assert msg["Subject"] == "[CRITICAL] 二氧化硫超标 — Vượt quy chuẩn SO2"
    assert msg["Message-ID"] and msg["Message-ID"] in result.detail
    assert msg["Date"] is not None and msg["Auto-Submitted"] == "auto-generated"
    assert str(msg["From"].addresses[0].display_name) == "生态环境监控"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "二氧化硫 折算浓度 512 mg/m³" in text and "Vượt quy chuẩn QCVN 19:2009/BTNMT" in text
    assert "https://ecosentry.example/alarms/42" in text
    assert "Vượt quy chuẩn" in html and 'href="https://ecosentry.example/alarms/42"' in html


async def test_refused_recipient_is_a_failed_delivery(smtp_server):
    controller, handler = smtp_server
    channel = EmailChannel(settings(controller.port))

    result = await channel.send(notification(REFUSED))

    assert not result.ok
    assert "refused the recipient" in result.detail and "550" in result.detail
    assert handler.envelopes == [] and channel.counts["failed"] == 1


async def test_closed_port_gives_a_clear_failure():
    with refusing_port() as port:
        channel = EmailChannel(settings(port))

        result = await channel.send(notification())

    assert not result.ok
    assert result.detail.startswith("cannot connect to the mail server 127.0.0.1:")


async def test_invalid_address_is_not_sent(smtp_server):
    controller, handler = smtp_server
    result = await EmailChannel(settings(controller.port)).send(notification("duty@x\r\nBcc: all@x.cn"))
    assert not result.ok and "not a valid e-mail address" in result.detail
    assert handler.envelopes == []


async def test_starttls_refused_by_a_plain_server(smtp_server):
    controller, _ = smtp_server
    result = await EmailChannel(settings(controller.port, smtp_starttls=True)).send(notification())
    assert not result.ok and "does not support" in result.detail and "STARTTLS" in result.detail


async def test_send_does_not_block_the_event_loop(smtp_server):
    """The server holds DATA until the test's own loop releases it: a blocking send would deadlock here."""
    controller, handler = smtp_server
    handler.gate = threading.Event()
    task = asyncio.create_task(EmailChannel(settings(controller.port)).send(notification()))
    for _ in range(1000):  # bounded wait for the server to be inside DATA; the loop keeps running meanwhile
        if handler.in_data.is_set():
            break
        await asyncio.sleep(0.01)
    assert handler.in_data.is_set() and not task.done()
    handler.gate.set()
    assert (await task).ok


def test_message_is_multipart_alternative():
    msg = build_message(notification(), "alarm@ecosentry.example")
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["X-Ecosentry-Alarm"] == "42" and msg["X-Ecosentry-Code"] == "ALM-EXCEEDANCE"


def test_ssl_and_starttls_exclude_each_other():
    with pytest.raises(ValueError):
        EmailChannel(settings(25, smtp_ssl=True, smtp_starttls=True))


# -- authentication -----------------------------------------------------------------------------------------

def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alarm" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server itself answers 235 / 535


@pytest.fixture
def auth_server():
    handler = StoringHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield controller, handler
    controller.stop()


async def test_login_with_the_right_password(auth_server):
    controller, handler = auth_server
    result = await EmailChannel(settings(controller.port, smtp_user="alarm", smtp_password="s3cret")).send(
        notification())
    assert result.ok, result.detail
    assert len(handler.envelopes) == 1


async def test_wrong_password_is_a_failed_delivery(auth_server):
    controller, handler = auth_server
    result = await EmailChannel(settings(controller.port, smtp_user="alarm", smtp_password="wrong")).send(
        notification())
    assert not result.ok
    assert result.detail.startswith("login as 'alarm' failed") and "535" in result.detail
    assert handler.envelopes == []


async def test_missing_login_is_refused_by_a_server_requiring_auth(auth_server):
    controller, handler = auth_server
    result = await EmailChannel(settings(controller.port)).send(notification())
    assert not result.ok and "530" in result.detail
    assert handler.envelopes == []


# -- STARTTLS with a real certificate ---------------------------------------------------------------------

@pytest.fixture
def tls_server(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler = StoringHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=ctx,
                            require_starttls=True)
    controller.start()
    yield controller, handler, cert
    controller.stop()


async def test_starttls_with_a_trusted_certificate(tls_server):
    controller, handler, cert = tls_server
    result = await EmailChannel(settings(controller.port, smtp_starttls=True, smtp_ca_file=cert)).send(
        notification())
    assert result.ok, result.detail
    assert len(handler.envelopes) == 1


async def test_starttls_with_an_untrusted_certificate(tls_server):
    controller, handler, _ = tls_server
    result = await EmailChannel(settings(controller.port, smtp_starttls=True)).send(notification())
    assert not result.ok and result.detail.startswith("TLS with the mail server")
    assert handler.envelopes == []


def test_severity_tag_in_the_title_is_not_repeated():
    """The alarm core's titles already start with ``[CRITICAL]`` (ecosentry.alarms.routing.compose)."""
    n = Notification(alarm_id=1, event="raised", code="ALM-EXCEEDANCE", severity="critical",
                     title="[CRITICAL] 二氧化硫超标", body="...", recipient="duty@example.gov.cn")
    assert build_message(n, "alarm@ecosentry.example")["Subject"] == "[CRITICAL] 二氧化硫超标"
