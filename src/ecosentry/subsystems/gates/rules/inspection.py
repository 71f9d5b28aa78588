"""The inspection method of the 2020 mobile-source guide (核查技术, ``shared/reference/subsystems.md`` §3.4 [S]),
reproduced as a seeded draw and a full record of what the inspector would see, pure.

Video check (§3.4 video checks 1–3): during the heavy-pollution period pick 2–3 windows of 5–10 minutes; list the
vehicles in and out in each window and compare them with the ledger; every vehicle of the video must be in the
ledger. Ledger check (§3.4 ledger checks 1–2): draw 5–10 ledger records, check their completeness and format and
that their emission stage is right.

Each window starts up to a minute before a passage drawn at random among the alert days' passages (an inspector
goes to moments with traffic; an empty window proves nothing); the ledger rows are drawn among the alert days'
rows (all days' when the enterprise had no alert). The draw is ``numpy.random.default_rng(seed)`` consumed in a
fixed order (enterprises sorted; per enterprise the window count, the windows' passages, per window its length and
offset, then the row count and the rows): the same files and seed give the same inspection.

:func:`inspect` returns one :class:`InspectionReport` per enterprise with every window's matches and mismatches and
every sampled row's problems (the inspection record); :func:`.checks.inspection` turns the mismatches into
``VEH-INSPECT-VIDEO`` and ``VEH-INSPECT-LEDGER`` findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.gates.rules.ledger import LedgerRows, Passages, index_by, local_days, utc

__all__ = ["InspectionPlan", "WindowCheck", "RowCheck", "InspectionReport", "inspect"]


class InspectionPlan(Protocol):
    """The numbers of the method (:class:`.checks.InspectionSettings`)."""

    windows_min: int
    windows_max: int
    window_minutes_min: int
    window_minutes_max: int
    ledger_rows_min: int
    ledger_rows_max: int
    seed: int


@dataclass
class WindowCheck:
    """One video window: the passages seen (with the ledger line each matched, or ``None``) and the ledger rows
    written in it (with the passage line each matched, or ``None``)."""

    start: str
    end: str
    minutes: int
    seen: list[dict[str, Any]] = field(default_factory=list)
    ledger_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def not_in_ledger(self) -> list[dict[str, Any]]:
        return [s for s in self.seen if s["ledger_line"] is None]

    @property
    def ledger_without_vehicle(self) -> list[dict[str, Any]]:
        return [r for r in self.ledger_rows if r["passage_line"] is None]

    @property
    def matched(self) -> int:
        return len(self.seen) - len(self.not_in_ledger)


@dataclass
class RowCheck:
    """One sampled ledger row and its problems (empty: complete, stage right)."""

    line: int
    plate: str
    time: str
    problems: list[str]


@dataclass
class InspectionReport:
    enterprise: str
    seed: int
    alert_days: list[str]
    windows: list[WindowCheck]
    rows: list[RowCheck]
    #: window starts and ends, ledger row indices (positions in the tables: the findings' evidence)
    window_bounds: list[tuple[int, int, list[int], list[int]]] = field(default_factory=list)
    row_index: list[int] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return sum(w.matched for w in self.windows)

    @property
    def mismatches(self) -> int:
        return sum(len(w.not_in_ledger) + len(w.ledger_without_vehicle) for w in self.windows)

    @property
    def rows_wanting(self) -> int:
        return sum(1 for r in self.rows if r.problems)

    def as_dict(self) -> dict[str, Any]:
        windows = []
        for w in self.windows:
            d = asdict(w)
            d.update(matched=w.matched, not_in_ledger=len(w.not_in_ledger),
                     ledger_without_vehicle=len(w.ledger_without_vehicle))
            windows.append(d)
        return {"enterprise": self.enterprise, "seed": self.seed, "alert_days": self.alert_days,
                "video": {"windows": windows, "matches": self.matches, "mismatches": self.mismatches},
                "ledger": {"rows": [asdict(r) for r in self.rows], "sampled": len(self.rows),
                           "wanting": self.rows_wanting}}


def _alert_days(alerts: Iterable[tuple[int, int]], zone: ZoneInfo) -> np.ndarray:
    days: set[int] = set()
    for a0, a1 in alerts:
        days.update(range(int(local_days(np.array([a0]), zone)[0]), int(local_days(np.array([a1 - 1]), zone)[0]) + 1))
    return np.array(sorted(days), dtype=np.int64)


def inspect(p: Passages, lg: LedgerRows, passage_to_ledger: np.ndarray, ledger_to_passage: np.ndarray,
            enterprises: Iterable[str], alerts: dict[str, list[tuple[int, int]]], zone: ZoneInfo,
            plan: InspectionPlan, row_problems: Callable[[int], list[str]]) -> list[InspectionReport]:
    """The inspection of each enterprise (module docstring).

    Parameters
    ----------
    passage_to_ledger, ledger_to_passage : int arrays
        The video ↔ ledger match (:func:`.checks.match`): the index matched, ``-1`` none, ``-2`` outside the span
        both sources cover (not drawn).
    alerts : dict
        Per enterprise, its alerts as ``(start, end)`` epoch seconds. [s]
    row_problems : callable
        The problems of ledger row ``i`` (missing fields, invalid VIN, a stage the register contradicts).
    """
    rng = np.random.default_rng(plan.seed)
    p_days, l_days = local_days(p.t, zone), local_days(lg.t, zone)
    p_by, l_by = index_by(p.enterprise), index_by(lg.enterprise)
    empty = np.zeros(0, dtype=np.int64)

    def when(t: int) -> str:
        return utc(t).astimezone(zone).isoformat()

    out = []
    for ent_id in sorted(enterprises):
        pi, li = p_by.get(ent_id, empty), l_by.get(ent_id, empty)
        days = _alert_days(alerts.get(ent_id, ()), zone)
        report = InspectionReport(ent_id, plan.seed, [str(np.datetime64(int(d), "D")) for d in days], [], [])
        cand = pi[np.isin(p_days[pi], days) & (passage_to_ledger[pi] != -2)]
        if len(cand):
            k = int(rng.integers(plan.windows_min, plan.windows_max + 1))
            for c in rng.choice(cand, size=min(k, len(cand)), replace=False):
                minutes = int(rng.integers(plan.window_minutes_min, plan.window_minutes_max + 1))
                t0 = int(p.t[c]) - int(rng.integers(0, 60))
                t1 = t0 + 60 * minutes
                inside = pi[(p.t[pi] >= t0) & (p.t[pi] < t1) & (p.plate[pi] != "")]
                linside = li[(lg.t[li] >= t0) & (lg.t[li] < t1)]
                w = WindowCheck(when(t0), when(t1), minutes)
                for i in inside:
                    j = int(passage_to_ledger[i])
                    w.seen.append({"plate": p.plate[i], "time": when(int(p.t[i])), "gate": p.gate[i],
                                   "direction": "in" if p.inbound[i] else "out", "line": int(p.line[i]),
                                   "ledger_line": int(lg.line[j]) if j >= 0 else None})
                for i in linside:
                    j = int(ledger_to_passage[i])
                    w.ledger_rows.append({"plate": lg.plate[i], "time": when(int(lg.t[i])),
                                          "direction": "in" if lg.inbound[i] else "out", "line": int(lg.line[i]),
                                          "passage_line": int(p.line[j]) if j >= 0 else None})
                report.windows.append(w)
                report.window_bounds.append((t0, t1, [int(i) for i in inside if passage_to_ledger[i] == -1],
                                             [int(i) for i in linside if ledger_to_passage[i] == -1]))
        pool = li[np.isin(l_days[li], days)] if len(days) else empty
        if not len(pool):
            pool = li
        if len(pool):
            k = int(rng.integers(plan.ledger_rows_min, plan.ledger_rows_max + 1))
            sample = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False))
            for i in sample:
                report.rows.append(RowCheck(int(lg.line[i]), lg.plate[i], when(int(lg.t[i])), row_problems(int(i))))
                report.row_index.append(int(i))
        out.append(report)
    return out
