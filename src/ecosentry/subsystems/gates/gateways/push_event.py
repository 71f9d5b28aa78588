"""One plate-recognition event pushed by a gate device, checked (pure: bytes in, a :class:`PlateEvent` or a
:class:`Refusal` out; no database, no clock).

The body is JSON: ``plate`` (empty or absent when none was read; at most 16 characters once blanks, dots and
dashes are dropped), ``plate_colour`` (a colour word or the camera's numeric code, optional), ``confidence``
(0–1, or a percentage up to 100, optional), ``direction`` (``in``/``out``, ``进``/``出``), ``time`` (ISO 8601
with its offset), ``gate`` (the gate's code: it must be the device's gate) and ``picture`` (base64 JPEG or PNG,
optional, at most ``max_picture_bytes`` once decoded). Anything else is a :class:`Refusal` with its HTTP status,
a stable code (counted as ``gates.push.rejected.<code>``) and the sentence in the caller's language.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ecosentry.said import N_
from ecosentry.store.pictures import PictureError, check_picture
from ecosentry.subsystems.gates.rules.plate import colour_of, normalise_plate

__all__ = ["PlateEvent", "Heartbeat", "SnapshotEvent", "Refusal", "parse_event", "parse_heartbeat",
           "parse_snapshot", "MAX_PLATE", "DIRECTIONS", "HEARTBEAT_STATUSES"]

#: Longest plate kept (``gates_passages.plate``): 8 characters of a new-energy plate and room for a camera's
#: extra marks; anything longer is no plate.
MAX_PLATE = 16
MAX_GATE = 40
#: Characters no plate, gate code or heartbeat detail holds: control characters (NUL cannot even be stored in
#: PostgreSQL's text: an event acknowledged and then refused by the database would be lost), lone surrogates.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: In a heartbeat's free-text detail, tabs and line ends are text.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
HEARTBEAT_STATUSES = ("ok", "power_cut", "camera_fault")
MAX_DETAIL = 500
DIRECTIONS = {"in": True, "entry": True, "进": True, "进厂": True, "out": False, "exit": False, "出": False,
              "出厂": False}


@dataclass(frozen=True, slots=True)
class PlateEvent:
    plate: str
    colour: str | None
    confidence: float | None
    inbound: bool
    at: datetime  # aware
    gate: str
    picture: bytes | None
    picture_type: str | None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    status: str
    detail: str | None


class Refusal(Exception):
    """An event not accepted: ``status`` (HTTP), ``code`` (stable), ``msgid`` and ``params`` (the sentence)."""

    def __init__(self, status: int, code: str, msgid: str, **params) -> None:
        self.status, self.code, self.msgid, self.params = status, code, msgid, params
        super().__init__(msgid % params if params else msgid)

    def say(self, gettext) -> str:
        text = gettext(self.msgid)
        return text % self.params if self.params else text


def _field(name: str, msgid: str, **params) -> Refusal:
    return Refusal(422, "bad_field", msgid, field=name, **params)


def _json_object(body: bytes) -> dict:
    # RecursionError: a body of thousands of '[' (well within the size accepted) is no ValueError (issue 19)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refusal(400, "not_json", N_("The request body is not JSON in UTF-8.")) from None
    if not isinstance(data, dict):
        raise Refusal(400, "not_json", N_("The request body must be a JSON object."))
    return data


def parse_event(body: bytes, *, max_picture_bytes: int, colour_codes: dict[str, str] | None = None) -> PlateEvent:
    """The event in ``body``, or :class:`Refusal`."""
    data = _json_object(body)
    raw_plate = data.get("plate")
    if raw_plate is not None and not isinstance(raw_plate, str):
        raise _field("plate", N_("%(field)s must be text."))
    plate = normalise_plate(raw_plate)
    if _CONTROL.search(plate):
        raise _field("plate", N_("%(field)s holds a control character."))
    if len(plate) > MAX_PLATE:
        raise Refusal(422, "plate_too_long", N_("The plate has %(length)s characters, more than %(limit)s."),
                      length=len(plate), limit=MAX_PLATE)
    colour = None
    if data.get("plate_colour") not in (None, ""):
        colour = colour_of(str(data["plate_colour"]), colour_codes)
        if colour is None:
            raise _field("plate_colour", N_("%(field)s %(value)s is not a plate colour."),
                         value=repr(str(data["plate_colour"])[:20]))
    confidence = data.get("confidence")
    if confidence is not None:
        # compared as sent: math.isfinite(10**400) raises OverflowError (an int too large for a float, issue 19)
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) \
                or (isinstance(confidence, float) and not math.isfinite(confidence)) or not 0 <= confidence <= 100:
            raise _field("confidence", N_("%(field)s must be a number from 0 to 1 (or a percentage)."))
        confidence = float(confidence) / 100 if confidence > 1 else float(confidence)
    direction = data.get("direction")
    inbound = DIRECTIONS.get(str(direction).strip().lower()) if isinstance(direction, str) else None
    if inbound is None:
        raise _field("direction", N_("%(field)s must be in or out."))
    at = _time(data.get("time"))
    gate = data.get("gate")
    if not isinstance(gate, str) or not gate.strip() or len(gate.strip()) > MAX_GATE \
            or _CONTROL.search(gate.strip()):
        raise _field("gate", N_("%(field)s must be the gate's code (at most %(limit)s characters)."), limit=MAX_GATE)
    picture, kind = _picture(data.get("picture"), max_picture_bytes)
    return PlateEvent(plate, colour, confidence, inbound, at, gate.strip(), picture, kind)


@dataclass(frozen=True, slots=True)
class SnapshotEvent:
    """A camera snapshot pushed by a gate device (``POST /gates/v1/snapshot``)."""

    camera: str | None  # the camera's code; None: the gate's only camera
    at: datetime  # aware
    picture: bytes
    picture_type: str


MAX_CAMERA = 40


def parse_snapshot(body: bytes, *, max_picture_bytes: int) -> SnapshotEvent:
    """The snapshot in ``body`` (JSON ``{"time": …, "camera": …, "picture": <base64 JPEG or PNG>}``; ``camera``
    optional when the device's gate has one camera), or :class:`Refusal`."""
    # the events' reader: its own copy did not catch the RecursionError of a deeply nested body (a 500; seen while
    # writing the push's fuzz target, issue 19, and kept in its corpus)
    data = _json_object(body)
    camera = data.get("camera")
    if camera is not None and (not isinstance(camera, str) or not camera.strip() or len(camera.strip()) > MAX_CAMERA):
        raise _field("camera", N_("%(field)s must be the camera's code (at most %(limit)s characters)."),
                     limit=MAX_CAMERA)
    at = _time(data.get("time"))
    picture, kind = _picture(data.get("picture"), max_picture_bytes)
    if picture is None or kind is None:
        raise Refusal(422, "bad_picture", N_("A snapshot needs its picture (base64 JPEG or PNG)."))
    return SnapshotEvent(camera.strip() if camera else None, at, picture, kind)


def _time(value) -> datetime:
    if not isinstance(value, str):
        raise _field("time", N_("%(field)s must be an ISO 8601 time with its offset."))
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _field("time", N_("%(field)s must be an ISO 8601 time with its offset.")) from None
    if at.tzinfo is None:
        raise _field("time", N_("%(field)s must be an ISO 8601 time with its offset."))
    try:  # 0001-01-01T00:00:00+08:00 has no UTC instant (before year 1): OverflowError in the push (issue 19)
        at.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise _field("time", N_("%(field)s must be an ISO 8601 time with its offset.")) from None
    return at


def _picture(value, max_bytes: int) -> tuple[bytes | None, str | None]:
    if value in (None, ""):
        return None, None
    if not isinstance(value, str):
        raise Refusal(422, "bad_picture", N_("The picture must be base64 text."))
    # a data URL without its comma ("data:image/png") has no payload: IndexError before (issue 19)
    text = value.partition(",")[2] if value.startswith("data:") else value
    # a base64 text of more than 4/3 of the limit cannot decode to less (checked before decoding it)
    if len(text) > (max_bytes + 2) // 3 * 4 + 4:
        raise Refusal(413, "picture_too_large", N_("The picture has more than the %(limit)s bytes accepted."),
                      limit=max_bytes)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal(422, "bad_picture", N_("The picture must be base64 text.")) from None
    try:
        kind = check_picture(data, max_bytes)
    except PictureError as exc:
        status, code = (413, "picture_too_large") if len(data) > max_bytes else (422, "bad_picture")
        raise Refusal(status, code, exc.msgid, **exc.params) from None
    return data, kind


def parse_heartbeat(body: bytes) -> Heartbeat:
    """A heartbeat ``{"status": "ok" | "power_cut" | "camera_fault", "detail": …}`` (an empty body is "ok"), or
    :class:`Refusal`."""
    data = _json_object(body) if body.strip() else {}
    status = data.get("status", "ok")
    if status not in HEARTBEAT_STATUSES:
        raise Refusal(422, "bad_field", N_("%(field)s must be one of %(values)s."), field="status",
                      values=", ".join(HEARTBEAT_STATUSES))
    detail = data.get("detail")
    if detail is not None and (not isinstance(detail, str) or len(detail) > MAX_DETAIL
                               or _CONTROL_IN_TEXT.search(detail)):
        raise Refusal(422, "bad_field", N_("%(field)s must be text of at most %(limit)s characters."),
                      field="detail", limit=MAX_DETAIL)
    return Heartbeat(status, detail)
