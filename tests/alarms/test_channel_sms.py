"""SMS channel against a real local HTTP gateway (stdlib server in a thread) that records requests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ecosentry.alarms.channels.base import Channel, Notification
from ecosentry.alarms.channels.config import ChannelSettings
from ecosentry.alarms.channels.sms import SmsChannel, normalise_phone, sms_text
from netkit import refusing_port


class Gateway(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.status = status
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/sms/send"


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self):  # noqa: N802 (stdlib name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
        reply = json.dumps({"code": 0} if self.server.status == 200 else {"error": "quota exceeded"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    servers = []

    def start(status: int = 200) -> Gateway:
        srv = Gateway(status)
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def channel(url: str, **kw) -> SmsChannel:
    base = dict(sms_gateway_url=url, sms_token="tok-123", sms_to_field="mobile", sms_text_field="content",
                sms_sender_field="sign", sms_sender_id="生态环境", public_base_url="https://eco.example",
                sms_timeout=5)
    base.update(kw)
    return SmsChannel(ChannelSettings(**base))


def notification(recipient: str = "138 1234 5678", title: str = "二氧化硫超标", **payload) -> Notification:
    return Notification(alarm_id=9, event="raised", code="ALM-EXCEEDANCE", severity="critical", title=title,
                        body="...", recipient=recipient, url="/alarms/9",
                        payload={"point_name": "DA001", "raised_at": "2024-05-06T14:05:00+08:00", **payload})


async def test_sms_is_posted_with_configured_fields_and_token(gateway):
    gw = gateway()
    ch = channel(gw.url)
    assert isinstance(ch, Channel)

    result = await ch.send(notification())

    assert result.ok, result.detail
    (req,) = gw.requests
    assert req["path"] == "/v1/sms/send"
    assert req["headers"]["Authorization"] == "Bearer tok-123"
    assert req["json"] == {"mobile": "+8613812345678", "sign": "生态环境",
                           "content": "[CRIT] 二氧化硫超标 DA001 05-06 14:05 eco.example/alarms/9"}
    assert ch.counts == {"ok": 1}


async def test_api_key_header_without_prefix(gateway):
    gw = gateway()
    ch = channel(gw.url, sms_auth_header="X-Api-Key", sms_auth_prefix="", sms_sender_id=None)
    assert (await ch.send(notification("+84 91 234 5678"))).ok
    req = gw.requests[0]
    assert req["headers"]["X-Api-Key"] == "tok-123" and "Authorization" not in req["headers"]
    assert req["json"]["mobile"] == "+84912345678" and "sign" not in req["json"]


@pytest.mark.parametrize("status", [500, 401])
async def test_gateway_error_is_a_failed_delivery(gateway, status):
    gw = gateway(status)
    ch = channel(gw.url)
    result = await ch.send(notification())
    assert not result.ok
    assert f"HTTP {status}" in result.detail and "quota exceeded" in result.detail
    assert ch.counts == {"failed": 1}


async def test_unreachable_gateway():
    with refusing_port() as port:
        result = await channel(f"http://127.0.0.1:{port}/sms").send(notification())
    assert not result.ok and result.detail.startswith("cannot reach the SMS gateway")


async def test_invalid_number_is_not_sent(gateway):
    gw = gateway()
    result = await channel(gw.url).send(notification("12345"))
    assert not result.ok and "not a valid phone number" in result.detail
    assert gw.requests == []


@pytest.mark.parametrize(("raw", "e164"), [
    ("13812345678", "+8613812345678"),  # Chinese mobile, national form
    ("138-1234-5678", "+8613812345678"),
    ("+86 138 1234 5678", "+8613812345678"),
    ("0086 13812345678", "+8613812345678"),
    ("8613812345678", "+8613812345678"),
    ("0912345678", "+84912345678"),  # Vietnamese mobile, national form (Viettel/VinaPhone 09x)
    ("0387 654 321", "+84387654321"),  # 03x after the 2018 renumbering
    ("+84 (91) 234-5678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("+4915123456789", "+4915123456789"),  # any other E.164 number
])
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", [
    "", "12345", "23812345678",  # too short / not a Chinese mobile prefix
    "+861012345678",  # Beijing landline: SMS does not reach it
    "+840912345678",  # trunk 0 after the country code
    "0212345678",  # Vietnamese landline (02x)
    "+0123456789", "abc", "138123456789",
])
def test_invalid_numbers_are_rejected(raw):
    assert normalise_phone(raw) is None


def test_long_text_is_cut_with_an_ellipsis_keeping_the_link():
    n = notification(title="二氧化硫小时均值折算浓度连续超过排放限值，请立即核查治理设施运行情况并上报" * 2)
    text = sms_text(n, max_length=70, base_url="https://eco.example")
    assert len(text) == 70
    assert text.endswith("… eco.example/alarms/9")
    assert text.startswith("[CRIT] 二氧化硫小时均值")


def test_text_without_room_for_the_link_is_cut_whole():
    n = notification(title="Vượt quy chuẩn kỹ thuật quốc gia về khí thải công nghiệp")
    text = sms_text(n, max_length=20, base_url="https://eco.example")
    assert len(text) == 20 and text.endswith("…") and text.startswith("[CRIT] Vượt")


def test_short_text_is_unchanged_and_point_not_repeated():
    n = notification(title="DA001 二氧化硫超标")
    assert sms_text(n, 70, "https://eco.example") == "[CRIT] DA001 二氧化硫超标 05-06 14:05 eco.example/alarms/9"


def test_wrapped_alarm_payload_utc_time_and_title_tag():
    """Payload as composed by the alarm core: ``{"event", "alarm": {...}}``, times in UTC, tagged title."""
    n = Notification(alarm_id=5, event="repeat", code="ALM-EXCEEDANCE", severity="warning",
                     title="[WARNING] Vượt quy chuẩn bụi", body="...", recipient="0912345678",
                     url="https://eco.example/alarms/5",
                     payload={"event": "repeat", "alarm": {"id": 5, "last_at": "2024-05-06T06:05:00+00:00"}})
    assert sms_text(n, 70, None, "Asia/Ho_Chi_Minh") == "[WARN] Vượt quy chuẩn bụi 05-06 13:05 eco.example/alarms/5"
    assert sms_text(n, 70, None, "Asia/Shanghai").endswith("05-06 14:05 eco.example/alarms/5")
