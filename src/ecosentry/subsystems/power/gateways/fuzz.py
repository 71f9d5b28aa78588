"""The power devices' MQTT message reader as a coverage-guided fuzz target (``ecosentry fuzz power-mqtt``, issue 19).

Each input is the payload of a message on a known, active device's topic. The reader answers every payload with
an envelope (accepted, or rejected with one of its stable reasons): no exception may come out, since the subscriber
would drop the message unrecorded. An accepted envelope holds finite readings at a UTC instant, and goes through
the spool's encoding and back unchanged.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.fuzz import Defect, FuzzTarget
from ecosentry.subsystems.power.gateways.mqtt_message import read_message, topic_of

__all__ = ["TARGET", "one_input"]

CORPUS = Path(__file__).with_name("fuzz_corpus")
PREFIX = "ecosentry/power"
MN = "PWRFUZZ01"
TOPIC = topic_of(PREFIX, MN)
DEVICE = SimpleNamespace(point_id=1, active=True)
RECEIVED = datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
#: The rejection reasons the module documents (``mqtt_message`` docstring).
REASONS = {"too_large", "bad_topic", "bad_json", "bad_time", "bad_kind", "bad_meters", "field_too_long",
           "bad_value", "too_many_readings"}


def one_input(data: bytes) -> None:
    env = read_message(TOPIC, data, prefix=PREFIX, lookup=lambda mn: DEVICE, received_at=RECEIVED)
    if env.status == "rejected":
        if env.error not in REASONS or env.readings:
            raise Defect(f"rejected with reason {env.error!r} and {len(env.readings)} readings")
    elif env.status == "quarantined":
        if env.error != "device_mismatch":  # the payload may name another device than the topic
            raise Defect(f"quarantined ({env.error!r}) though the device is known and active")
    elif env.status != "accepted":
        raise Defect(f"status {env.status!r} for a known active device")
    for r in env.readings:
        if r.value is not None and not math.isfinite(r.value):
            raise Defect(f"reading {r!r} is not finite")
        if r.start.utcoffset() != timezone.utc.utcoffset(None):
            raise Defect(f"reading {r!r} is not at a UTC instant")
    if Envelope.decode(env.encode()).readings != env.readings:
        raise Defect("the envelope does not read back from the spool's encoding")


TARGET = FuzzTarget(
    name="power-mqtt",
    summary="power devices' MQTT payloads: an envelope (accepted or rejected with a reason), never an exception",
    one_input=one_input,
    typed=(),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
