"""The MQTT subscriber of the park stations: every message on ``<prefix>/+/readings`` becomes one
``park-readings`` envelope on the service's spool (:mod:`.mqtt_message` reads it).

A persistent session (fixed client id, ``clean_session`` off, QoS 1) lets the broker hold the stations' messages
while the platform is away. A message that cannot be read is one rejected or quarantined envelope with its reason,
counted once (``park.mqtt.<status>.<reason>``), never an error of the subscriber; a broker that goes away is
reconnected to every ``reconnect_every`` seconds. The broker must let a station publish only on its own topic
(the topic names the sender).

Known limit (as power's subscriber): the client library acknowledges a QoS 1 message on arrival, before the
spool's ``fsync``; a crash between the two loses that message (the HJ 212 gateway replies only after it).

The subscriber loop is the core's (:class:`ecosentry.gateways.mqtt_subscriber.MqttSubscriberPart`); this module
reads the topics and payloads.
"""

from __future__ import annotations

from ecosentry.gateways.mqtt_subscriber import MqttSubscriberPart, broker_address
from ecosentry.subsystems.park.gateways.mqtt_message import read_message

__all__ = ["ParkMqttPart", "broker_address"]


class ParkMqttPart(MqttSubscriberPart):
    """A service part: subscribes while the service runs (``directory``: the stations, or a shared one with an
    ``async get()``)."""

    name = "park_mqtt"
    subsystem = "park"
    read_message = staticmethod(read_message)
