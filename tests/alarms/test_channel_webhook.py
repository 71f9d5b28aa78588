"""Webhook channel against a real HTTP receiver (stdlib server in a thread) that checks the signature."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ecosentry.alarms.channels.base import Channel, Notification
from ecosentry.alarms.channels.config import ChannelSettings
from ecosentry.alarms.channels.webhook import WebhookChannel, delivery_id, sign, verify_signature
from netkit import refusing_port

SECRET = "shared-secret-密钥"


class Receiver(ThreadingHTTPServer):
    """Answers with the scripted statuses in turn (then 200) and records each request."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/alarm"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self):  # noqa: N802 (stdlib name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verified = verify_signature(SECRET, self.headers.get("X-Ecosentry-Timestamp", ""), body,
                                    self.headers.get("X-Ecosentry-Signature", ""))
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                         "verified": verified})
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        if not verified:
            status = 401
        payload = b"bad request: unknown point" if status == 400 else b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def receiver():
    servers = []

    def start(statuses: list[int] = ()) -> Receiver:
        srv = Receiver(list(statuses))
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def channel(**kw) -> WebhookChannel:
    base = dict(webhook_secret=SECRET, webhook_retries=3, webhook_backoff=0.01, webhook_timeout=5,
                public_base_url="https://ecosentry.example")
    base.update(kw)
    return WebhookChannel(ChannelSettings(**base))


def notification(url: str, event: str = "raised") -> Notification:
    return Notification(alarm_id=7, event=event, code="ALM-EXCEEDANCE", severity="critical",
                        title="二氧化硫超标", body="SO2 512 mg/m³ > 200 mg/m³", recipient=url,
                        url="/alarms/7", payload={"id": 7, "point_name": "1号锅炉 DA001", "value": 512.0})


async def test_signed_delivery_is_verified_by_the_receiver(receiver):
    srv = receiver()
    ch = channel()
    assert isinstance(ch, Channel)

    result = await ch.send(notification(srv.url))

    assert result.ok, result.detail
    (req,) = srv.requests
    assert req["verified"] and req["path"] == "/hooks/alarm"
    h = req["headers"]
    assert h["X-Ecosentry-Event"] == "raised"
    assert h["X-Ecosentry-Delivery"] == delivery_id(notification(srv.url))
    assert h["X-Ecosentry-Signature"].startswith("sha256=")
    doc = json.loads(req["body"].decode("utf-8"))
    assert doc["event"] == "raised" and doc["code"] == "ALM-EXCEEDANCE" and doc["severity"] == "critical"
    assert doc["url"] == "https://ecosentry.example/alarms/7"
    assert doc["alarm"] == {"id": 7, "point_name": "1号锅炉 DA001", "value": 512.0}
    assert "二氧化硫超标".encode() in req["body"]  # UTF-8, not \\u-escaped
    assert ch.counts == {"ok": 1}


async def test_server_errors_are_retried_until_delivered(receiver):
    srv = receiver([500, 500, 200])

    result = await channel().send(notification(srv.url))

    assert result.ok and "after 3 attempt(s)" in result.detail
    assert len(srv.requests) == 3 and all(r["verified"] for r in srv.requests)
    assert len({r["headers"]["X-Ecosentry-Delivery"] for r in srv.requests}) == 1  # same idempotency key


async def test_client_error_is_not_retried(receiver):
    srv = receiver([400])

    result = await channel().send(notification(srv.url))

    assert not result.ok
    assert "HTTP 400 bad request: unknown point" in result.detail and "not retried" in result.detail
    assert len(srv.requests) == 1


async def test_retries_are_bounded(receiver):
    srv = receiver([503, 503, 503, 503])

    ch = channel(webhook_retries=2)
    result = await ch.send(notification(srv.url))

    assert not result.ok and "failed after 3 attempt(s): HTTP 503" in result.detail
    assert len(srv.requests) == 3 and ch.counts == {"failed": 1}


async def test_connection_refused_is_retried_then_reported():
    with refusing_port() as port:
        result = await channel(webhook_retries=1).send(notification(f"http://127.0.0.1:{port}/hook"))
    assert not result.ok and "failed after 2 attempt(s): ConnectError" in result.detail


async def test_wrong_secret_is_refused_by_the_receiver(receiver):
    srv = receiver()
    result = await channel(webhook_secret="not-the-secret").send(notification(srv.url))
    assert not result.ok and "HTTP 401" in result.detail
    assert srv.requests[0]["verified"] is False


async def test_unsigned_without_secret(receiver, caplog):
    srv = receiver()
    ch = channel(webhook_secret=None)
    assert "unsigned" not in caplog.text  # a service without webhook recipients is not warned at start
    await ch.send(notification(srv.url))
    await ch.send(notification(srv.url))
    assert "X-Ecosentry-Signature" not in srv.requests[0]["headers"]
    assert "X-Ecosentry-Timestamp" in srv.requests[0]["headers"]
    assert caplog.text.count("webhooks are sent unsigned") == 1  # said at the first unsigned webhook, once


async def test_non_http_recipient_fails_without_a_request():
    result = await channel().send(notification("ftp://example.org/hook"))
    assert not result.ok and "not an http(s) URL" in result.detail


def test_verify_signature_checks_body_secret_and_replay_window():
    body = b'{"alarm_id":7}'
    ts = "1700000000"
    header = sign(SECRET, ts, body)
    assert verify_signature(SECRET, ts, body, header, tolerance_s=300, now=1700000100)
    assert not verify_signature(SECRET, ts, body + b" ", header, now=1700000100)  # body changed
    assert not verify_signature("other", ts, body, header, now=1700000100)  # other secret
    assert not verify_signature(SECRET, "1700000001", body, header, now=1700000100)  # timestamp changed
    assert not verify_signature(SECRET, ts, body, header, tolerance_s=300, now=1700000301)  # replayed late
    assert not verify_signature(SECRET, ts, body, header, tolerance_s=300, now=1699999699)  # from the future
    assert not verify_signature(SECRET, "yesterday", body, header, now=1700000100)
    assert not verify_signature(SECRET, ts, body, "sha256=" + "0" * 64, now=1700000100)
    # during a secret rotation the sender may send one signature per secret
    assert verify_signature(SECRET, ts, body, f"{sign('old', ts, body)}, {header}", now=1700000100)


def test_signature_follows_the_documented_formula():
    """sha256= hex HMAC-SHA256(secret, timestamp "." body), checked against the stdlib primitives."""
    import hashlib
    import hmac

    body = "{\"t\":\"Vượt quy chuẩn\"}".encode()
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", "1700000000", body) == f"sha256={expected}"


def test_headers_use_the_current_time_per_attempt():
    ch = channel()
    n = notification("http://127.0.0.1/hook")
    h = ch.headers(n, b"{}", now=1700000000.9)
    assert h["X-Ecosentry-Timestamp"] == "1700000000"
    assert verify_signature(SECRET, "1700000000", b"{}", h["X-Ecosentry-Signature"], now=1700000000)
    assert abs(int(ch.headers(n, b"{}")["X-Ecosentry-Timestamp"]) - time.time()) < 5


def test_delivery_id_is_stable_per_alarm_event_recipient():
    a = notification("http://a.example/hook")
    assert delivery_id(a) == delivery_id(notification("http://a.example/hook"))
    assert delivery_id(a) != delivery_id(notification("http://b.example/hook"))
    assert delivery_id(a) != delivery_id(notification("http://a.example/hook", event="cleared"))
    assert delivery_id(a).startswith("7-raised-")


def test_backoff_doubles_and_is_capped():
    ch = channel(webhook_backoff=1.0, webhook_backoff_max=5.0)
    assert [ch.backoff(i) for i in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_wrapped_payload_and_repeat_reminders_get_distinct_keys():
    def reminder(repeats: int) -> Notification:
        return Notification(alarm_id=7, event="repeat", code="ALM-EXCEEDANCE", severity="critical", title="t",
                            body="b", recipient="http://a.example/hook",
                            payload={"event": "repeat", "alarm": {"id": 7, "repeats": repeats}})

    assert delivery_id(reminder(1)) != delivery_id(reminder(2))
    assert delivery_id(reminder(1)) == delivery_id(reminder(1))
    from ecosentry.alarms.channels.webhook import webhook_body

    assert json.loads(webhook_body(reminder(1)))["alarm"] == {"id": 7, "repeats": 1}
