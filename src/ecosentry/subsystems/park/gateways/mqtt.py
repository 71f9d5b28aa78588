"""The MQTT subscriber of the park stations: every message on ``<prefix>/+/readings`` becomes one
``park-readings`` envelope on the service's spool (:mod:`.mqtt_message` reads it).

A persistent session (fixed client id, ``clean_session`` off, QoS 1) lets the broker hold the stations' messages
while the platform is away. A message that cannot be read is one rejected or quarantined envelope with its reason,
counted once (``park.mqtt.<status>.<reason>``), never an error of the subscriber; a broker that goes away is
reconnected to every ``reconnect_every`` seconds. The broker must let a station publish only on its own topic
(the topic names the sender).

Known limit (as power's subscriber): the client library acknowledges a QoS 1 message on arrival, before the
spool's ``fsync``; a crash between the two loses that message (the HJ 212 gateway replies only after it).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timezone
from urllib.parse import urlsplit

import aiomqtt

from ecosentry.metrics import counters
from ecosentry.subsystems.park.gateways.mqtt_message import read_message

log = logging.getLogger(__name__)

__all__ = ["ParkMqttPart", "broker_address"]


def broker_address(url: str) -> tuple[str, int, bool]:
    """``mqtt://host:port`` → (host, port, tls); ``mqtts://`` is TLS (default port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"park.mqtt.url {url!r} is not mqtt://host:port or mqtts://host:port")
    tls = parts.scheme == "mqtts"
    return parts.hostname, parts.port or (8883 if tls else 1883), tls


class ParkMqttPart:
    """A service part: subscribes while the service runs (``directory``: the stations, or a shared one with an
    ``async get()``)."""

    name = "park_mqtt"

    def __init__(self, settings, directory, spool) -> None:
        self.settings, self.directory, self.spool = settings, directory, spool
        self.host, self.port, self.tls = broker_address(settings.url)
        self.topic = f"{settings.topic_prefix.strip('/')}/+/readings"
        #: Set while subscribed (after the broker's SUBACK); cleared when the connection is lost.
        self.subscribed = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if hasattr(self.directory, "get"):
            self.directory = await self.directory.get()
        self._task = asyncio.create_task(self._run(), name="park-mqtt")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)

    async def _run(self) -> None:
        st = self.settings
        while True:
            try:
                async with aiomqtt.Client(self.host, self.port, username=st.username or None,
                                          password=st.password or None, identifier=st.client_id,
                                          clean_session=not st.persistent_session,
                                          tls_params=aiomqtt.TLSParameters() if self.tls else None) as client:
                    await client.subscribe(self.topic, qos=1)
                    self.subscribed.set()
                    log.info("park MQTT: subscribed to %s at %s:%d", self.topic, self.host, self.port)
                    async for message in client.messages:
                        await self.handle(str(message.topic), message.payload)
            except aiomqtt.MqttError as exc:
                counters.inc("park.mqtt.disconnects")
                log.warning("park MQTT: broker %s:%d: %s; reconnecting in %g s", self.host, self.port, exc,
                            st.reconnect_every)
            finally:
                self.subscribed.clear()
            await asyncio.sleep(st.reconnect_every)

    async def handle(self, topic: str, payload) -> None:
        """One message → one envelope, durable on the spool when this returns."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        elif not isinstance(payload, (bytes, bytearray)):
            payload = b"" if payload is None else str(payload).encode()
        st = self.settings
        try:
            env = read_message(topic, bytes(payload), prefix=st.topic_prefix, lookup=self.directory.peek,
                               received_at=datetime.now(timezone.utc), max_payload=st.max_payload,
                               max_readings=st.max_readings)
        except Exception:  # a defect of ours: this message only
            counters.inc("park.mqtt.internal_errors")
            log.exception("park MQTT: error reading a message on %s", topic[:200])
            return
        counters.inc(f"park.mqtt.{env.status}" if env.error is None else f"park.mqtt.{env.status}.{env.error}")
        if env.error is not None:
            log.info("park MQTT: %s message on %s: %s: %s", env.status, topic[:200], env.error, env.detail)
        await self.spool.append([env.encode()])
