"""A finding of the gate rules: code, severity, the enterprise and plate, when, when it would first have been
raised, one sentence and its evidence.

The sentence is a catalogue msgid with named parameters; ``explanation`` is the English sentence and
:meth:`Finding.say` says it in the reader's language with the subsystem's ``locale/`` catalogues, the level,
grade-stage and stage parameters translated too. Times in the parameters are local times (``YYYY-MM-DD
HH:MM:SS``), never UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecosentry.contracts.finding import FindingSentence

__all__ = ["Finding", "local_time", "TRANSLATED_PARAMS"]

#: Parameters whose values are words of the catalogue (a level, a stage label), translated with the sentence.
TRANSLATED_PARAMS = ("level", "stage", "required", "ledger_stage", "direction", "colour")


def local_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Finding(FindingSentence):
    """One finding; ``end`` is the last passage it covers (or the end of its period). ``detected_at`` is ``end``
    in this slice (the checks see a whole period at once); the live checks of the next slice set the minute the
    alarm is raised."""

    translated_params = TRANSLATED_PARAMS

    code: str
    enterprise: str
    plate: str
    start: datetime
    end: datetime
    detected_at: datetime
    msgid: str
    params: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "enterprise": self.enterprise, "plate": self.plate,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "detected_at": self.detected_at.isoformat(), "explanation": self.explanation,
                "evidence": self.evidence}
