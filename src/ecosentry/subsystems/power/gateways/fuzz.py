"""The power devices' MQTT message reader as a coverage-guided fuzz target (``ecosentry fuzz power-mqtt``, issue 19).

Each input is the payload of a message on a known, active device's topic. The reader answers every payload with
an envelope (accepted, or rejected with one of its stable reasons): no exception may come out, since the subscriber
would drop the message unrecorded. An accepted envelope holds finite readings at a UTC instant, and goes through
the spool's encoding and back unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from ecosentry.contracts.fuzz import FuzzTarget, check_reader_envelope
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
    # the payload may name another device than the topic: quarantined, as the reader documents
    check_reader_envelope(env, REASONS, quarantine=("device_mismatch",))


TARGET = FuzzTarget(
    name="power-mqtt",
    summary="power devices' MQTT payloads: an envelope (accepted or rejected with a reason), never an exception",
    one_input=one_input,
    typed=(),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
