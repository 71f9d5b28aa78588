"""Received data fitted to the columns that hold it, before anything is sent to the database.

A gateway may let through a field longer than its column (an MN of 40 characters from an unknown logger, a
factor code of 20, a 3-character data flag) or text PostgreSQL cannot store (NUL, lone surrogates). Sent as
is, such a field makes the whole batch fail on PostgreSQL (SQLite does not check lengths) and would hold up
every logger's data behind it. Here each such field is cut to its column, the fault is written into the
frame's archive row, and a reading that does not fit is not stored (the frame's other readings are).
Limits are read from the schema, so a wider column needs no change here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import String, Table

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.store import schema as s

#: A field the sender supplied is longer than its column: cut, and the frame's data not used.
FIELD_TOO_LONG = "field_too_long"
#: A field holds characters the database cannot store (NUL, lone surrogates): replaced by U+FFFD.
BAD_CHARACTER = "bad_character"
#: The database refused the record for another reason; found by splitting the batch (pipeline/isolate.py).
UNWRITABLE_RECORD = "unwritable_record"

#: Header fields that come from the wire: a frame whose own identity does not fit is not used as data.
SENDER_FIELDS = ("mn", "cn", "qn")
#: Fields the platform sets (gateway or spool): cut to fit and noted, the data is still used.
PLATFORM_FIELDS = ("transport", "peer", "status", "error")
#: Reading fields that are text in ``observations`` (the others are numbers and times).
READING_FIELDS = {"factor": "factor_code", "kind": "kind", "flag": "flag", "eflag": "eflag"}
#: Notes about readings kept in a frame's detail; the rest are counted.
MAX_READING_NOTES = 5


def text_limits(table: Table) -> dict[str, int | None]:
    """Length of every text column of ``table`` (None: unlimited)."""
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String)}


RAW_LIMITS = text_limits(s.raw_frames)
OBS_LIMITS = text_limits(s.observations)
QUARANTINE_LIMITS = text_limits(s.quarantine)


def clean_text(value: object) -> str:
    """``value`` as text the database can store: NUL and unencodable characters become U+FFFD."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "\ufffd")


def fit_field(value: object, limit: int | None) -> tuple[str | None, str | None]:
    """(value that fits, fault code or None). Over-long text is cut to ``limit`` characters."""
    if value is None:
        return None, None
    text = clean_text(value)
    fault = None if text == value else BAD_CHARACTER
    if limit is not None and len(text) > limit:
        return text[:limit], FIELD_TOO_LONG
    return text, fault


@dataclass(slots=True)
class Fault:
    """What did not fit in one envelope, as written into its archive row."""

    code: str
    note: str
    readings_dropped: int = 0


def fit_envelope(env: Envelope) -> tuple[Envelope, Fault | None]:
    """``env`` with every text field fitting its column, and the fault if anything had to change.

    A sender field (MN, CN, QN) that does not fit makes the frame quarantined, its readings unused; a
    reading that does not fit is left out and the frame's other readings kept. Platform fields are cut
    and noted. The original envelope is not changed (it may be written again on a retry).
    """
    changes: dict[str, Any] = {}  # field name → fitted value, each of its own field's type
    notes: list[str] = []
    codes: list[str] = []
    sender_fault = False
    for name in (*SENDER_FIELDS, *PLATFORM_FIELDS):
        value = getattr(env, name)
        if _plainly_fits(value, RAW_LIMITS[name]):
            continue
        fitted, fault = fit_field(value, RAW_LIMITS[name])
        if fault is None:
            continue
        changes[name] = fitted
        codes.append(fault)
        notes.append(_field_note(name, value, RAW_LIMITS[name], fault))
        sender_fault = sender_fault or name in SENDER_FIELDS
    kept: list[Reading] = []
    dropped = 0
    reading_notes: list[str] = []
    for r in env.readings:
        problem = _reading_fault(r)
        if problem is None:
            kept.append(r)
            continue
        dropped += 1
        codes.append(problem[0])
        if len(reading_notes) < MAX_READING_NOTES:
            reading_notes.append(problem[1])
    if not codes:
        return env, None
    if dropped:
        notes.extend(reading_notes)
        if dropped > len(reading_notes):
            notes.append(f"{dropped - len(reading_notes)} more readings did not fit")
        notes.append(f"{dropped} of {len(env.readings)} readings not stored")
        changes["readings"] = kept
    code = FIELD_TOO_LONG if FIELD_TOO_LONG in codes else BAD_CHARACTER
    status = changes.get("status", env.status)
    if sender_fault or (dropped and not kept):
        if status == "accepted":
            status = "quarantined"
        changes["readings"] = []
    if status != env.status:
        notes.append(f"status {env.status} → {status}")
    previous = changes.get("error", env.error)
    if previous:
        notes.append(f"was {previous}")
    note = "; ".join(notes)
    changes.update(status=status, error=code, detail=with_note(env.detail, note))
    return dataclasses.replace(env, **changes), Fault(code, note, dropped)


def set_aside_form(env: Envelope, reason: BaseException) -> tuple[Envelope, Fault]:
    """The form of a record the database refused that cannot fail: its raw bytes and fitted header fields,
    quarantined with the database's error, without readings."""
    fitted, _ = fit_envelope(dataclasses.replace(env, readings=[]))
    first_line = (str(reason).strip().splitlines() or [""])[0]
    note = f"{type(reason).__name__}: {first_line}"[:500]
    received = env.received_at
    if not isinstance(received, datetime) or received.tzinfo is None:
        received = datetime.now(timezone.utc)
    raw = env.raw if isinstance(env.raw, bytes) else clean_text(env.raw).encode()
    point_id = fitted.point_id if isinstance(fitted.point_id, int) and abs(fitted.point_id) < 2**31 else None
    safe = dataclasses.replace(fitted, received_at=received, raw=raw, point_id=point_id, status="quarantined",
                               error=UNWRITABLE_RECORD, detail=with_note(fitted.detail, note), readings=[])
    return safe, Fault(UNWRITABLE_RECORD, note, len(env.readings))


def with_note(detail: str | None, note: str) -> str:
    """``detail`` with ``note`` added: as key ``fault`` of a JSON object (station files keep their JSON
    detail, see forward/queue.py), otherwise in front of the text."""
    if detail:
        try:
            obj = json.loads(detail)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            obj["fault"] = note
            return json.dumps(obj, ensure_ascii=False)
        return f"{note}; {clean_text(detail)}"
    return note


def _plainly_fits(value: object, limit: int | None) -> bool:
    """Fast check for the usual case (short ASCII text): fits unchanged."""
    return value is None or (type(value) is str and (limit is None or len(value) <= limit) and value.isascii()
                             and "\x00" not in value)


_READING_LIMITS = tuple((attr, column, OBS_LIMITS[column]) for attr, column in READING_FIELDS.items())


def _reading_fault(r: Reading) -> tuple[str, str] | None:
    for attr, _, limit in _READING_LIMITS:  # _plainly_fits inlined: four fields of every data point
        value = getattr(r, attr)
        if value is not None and not (type(value) is str and (limit is None or len(value) <= limit)
                                      and value.isascii() and "\x00" not in value):
            break
    else:
        return None
    for attr, column, limit in _READING_LIMITS:
        value = getattr(r, attr)
        _, fault = fit_field(value, limit)
        if fault is not None:
            what = f"reading {clean_text(r.factor)[:40]}"
            return fault, f"{what}: {_field_note(column, value, limit, fault)}"
    return None


def _field_note(name: str, value: object, limit: int | None, fault: str) -> str:
    if fault == FIELD_TOO_LONG:
        return f"{name} has {len(clean_text(value))} characters, the column holds {limit} (cut)"
    return f"{name} has characters the database cannot store (replaced)"

