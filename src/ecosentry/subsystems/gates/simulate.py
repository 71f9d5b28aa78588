"""Simulated enterprises for the benchmark and the tests: a registered fleet with mixed emission stages, camera
passages at two gates, the ledger the guard keeps, one alert, and (for violating enterprises) injected
violations with their ground truth; seeded, so a seed is one reproducible fleet.

An honest enterprise obeys its grade (:class:`.rules.decision.GradeRules` defaults): a trip's vehicle is chosen
among those the strictest alert level over its stay allows, 国四 trucks make at most a tenth of a B enterprise's
trips, C and D enterprises send no truck when none may pass, a small-volume enterprise stays at or below 10 entries
a day; every passage has its ledger row (at the weighbridge, up to 2 minutes off), and some reads are repeated by
the camera within seconds (one passage, not two vehicles).

Violations (:data:`VIOLATIONS`, each with the code it must raise and the codes also true of it):
``alert_stage`` a truck below the grade's stage during the alert; ``share`` a month where 国四 trucks make half
of a B enterprise's entries; ``no_ledger`` a passage without its ledger row; ``ledger_only`` a ledger row without
a vehicle; ``side_exit`` a truck that came in by an unwatched gate; ``tailgate`` a truck 2 s behind another;
``unread`` a plate read at confidence 0.5; ``vin_multi`` a ledger row carrying another truck's VIN; ``small_volume``
a day of 14 entries at an exempt enterprise; ``ledger_stage`` a ledger row giving 国六 for a 国四 truck;
``incomplete`` a ledger row without its VIN; ``unknown`` a truck not in the register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.gates.rules.checks import Alert, Dataset, Enterprise
from ecosentry.subsystems.gates.rules.decision import GradeRules, Vehicle, least_rank
from ecosentry.subsystems.gates.rules.ledger import LedgerRows, Passages
from ecosentry.subsystems.gates.rules.stages import stage_rank
from ecosentry.subsystems.gates.rules.vin import ALPHABET, check_digit

__all__ = ["VIOLATIONS", "Injected", "SimEnterprise", "simulate_enterprise", "merge", "make_vin"]

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 5, tzinfo=ZONE)
#: violation → (the code it must raise, codes also true of it)
VIOLATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "alert_stage": ("VEH-ALERT-STAGE", ("VEH-SHARE-ALERT", "VEH-SHARE-MONTH")),
    "share": ("VEH-SHARE-MONTH", ("VEH-SHARE-ALERT",)),
    "no_ledger": ("VEH-PASSAGE-NO-LEDGER", ("VEH-INSPECT-VIDEO",)),
    "ledger_only": ("VEH-LEDGER-NO-PASSAGE", ("VEH-INSPECT-VIDEO",)),
    "side_exit": ("VEH-EXIT-WITHOUT-ENTRY", ()),
    "tailgate": ("VEH-TAILGATE", ()),
    "unread": ("VEH-PLATE-UNREAD", ()),
    "vin_multi": ("VEH-VIN-MULTI-PLATE", ()),
    "small_volume": ("VEH-SMALL-VOLUME", ()),
    "ledger_stage": ("VEH-LEDGER-STAGE-MISMATCH", ("VEH-INSPECT-LEDGER", "VEH-SHARE-MONTH")),
    "incomplete": ("VEH-LEDGER-INCOMPLETE", ("VEH-INSPECT-LEDGER",)),
    "unknown": ("VEH-UNKNOWN-VEHICLE", ("VEH-SHARE-MONTH",)),
}
_VIN_CHARS = np.array(sorted(ALPHABET))
_PROVINCES = "冀晋鲁豫津京"


def make_vin(rng: np.random.Generator) -> str:
    body = "".join(rng.choice(_VIN_CHARS, 16))
    vin = body[:8] + "0" + body[8:]
    return vin[:8] + check_digit(vin) + vin[9:]


@dataclass
class Injected:
    violation: str
    code: str
    also: tuple[str, ...]
    enterprise: str
    plate: str
    start: datetime
    end: datetime


@dataclass
class SimEnterprise:
    enterprise: Enterprise
    register: dict[str, Vehicle]
    passages: list[tuple] = field(default_factory=list)
    ledger: list[tuple] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    days: int = 0

    def dataset(self) -> Dataset:
        return merge([self])


def merge(sims: list[SimEnterprise]) -> Dataset:
    register: dict[str, Vehicle] = {}
    for s in sims:
        register.update(s.register)
    return Dataset(Passages.of([p for s in sims for p in s.passages]), LedgerRows.of([r for s in sims for r in s.ledger]),
                   register, {s.enterprise.id: s.enterprise for s in sims}, [a for s in sims for a in s.alerts])


def _fleet(rng, ent_no: int, n: int, stages: list[str]) -> dict[str, Vehicle]:
    prov = _PROVINCES[ent_no % len(_PROVINCES)]
    office = "ABCDEFGH"[(ent_no // len(_PROVINCES)) % 8]
    out = {}
    for i, st in enumerate(stages[:n]):
        plate = f"{prov}{office}{ent_no % 100:02d}{i:03d}"
        fuel = "electric" if st == "d" else ("natural_gas" if i % 5 == 0 else "diesel")
        colour = "yellow_green" if st == "d" else "yellow"
        if st == "d":
            plate = f"{prov}{office}{ent_no % 100:02d}{i:03d}D"
        out[plate] = Vehicle(plate, colour, make_vin(rng), st, fuel, "2022-03-01")
    return out


def simulate_enterprise(seed: int, ent_no: int, *, days: int = 14, grade: str = "B", exempt: bool = False,
                        level: str = "orange", violations: tuple[str, ...] = (), trips_per_day: int | None = None,
                        rules: GradeRules | None = None) -> SimEnterprise:
    """One enterprise: ``days`` days from 2026-01-05 (Asia/Shanghai), an alert at ``level`` from day 3 08:00 to
    day 5 20:00, ``violations`` injected (names of :data:`VIOLATIONS`)."""
    rules = rules or GradeRules()
    rng = np.random.default_rng([seed, ent_no])
    ent_id = f"E{ent_no:04d}"
    stages = ["6"] * 24 + ["d"] * 4 + ["5"] * 10 + ["4"] * 6 + ["3"] * 2 + ["6"] * 30 + ["4"]
    register = _fleet(rng, ent_no, len(stages), stages)
    plates = list(register)
    reserve = plates[46:76]   # trucks the honest trips never use: the injected violations' own
    four_reserve = plates[76]
    by_rank: dict[int, list[str]] = {}
    for plate in plates[:46]:
        v = register[plate]
        by_rank.setdefault(7 if v.stage == "d" else stage_rank(v.stage), []).append(plate)
    sim = SimEnterprise(Enterprise(ent_id, grade, exempt), register, days=days)
    a0, a1 = START + timedelta(days=2, hours=8), START + timedelta(days=4, hours=20)
    sim.alerts.append(Alert(ent_id, level, int(a0.timestamp()), int(a1.timestamp())))
    grade_rule = rules.of(grade)
    per_day = trips_per_day or (6 if exempt else 20)
    taken: dict[tuple, set[int]] = {}
    inside_until: dict[str, int] = {}

    def at_gate(gate: str, inbound: bool, t: int) -> int:
        """The first time from ``t`` when the gate is free in this direction (vehicles ≥ 60 s apart), taken."""
        used = taken.setdefault((gate, inbound), set())
        while any(b in used for b in range(t // 60 - 1, t // 60 + 2)):
            t = (t // 60 + 1) * 60 + t % 60
        used.add(t // 60)
        return t

    def least_over(t0: int, t1: int) -> int | None:
        least = 0
        for a in sim.alerts:
            if t0 < a.end and t1 >= a.start:
                r = least_rank(grade_rule.min_stage.get(a.level, "none"))
                if r is None:
                    return None
                least = max(least, r)
        return least

    def trip(plate: str, t_in: int, stay: int, *, ledger: bool = True, gate_in: str = "G1") -> tuple[int, int]:
        v = register.get(plate)
        t_in = at_gate(gate_in, True, max(t_in, inside_until.get(plate, 0) + 600))
        t_out = at_gate("G2", False, t_in + stay)
        inside_until[plate] = t_out
        for gate, t, inbound in ((gate_in, t_in, True), ("G2", t_out, False)):
            sim.passages.append((ent_id, gate, t, inbound, plate, v.plate_colour if v else "yellow",
                                 float(rng.uniform(0.9, 0.995))))
            if rng.random() < 0.05:  # the camera reads the same truck twice
                sim.passages.append((ent_id, gate, t + int(rng.integers(1, 6)), inbound, plate,
                                     v.plate_colour if v else "yellow", float(rng.uniform(0.9, 0.995))))
            if ledger:
                sim.ledger.append((ent_id, t + int(rng.integers(-120, 121)), inbound, plate,
                                   v.vin if v else make_vin(rng), v.stage if v else "5", v.fuel if v else "diesel",
                                   "coal" if inbound else "cement", round(float(rng.uniform(10, 40)), 1)))
        return t_in, t_out

    k = 0
    share_violation = "share" in violations
    for day in range(days):
        base = int((START + timedelta(days=day)).timestamp())
        n = per_day + (6 if ("small_volume" in violations and day == 1) else 0)
        for t in np.sort(rng.integers(7 * 3600, 18 * 3600, n)):
            t_in, stay = base + int(t), int(rng.integers(20, 100)) * 60
            least = least_over(t_in, t_in + stay + 600)
            if least is None:
                continue
            k += 1
            allow4 = least <= 4 and (k % 10 == 0 or (share_violation and k % 10 < 6))
            ranks = [r for r in (by_rank if allow4 else {}) if r == 4] or [r for r in by_rank if r >= max(least, 5)]
            if grade in ("A", "leading"):
                ranks = [r for r in by_rank if r >= 6]
            pool = [p for r in ranks for p in by_rank[r] if inside_until.get(p, 0) + 600 < t_in]
            if pool:
                trip(str(rng.choice(pool)), t_in, stay)
    sim.passages.sort(key=lambda p: p[2])
    # ---- violations, placed on day 3 (inside the alert) or day 7 (outside), 10:00–16:00, at their own times
    mid_alert = int((START + timedelta(days=3, hours=11)).timestamp())
    quiet = [d for d in range(days - 1, -1, -1) if d not in (2, 3, 4)] or [0]  # days without the alert
    low = by_rank[3][0]
    four = four_reserve
    good = reserve

    def inject(name: str, plate: str, t0: int, t1: int) -> None:
        code, also = VIOLATIONS[name]
        sim.injected.append(Injected(name, code, also, ent_id, plate, datetime.fromtimestamp(t0, ZONE),
                                     datetime.fromtimestamp(t1, ZONE)))

    for j, name in enumerate(violations):
        # a quiet day each while there are enough: an exempt enterprise's volume stays its own violation
        slot = int((START + timedelta(days=quiet[j % len(quiet)], hours=12, seconds=1800 * (j // len(quiet)))
                    ).timestamp())
        if name == "alert_stage":
            t_in, t_out = trip(low, mid_alert + 1800 * j, 1800)
            inject(name, low, t_in, t_out)
        elif name == "share":
            inject(name, "", int(START.timestamp()), int((START + timedelta(days=days)).timestamp()))
        elif name == "no_ledger":
            t_in, _ = trip(good[j], slot, 1800)
            drop = [i for i, r in enumerate(sim.ledger) if r[3] == good[j] and abs(r[1] - t_in) <= 200 and r[2]]
            del sim.ledger[drop[0]]
            inject(name, good[j], t_in, t_in)
        elif name == "ledger_only":
            sim.ledger.append((ent_id, slot, True, good[j], register[good[j]].vin, "6", "diesel", "coal", 30.0))
            inject(name, good[j], slot, slot)
        elif name == "side_exit":  # an earlier honest trip first: its exit is the one before the lonely exit
            trip(good[j], int((START + timedelta(hours=6, minutes=j)).timestamp()), 600)
            t_in, t_out = trip(good[j], slot, 1800)
            sim.passages = [p for p in sim.passages if not (p[4] == good[j] and p[3] and abs(p[2] - t_in) <= 10)]
            sim.ledger = [r for r in sim.ledger if not (r[3] == good[j] and r[2] and abs(r[1] - t_in) <= 200)]
            inject(name, good[j], t_out, t_out)
        elif name == "tailgate":
            t_in, _ = trip(good[j], slot, 1800)
            other = good[j + 15]
            t2 = t_in + 2
            sim.passages.append((ent_id, "G1", t2, True, other, "yellow", 0.95))
            sim.ledger.append((ent_id, t2 + 30, True, other, register[other].vin, "6", "diesel", "coal", 25.0))
            t_out = at_gate("G2", False, t2 + 2400)
            sim.passages.append((ent_id, "G2", t_out, False, other, "yellow", 0.95))
            sim.ledger.append((ent_id, t_out + 30, False, other, register[other].vin, "6", "diesel", "cement", 25.0))
            inject(name, other, t_in, t2)
        elif name == "unread":
            t_in, _ = trip(good[j], slot, 1800)
            sim.passages = [(*p[:6], 0.5) if p[4] == good[j] and p[2] == t_in else p for p in sim.passages]
            inject(name, good[j], t_in, t_in)
        elif name == "vin_multi":
            t_in, _ = trip(good[j], slot, 1800)
            twin = good[j + 15]
            sim.ledger = [(*r[:4], register[twin].vin, *r[5:]) if r[3] == good[j] and abs(r[1] - t_in) <= 200 and r[2]
                          else r for r in sim.ledger]
            inject(name, good[j], t_in, t_in)
        elif name == "small_volume":
            day = int((START + timedelta(days=1)).timestamp())
            inject(name, "", day, day + 86399)
        elif name in ("ledger_stage", "incomplete"):
            plate = four if name == "ledger_stage" else good[j]
            t_in, _ = trip(plate, slot, 1800)
            sim.ledger = [((*r[:5], "6", *r[6:]) if name == "ledger_stage" else (*r[:4], "", *r[5:]))
                          if r[3] == plate and abs(r[1] - t_in) <= 200 and r[2] else r for r in sim.ledger]
            inject(name, plate, t_in, t_in)
        elif name == "unknown":
            plate = f"蒙K{ent_no % 100:02d}9{j:02d}"
            t_in, t_out = trip(plate, slot, 1800)
            inject(name, plate, t_in, t_out)
        else:
            raise ValueError(f"unknown violation {name!r}")
    sim.passages.sort(key=lambda p: p[2])
    sim.ledger.sort(key=lambda r: r[1])
    return sim
