"""Daily indicators per enterprise (§7 item 20; the inspection's ledger checks 3–4, §3.4), pure: per local day the
entries by emission stage, the share of 国五 and better and of 国六 and new energy, the entries of 国四 and below
during an alert (target 0), and per enterprise the ratio of the mean alert-day count to the mean normal-day count
(an enterprise that obeys its plan carries fewer trucks on alert days).

The next slice's dashboard and reports read these rows; the computation is columnar (one group code per
enterprise-day, ``bincount`` per stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.contracts.catalogue import rule
from ecosentry.subsystems.gates.rules.checks import Dataset
from ecosentry.subsystems.gates.rules.ledger import dedupe_repeats, local_days
from ecosentry.subsystems.gates.rules.stages import NEW_ENERGY_RANK

__all__ = ["DayRow", "daily_indicators", "alert_day_ratio"]

_KEYS = ("0", "1", "2", "3", "4", "5", "6", "d", "unknown")


@dataclass(frozen=True)
class DayRow:
    enterprise: str
    day: str                 # local date, YYYY-MM-DD
    alert: bool              # an alert covered part of the day
    entries: int
    by_stage: dict[str, int]
    share_v_plus: float | None       # 国五 and better, or new energy
    share_vi_ne: float | None        # 国六 or new energy
    iv_and_below_in_alert: int       # entries of 国四 and below while an alert was in force


@rule(code="VEH-DAILY-INDICATORS", severity=None,
      summary="Per enterprise and local day: entries by emission stage, the shares of China V+ and of China VI or "
              "new energy, China IV-and-below entries during alerts, and the alert-day / normal-day count ratio.",
      source="shared/reference/subsystems.md §3.4 ledger checks 3–4, §3.6, §7 item 20", tag="S")
def daily_indicators(ds: Dataset, ranks: np.ndarray, zone: ZoneInfo, repeat_seconds: int = 60) -> list[DayRow]:
    """``ranks`` per passage (:func:`.checks.passage_ranks`, optionally completed from the ledger)."""
    p = ds.passages
    keep = dedupe_repeats(p, repeat_seconds)
    keep = keep[p.inbound[keep] & (p.plate[keep] != "")]
    if not len(keep):
        return []
    days = local_days(p.t[keep], zone)
    in_alert = np.zeros(len(keep), bool)
    alert_days: set[tuple[str, int]] = set()
    for a in ds.alerts:
        mine = p.enterprise[keep] == a.enterprise
        in_alert |= mine & (p.t[keep] >= a.start) & (p.t[keep] < a.end)
        first, last = local_days(np.array([a.start, a.end - 1]), zone)
        alert_days.update((a.enterprise, int(d)) for d in range(int(first), int(last) + 1))
    r = ranks[keep]
    slot = np.where(r < 0, 8, np.minimum(r, NEW_ENERGY_RANK))  # 0–6 stages, 7 new energy, 8 unknown
    ents = p.enterprise[keep].astype(str)
    key_ent, ent_inv = np.unique(ents, return_inverse=True)
    d0 = int(days.min())
    width = int(days.max()) - d0 + 1
    group = ent_inv.astype(np.int64) * width + (days - d0)
    n_groups = len(key_ent) * width
    counts = np.zeros((n_groups, 9), dtype=np.int64)
    np.add.at(counts, (group, slot), 1)
    low_alert = np.bincount(group, weights=(in_alert & (r >= 0) & (r <= 4)).astype(float), minlength=n_groups)
    out = []
    for g in np.flatnonzero(counts.sum(axis=1)):
        ent, day = str(key_ent[g // width]), d0 + int(g % width)
        c = counts[g]
        n = int(c.sum())
        out.append(DayRow(ent, str(np.datetime64(day, "D")), (ent, day) in alert_days, n,
                          {k: int(v) for k, v in zip(_KEYS, c) if v},
                          round(float(c[5:8].sum()) / n, 4), round(float(c[6:8].sum()) / n, 4),
                          int(low_alert[g])))
    return out


def alert_day_ratio(rows: list[DayRow]) -> dict[str, float | None]:
    """Per enterprise: mean entries of its alert days ÷ mean entries of its normal days (None without both)."""
    by: dict[str, tuple[list[int], list[int]]] = {}
    for row in rows:
        alert, normal = by.setdefault(row.enterprise, ([], []))
        (alert if row.alert else normal).append(row.entries)
    return {e: (round(float(np.mean(a)) / float(np.mean(n)), 4) if a and n else None) for e, (a, n) in by.items()}
