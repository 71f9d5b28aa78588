"""A finding of the electricity rules: code, severity, the equipment, when, the minute it would first have
been raised, one sentence and its evidence.

The sentence is a catalogue msgid with named parameters (like :class:`ecosentry.said.Said`): ``explanation``
is the English sentence; :meth:`Finding.say` says it in the reader's language with the subsystem's
``locale/`` catalogues (zh, vi). Times in the parameters are already local times of the enterprise
(``YYYY-MM-DD HH:MM``), never UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ecosentry.contracts.finding import FindingSentence

__all__ = ["Finding", "local_minute"]


def local_minute(t: datetime) -> str:
    """``2026-01-05 02:00`` (the time as given: callers pass the enterprise's local time)."""
    return t.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Finding(FindingSentence):
    """One finding. ``end`` is exclusive; ``open`` when the condition still held at the end of the data."""

    code: str
    enterprise: str
    equipment: tuple[str, ...]
    start: datetime
    end: datetime
    detected_at: datetime
    msgid: str
    params: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)
    open: bool = False

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def delay(self) -> timedelta:
        """From the first violating minute to the minute the finding would have been raised."""
        return self.detected_at - self.start

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "enterprise": self.enterprise,
                "equipment": list(self.equipment), "start": self.start.isoformat(), "end": self.end.isoformat(),
                "duration_min": round(self.duration.total_seconds() / 60, 3), "open": self.open,
                "detected_at": self.detected_at.isoformat(), "explanation": self.explanation,
                "evidence": self.evidence}
