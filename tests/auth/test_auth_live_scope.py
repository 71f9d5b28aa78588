"""The live alarm stream (SSE) delivers only alarms inside the reader's scope, over a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn

from authkit import COUNTY_A, COUNTY_B, MN_A_GAS, MN_B_GAS
from authkit import make_app
from ecosentry.alarms.channels.live import message_regions

WAIT_S = 10.0


@contextmanager
def serve(app):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + WAIT_S
    while not server.started and time.time() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(WAIT_S)


def publish(hub, alarm: dict) -> None:
    payload = {"event": "raised", "alarm": alarm}
    hub.publish("raised", alarm["type"], {"alarm_id": alarm["id"], "title": alarm["title"], "alarm": alarm},
                regions=message_regions(payload))


async def events_seen(base: str, headers: dict, hub, alarms: list[dict], marker: dict) -> list[int]:
    """Open the stream, publish ``alarms``, then ``marker`` (an alarm the reader sees, sent to the reader
    only, id 0) that ends the reading; the alarm ids received."""
    seen = []
    async with httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client:
        async with client.stream("GET", "/api/v1/alarms/stream", headers=headers) as resp:
            assert resp.status_code == 200
            lines = resp.aiter_lines()
            async for line in lines:
                if line == ": connected":
                    break
            for a in alarms:
                publish(hub, a)
            hub.publish("raised", "ALM-MARKER", {"alarm_id": 0, "alarm": {**marker, "id": 0}}, user=headers["X-Reader"])

            async def read():
                async for line in lines:
                    if line.startswith("data: "):
                        alarm_id = json.loads(line[6:])["alarm_id"]
                        if alarm_id == 0:
                            return
                        seen.append(alarm_id)

            await asyncio.wait_for(read(), WAIT_S)
    return seen


async def test_stream_filters_by_scope(world, tmp_path):
    app = make_app(world.engine, tmp_path)
    hub = app.state.live_hub
    pa, pb = world.points[MN_A_GAS], world.points[MN_B_GAS]
    ea, eb = world.enterprises["91320506MA1MATRXA1"], world.enterprises["91320507MA1MATRXB2"]
    alarms = [
        {"id": 1, "type": "ALM-EXCEEDANCE", "title": "A", "point_id": pa, "enterprise_id": ea, "region_code": COUNTY_A},
        {"id": 2, "type": "ALM-EXCEEDANCE", "title": "B", "point_id": pb, "enterprise_id": eb, "region_code": COUNTY_B},
        {"id": 3, "type": "ALM-TOXIC-GAS", "title": "B region", "point_id": None, "enterprise_id": None,
         "region_code": COUNTY_B},
    ]
    expected = {"admin": [1, 2, 3], "city": [1, 2, 3], "county_a": [1], "county_b": [2, 3], "enterprise_a": [1],
                "om": [2], "park": [1]}
    with serve(app) as base:
        for name, ids in expected.items():
            headers = {**world.headers[name], "X-Reader": f"m-{name}"}
            assert await events_seen(base, headers, hub, alarms, alarms[ids[0] - 1]) == ids, name
        async with httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client:
            assert (await client.get("/api/v1/alarms/stream")).status_code == 401
            r = await client.get("/api/v1/alarms/stream", headers=world.headers["public"])
            assert r.status_code == 403
