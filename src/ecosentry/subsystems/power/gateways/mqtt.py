"""The MQTT subscriber of the power devices: every message on ``<prefix>/+/readings`` becomes one
``power-readings`` envelope on the service's spool (:mod:`.mqtt_message` reads it).

The broker (Mosquitto) authenticates each device with its own password and lets it publish only on its own
topic (:mod:`.mosquitto_auth`); this subscriber has an account of its own that reads them all. It keeps a
persistent session (fixed client id, ``clean_session`` off, QoS 1), so the broker holds the devices' messages
while the platform is away and hands them over on reconnection. A message that cannot be read is one rejected
or quarantined envelope with its reason, counted once (``power.mqtt.<status>.<reason>``), never an error of the
subscriber; a broker that goes away is reconnected to every ``reconnect_every`` seconds.

Known limit: the client library acknowledges a QoS 1 message when it arrives, before the spool's ``fsync``;
a crash between the two loses that message (the HJ 212 gateway replies only after the fsync).

The subscriber loop is the core's (:class:`ecosentry.gateways.mqtt_subscriber.MqttSubscriberPart`); this module
reads the topics and payloads.
"""

from __future__ import annotations

from ecosentry.gateways.mqtt_subscriber import MqttSubscriberPart, broker_address
from ecosentry.metrics import counters
from ecosentry.subsystems.power.gateways.mqtt_message import read_message

__all__ = ["PowerMqttPart", "broker_address"]


class PowerMqttPart(MqttSubscriberPart):
    """A service part: subscribes while the service runs.

    Parameters
    ----------
    settings : MqttSettings
        ``power.mqtt``.
    directory : PointDirectory or an object with ``async get()`` returning one
        The power devices (:func:`.devices.device_directory`; the service shares one between its parts).
    spool : Spool
        Where the envelopes go.
    """

    name = "power_mqtt"
    subsystem = "power"
    read_message = staticmethod(read_message)


    def counted(self, env) -> None:
        if env.meta.get("unknown_count"):
            counters.inc("power.mqtt.unknown_quantities", env.meta["unknown_count"])

    async def close(self) -> None:
        if self.shared is not None:  # shared with the HJ 212 part, read in a thread at the first start
            self.shared.stop()
        await super().close()
