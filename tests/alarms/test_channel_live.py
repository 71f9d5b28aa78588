"""Live push: the hub, the channel, and the SSE route served by a real uvicorn on a free port."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from ecosentry.alarms.channels.base import Channel, Notification
from ecosentry.alarms.channels.live import LiveChannel, LiveHub, message_regions
from ecosentry.api.routes.live import _stream, router
from ecosentry.auth.accounts import create_user
from ecosentry.auth.apikeys import create_api_key
from ecosentry.service import prepare_database
from ecosentry.metrics import counters

WAIT_S = 10.0  # upper bound of any wait below; never reached when the code works


def notification(user: str = "li.wei", code: str = "ALM-EXCEEDANCE", event: str = "raised",
                 region: str = "320100") -> Notification:
    return Notification(alarm_id=11, event=event, code=code, severity="critical", title="二氧化硫超标",
                        body="DA001 SO2 512 mg/m³", recipient=user, url="/alarms/11",
                        payload={"id": 11, "region": region, "region_path": ["320000", region]}, user=user)


# -- hub ------------------------------------------------------------------------------------------------------

async def test_publish_reaches_matching_subscribers_only():
    hub = LiveHub()
    mine = hub.subscribe(user="li.wei")
    other = hub.subscribe(user="nguyen.an")
    anonymous = hub.subscribe()

    hub.publish("raised", "ALM-EXCEEDANCE", {"n": 1}, user="li.wei")
    hub.publish("cleared", "ALM-EXCEEDANCE", {"n": 2})  # for everyone

    assert [(await mine.get(0)).data["n"], (await mine.get(0)).data["n"]] == [1, 2]
    assert (await other.get(0)).data == {"n": 2}
    assert (await anonymous.get(0)).data == {"n": 2}
    assert other.queue.empty() and anonymous.queue.empty()


async def test_region_type_and_event_filters():
    hub = LiveHub()
    jiangsu = hub.subscribe(regions=["320000"])
    hanoi = hub.subscribe(regions=["VN-HN"])
    exceed = hub.subscribe(types=["ALM-EXCEEDANCE"], events=["raised"])

    hub.publish("raised", "ALM-EXCEEDANCE", {"n": 1}, regions=["320000", "320100"])
    hub.publish("cleared", "ALM-EXCEEDANCE", {"n": 2}, regions=["VN-HN"])
    hub.publish("raised", "ALM-CONSTANT", {"n": 3}, regions=["320100"])

    assert (await jiangsu.get(0)).data == {"n": 1} and jiangsu.queue.empty()
    assert (await hanoi.get(0)).data == {"n": 2} and hanoi.queue.empty()
    assert (await exceed.get(0)).data == {"n": 1} and exceed.queue.empty()


async def test_slow_subscriber_loses_the_oldest_and_counts_them():
    hub = LiveHub(queue_size=3)
    sub = hub.subscribe()
    dropped_before = counters.get("notify.live.dropped")
    for i in range(1, 6):
        hub.publish("raised", "ALM-X", {"n": i})

    assert sub.dropped == 2 and hub.dropped == 2
    assert counters.get("notify.live.dropped") == dropped_before + 2
    assert [(await sub.get(0)).data["n"] for _ in range(3)] == [3, 4, 5]
    assert await sub.get(0) is None


async def test_replay_after_last_event_id():
    hub = LiveHub(replay_size=10)
    ids = [hub.publish("raised", "ALM-X", {"n": i}).id for i in range(4)]
    sub = hub.subscribe(last_event_id=ids[1])
    assert [(await sub.get(0)).id for _ in range(2)] == ids[2:]


async def test_publish_from_another_thread_is_handed_over():
    hub = LiveHub()
    sub = hub.subscribe()
    t = threading.Thread(target=hub.publish, args=("raised", "ALM-X", {"from": "thread"}))
    t.start()
    t.join()
    assert (await sub.get(WAIT_S)).data == {"from": "thread"}


async def test_unsubscribe_stops_delivery():
    hub = LiveHub()
    sub = hub.subscribe()
    hub.unsubscribe(sub)
    hub.publish("raised", "ALM-X", {})
    assert hub.subscriber_count == 0 and sub.queue.empty()


async def test_live_channel_publishes_the_notification():
    hub = LiveHub()
    ch = LiveChannel(hub)
    assert isinstance(ch, Channel) and ch.name == "live"
    sub = hub.subscribe(user="li.wei", regions=["320000"])

    result = await ch.send(notification())

    assert result.ok and ch.counts == {"ok": 1}
    m = await sub.get(0)
    assert m.event == "raised" and m.code == "ALM-EXCEEDANCE" and m.user == "li.wei"
    assert m.data["title"] == "二氧化硫超标" and m.data["alarm"]["id"] == 11
    assert m.regions == {"320000", "320100"}


def test_message_regions_reads_code_and_path():
    assert message_regions({"region_code": "VN-HN", "region_path": "VN/VN-HN"}) == {"VN", "VN-HN"}
    assert message_regions({}) == frozenset()
    # the alarm core's payload wraps the alarm; GB/T 2260 codes give their province and prefecture
    assert message_regions({"event": "raised", "alarm": {"region_code": "320105"}}) == {"320105", "320100",
                                                                                         "320000"}
    assert message_regions({"alarm": {"region_code": "320000"}}) == {"320000"}


# -- SSE over a real server -------------------------------------------------------------------------------------

@contextmanager
def serve(app: FastAPI):
    """Run ``app`` with uvicorn in a thread on a socket bound to a free port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(WAIT_S)
        sock.close()


async def read_event(lines, wanted: str) -> dict[str, str]:
    """Read SSE lines until an event named ``wanted`` is complete; return its fields."""
    fields: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if fields.get("event") == wanted:
                return fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    raise AssertionError("stream ended")


async def read_until(lines, wanted_line: str) -> None:
    async for line in lines:
        if line == wanted_line:
            return
    raise AssertionError("stream ended")


async def wait_until(predicate) -> bool:
    for _ in range(int(WAIT_S / 0.01)):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


def app_with_hub(hub: LiveHub | None) -> FastAPI:
    """The live router on a scratch SQLite database holding the admin account ``li.wei``, whose API key
    headers are ``app.state.auth`` (the stream needs a logged-in reader)."""
    app = FastAPI()
    app.include_router(router)
    if hub is not None:
        app.state.live_hub = hub
    app.state.engine = prepare_database(f"sqlite:///{tempfile.mkdtemp()}/live.sqlite")
    user_id = create_user(app.state.engine, username="li.wei", role="admin")
    app.state.auth = {"Authorization": f"Bearer {create_api_key(app.state.engine, user_id, 'sse')[0]}"}
    return app


async def test_sse_stream_receives_published_events_and_cleans_up():
    hub = LiveHub(heartbeat_s=0.05)
    channel = LiveChannel(hub)
    app = app_with_hub(hub)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client:
            async with client.stream("GET", "/api/v1/alarms/stream",
                                     params={"region": "320000", "types": "ALM-EXCEEDANCE,ALM-CONSTANT"},
                                     headers=app.state.auth) as resp:
                assert resp.status_code == 200
                assert resp.headers["content-type"].startswith("text/event-stream")
                lines = resp.aiter_lines()
                await asyncio.wait_for(read_until(lines, ": connected"), WAIT_S)
                assert hub.subscriber_count == 1

                await channel.send(notification(code="ALM-OFFLINE"))  # type filtered out
                await channel.send(notification(user="nguyen.an"))  # another user's
                await channel.send(notification(region="440300"))  # another province
                sent = await channel.send(notification(event="escalated"))
                assert sent.ok

                ev = await asyncio.wait_for(read_event(lines, "escalated"), WAIT_S)
                data = json.loads(ev["data"])
                assert data["title"] == "二氧化硫超标" and data["code"] == "ALM-EXCEEDANCE"
                assert data["alarm"]["region"] == "320100" and data["alarm_id"] == 11
                assert int(ev["id"]) == 4  # the hub numbered all four; only this one matched

                await asyncio.wait_for(read_until(lines, ": keepalive"), WAIT_S)  # heartbeat while idle
        assert await wait_until(lambda: hub.subscriber_count == 0), "subscriber not removed on disconnect"


async def test_sse_creates_the_hub_lazily_and_resumes_after_last_event_id():
    app = app_with_hub(None)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client:
            async with client.stream("GET", "/api/v1/alarms/stream", headers=app.state.auth) as resp:
                lines = resp.aiter_lines()
                await asyncio.wait_for(read_until(lines, ": connected"), WAIT_S)
                hub = app.state.live_hub
                assert isinstance(hub, LiveHub) and hub.subscriber_count == 1
            assert await wait_until(lambda: hub.subscriber_count == 0)

            first = hub.publish("raised", "ALM-X", {"n": 1})
            hub.publish("cleared", "ALM-X", {"n": 2})
            async with client.stream("GET", "/api/v1/alarms/stream",
                                     headers={**app.state.auth, "Last-Event-ID": str(first.id)}) as resp:
                ev = await asyncio.wait_for(read_event(resp.aiter_lines(), "cleared"), WAIT_S)
                assert json.loads(ev["data"]) == {"n": 2}


async def test_stream_tells_a_lagging_client_how_many_messages_it_lost():
    """Five kept messages replayed into a queue of two: three are lost, and the stream says so first."""
    hub = LiveHub(queue_size=2, heartbeat_s=WAIT_S)
    for i in range(5):
        hub.publish("raised", "ALM-X", {"n": i})

    stream = _stream(hub, None, [], [], [], last_event_id=0)
    chunks = [await stream.__anext__() for _ in range(3)]
    await stream.aclose()

    assert chunks[0].startswith(b"retry: ")
    assert chunks[1] == b'event: dropped\ndata: {"dropped": 3, "total": 3}\n\n'
    assert chunks[2] == b'event: raised\ndata: {"n": 3}\nid: 4\n\n'
    assert hub.subscriber_count == 0
