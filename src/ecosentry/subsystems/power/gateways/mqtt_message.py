"""One MQTT message of a power device → one ``power-readings`` envelope (pure: the device lookup is passed in).

Topic layout and payload (``docs/power.md`` "MQTT", ours — no standard exists, ``subsystems.md`` §1.1):

* topic ``<prefix>/<device mn>/readings`` (prefix ``ecosentry/power`` by default); the broker lets a device
  publish only there (:mod:`.mosquitto_auth`), so the topic names the sender;
* payload, UTF-8 JSON::

      {"time": "2026-12-06T08:01:00+08:00",            ISO 8601 with its offset: the minute the values are for
       "kind": "min",                                   optional: "min" (minute values, default) or "rtd"
       "device": "PWRMQTT01",                           optional: if given, must be the topic's MN
       "meters": {"SB1": {"P": 42.5, "Ia": 61.2, "E": 10234.5, "RS": 1},
                  "fan-2": {"P": 0.02}}}

  A meter id is the channel the registry gives the meter (``power_meters.channel``, ≤ 16 characters); the
  quantities are those of HJ 212 power loggers (:data:`.hj212_map.QUANTITIES`: ``P`` kW, ``E`` kWh register,
  ``I``/``Ia``/``Ib``/``Ic`` A, ``U``/``Ua``/``Ub``/``Uc`` V, ``PF``, ``RS`` run state); a value is a JSON number
  or ``null`` (not measured).

Outcomes, each with a stable reason (``Envelope.error``) counted once by the caller: **accepted** (an unknown
quantity is kept in ``meta["unknown"]`` and counted, not a reason to refuse the message); **quarantined**
``unknown_device`` / ``inactive_device`` / ``device_mismatch`` (well-formed, but not from a device the platform
takes data from: kept for review); **rejected** ``too_large``, ``bad_topic``, ``bad_json``, ``bad_time``,
``bad_kind``, ``bad_meters``, ``field_too_long``, ``bad_value``, ``too_many_readings``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.subsystems.power.gateways.hj212_map import MAX_LISTED, QUANTITIES

__all__ = ["TRANSPORT", "MAX_MN", "MAX_CHANNEL", "MAX_QUANTITY", "device_of", "read_message", "topic_of",
           "device_payload"]

TRANSPORT = "mqtt"
#: Column limits the values end up in: ``power_devices.mn`` 24, ``power_meters.channel`` 16,
#: ``power_readings.quantity`` 8.
MAX_MN, MAX_CHANNEL, MAX_QUANTITY = 24, 16, 8
_KINDS = ("min", "rtd")
#: Characters no meter id or quantity holds: control characters (NUL cannot be stored in PostgreSQL's text) and
#: unpaired surrogates (a JSON ``"\ud800"`` escape), which no UTF-8 spool record can hold: such a message was read
#: as accepted and then failed on its way to the spool, lost unrecorded (found by ``ecosentry fuzz power-mqtt``;
#: the times without a UTC instant and integers beyond a float, which raised out of the reader, were seen while
#: writing that target; each input is kept in its corpus).
_NOT_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


def device_of(topic: str, prefix: str) -> str | None:
    """The MN in ``<prefix>/<mn>/readings``, or None when the topic is not of that form."""
    head = prefix.strip("/") + "/"
    if not topic.startswith(head) or not topic.endswith("/readings"):
        return None
    mn = topic[len(head):-len("/readings")]
    return mn if mn and "/" not in mn else None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _time(value) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise _Refused("bad_time", "'time' must be an ISO 8601 text with its offset")
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused("bad_time", f"'time' {value[:40]!r} is not ISO 8601") from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise _Refused("bad_time", f"'time' {value!r} has no UTC offset (say +08:00 or Z)")
    try:  # 0001-01-01T00:00:00+08:00 and 9999-12-31T23:59:59-14:00 have no UTC instant
        return t.astimezone(timezone.utc).replace(second=0, microsecond=0)
    except OverflowError:
        raise _Refused("bad_time", f"'time' {value!r} has no UTC instant") from None


def _body(payload: bytes, max_payload: int) -> dict:
    if len(payload) > max_payload:
        raise _Refused("too_large", f"{len(payload)} bytes, at most {max_payload} allowed")
    try:
        doc = json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise _Refused("bad_json", "the payload is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise _Refused("bad_json", f"the payload is not JSON: {str(exc)[:200]}") from None
    if not isinstance(doc, dict):
        raise _Refused("bad_json", "the payload is not a JSON object")
    return doc


def _readings(doc: dict, max_readings: int) -> tuple[list[Reading], list[str]]:
    start = _time(doc.get("time"))
    kind = doc.get("kind", "min")
    if kind not in _KINDS:
        raise _Refused("bad_kind", f"'kind' must be 'min' or 'rtd', not {str(kind)[:20]!r}")
    meters = doc.get("meters")
    if not isinstance(meters, dict) or not meters:
        raise _Refused("bad_meters", "'meters' must be a non-empty object of meter id → {quantity: value}")
    if sum(len(q) if isinstance(q, dict) else 1 for q in meters.values()) > max_readings:
        raise _Refused("too_many_readings", f"more than {max_readings} values in one message")
    readings: list[Reading] = []
    unknown: list[str] = []
    for channel, values in meters.items():
        if not channel or len(channel) > MAX_CHANNEL:
            raise _Refused("field_too_long", f"meter id {channel[:40]!r} must have 1 to {MAX_CHANNEL} characters")
        if _NOT_IN_NAME.search(channel):
            raise _Refused("bad_meters", f"meter id {channel[:40]!r} holds a control character or an unpaired "
                                         "surrogate")
        if not isinstance(values, dict):
            raise _Refused("bad_meters", f"meter {channel!r}: its values must be an object {{quantity: value}}")
        for quantity, value in values.items():
            if len(quantity) > MAX_QUANTITY:
                raise _Refused("field_too_long", f"meter {channel!r}: quantity {quantity[:40]!r} has more than "
                                                 f"{MAX_QUANTITY} characters")
            if _NOT_IN_NAME.search(quantity):
                raise _Refused("bad_meters", f"meter {channel!r}: quantity {quantity!r} holds a control character "
                                             "or an unpaired surrogate")
            # an integer beyond a float (10**400) is no number either: OverflowError in isfinite()
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not _finite(value)):
                raise _Refused("bad_value", f"meter {channel!r} {quantity}: {str(value)[:40]!r} is not a number")
            if quantity not in QUANTITIES:
                unknown.append(f"{channel}-{quantity}")
                continue
            readings.append(Reading(f"{channel}-{quantity}", kind, start, None if value is None else float(value)))
    return readings, unknown


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def read_message(topic: str, payload: bytes, *, prefix: str, lookup: Callable, received_at: datetime,
                 max_payload: int = 65_536, max_readings: int = 2_000) -> Envelope:
    """The envelope of one message (kind ``power-readings``), accepted, quarantined or rejected with its reason.

    Parameters
    ----------
    lookup : callable
        MN → the device (``point_id``, ``active``) or None (:meth:`PointDirectory.peek`).
    """
    env = Envelope(transport=TRANSPORT, received_at=received_at, raw=payload, status="accepted",
                   kind="power-readings", meta={"topic": topic[:200]})
    try:
        mn = device_of(topic, prefix)
        if mn is None or len(mn) > MAX_MN:
            raise _Refused("bad_topic", f"topic {topic[:200]!r} is not {prefix.strip('/')}/<device mn>/readings "
                                        f"(an MN of at most {MAX_MN} characters)")
        env.mn, env.peer = mn, f"mqtt:{mn}"
        info = lookup(mn)
        if info is not None:  # the broker authenticated the topic: a bad message is this device's fault
            env.point_id = info.point_id
        doc = _body(payload, max_payload)
        claimed = doc.get("device")
        if claimed is not None and claimed != mn:
            env.status, env.error = "quarantined", "device_mismatch"
            env.detail = f"payload names device {str(claimed)[:40]!r}, the topic {mn!r}"
            return env
        if info is None or not info.active:
            env.status, env.error = "quarantined", "unknown_device" if info is None else "inactive_device"
            env.point_id = None
            env.detail = f"no active power device with MN {mn!r}"
            return env
        env.readings, unknown = _readings(doc, max_readings)
    except _Refused as exc:
        env.status, env.error, env.detail, env.readings = "rejected", exc.error, exc.detail, []
        return env
    if unknown:
        env.meta["unknown"] = unknown[:MAX_LISTED]
        env.meta["unknown_count"] = len(unknown)
    return env


def topic_of(prefix: str, mn: str) -> str:
    """The topic device ``mn`` publishes on."""
    return f"{prefix.strip('/')}/{mn}/readings"


def device_payload(at: datetime, meters: dict[str, dict[str, float | None]], *, kind: str = "min",
                   device: str | None = None) -> bytes:
    """A device's message (simulators and tests): ``at`` must carry its offset."""
    if at.tzinfo is None:
        raise ValueError("a device's time carries its UTC offset")
    doc = {"time": at.isoformat(), "kind": kind, "meters": meters}
    if device is not None:
        doc["device"] = device
    return json.dumps(doc, separators=(",", ":")).encode()
