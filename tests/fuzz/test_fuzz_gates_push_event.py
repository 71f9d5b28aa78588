"""Properties of the gates HTTP push's checker under hostile bodies (issue 19 item 6): any body gives a
:class:`PlateEvent` (or a heartbeat) or a :class:`Refusal` with a 4xx status and a stable code, never another
exception (which the push would answer with a 500); an accepted event can be stored as it is (its time has a
UTC instant, its texts fit their columns and hold no control character), and a valid event reads back as sent.
"""

from __future__ import annotations

import base64
import json
import math
import unicodedata
from datetime import datetime, timedelta, timezone

from hypothesis import example, given, strategies as st

from ecosentry.subsystems.gates.gateways.push_event import (MAX_GATE, MAX_PLATE, Heartbeat, PlateEvent, Refusal,
                                                            parse_event, parse_heartbeat)
from fuzzkit import fuzz

MAX_PICTURE = 4096
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
CODES = {"1": "blue", "2": "yellow"}


def checked(body: bytes) -> PlateEvent | Refusal:
    try:
        event = parse_event(body, max_picture_bytes=MAX_PICTURE, colour_codes=CODES)
    except Refusal as refusal:
        assert 400 <= refusal.status < 500 and refusal.code and refusal.say(lambda m: m)
        return refusal
    assert isinstance(event, PlateEvent)
    event.at.astimezone(timezone.utc)  # the push turns it into UTC before anything else
    assert len(event.plate) <= MAX_PLATE and 0 < len(event.gate) <= MAX_GATE
    for text in (event.plate, event.gate):
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in text), text
    assert event.confidence is None or 0 <= event.confidence <= 1
    assert event.picture is None or len(event.picture) <= MAX_PICTURE
    return event


def heartbeat(body: bytes) -> Heartbeat | Refusal:
    try:
        beat = parse_heartbeat(body)
    except Refusal as refusal:
        assert 400 <= refusal.status < 500 and refusal.code
        return refusal
    assert beat.detail is None or (len(beat.detail) <= 500 and "\x00" not in beat.detail)
    return beat


json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(-10**400, 10**400)
                | st.floats(allow_nan=False) | st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

TIMES = ["2026-12-06T08:00:00+08:00", "2026-12-06T08:00:00Z", "2026-12-06T08:00:00", "0001-01-01T00:00:00+08:00",
         "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "yesterday", "",
         "2026-02-30T00:00:00+08:00", "2026-12-06T08:00:00+24:00", "2026-12-06T08:00:00.123456789+08:00"]
PICTURES = [None, "", base64.b64encode(PNG).decode(), base64.b64encode(JPEG).decode(), "data:", "data:image/png",
            "data:image/png;base64," + base64.b64encode(PNG).decode(), "not base64!", "A" * 6000,
            base64.b64encode(b"GIF89a" + b"\x00" * 20).decode(), 12, ["x"]]


FIELDS = {  # field: (right values, near misses)
    "plate": (["粤B12345", "苏E·D12345", "", None], ["A" * 17, "粤B\x00123", "\u202e粤B", "x\ud800", " - . "]),
    "plate_colour": (["yellow", "黄", "1", "", None], ["purple", 2, 10**400, "\x00"]),
    "confidence": ([0.97, 97, 1, 0, None], [-1, 101, 10**400, 1e308, True, "0.9"]),
    "direction": (["in", "out", "进", "出厂", " IN "], ["up", "", None, 1]),
    "time": (TIMES[:2], TIMES[2:] + [20261206, None]),
    "gate": (["G1", " G1 "], ["", " ", "G" * 41, "G\x001", "G\n1", 1, None]),
    "picture": (PICTURES[:4], PICTURES[4:]),
}


@st.composite
def events(draw) -> dict:
    """A right event with one to three fields missing, a near miss, or anything at all."""
    event = {k: draw(st.sampled_from(good)) for k, (good, _) in FIELDS.items()}
    for k in draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=3, unique=True)):
        how = draw(st.sampled_from(["drop", "near", "any"]))
        if how == "drop":
            event.pop(k)
        else:
            event[k] = draw(st.sampled_from(FIELDS[k][1]) if how == "near" else json_values)
    return event


@fuzz(300)
@given(st.binary(max_size=300))
def test_random_bytes(body):
    checked(body)
    heartbeat(body)


RIGHT = {"plate": "粤B12345", "direction": "in", "time": "2026-12-06T08:00:00+08:00", "gate": "G1"}


@fuzz(500)
@given(events())
# what the fuzz found (each was a 500 or an event the database could not store), kept as explicit examples
@example({**RIGHT, "confidence": 10**400})
@example({**RIGHT, "time": "0001-01-01T00:00:00+08:00"})
@example({**RIGHT, "time": "9999-12-31T23:59:59-05:00"})
@example({**RIGHT, "picture": "data:image/png"})
@example({**RIGHT, "gate": "G\n1"})
@example({**RIGHT, "gate": "G\x001"})
@example({**RIGHT, "plate": "粤B\x00123"})
def test_near_miss_events(event):
    body = json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")
    checked(body)


@fuzz(300)
@given(json_values)
def test_any_json(value):
    body = json.dumps(value).encode()
    checked(body)
    heartbeat(body)


@fuzz(30)
@given(st.integers(900, 200_000), st.sampled_from(["[", "{\"a\":", "[{\"b\":"]))
def test_deeply_nested_json(depth, opener):
    """A body of thousands of ``[`` (well within the 4 MiB accepted) makes ``json.loads`` raise
    RecursionError, which is no ValueError: the push answered 500 (found by this property)."""
    body = (opener * depth).encode()
    for item in (checked(body), heartbeat(body)):
        assert isinstance(item, Refusal) and item.status == 400


@fuzz(200)
@given(st.sampled_from(["粤B12345", "苏ED12345", ""]), st.sampled_from(["in", "out"]),
       st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31)), st.integers(-12 * 60, 14 * 60),
       st.floats(0, 1), st.sampled_from([None, PNG, JPEG]))
def test_a_valid_event_reads_back(plate, direction, t, offset, confidence, picture):
    at = t.replace(tzinfo=timezone(timedelta(minutes=offset)))
    body = {"plate": plate, "direction": direction, "time": at.isoformat(), "gate": "G1", "confidence": confidence,
            "plate_colour": "yellow"}
    if picture is not None:
        body["picture"] = base64.b64encode(picture).decode()
    event = checked(json.dumps(body).encode())
    assert isinstance(event, PlateEvent), event
    assert (event.plate, event.inbound, event.at, event.gate, event.colour, event.picture) == (
        plate, direction == "in", at, "G1", "yellow", picture)
    assert math.isclose(event.confidence, confidence)


@fuzz(200)
@given(st.dictionaries(st.sampled_from(["status", "detail", "time", "x"]),
                       json_values | st.sampled_from(["ok", "power_cut", "camera_fault", "x" * 501, "a\x00b"]),
                       max_size=4))
def test_heartbeats(data):
    item = heartbeat(json.dumps(data).encode())
    if isinstance(item, Heartbeat):
        assert item.status in ("ok", "power_cut", "camera_fault")
