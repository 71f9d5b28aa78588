"""A finding of the O&M rules: code, severity, the monitoring point, the period it covers, one sentence and its
evidence.

The sentence is a catalogue msgid with named parameters; ``explanation`` is the English sentence and
:meth:`Finding.say` says it in the reader's language with the subsystem's ``locale/`` catalogues (the kind
parameters are words of the catalogue and are translated too). Times in the parameters are local times
(``YYYY-MM-DD HH:MM``), never UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecosentry.contracts.catalogue import get

__all__ = ["Finding", "local_time", "TRANSLATED_PARAMS"]

#: Parameters whose values are words of the catalogue (an order kind, a mark kind, a check kind, a result).
TRANSLATED_PARAMS = ("kind", "order_kind", "mark_kind", "check_kind", "stated", "verdict")


def local_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Finding:
    """One finding over ``[start, end]`` (local, aware datetimes) at one point."""

    code: str
    point: str
    start: datetime
    end: datetime
    msgid: str
    params: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return get(self.code).severity or "info"

    @property
    def explanation(self) -> str:
        return self.msgid % self.params

    def say(self, gettext: Callable[[str], str]) -> str:
        params = {k: gettext(v) if k in TRANSLATED_PARAMS and isinstance(v, str) else v
                  for k, v in self.params.items()}
        return gettext(self.msgid) % params

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "point": self.point,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "explanation": self.explanation, "evidence": self.evidence}
