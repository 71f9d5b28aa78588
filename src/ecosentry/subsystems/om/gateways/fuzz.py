"""The station-room devices' push checks as a coverage-guided fuzz target (``ecosentry fuzz om-push``, issue 19).

Each input is a door controller's body and, as text, a camera snapshot's ``time``. Only :class:`Malformed` (the
routes' 422) may come out; an accepted event is ``open`` or ``close`` at a time with a UTC instant, not in the
future.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from ecosentry.contracts.fuzz import Defect, FuzzTarget
from ecosentry.subsystems.om.gateways.push_body import Malformed, door_event, snapshot_time

__all__ = ["TARGET", "one_input"]

CORPUS = Path(__file__).with_name("fuzz_corpus")
NOW = datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
SLACK = timedelta(minutes=5)


def _accepted(at: datetime) -> None:
    if at.astimezone(timezone.utc) > NOW + SLACK:
        raise Defect(f"{at!r} accepted, in the future")


def one_input(data: bytes) -> None:
    for check in (lambda: door_event(data, NOW, SLACK), lambda: (None, snapshot_time(data.decode("utf-8", "replace"),
                                                                                     NOW, SLACK))):
        try:
            event, at = check()
        except Malformed as exc:
            if not str(exc):
                raise Defect("a refusal without its sentence") from exc
            continue
        if event not in ("open", "close", None):
            raise Defect(f"event {event!r} accepted")
        _accepted(at)


TARGET = FuzzTarget(
    name="om-push",
    summary="O&M station-room pushes (door event body, snapshot time); only Malformed (the 422)",
    one_input=one_input,
    typed=(Malformed,),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
