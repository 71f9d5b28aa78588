"""One MQTT message of a park station → one ``park-readings`` envelope (pure: the station lookup is passed in).

Topic and payload (ours; no standard exists): topic ``<prefix>/<station mn>/readings`` (prefix
``ecosentry/park``), payload UTF-8 JSON::

    {"time": "2026-12-06T08:01:00+08:00",      ISO 8601 with its offset: the time the values are for
     "kind": "rtd",                             optional: "rtd" (real-time, default) or "min" (a minute's mean)
     "values": {"Cl2": 0.012, "a21028": 0.004, "a01007": 2.4, "a01008": 275}}

A factor is a substance code of the table, its HJ 212 code, or a met code (:mod:`..factors`); a value is a JSON
number or ``null`` (not measured). Outcomes, each with a stable reason (``Envelope.error``): **accepted**;
**quarantined** ``unknown_station`` / ``inactive_station`` (well-formed, from no station the platform takes data
from); **rejected** ``too_large``, ``bad_topic``, ``bad_json``, ``bad_time``, ``bad_kind``, ``bad_values``,
``bad_value``, ``too_many_readings``. Which code is known is the sink's decision.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone

from ecosentry.contracts.envelope import Envelope, Reading

__all__ = ["TRANSPORT", "read_message", "topic_of", "station_payload", "station_of"]

TRANSPORT = "mqtt"
KIND = "park-readings"
MAX_MN = 24
MAX_CODE = 12
#: Characters no factor code holds: control characters (NUL cannot be stored in PostgreSQL's text) and unpaired
#: surrogates (a JSON ``"\ud800"`` escape), which no UTF-8 spool record can hold: such a message was read as
#: accepted and then failed on its way to the spool, lost unrecorded (found by ``ecosentry fuzz park-mqtt``; the
#: times without a UTC instant, integers beyond a float and deeply nested JSON, which raised out of the reader, were
#: seen while writing that target; each input is kept in its corpus).
_NOT_IN_CODE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


def station_of(topic: str, prefix: str) -> str | None:
    """The MN in ``<prefix>/<mn>/readings``, or None."""
    head = prefix.strip("/") + "/"
    if not topic.startswith(head) or not topic.endswith("/readings"):
        return None
    mn = topic[len(head):-len("/readings")]
    return mn if mn and "/" not in mn and "+" not in mn and "#" not in mn else None


def read_message(topic: str, payload: bytes, *, prefix: str, lookup: Callable, received_at: datetime,
                 max_payload: int = 65_536, max_readings: int = 500) -> Envelope:
    """The envelope of one message, accepted, quarantined or rejected with its reason."""
    env = Envelope(transport=TRANSPORT, received_at=received_at, raw=payload, status="accepted", kind=KIND,
                   meta={"topic": topic[:200]})
    try:
        mn = station_of(topic, prefix)
        if mn is None or len(mn) > MAX_MN:
            raise _Refused("bad_topic", f"topic {topic[:200]!r} is not {prefix.strip('/')}/<station mn>/readings")
        env.mn, env.peer = mn, f"mqtt:{mn}"
        info = lookup(mn)
        if info is None or not info.active:
            env.status, env.error = "quarantined", "unknown_station" if info is None else "inactive_station"
            env.detail = f"no active park station with MN {mn!r}"
            return env
        env.point_id = info.point_id
        env.readings = _readings(payload, max_payload, max_readings)
    except _Refused as exc:
        env.status, env.error, env.detail, env.readings = "rejected", exc.error, exc.detail, []
    return env


def _readings(payload: bytes, max_payload: int, max_readings: int) -> list[Reading]:
    if len(payload) > max_payload:
        raise _Refused("too_large", f"{len(payload)} bytes, at most {max_payload}")
    try:  # RecursionError: a payload of thousands of '[' is no ValueError
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Refused("bad_json", f"not UTF-8 JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, dict):
        raise _Refused("bad_json", "the payload is not a JSON object")
    try:
        at = datetime.fromisoformat(str(doc.get("time")))
    except ValueError:
        raise _Refused("bad_time", f"time {str(doc.get('time'))[:40]!r} is not ISO 8601") from None
    if at.tzinfo is None:
        raise _Refused("bad_time", f"time {str(doc.get('time'))[:40]!r} has no UTC offset")
    try:  # 0001-01-01T00:00:00+08:00 and 9999-12-31T23:59:59-14:00 have no UTC instant
        start = at.astimezone(timezone.utc)
    except OverflowError:
        raise _Refused("bad_time", f"time {str(doc.get('time'))[:40]!r} has no UTC instant") from None
    kind = doc.get("kind", "rtd")
    if kind not in ("rtd", "min"):
        raise _Refused("bad_kind", f"kind {str(kind)[:12]!r} is not rtd or min")
    values = doc.get("values")
    if not isinstance(values, dict) or not values:
        raise _Refused("bad_values", "values must be a non-empty object {factor: number}")
    if len(values) > max_readings:
        raise _Refused("too_many_readings", f"{len(values)} values, at most {max_readings}")
    out = []
    for code, v in values.items():
        if len(str(code)) > MAX_CODE:
            raise _Refused("bad_values", f"factor code {str(code)[:20]!r} is longer than {MAX_CODE} characters")
        if _NOT_IN_CODE.search(code):
            raise _Refused("bad_values", f"factor code {code!r} holds a control character or an unpaired surrogate")
        if v is None:
            continue
        # an integer beyond a float (10**400) is no number either: OverflowError in float()
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v):
            raise _Refused("bad_value", f"value of {code!r} is {str(v)[:20]!r}, not a finite number")
        out.append(Reading(factor=str(code), kind=kind, start=start, value=float(v)))
    return out


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def topic_of(prefix: str, mn: str) -> str:
    """The topic station ``mn`` publishes on."""
    return f"{prefix.strip('/')}/{mn}/readings"


def station_payload(at: datetime, values: dict[str, float | None], *, kind: str = "rtd") -> bytes:
    """A station's message (simulators and tests): ``at`` must carry its offset."""
    if at.tzinfo is None:
        raise ValueError("a station's time carries its UTC offset")
    return json.dumps({"time": at.isoformat(), "kind": kind, "values": values}, separators=(",", ":")).encode()
