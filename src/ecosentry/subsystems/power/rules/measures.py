"""From a region's heavy-pollution alerts and an enterprise's emission-reduction list (应急减排清单) to the stop
and limit orders it must carry out; pure.

Sources (``shared/reference/subsystems.md``): §1.5 "the emergency list gives each enterprise a measure per alert
level (yellow/orange/red): stop a named line, or limit by a percentage" [S: Taiyuan plan]; §1.4 rule 4 and §7
item 6 (safety loads 保安用电 declared in advance) [S]. How the levels combine is ours:

* **A measure declared for a level applies at that level and every higher one** (``power_measures.level`` is
  "the level the measure applies from"): lists are written so that each level adds to the one below (orange
  adds lines to yellow's, red stops what orange limited). For one unit at alert level L the order is the
  **strictest** of its measures declared at levels ≤ L: ``stop`` before any ``limit``, a lower allowed share
  before a higher one. A higher level can therefore tighten a unit's measure but never relax it; a list that
  declares "yellow: stop, red: limit 50 %" (a typing error in practice) still stops the unit at red.
* **Safety loads are never ordered**: equipment declared ``safety_load`` is left out even if a measure names it
  (§7 item 6: declared beforehand, allowed to run during a stop order).
* **Overlapping alerts** (a city's yellow and a county's orange at the same time): at every moment the
  highest level in force governs (``store.queries.pollution_alerts``: red > orange > yellow; on a tie the latest
  start), so the time is cut into spans each governed by one alert, and each span gets that alert's orders.
* Units with a ``limit`` of the same allowed share in one span form one order (their energy is judged
  together against their baseline, as ``ecosentry power check``'s ``O.csv`` groups them); all stopped units of a
  span form one stop order (each unit is judged on its own by :func:`~.orders.stop_order`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ecosentry.contracts.catalogue import rule
from ecosentry.subsystems.power.rules.orders import Order

__all__ = ["LEVELS", "Measure", "AlertSpan", "valid", "strictness", "measures_at_level", "governing_spans", "orders_in_spans"]

_SRC = "shared/reference/subsystems.md"
#: Alert levels, lowest first (as ``ecosentry.store.queries.pollution_alerts.LEVELS``; repeated here so the rule
#: stays free of the store).
LEVELS: tuple[str, ...] = ("yellow", "orange", "red")


@dataclass(frozen=True)
class Measure:
    """One line of the emission-reduction list: from ``level`` on, ``stop`` the unit or ``limit`` it to
    ``limit_pct`` % of its baseline."""

    equipment: str
    level: str
    measure: Literal["stop", "limit"]
    limit_pct: float | None = None
    safety_load: bool = False


@dataclass(frozen=True)
class AlertSpan:
    """A stretch of time governed by one alert (the highest level in force). ``end`` is exclusive."""

    alert_id: int
    level: str
    start: datetime
    end: datetime


def valid(m: Measure) -> bool:
    """A known level, ``stop``, or ``limit`` with 0 ≤ share < 100 (what an order can be made of); a stored row that
    is not is left out (and shown as such on the list's page) instead of stopping every enterprise's orders."""
    if m.level not in LEVELS or m.measure not in ("stop", "limit"):
        return False
    return m.measure == "stop" or (m.limit_pct is not None and 0 <= m.limit_pct < 100)


def strictness(m: Measure) -> tuple[int, float]:
    """Sort key, stricter last: any stop above any limit; a lower allowed share above a higher one."""
    return (2, 0.0) if m.measure == "stop" else (1, -(m.limit_pct if m.limit_pct is not None else 100.0))


@rule(code="PWR-MEASURES-LEVEL", severity=None,
      summary="A unit's order at an alert level: the strictest of its measures declared at that level or below; "
              "safety loads never.", source=f"{_SRC} §1.5, §7 item 6", tag="S/ours")
def measures_at_level(measures: list[Measure], level: str) -> dict[str, Measure]:
    """Equipment code → the measure that applies at alert ``level`` (safety loads left out)."""
    rank = LEVELS.index(level)
    out: dict[str, Measure] = {}
    for m in measures:
        if m.safety_load or not valid(m) or LEVELS.index(m.level) > rank:
            continue
        held = out.get(m.equipment)
        if held is None or strictness(m) > strictness(held):
            out[m.equipment] = m
    return out


def governing_spans(alerts: list[dict], start: datetime, end: datetime) -> list[AlertSpan]:
    """Cut [start, end) into spans each governed by the highest-level alert in force.

    ``alerts`` are rows of ``pollution_alerts`` that cover the place (``id``, ``level``, ``starts_at``,
    ``ends_at``, ``lifted_at``); an alert ends at ``lifted_at`` if lifted early, else ``ends_at``, else never."""
    windows = []
    for a in alerts:
        a_end = a.get("lifted_at") or a.get("ends_at")
        s, e = max(a["starts_at"], start), min(a_end, end) if a_end is not None else end
        if e > s and a["level"] in LEVELS:
            windows.append((s, e, a))
    cuts = sorted({t for s, e, _ in windows for t in (s, e)})
    spans: list[AlertSpan] = []
    for s, e in zip(cuts, cuts[1:]):
        live = [a for a0, a1, a in windows if a0 <= s and e <= a1]
        if not live:
            continue
        top = max(live, key=lambda a: (LEVELS.index(a["level"]), a["starts_at"], a["id"]))
        if spans and spans[-1].alert_id == top["id"] and spans[-1].end == s:
            spans[-1] = AlertSpan(top["id"], top["level"], spans[-1].start, e)
        else:
            spans.append(AlertSpan(top["id"], top["level"], s, e))
    return spans


def orders_in_spans(enterprise: str, measures: list[Measure], spans: list[AlertSpan]) -> list[Order]:
    """The orders of each span: one stop order over the stopped units, one limit order per allowed share."""
    out: list[Order] = []
    for span in spans:
        at_level = measures_at_level(measures, span.level)
        stop = tuple(sorted(code for code, m in at_level.items() if m.measure == "stop"))
        if stop:
            out.append(Order(enterprise, stop, "stop", span.start, span.end, None, span.level, span.alert_id))
        for pct in sorted({m.limit_pct for m in at_level.values() if m.measure == "limit"}):
            units = tuple(sorted(c for c, m in at_level.items() if m.measure == "limit" and m.limit_pct == pct))
            out.append(Order(enterprise, units, "limit", span.start, span.end, pct, span.level, span.alert_id))
    return out
