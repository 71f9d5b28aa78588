"""Findings of one evaluation against the findings stored (``power_findings``), pure: what to insert, what to
update, what to close, and what that means for the alarms.

A finding is identified by (code, key, start): the key is its equipment codes, sorted, joined by ``,``.

* A computed finding with the start of a stored one is that finding: still holding → it stays open and is
  updated (its end, parameters, evidence); ended → it gets its end.
* A computed finding that starts at the first minute of the window is the continuation of a stored finding of
  the same code and key that started earlier and was open then (the window cut it).
* A stored open finding that the evaluation no longer finds ended: at the start of the window when it began
  before it, else at the end of the data (late readings filled what looked like a violation).
* Anything else is new. Re-running on the same data changes nothing (idempotent).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ecosentry.subsystems.power.rules.findings import Finding

__all__ = ["Action", "Plan", "finding_key", "plan", "utc"]


#: Length of ``power_findings.key``.
KEY_MAX = 200


def finding_key(f: Finding) -> str:
    """The equipment codes of a finding, sorted, joined by ``,``; a key longer than the column keeps its head
    and ends in a hash of the whole (so two long keys stay apart)."""
    key = ",".join(sorted(set(f.equipment)))
    if len(key) <= KEY_MAX:
        return key
    return key[:KEY_MAX - 17] + "~" + hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Action:
    """``kind``: ``insert`` (a new finding), ``update`` (stored row ``row``), ``close`` (stored row, condition
    gone). ``alarm``: ``raise`` (open), ``raise_clear`` (a finding that already ended when first found),
    ``clear`` (ended), ``refresh`` (open, still holding: update its explanation), None."""

    kind: str
    finding: Finding | None
    row: dict | None
    alarm: str | None
    end: datetime | None = None


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(a.kind == kind for a in self.actions)


def utc(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _changed(row: dict, f: Finding, end: datetime | None) -> bool:
    return (utc(row["end_at"]) != end or (row.get("params") or {}) != _params(f)
            or utc(row["detected_at"]) > utc(f.detected_at))


def _params(f: Finding) -> dict:
    return {"msgid": f.msgid, **f.params}


def plan(computed: list[Finding], stored: list[dict], window_start: datetime, data_end: datetime) -> Plan:
    """The actions that make ``stored`` (rows of this enterprise that are open or start inside the window)
    agree with ``computed`` (the evaluation of the window ``window_start`` … ``data_end``)."""
    out = Plan()
    by_span = {(r["code"], r["key"], utc(r["start_at"])): r for r in stored}
    used: set[int] = set()
    for f in computed:
        key = finding_key(f)
        start = utc(f.start)
        end = None if f.open else utc(f.end)
        row = by_span.get((f.code, key, start))
        if row is None and start <= window_start:
            earlier = [r for r in stored if r["code"] == f.code and r["key"] == key and r["id"] not in used
                       and utc(r["start_at"]) < start and (r["end_at"] is None or utc(r["end_at"]) >= start)]
            row = min(earlier, key=lambda r: utc(r["start_at"])) if earlier else None
        if row is None:
            out.actions.append(Action("insert", f, None, "raise" if f.open else "raise_clear", end))
            continue
        used.add(row["id"])
        was_open = row["end_at"] is None
        if not _changed(row, f, end):
            continue
        if was_open and end is not None:
            alarm = "clear"
        elif not was_open and end is None:
            alarm = "raise"  # late readings reopened it
        else:
            alarm = "refresh" if end is None else None
        out.actions.append(Action("update", f, row, alarm, end))
    for r in stored:
        if r["id"] in used or r["end_at"] is not None:
            continue
        start = utc(r["start_at"])
        if start >= data_end:
            continue
        end = window_start if start < window_start else data_end
        out.actions.append(Action("close", None, r, "clear", max(end, start)))
    return out
