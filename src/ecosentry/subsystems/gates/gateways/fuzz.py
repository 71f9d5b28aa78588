"""The gates HTTP push's body checks as a coverage-guided fuzz target (``ecosentry fuzz gates-push``, issue 19).

Each input is a request body, given to the three checks of the push (a plate event, a heartbeat, a camera
snapshot). Only a :class:`Refusal` with a 4xx status and a stable code may come out (anything else is a 500 of
the push); an accepted event has a UTC instant (the push converts it before anything else) and texts within their
columns without control characters.
"""

from __future__ import annotations

import unicodedata
from datetime import timezone
from pathlib import Path

from ecosentry.contracts.fuzz import Defect, FuzzTarget
from ecosentry.subsystems.gates.gateways.push_event import (MAX_DETAIL, MAX_GATE, MAX_PLATE, Refusal, parse_event,
                                                            parse_heartbeat, parse_snapshot)

__all__ = ["TARGET", "one_input"]

CORPUS = Path(__file__).with_name("fuzz_corpus")
MAX_PICTURE = 4096
COLOUR_CODES = {"1": "blue", "2": "yellow"}


def _refused(exc: Refusal) -> None:
    if not (400 <= exc.status < 500 and exc.code and exc.say(lambda m: m)):
        raise Defect(f"refusal {exc.status} {exc.code!r}: not a 4xx with a code and a sentence")


def _clean(text: str, limit: int, what: str) -> None:
    if len(text) > limit or any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise Defect(f"{what} {text!r} accepted: longer than {limit} or with a control character")


def one_input(data: bytes) -> None:
    try:
        event = parse_event(data, max_picture_bytes=MAX_PICTURE, colour_codes=COLOUR_CODES)
        event.at.astimezone(timezone.utc)
        _clean(event.plate, MAX_PLATE, "plate")
        _clean(event.gate, MAX_GATE, "gate")
        if not event.gate or (event.picture is not None and len(event.picture) > MAX_PICTURE):
            raise Defect(f"event accepted without a gate or with a picture too large: {data[:200]!r}")
    except Refusal as exc:
        _refused(exc)
    try:
        beat = parse_heartbeat(data)
        if beat.detail is not None and (len(beat.detail) > MAX_DETAIL or "\x00" in beat.detail):
            raise Defect(f"heartbeat detail accepted: {beat.detail[:80]!r}")
    except Refusal as exc:
        _refused(exc)
    try:
        snap = parse_snapshot(data, max_picture_bytes=MAX_PICTURE)
        snap.at.astimezone(timezone.utc)
        if not snap.picture or len(snap.picture) > MAX_PICTURE:
            raise Defect("snapshot accepted without a picture or with one too large")
    except Refusal as exc:
        _refused(exc)


TARGET = FuzzTarget(
    name="gates-push",
    summary="the gates HTTP push's bodies (plate event, heartbeat, snapshot); only Refusal with a 4xx",
    one_input=one_input,
    typed=(Refusal,),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
