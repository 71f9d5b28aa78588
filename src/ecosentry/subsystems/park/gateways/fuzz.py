"""The park stations' MQTT message reader as a coverage-guided fuzz target (``ecosentry fuzz park-mqtt``, issue 19).

Each input is the payload of a message on a known, active station's topic. The reader answers every payload with
an envelope (accepted, or rejected with one of its stable reasons): no exception may come out, since the subscriber
would drop the message unrecorded. An accepted envelope holds finite readings at a UTC instant, and goes through
the spool's encoding and back unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from ecosentry.contracts.fuzz import FuzzTarget, check_reader_envelope
from ecosentry.subsystems.park.gateways.mqtt_message import read_message, topic_of

__all__ = ["TARGET", "one_input"]

CORPUS = Path(__file__).with_name("fuzz_corpus")
PREFIX = "ecosentry/park"
MN = "PARKFUZZ0000000000000001"
TOPIC = topic_of(PREFIX, MN)
STATION = SimpleNamespace(point_id=1, active=True)
RECEIVED = datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
#: The rejection reasons the module documents (``mqtt_message`` docstring).
REASONS = {"too_large", "bad_topic", "bad_json", "bad_time", "bad_kind", "bad_values", "bad_value",
           "too_many_readings"}


def one_input(data: bytes) -> None:
    env = read_message(TOPIC, data, prefix=PREFIX, lookup=lambda mn: STATION, received_at=RECEIVED)
    check_reader_envelope(env, REASONS)


TARGET = FuzzTarget(
    name="park-mqtt",
    summary="park stations' MQTT payloads: an envelope (accepted or rejected with a reason), never an exception",
    one_input=one_input,
    typed=(),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
