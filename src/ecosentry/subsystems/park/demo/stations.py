"""The demo park's stations as devices: every minute the minute that ended, as HJ 212 minute data (ST 22, CN 2051)
over one real TCP connection to the park gateway, each frame on the platform's spool (its 9014) before the next,
or as MQTT JSON (QoS 1) through a real broker; first the history (back-fill), then live."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ecosentry.protocols.hj212 import build_frame
from ecosentry.subsystems.park.demo.air import Air
from ecosentry.subsystems.park.demo.scene import HJ212_CODE, PASSWORD, Station
from ecosentry.subsystems.park.gateways.mqtt_message import station_payload, topic_of

log = logging.getLogger(__name__)

_ZONE = ZoneInfo("Asia/Shanghai")


def _codes(values: dict[str, float]) -> dict[str, float]:
    return {HJ212_CODE.get(k, k): v for k, v in values.items()}


class HJ212Sender:
    """All HJ 212 stations of the demo on one connection (a data concentrator): a frame per station and minute."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, station: Station, at: datetime, values: dict[str, float]) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        local = at.astimezone(_ZONE).replace(tzinfo=None)
        cp = [{"DataTime": local.strftime("%Y%m%d%H%M%S")}, {f"{k}-Avg": v for k, v in _codes(values).items()}]
        self.writer.write(build_frame(qn=local.strftime("%Y%m%d%H%M%S") + "000", st="22", cn="2051", pw=PASSWORD,
                                      mn=station.mn, flag=5, cp=cp))
        await self.writer.drain()
        reply = await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 30)
        if b"CN=9014" not in reply:
            raise ConnectionError(f"station {station.id}: no 9014 for {local}")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None

    async def aclose(self) -> None:
        self.close()


class MqttSender:
    """The MQTT stations of the demo through the broker (one client, a topic per station, QoS 1)."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.host, self.port, self.prefix = host, port, prefix
        self.client = None

    async def send(self, station: Station, at: datetime, values: dict[str, float]) -> None:
        import aiomqtt

        if self.client is None:
            client = aiomqtt.Client(self.host, self.port, identifier="ecosentry-park-demo-stations")
            await client.__aenter__()
            self.client = client
        await self.client.publish(topic_of(self.prefix, station.mn),
                                  station_payload(at.astimezone(_ZONE), values, kind="min"), qos=1)

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            done = asyncio.ensure_future(client.__aexit__(None, None, None))
            done.add_done_callback(lambda f: f.cancelled() or f.exception())   # a broker already gone: no matter

    async def aclose(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # the broker already gone
                pass


async def send_minute(air: Air, at: datetime, routes: list[tuple[Station, object]]) -> None:
    """Every station's readings of the minute starting at ``at``."""
    values = air.readings(at)
    for station, sender in routes:
        await sender.send(station, at, values[station.id])


async def run_stations(air: Air, routes: list[tuple[Station, object]], since: datetime,
                       stop: asyncio.Event) -> datetime:
    """Send the minutes from ``since`` on, then each minute once it ended, until ``stop``; a lost connection is
    made again and the minutes missed are sent then. Returns the first minute not sent."""
    senders = {id(s): s for _, s in routes}.values()
    sent_to = since
    while not stop.is_set():
        try:
            now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
            while sent_to < now:
                await send_minute(air, sent_to, routes)
                sent_to += timedelta(minutes=1)
            wait = 60 - datetime.now(timezone.utc).timestamp() % 60 + 0.5
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except asyncio.TimeoutError:
                pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the platform restarting, the broker away: again, as a data logger does
            log.warning("park demo stations: %s; again in 5 s", exc)
            for s in senders:
                s.close()
            try:
                await asyncio.wait_for(stop.wait(), 5)
            except asyncio.TimeoutError:
                pass
    for s in senders:
        await s.aclose()
    return sent_to
