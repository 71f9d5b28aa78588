"""The scoring a subsystem's ``ecosentry bench`` shares: per rule code, the injected violations and how many were
found (recall), the findings and how many match an injected violation (precision), and the findings on honest
data per honest unit-day (a station-day, an enterprise-day). What "matches" means is the subsystem's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

__all__ = ["CodeScores", "ratio"]


def ratio(a: int, b: int, digits: int = 3) -> float | None:
    """``a / b`` rounded, or None when there is nothing to divide by."""
    return round(a / b, digits) if b else None


def _counts() -> dict[str, int]:
    return defaultdict(int)


@dataclass
class CodeScores:
    """Counts by code, filled in by the subsystem's bench (a dataclass to extend with its own measures)."""

    honest_findings: dict[str, int] = field(default_factory=_counts)
    injected: dict[str, int] = field(default_factory=_counts)
    found: dict[str, int] = field(default_factory=_counts)
    findings: dict[str, int] = field(default_factory=_counts)
    true_findings: dict[str, int] = field(default_factory=_counts)

    def code_rows(self, honest_days: float, *, digits: int = 3, with_honest_codes: bool = False) -> list[dict]:
        """One row per code (injected or found; with ``with_honest_codes`` also those found only on honest data):
        injected, found, recall, findings, precision (``digits`` places), honest findings per ``honest_days``
        (4 places)."""
        codes = set(self.injected) | set(self.findings)
        if with_honest_codes:
            codes |= set(self.honest_findings)
        return [{"code": c, "injected": self.injected.get(c, 0), "found": self.found.get(c, 0),
                 "recall": ratio(self.found.get(c, 0), self.injected.get(c, 0), digits),
                 "findings": self.findings.get(c, 0),
                 "precision": ratio(self.true_findings.get(c, 0), self.findings.get(c, 0), digits),
                 "honest_per_day": round(self.honest_findings.get(c, 0) / honest_days, 4)}
                for c in sorted(codes)]
