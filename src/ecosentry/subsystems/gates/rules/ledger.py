"""The columnar tables the checks run on (camera passages, ledger rows) and the pairing of entries and exits,
pure and vectorised (numpy): a day of a large enterprise is thousands of passages, a province's month millions.

Times are integer seconds since the epoch (UTC); the enterprise's local time appears only in sentences and in
the day/month a passage belongs to (:func:`local_days`).

Pairing (issue 16 item 3 "entry and exit paired", item 5 "exits without entries (side gates)"): the passages of
one plate at one enterprise, in time order, after dropping repeated reads (the same plate, gate and direction
within ``repeat_seconds``). An exit pairs with the entry just before it when that entry is less than
``max_stay_hours`` old. An exit without one is ``VEH-EXIT-WITHOUT-ENTRY`` (the truck came in by an unwatched
gate), unless it falls within ``max_stay_hours`` of the start of the data (its entry may lie before it); an entry
followed by another entry is ``VEH-ENTRY-WITHOUT-EXIT`` (it left by an unwatched gate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["Passages", "LedgerRows", "Pairing", "pair", "group_codes", "factorize", "local_days", "dedupe_repeats", "utc", "index_by"]


def utc(t: int | np.integer) -> datetime:
    return datetime.fromtimestamp(int(t), tz=timezone.utc)


def _obj(values) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = list(values)
    return a


@dataclass
class Passages:
    """Camera passages (plate-recognition events): one element per passage in every column."""

    enterprise: np.ndarray
    gate: np.ndarray
    t: np.ndarray            # int64 epoch seconds
    inbound: np.ndarray      # bool: True in, False out
    plate: np.ndarray        # normalised plate, "" when none was read
    colour: np.ndarray       # colour name or ""
    confidence: np.ndarray   # float, NaN when the camera gave none
    line: np.ndarray = field(default=None)  # type: ignore[assignment]  # source line (evidence), -1 unknown

    def __post_init__(self) -> None:
        if self.line is None:
            self.line = np.full(len(self.t), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def of(cls, rows: list[tuple]) -> Passages:
        """From ``(enterprise, gate, t, inbound, plate, colour, confidence)`` tuples (tests, the simulator)."""
        cols = list(zip(*rows)) if rows else [()] * 7
        return cls(_obj(cols[0]), _obj(cols[1]), np.asarray(cols[2], dtype=np.int64), np.asarray(cols[3], bool),
                   _obj(cols[4]), _obj(cols[5]), np.asarray(cols[6], dtype=float))

    def take(self, idx: np.ndarray) -> Passages:
        return Passages(self.enterprise[idx], self.gate[idx], self.t[idx], self.inbound[idx], self.plate[idx],
                        self.colour[idx], self.confidence[idx], self.line[idx])


@dataclass
class LedgerRows:
    """Rows of the electronic ledger (2020 guide table 3, §3.2)."""

    enterprise: np.ndarray
    t: np.ndarray
    inbound: np.ndarray
    plate: np.ndarray
    vin: np.ndarray
    stage: np.ndarray        # stage code or ""
    fuel: np.ndarray         # fuel name or ""
    cargo: np.ndarray
    weight_t: np.ndarray     # float, NaN when blank
    line: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.line is None:
            self.line = np.full(len(self.t), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def of(cls, rows: list[tuple]) -> LedgerRows:
        """From ``(enterprise, t, inbound, plate, vin, stage, fuel, cargo, weight_t)`` tuples."""
        cols = list(zip(*rows)) if rows else [()] * 9
        return cls(_obj(cols[0]), np.asarray(cols[1], dtype=np.int64), np.asarray(cols[2], bool), _obj(cols[3]),
                   _obj(cols[4]), _obj(cols[5]), _obj(cols[6]), _obj(cols[7]), np.asarray(cols[8], dtype=float))

    def take(self, idx: np.ndarray) -> LedgerRows:
        return LedgerRows(self.enterprise[idx], self.t[idx], self.inbound[idx], self.plate[idx], self.vin[idx],
                          self.stage[idx], self.fuel[idx], self.cargo[idx], self.weight_t[idx], self.line[idx])


def factorize(values: np.ndarray) -> np.ndarray:
    """One integer per distinct value, in order of first appearance (a hash look-up per element: plates and names
    are short strings, and sorting them as numpy unicode costs far more)."""
    if values.dtype != object:
        return np.unique(values, return_inverse=True)[1].astype(np.int64).reshape(-1)
    seen: dict = {}
    return np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values))


def group_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of the columns' values (equal rows, equal codes)."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64)
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        inv = factorize(col)
        code = code * (int(inv.max()) + 1) + inv
    return np.unique(code, return_inverse=True)[1].astype(np.int64).reshape(-1)


def index_by(values: np.ndarray) -> dict[str, np.ndarray]:
    """The indices of each distinct value, in order (one sort instead of one comparison per value)."""
    if not len(values):
        return {}
    inv = factorize(values)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(int(inv.max()) + 2))
    firsts = values[order[bounds[:-1]]]
    return {str(v): order[bounds[i]:bounds[i + 1]] for i, v in enumerate(firsts)}


def local_days(t: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """The local calendar day (days since 1970-01-01 in local time) of each epoch second, with the zone's offset
    at each instant (a few distinct offsets: computed per distinct UTC hour, not per row)."""
    if not len(t):
        return np.zeros(0, dtype=np.int64)
    hours = t // 3600
    uniq, inv = np.unique(hours, return_inverse=True)
    offsets = np.fromiter((utc(h * 3600).astimezone(zone).utcoffset().total_seconds() for h in uniq),
                          dtype=np.int64, count=len(uniq))
    return (t + offsets[inv]) // 86400


def dedupe_repeats(p: Passages, repeat_seconds: int) -> np.ndarray:
    """Indices of the passages kept after dropping repeated reads of one vehicle (same enterprise, gate, direction
    and plate within ``repeat_seconds`` of the previous read); unread plates are all kept."""
    if not len(p):
        return np.zeros(0, dtype=np.int64)
    key = group_codes(p.enterprise, p.gate, p.inbound, p.plate)
    order = np.lexsort((p.t, key))
    k, t = key[order], p.t[order]
    repeat = np.zeros(len(order), bool)
    repeat[1:] = (k[1:] == k[:-1]) & (t[1:] - t[:-1] <= repeat_seconds)
    repeat &= p.plate[order] != ""
    return np.sort(order[~repeat])


@dataclass
class Pairing:
    """Indices into the passages: entries paired with exits, exits without entries, entries without exits."""

    pairs: np.ndarray              # (n, 2): entry index, exit index
    exit_without_entry: np.ndarray
    entry_without_exit: np.ndarray


def pair(p: Passages, *, max_stay_hours: float, repeat_seconds: int) -> Pairing:
    """Pair entries and exits of each plate at each enterprise (module docstring); unread plates are left out."""
    keep = dedupe_repeats(p, repeat_seconds)
    keep = keep[p.plate[keep] != ""]
    empty = np.zeros(0, dtype=np.int64)
    if not len(keep):
        return Pairing(np.zeros((0, 2), dtype=np.int64), empty, empty)
    key = group_codes(p.enterprise[keep], p.plate[keep])
    local = np.lexsort((p.t[keep], key))
    order, k = keep[local], key[local]
    t, inb = p.t[order], p.inbound[order]
    max_stay = int(max_stay_hours * 3600)
    same = np.zeros(len(order), bool)
    same[1:] = k[1:] == k[:-1]
    prev_in = np.zeros(len(order), bool)
    prev_in[1:] = same[1:] & inb[:-1]
    gap = np.full(len(order), np.iinfo(np.int64).max)
    gap[1:] = np.where(same[1:], t[1:] - t[:-1], gap[1:])
    out = ~inb
    paired = out & prev_in & (gap <= max_stay)
    ent_codes = group_codes(p.enterprise[order])
    first_t = np.full(int(ent_codes.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_t, ent_codes, t)
    near_start = t - first_t[ent_codes] < max_stay
    lonely_exit = out & ~paired & ~(~same & near_start)
    nxt_same = np.zeros(len(order), bool)
    nxt_same[:-1] = same[1:]
    nxt_in = np.zeros(len(order), bool)
    nxt_in[:-1] = inb[1:]
    lonely_entry = inb & nxt_same & nxt_in
    pos = np.flatnonzero(paired)
    return Pairing(np.column_stack([order[pos - 1], order[pos]]) if len(pos) else np.zeros((0, 2), dtype=np.int64),
                   order[lonely_exit], order[lonely_entry])
