"""A finding of the O&M rules: code, severity, the monitoring point, the period it covers, one sentence and its
evidence.

The sentence is a catalogue msgid with named parameters; ``explanation`` is the English sentence and
:meth:`Finding.say` says it in the reader's language with the subsystem's ``locale/`` catalogues (the kind
parameters are words of the catalogue and are translated too; a factor is named by its HJ 212-2017 Appendix B
English name, which the core's catalogue translates, its code staying in the evidence). Times in the parameters
are local times (``YYYY-MM-DD HH:MM``), never UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from ecosentry.contracts.finding import FindingSentence
from ecosentry.store.seed import factor_index

__all__ = ["Finding", "local_time", "factor_name", "TRANSLATED_PARAMS"]

#: Parameters whose values are words of the catalogue (an order kind, a mark kind, a check kind, a result).
TRANSLATED_PARAMS = ("kind", "order_kind", "mark_kind", "check_kind", "stated", "verdict", "factor")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    index = factor_index()
    names = {code: e["name_en"] for code, e in index.items()}
    names.update({e["old_code"]: e["name_en"] for e in index.values() if e.get("old_code")})
    return names


def factor_name(code: str) -> str:
    """The factor's English name (HJ 212-2017 Appendix B, the core's seed catalogue), else the code as given."""
    return _names().get(code.strip(), code) if code else "-"


def local_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Finding(FindingSentence):
    """One finding over ``[start, end]`` (local, aware datetimes) at one point."""

    translated_params = TRANSLATED_PARAMS

    code: str
    point: str
    start: datetime
    end: datetime
    msgid: str
    params: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "point": self.point,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "explanation": self.explanation, "evidence": self.evidence}
