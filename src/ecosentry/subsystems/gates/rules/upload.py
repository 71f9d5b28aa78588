"""Upload of ledger rows to an upper (city or province) platform (issue 16 item 7, ``shared/reference/subsystems.md``
§3.1 provincial plans "networked with provincial and city platforms", §3.6 uplink timeliness, §7 item 23), pure:
the mapping of a row to the platform's JSON, its validation, the retry schedule and the delivery states.

Mapping
-------
Platforms differ in field names (the Tianjin networking spec's tables were not readable, §3.1), so the mapping is
a setting: each target field names a source field of the ledger row and a format. Formats: ``text``; ``time`` the
2020 guide's ``yyyymmdd HHmmss`` in the platform's local time (§3.2 table 3); ``date`` ``yyyymmdd``; ``iso`` ISO
8601 with offset; ``stage`` the guide's one-character code (``0``–``6``, ``d``, ``x``); ``number`` a number with
``decimals`` places; ``direction`` ``1`` in / ``2`` out by default (``values`` maps any source value). A target
field may be required and may have a maximum length (the guide's char(n)). A row failing the mapping is refused
as a whole with every problem named (``VEH-UPLOAD-INVALID``): nothing half-sent.

Retries
-------
After the ``n``-th failed attempt the next one waits ``min(cap, base × factor^(n-1))`` seconds, spread by up to
``jitter`` of itself with a hash of the delivery id (pure and reproducible: no random generator, no clock), so a
platform that comes back is not hit by every queue at once. After ``max_attempts`` failures the delivery is
``dead`` until an operator requeues it (never dropped).

Delivery states
---------------
``pending`` → (attempt acknowledged) ``sent``; ``pending`` → (attempt failed) ``failed`` → (scheduled) ``retry`` →
(attempt acknowledged) ``sent`` | (failed) ``failed``; ``failed`` → ``dead`` after ``max_attempts``; ``dead`` →
(requeue) ``pending``. ``sent`` is final: a second acknowledgement is ignored (the receiver deduplicates on the
delivery id, which is the row's id, so a retried row never counts twice). Any other move is refused.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_, Said

__all__ = ["FieldMap", "UploadSettings", "MappingError", "map_row", "retry_delay", "next_attempt_at", "Delivery",
           "DeliveryEvent", "transition", "TransitionError", "STATES", "upload_late"]

_SRC = "shared/reference/subsystems.md"
Format = Literal["text", "time", "date", "iso", "stage", "number", "direction"]
STATES = ("pending", "sent", "failed", "retry", "dead")

for _r in (
    Rule("VEH-UPLOAD-INVALID", "warning", "A ledger row cannot be mapped to the upper platform's format (a required "
         "field missing, too long or malformed): it is not sent until corrected.",
         f"{_SRC} §3.2 table 3 (field formats), §7 item 23; issue 16 item 7", f"{__name__}.map_row", "S/ours"),
    Rule("VEH-UPLOAD-LATE", "warning", "A ledger row reached the upper platform later than allowed after its "
         "passage (or not at all).", f"{_SRC} §3.6 (uplink timeliness), §7 item 23", f"{__name__}.upload_late",
         "ours"),
):
    register(_r)


class FieldMap(BaseModel):
    """One target field of the platform's JSON."""

    source: str
    format: Format = "text"
    required: bool = True
    max_length: int | None = Field(None, ge=1)
    decimals: int = Field(1, ge=0, le=6)
    #: source value → target value (``direction`` defaults to in → 1, out → 2) [ours]
    values: dict[str, str] = Field(default_factory=dict)


def _default_mapping() -> dict[str, FieldMap]:
    """The 2020 guide's table 3 under pinyin-free English names [ours: a platform sets its own]."""
    return {
        "record_id": FieldMap(source="id", max_length=64),
        "enterprise_code": FieldMap(source="enterprise", max_length=64),
        "pass_time": FieldMap(source="time", format="time"),
        "direction": FieldMap(source="direction", format="direction"),
        "plate_number": FieldMap(source="plate", max_length=10),
        "vin": FieldMap(source="vin", max_length=17),
        "emission_stage": FieldMap(source="emission_stage", format="stage"),
        "cargo_name": FieldMap(source="cargo", max_length=32, required=False),
        "transport_volume_t": FieldMap(source="weight_t", format="number", required=False),
        "fleet_name": FieldMap(source="fleet", max_length=100, required=False),
    }


class UploadSettings(BaseModel):
    """Section ``gates.upload``: the platform's address, field mapping, retry schedule and timeliness."""

    url: str = ""
    timezone: str = "Asia/Shanghai"
    mapping: dict[str, FieldMap] = Field(default_factory=_default_mapping)
    #: first wait after a failure [s], growth factor, longest wait [s], spread (fraction) [ours]
    retry_base_s: float = Field(30, gt=0)
    retry_factor: float = Field(2.0, ge=1)
    retry_cap_s: float = Field(3600, gt=0)
    retry_jitter: float = Field(0.1, ge=0, lt=1)
    #: failures before a delivery is dead (an operator requeues it) [ours: 30 s … 1 h, about a day of tries]
    max_attempts: int = Field(30, ge=1)
    #: a row acknowledged later than this after its passage is late (§3.6 "late or missing uploads") [ours]
    late_after_s: int = Field(600, ge=1)
    #: The sender job (``pipeline/upload.py``): how often it looks for due rows when idle [s], rows per round,
    #: requests at once, one request's time limit [s], extra request headers (a platform's key) [ours].
    every_s: float = Field(5.0, gt=0)
    batch: int = Field(200, ge=1, le=10_000)
    concurrency: int = Field(4, ge=1, le=64)
    timeout_s: float = Field(10.0, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> UploadSettings:
        if self.retry_cap_s < self.retry_base_s:
            raise ValueError("retry_cap_s must not be below retry_base_s")
        if not self.mapping:
            raise ValueError("the upload mapping names no field")
        ZoneInfo(self.timezone)
        return self


class MappingError(Said):
    """A row the mapping refuses: ``problems`` lists every (target field, problem)."""

    def __init__(self, record: str, problems: list[tuple[str, str]]) -> None:
        super().__init__(N_("Ledger row %(record)s cannot be uploaded: %(problems)s."), record=record,
                         problems="; ".join(f"{f}: {p}" for f, p in problems))
        self.problems = problems


_STAGES = {"0", "1", "2", "3", "4", "5", "6", "d", "x"}
_DIRECTIONS = {"in": "1", "out": "2", True: "1", False: "2"}


def _format(value: Any, fm: FieldMap, zone: ZoneInfo) -> tuple[Any, str | None]:
    if fm.values and str(value) in fm.values:
        return fm.values[str(value)], None
    if fm.format == "text":
        v = str(value).strip()
        if fm.max_length and len(v) > fm.max_length:
            return None, f"longer than {fm.max_length} characters"
        return v, None
    if fm.format in ("time", "date", "iso"):
        t = value if isinstance(value, datetime) else None
        if t is None:
            try:
                t = datetime.fromisoformat(str(value))
            except ValueError:
                return None, f"{value!r} is not a time"
        if t.tzinfo is None:
            return None, f"{value!r} has no offset"
        t = t.astimezone(zone)
        return (t.strftime("%Y%m%d %H%M%S") if fm.format == "time" else t.strftime("%Y%m%d") if fm.format == "date"
                else t.isoformat()), None
    if fm.format == "stage":
        v = str(value).strip().lower()
        return (v, None) if v in _STAGES else (None, f"{value!r} is no emission stage code (0–6, d, x)")
    if fm.format == "number":
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None, f"{value!r} is not a number"
        if not math.isfinite(x):
            return None, f"{value!r} is not a finite number"
        return round(x, fm.decimals), None
    d = _DIRECTIONS.get(value if isinstance(value, bool) else str(value).strip().lower())
    return (d, None) if d else (None, f"{value!r} is no direction (in, out)")


def map_row(row: Mapping[str, Any], settings: UploadSettings) -> dict[str, Any]:
    """The platform's JSON object of one ledger row (module docstring); :class:`MappingError` with every problem.

    ``row`` holds the ledger row's fields by name (``id``, ``enterprise``, ``time`` aware, ``direction``, ``plate``,
    ``vin``, ``emission_stage``, ``fuel``, ``cargo``, ``weight_t``, ``fleet`` …); a blank or ``None`` value is
    missing (NaN too).
    """
    zone = ZoneInfo(settings.timezone)
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for target, fm in settings.mapping.items():
        value = row.get(fm.source)
        if value is None or (isinstance(value, str) and not value.strip()) or (
                isinstance(value, float) and math.isnan(value)):
            if fm.required:
                problems.append((target, f"{fm.source} is missing"))
            continue
        v, why = _format(value, fm, zone)
        if why:
            problems.append((target, why))
        else:
            out[target] = v
    if problems:
        raise MappingError(str(row.get("id", "?")), problems)
    return out


def retry_delay(attempts: int, settings: UploadSettings, key: str = "") -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: ``min(cap, base × factor^(attempts-1))``, plus a
    spread of up to ``jitter`` of it from a hash of ``key`` (pure). [s]"""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    # compared in logarithms: a large factor to a large power overflows a float long after it passes the cap
    capped = (attempts - 1) * math.log(settings.retry_factor) >= math.log(settings.retry_cap_s / settings.retry_base_s)
    base = settings.retry_cap_s if capped else settings.retry_base_s * settings.retry_factor ** (attempts - 1)
    h = int.from_bytes(hashlib.sha256(f"{key}:{attempts}".encode()).digest()[:8], "big") / 2**64
    return base * (1 + settings.retry_jitter * h)


def next_attempt_at(failed_at: datetime, attempts: int, settings: UploadSettings, key: str = "") -> datetime:
    return failed_at + timedelta(seconds=retry_delay(attempts, settings, key))


DeliveryEvent = Literal["ack", "error", "schedule", "requeue"]


class TransitionError(Said):
    """A move the delivery state machine does not allow."""


@dataclass(frozen=True)
class Delivery:
    """The delivery of one ledger row: its id (the row's, the receiver's deduplication key), state, failed attempts,
    when it is next due, the last error, when it was acknowledged."""

    id: str
    state: str = "pending"
    attempts: int = 0
    due_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None


def transition(d: Delivery, event: DeliveryEvent, now: datetime, settings: UploadSettings,
               error: str = "") -> Delivery:
    """The delivery after ``event`` at ``now`` (module docstring); :class:`TransitionError` for a refused move."""
    if event == "ack":
        if d.state == "sent":
            return d
        if d.state in ("pending", "retry"):
            return replace(d, state="sent", sent_at=now, due_at=None, last_error="")
    elif event == "error":
        if d.state in ("pending", "retry"):
            return replace(d, state="failed", attempts=d.attempts + 1, last_error=error[:500], due_at=None)
    elif event == "schedule":
        if d.state == "failed":
            if d.attempts >= settings.max_attempts:
                return replace(d, state="dead", due_at=None)
            return replace(d, state="retry", due_at=next_attempt_at(now, d.attempts, settings, d.id))
    elif event == "requeue":
        if d.state == "dead":
            return replace(d, state="pending", attempts=0, due_at=now)
    raise TransitionError(N_("Delivery %(id)s cannot go from %(state)s on %(event)s."), id=d.id, state=d.state,
                          event=event)


def upload_late(passage_time: datetime, sent_at: datetime | None, now: datetime, settings: UploadSettings) -> bool:
    """Whether a row is late: acknowledged more than ``late_after_s`` after its passage, or not yet acknowledged
    and ``now`` past that."""
    limit = passage_time + timedelta(seconds=settings.late_after_s)
    return (sent_at if sent_at is not None else now) > limit
