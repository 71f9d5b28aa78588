"""The MQTT subscriber loop the subsystems share: a service part that subscribes to one topic filter and turns
every message into one envelope on the service's spool; the subsystem reads its own topics and payloads
(:meth:`MqttSubscriberPart.read`).

A persistent session (fixed client id, ``clean_session`` off, QoS 1) lets the broker hold the senders' messages
while the platform is away. A message that cannot be read is one rejected or quarantined envelope with its
reason, counted once (``<subsystem>.mqtt.<status>.<reason>``), never an error of the subscriber; a broker that
goes away is reconnected to every ``reconnect_every`` seconds.

Known limit: the client library acknowledges a QoS 1 message when it arrives, before the spool's ``fsync``; a
crash between the two loses that message (the HJ 212 gateway replies only after the fsync).
"""

from __future__ import annotations

import abc
import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timezone
from urllib.parse import urlsplit

import aiomqtt

from ecosentry.metrics import counters

__all__ = ["MqttSubscriberPart", "broker_address"]


def broker_address(url: str, setting: str = "mqtt.url") -> tuple[str, int, bool]:
    """``mqtt://host:port`` → (host, port, tls); ``mqtts://`` is TLS (default port 8883). ``setting`` names the
    setting in the error."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"{setting} {url!r} is not mqtt://host:port or mqtts://host:port")
    tls = parts.scheme == "mqtts"
    return parts.hostname, parts.port or (8883 if tls else 1883), tls


class MqttSubscriberPart(abc.ABC):
    """A service part: subscribes to ``<topic_prefix>/+/readings`` while the service runs.

    A subclass sets ``name`` (the service part's), ``subsystem`` (the first word of its counters and log lines)
    and ``read_message`` (its reader of one message); :meth:`counted` may count more of an envelope.

    Parameters
    ----------
    settings
        The subsystem's MQTT section (url, username, password, client_id, persistent_session, topic_prefix,
        reconnect_every, ...).
    directory
        What :meth:`read` looks senders up in, or an object with ``async get()`` returning it (read at start;
        kept in ``shared``).
    spool : Spool
        Where the envelopes go.
    """

    name = "mqtt"
    subsystem = "mqtt"

    def __init__(self, settings, directory, spool) -> None:
        self.settings, self.directory, self.spool = settings, directory, spool
        self.host, self.port, self.tls = broker_address(settings.url, f"{self.subsystem}.mqtt.url")
        self.topic = f"{settings.topic_prefix.strip('/')}/+/readings"
        #: Set while subscribed (after the broker's SUBACK); cleared when the connection is lost.
        self.subscribed = asyncio.Event()
        #: The object the directory was got from, if it was given one.
        self.shared = None
        self._task: asyncio.Task | None = None
        #: The subclass's module logger, so the log lines keep their subsystem's name.
        self.log = logging.getLogger(type(self).__module__)

    @staticmethod
    @abc.abstractmethod
    def read_message(topic: str, payload: bytes, *, prefix: str, lookup, received_at: datetime, max_payload: int,
                     max_readings: int):
        """The subsystem's reader of one message (a subclass sets it): the envelope (with ``status``, ``error``,
        ``detail`` and ``encode()``), senders looked up by ``lookup`` (the directory's ``peek``)."""

    def read(self, topic: str, payload: bytes):
        """One message → one envelope, read with the settings' topic prefix and limits."""
        st = self.settings
        return self.read_message(topic, payload, prefix=st.topic_prefix, lookup=self.directory.peek,
                                 received_at=datetime.now(timezone.utc), max_payload=st.max_payload,
                                 max_readings=st.max_readings)

    def counted(self, env) -> None:
        """Counts more of an envelope read (nothing by default)."""

    async def start(self) -> None:
        if hasattr(self.directory, "get"):
            self.shared, self.directory = self.directory, await self.directory.get()
        self._task = asyncio.create_task(self._run(), name=f"{self.subsystem}-mqtt")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)

    async def _run(self) -> None:
        st, sub = self.settings, self.subsystem
        while True:
            try:
                async with aiomqtt.Client(self.host, self.port, username=st.username or None,
                                          password=st.password or None, identifier=st.client_id,
                                          clean_session=not st.persistent_session,
                                          tls_params=aiomqtt.TLSParameters() if self.tls else None) as client:
                    await client.subscribe(self.topic, qos=1)
                    self.subscribed.set()
                    self.log.info("%s MQTT: subscribed to %s at %s:%d", sub, self.topic, self.host, self.port)
                    async for message in client.messages:
                        await self.handle(str(message.topic), message.payload)
            except aiomqtt.MqttError as exc:
                counters.inc(f"{sub}.mqtt.disconnects")
                self.log.warning("%s MQTT: broker %s:%d: %s; reconnecting in %g s", sub, self.host, self.port, exc,
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
        sub = self.subsystem
        try:
            env = self.read(topic, bytes(payload))
        except Exception:  # a defect of ours: this message only
            counters.inc(f"{sub}.mqtt.internal_errors")
            self.log.exception("%s MQTT: error reading a message on %s", sub, topic[:200])
            return
        counters.inc(f"{sub}.mqtt.{env.status}" if env.error is None else f"{sub}.mqtt.{env.status}.{env.error}")
        if env.error is not None:
            self.log.info("%s MQTT: %s message on %s: %s: %s", sub, env.status, topic[:200], env.error, env.detail)
        self.counted(env)
        await self.spool.append([env.encode()])
