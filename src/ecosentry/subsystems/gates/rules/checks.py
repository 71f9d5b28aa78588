"""The checks of issue 16 item 5 over one period of camera passages, ledger rows and registers, pure.

Each check is a function of the columnar tables (:mod:`.ledger`) returning :class:`.findings.Finding` objects;
the work over passages is numpy on whole columns (group codes, sorts, ``searchsorted``), Python loops only over
what is found or over alerts, enterprises and days. :func:`run_checks` runs them all.

Sources: ``shared/reference/subsystems.md`` §3.4 (the inspection method), §3.5 (grade conditions, [R]), §3.6 (the
checks a platform should compute) and §7 items 20–22; issue 16 item 5. Camera offline and camera view changed
take heartbeats and snapshots besides the dataset: :mod:`.camera`, run by :mod:`..check`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register, rule
from ecosentry.contracts.finding import sentence
from ecosentry.said import N_
from ecosentry.subsystems.gates.rules.decision import LEVEL_LABELS, GradeRules, Vehicle, least_rank
from ecosentry.subsystems.gates.rules.findings import Finding, local_time
from ecosentry.subsystems.gates.rules.inspection import InspectionReport, inspect
from ecosentry.subsystems.gates.rules.ledger import (
    LedgerRows, Passages, dedupe_repeats, group_codes, index_by, local_days, pair, utc)
from ecosentry.subsystems.gates.rules.plate import COLOUR_LABELS, plate_problem
from ecosentry.subsystems.gates.rules.stages import (
    NEW_ENERGY_FUELS, NEW_ENERGY_RANK, UNKNOWN_RANK, is_new_energy, stage_label, stage_rank)
from ecosentry.subsystems.gates.rules.vin import vin_problem

__all__ = ["CheckSettings", "Enterprise", "Alert", "Dataset", "run_checks", "passage_ranks", "alert_stage",
           "stage_shares", "reconcile", "inspection", "inspection_reports", "inspection_findings", "side_gates", "tailgating", "vin_plates", "small_volume",
           "register_validity", "ledger_rows", "unknown_vehicles", "FINDING_CODES", "DAILY_CODES"]

_SRC = "shared/reference/subsystems.md"


class InspectionSettings(BaseModel):
    """The inspection method (§3.4, 2020 guide 核查技术 [S]): windows of video on alert days, sampled ledger rows."""

    windows_min: int = Field(2, ge=1)
    windows_max: int = Field(3, ge=1)
    window_minutes_min: int = Field(5, ge=1)
    window_minutes_max: int = Field(10, ge=1)
    ledger_rows_min: int = Field(5, ge=1)
    ledger_rows_max: int = Field(10, ge=1)
    #: Seed of the sampling: the same files and seed draw the same windows and rows (a reproducible inspection).
    seed: int = 2020


class CheckSettings(BaseModel):
    """Timing and count settings of the checks ([R]/[ours] defaults; ``docs/gates.md``)."""

    #: A ledger row and a camera passage of the same plate and direction match within this many seconds [ours].
    match_tolerance_s: int = Field(300, ge=1)
    #: Reads of the same plate at the same gate and direction within this many seconds are one passage [ours].
    repeat_seconds: int = Field(60, ge=0)
    #: An exit pairs with an entry at most this old [ours].
    max_stay_hours: float = Field(72, gt=0)
    #: Two vehicles through one gate in one direction within this many seconds: tailgating (the barrier closes
    #: after each vehicle) [R].
    tailgate_seconds: float = Field(4, gt=0)
    #: A plate read below this confidence counts as unread [ours; vendors advertise ≥ 99 % reads, §3.3].
    min_confidence: float = Field(0.8, ge=0, le=1)
    #: Entries a day above which an enterprise that claimed the small-volume exemption no longer qualifies
    #: (issue 16 item 5: 10 [R]).
    small_volume_limit: int = Field(10, ge=0)
    #: Fewest entries in an alert or a month for the share check to judge it [ours].
    share_min_trips: int = Field(5, ge=1)
    inspection: InspectionSettings = InspectionSettings()


@dataclass(frozen=True)
class Enterprise:
    id: str
    grade: str
    small_volume_exempt: bool = False


@dataclass(frozen=True)
class Alert:
    enterprise: str
    level: str
    start: int   # epoch seconds
    end: int     # exclusive


@dataclass
class Dataset:
    passages: Passages
    ledger: LedgerRows
    register: dict[str, Vehicle]
    enterprises: dict[str, Enterprise]
    alerts: list[Alert]


def _finding(code, ent, plate, t0, t1, zone, msgid, params, evidence) -> Finding:
    start, end = utc(t0).astimezone(zone), utc(t1).astimezone(zone)
    return Finding(code, ent, plate, start, end, end, msgid, params, evidence)


#: The direction as a sentence says it (translated with the sentence, :data:`.findings.TRANSLATED_PARAMS`).
DIRECTION = {True: N_("in"), False: N_("out")}


def _data_start(ds: Dataset) -> int:
    """The first time of the data: the time of findings about the registers, which have none of their own."""
    times = [int(a.min()) for a in (ds.passages.t, ds.ledger.t) if len(a)]
    return min(times) if times else 0


def _when(t: int, zone: ZoneInfo) -> str:
    return local_time(utc(t).astimezone(zone))


def _first_reads(p: Passages, settings: CheckSettings) -> np.ndarray:
    """True for a passage, False for a repeated read of the same vehicle (:func:`.ledger.dedupe_repeats`)."""
    mask = np.zeros(len(p), bool)
    mask[dedupe_repeats(p, settings.repeat_seconds)] = True
    return mask


def passage_ranks(plates: np.ndarray, register: dict[str, Vehicle]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank (:data:`.stages.RANK`, new energy counted as 7), stage code and fuel of each plate from the register:
    one dictionary look-up per distinct plate, not per passage."""
    if not len(plates):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    uniq, inv = np.unique(plates.astype(str), return_inverse=True)
    ranks = np.full(len(uniq), UNKNOWN_RANK)
    codes, fuels = np.full(len(uniq), "", dtype=object), np.full(len(uniq), "", dtype=object)
    for i, p in enumerate(uniq):
        v = register.get(p)
        if v is None:
            continue
        ne = is_new_energy(v.stage, v.fuel)
        ranks[i] = NEW_ENERGY_RANK if ne else stage_rank(v.stage)
        codes[i] = "d" if ne else (v.stage or "")
        fuels[i] = v.fuel or ""
    return ranks[inv], codes[inv], fuels[inv]


# ---------------------------------------------------------------------------------------------- alert stage
@rule(code="VEH-ALERT-STAGE", severity="critical",
      summary="A vehicle whose emission stage is below what the enterprise's grade allows passed during an alert.",
      source=f"{_SRC} §3.5 (grade conditions), §3.6 (国四 and below during an alert), §7 item 20", tag="S/R")
def alert_stage(ds: Dataset, ranks: np.ndarray, codes: np.ndarray, rules: GradeRules, zone: ZoneInfo
                ) -> list[Finding]:
    p, out = ds.passages, []
    by_ent = index_by(p.enterprise)
    for a in ds.alerts:
        ent = ds.enterprises.get(a.enterprise)
        mine = by_ent.get(a.enterprise)
        if ent is None or mine is None:
            continue
        least = least_rank(rules.of(ent.grade).min_stage.get(a.level, "none"))
        r = ranks[mine]
        bad = (p.t[mine] >= a.start) & (p.t[mine] < a.end) & (p.plate[mine] != "") & (r >= 0) & (
            (r < least) if least is not None else True)
        idx = mine[bad]
        by_plate: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            by_plate[p.plate[i]].append(int(i))
        required = stage_label(rules.of(ent.grade).min_stage.get(a.level, "none")) if least is not None else None
        for plate, ii in sorted(by_plate.items()):
            t0, t1 = int(p.t[ii].min()), int(p.t[ii].max())
            params = {"plate": plate, "stage": stage_label(codes[ii[0]]), "level": LEVEL_LABELS[a.level],
                      "grade": ent.grade, "time": _when(t0, zone), "count": len(ii)}
            if least is None:
                msgid = N_("%(plate)s (%(stage)s) passed %(count)s time(s) from %(time)s under the %(level)s alert, "
                           "when no road truck may pass at a grade %(grade)s enterprise.")
            else:
                params["required"] = required
                msgid = N_("%(plate)s (%(stage)s) passed %(count)s time(s) from %(time)s under the %(level)s alert; "
                           "a grade %(grade)s enterprise allows at least %(required)s.")
            out.append(_finding("VEH-ALERT-STAGE", a.enterprise, plate, t0, t1, zone, msgid, params, {
                "times": [utc(t).astimezone(zone).isoformat() for t in p.t[ii][:20]],
                "gates": sorted(set(p.gate[ii])), "stage": codes[ii[0]], "level": a.level, "grade": ent.grade,
                "alert": [utc(a.start).astimezone(zone).isoformat(), utc(a.end).astimezone(zone).isoformat()],
                "lines": [int(x) for x in p.line[ii][:20] if x >= 0]}))
    return out


# ---------------------------------------------------------------------------------------------- shares
for _r in (
    Rule("VEH-SHARE-ALERT", "warning", "During one alert, the share of entries by vehicles of the stage the grade "
         "requires (or new energy) is below the grade's requirement.", f"{_SRC} §3.5, §3.6, §7 item 20",
         f"{__name__}.stage_shares", "S/R"),
    Rule("VEH-SHARE-MONTH", "warning", "In one calendar month, the share of entries by vehicles of the stage the "
         "grade requires (or new energy) is below the grade's requirement.", f"{_SRC} §3.5, §3.6, §7 item 20",
         f"{__name__}.stage_shares", "S/R"),
):
    register(_r)


def _share_finding(code, ent, grade_rule, sel, ranks, codes, fuels, t, zone, params, evidence, settings):
    n = int(sel.sum())
    if n < settings.share_min_trips:
        return None
    least = least_rank(grade_rule.share_stage)
    good = int((sel & (ranks >= least)).sum())
    share = good / n
    if share >= grade_rule.share_min - 1e-12:
        return None
    by_stage = {s or "unknown": int(c) for s, c in zip(*np.unique(codes[sel].astype(str), return_counts=True))}
    by_fuel = {f or "unknown": int(c) for f, c in zip(*np.unique(fuels[sel].astype(str), return_counts=True))}
    params |= {"share": round(100 * share, 1), "required_share": round(100 * grade_rule.share_min, 1),
               "required": stage_label(grade_rule.share_stage), "entries": n}
    evidence |= {"entries": n, "compliant": good, "share": round(share, 4), "required_share": grade_rule.share_min,
                 "required_stage": grade_rule.share_stage, "by_stage": by_stage, "by_fuel": by_fuel}
    tt = t[sel]
    msgid = (N_("Under the %(level)s alert from %(time)s, %(share)s %% of the %(entries)s entries were %(required)s or "
                "new energy; the grade requires %(required_share)s %%.") if code == "VEH-SHARE-ALERT" else
             N_("In %(month)s, %(share)s %% of the %(entries)s entries were %(required)s or new energy; the grade "
                "requires %(required_share)s %%."))
    return _finding(code, ent, "", int(tt.min()), int(tt.max()), zone, msgid, params, evidence)


def stage_shares(ds: Dataset, ranks: np.ndarray, codes: np.ndarray, fuels: np.ndarray, rules: GradeRules,
                 zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    """Per alert and per local month, the share of entries (unknown stages count as not compliant: an unproven
    stage is no 国五) against the grade's share requirement."""
    p, out = ds.passages, []
    entries = _first_reads(p, settings) & p.inbound & (p.plate != "")
    by_ent = index_by(p.enterprise)
    for a in ds.alerts:
        ent = ds.enterprises.get(a.enterprise)
        gr = rules.of(ent.grade) if ent else None
        if gr is None or gr.share_stage is None or gr.share_min is None or a.enterprise not in by_ent:
            continue
        mine = by_ent[a.enterprise]
        sel = np.zeros(len(p), bool)
        sel[mine[entries[mine] & (p.t[mine] >= a.start) & (p.t[mine] < a.end)]] = True
        f = _share_finding("VEH-SHARE-ALERT", a.enterprise, gr, sel, ranks, codes, fuels, p.t, zone,
                           {"level": LEVEL_LABELS[a.level], "time": _when(a.start, zone)},
                           {"alert": [utc(a.start).astimezone(zone).isoformat(),
                                      utc(a.end).astimezone(zone).isoformat()], "level": a.level}, settings)
        if f:
            out.append(f)
    if not len(p):
        return out
    days = local_days(p.t, zone)
    months = (days.astype("datetime64[D]").astype("datetime64[M]")).astype(str)
    for ent_id, ent in sorted(ds.enterprises.items()):
        gr = rules.of(ent.grade)
        if gr.share_stage is None or gr.share_min is None or ent_id not in by_ent:
            continue
        mine = by_ent[ent_id][entries[by_ent[ent_id]]]
        for month in np.unique(months[mine]):
            sel = np.zeros(len(p), bool)
            sel[mine[months[mine] == month]] = True
            f = _share_finding("VEH-SHARE-MONTH", ent_id, gr, sel, ranks, codes, fuels, p.t,
                               zone, {"month": str(month)}, {"month": str(month)}, settings)
            if f:
                out.append(f)
    return out


# ---------------------------------------------------------------------------------------------- video ↔ ledger
for _r in (
    Rule("VEH-PASSAGE-NO-LEDGER", "critical", "A vehicle the gate camera saw has no ledger row (same plate and "
         "direction within the tolerance).", f"{_SRC} §3.4 video check 3, §3.6, §7 item 21",
         f"{__name__}.reconcile", "S"),
    Rule("VEH-LEDGER-NO-PASSAGE", "warning", "Ledger rows of one day have no camera passage (same plate and "
         "direction within the tolerance): written without a vehicle, or the camera missed them; one finding per "
         "enterprise and day.", f"{_SRC} §3.6, §7 item 21",
         f"{__name__}.reconcile", "S"),
):
    register(_r)


def _nearest(src_key, src_t, dst_key, dst_t, tol) -> np.ndarray:
    """For each source element, the index of the destination element with the same key nearest in time within
    ``tol`` seconds, else -1 (one sort and one ``searchsorted``)."""
    out = np.full(len(src_t), -1, dtype=np.int64)
    if not len(src_t) or not len(dst_t):
        return out
    span = np.int64(1) << np.int64(34)  # epoch seconds fit in 34 bits until the year 2514
    dk = dst_key.astype(np.int64) * span + (dst_t - dst_t.min() + 1)
    sk = src_key.astype(np.int64) * span + (src_t - dst_t.min() + 1)
    order = np.argsort(dk, kind="stable")
    dk_sorted = dk[order]
    pos = np.searchsorted(dk_sorted, sk)
    best_dt = np.full(len(src_t), np.iinfo(np.int64).max)
    for cand in (pos - 1, pos):
        ok = (cand >= 0) & (cand < len(dk_sorted))
        c = np.where(ok, cand, 0)
        j = order[c]
        same = ok & (dst_key[j] == src_key)
        dt = np.abs(dst_t[j] - src_t)
        better = same & (dt <= tol) & (dt < best_dt)
        out = np.where(better, j, out)
        best_dt = np.where(better, dt, best_dt)
    return out


@dataclass
class Matches:
    passage_to_ledger: np.ndarray   # per passage, the ledger row index or -1 (-2: out of the compared span)
    ledger_to_passage: np.ndarray


def match(ds: Dataset, settings: CheckSettings) -> Matches:
    p, lg = ds.passages, ds.ledger
    n_p = len(p)
    both = np.concatenate([np.asarray(p.enterprise, dtype=object), np.asarray(lg.enterprise, dtype=object)])
    plates = np.concatenate([np.asarray(p.plate, dtype=object), np.asarray(lg.plate, dtype=object)])
    dirs = np.concatenate([p.inbound, lg.inbound])
    key = group_codes(both, plates, dirs) if len(both) else np.zeros(0, dtype=np.int64)
    pk, lk = key[:n_p], key[n_p:]
    p2l = _nearest(pk, p.t, lk, lg.t, settings.match_tolerance_s)
    l2p = _nearest(lk, lg.t, pk, p.t, settings.match_tolerance_s)
    # compare only where both sources cover the enterprise: from the later first time to the earlier last time
    p_by, l_by = index_by(p.enterprise), index_by(lg.enterprise)
    empty = np.zeros(0, dtype=np.int64)
    for ent in set(p_by) | set(l_by):
        pi, li = p_by.get(ent, empty), l_by.get(ent, empty)
        if not len(pi) or not len(li):
            p2l[pi], l2p[li] = -2, -2
            continue
        lo = max(int(p.t[pi].min()), int(lg.t[li].min())) - settings.match_tolerance_s
        hi = min(int(p.t[pi].max()), int(lg.t[li].max())) + settings.match_tolerance_s
        out_p = pi[((p.t[pi] < lo) | (p.t[pi] > hi)) & (p2l[pi] < 0)]
        out_l = li[((lg.t[li] < lo) | (lg.t[li] > hi)) & (l2p[li] < 0)]
        p2l[out_p], l2p[out_l] = -2, -2
    p2l[(p.plate == "") & (p2l < 0)] = -2  # unread plates are VEH-PLATE-UNREAD, not ledger gaps
    return Matches(p2l, l2p)


def reconcile(ds: Dataset, m: Matches, zone: ZoneInfo, settings: CheckSettings, *, by_day: bool = True,
              settled_before: int | None = None) -> list[Finding]:
    """A passage without a ledger row: one finding each (a vehicle unaccounted for). A ledger row without a passage:
    with ``by_day``, one finding per enterprise and local day (:func:`_ledger_day_findings`), else one per row.
    ``settled_before`` (epoch seconds): the ledger rows after it are not judged yet (the guard may still enter the
    passage's row; the scheduled job's ``settle_seconds``)."""
    p, lg, out = ds.passages, ds.ledger, []
    for i in np.flatnonzero(m.passage_to_ledger == -1):
        t = int(p.t[i])
        out.append(_finding("VEH-PASSAGE-NO-LEDGER", p.enterprise[i], p.plate[i], t, t, zone,
                            N_("%(plate)s passed gate %(gate)s (%(direction)s) at %(time)s; the ledger has no row "
                               "for it."),
                            {"plate": p.plate[i], "gate": p.gate[i], "direction": DIRECTION[bool(p.inbound[i])],
                             "time": _when(t, zone)},
                            {"gate": p.gate[i], "direction": "in" if p.inbound[i] else "out",
                             "confidence": None if np.isnan(p.confidence[i]) else round(float(p.confidence[i]), 3),
                             "line": int(p.line[i]), "tolerance_s": settings.match_tolerance_s}))
    lonely = m.ledger_to_passage == -1
    if settled_before is not None:
        lonely &= lg.t <= settled_before
    if by_day:
        return out + _no_passage_days(lg, np.flatnonzero(lonely), zone, settings)
    for i in np.flatnonzero(lonely):
        t = int(lg.t[i])
        out.append(_finding("VEH-LEDGER-NO-PASSAGE", lg.enterprise[i], lg.plate[i], t, t, zone,
                            N_("The ledger row of %(plate)s (%(direction)s) at %(time)s has no camera passage."),
                            {"plate": lg.plate[i], "direction": DIRECTION[bool(lg.inbound[i])],
                             "time": _when(t, zone)},
                            {"direction": "in" if lg.inbound[i] else "out", "line": int(lg.line[i]),
                             "tolerance_s": settings.match_tolerance_s}))
    return out


# ---------------------------------------------------------------------------------------------- a ledger's day
#: The codes about single ledger rows, said once per enterprise and local day (the enterprise's zone): a ledger
#: kept wrong all day (a camera's rows without cargo, a clock off by an hour, a stage copied wrong) is one finding
#: with its counts, not one per row. Passages stay one finding each: there a single vehicle is the point.
DAILY_CODES = ("VEH-LEDGER-INCOMPLETE", "VEH-LEDGER-STAGE-MISMATCH", "VEH-LEDGER-NO-PASSAGE")
#: Plates a day's sentence names as examples; rows its evidence names (the finding's page shows them).
DAY_EXAMPLES, DAY_LINES = 5, 20


@dataclass
class _LedgerDay:
    enterprise: str
    day: str            # the local day, YYYY-MM-DD
    rows: int           # the enterprise's ledger rows that day
    idx: np.ndarray     # the rows found wanting, in time order


def _ledger_days(lg: LedgerRows, idx: np.ndarray, zone: ZoneInfo) -> list[_LedgerDay]:
    """The rows ``idx`` by enterprise and local day, with each day's count of ledger rows (sorts over the columns;
    Python over the days found)."""
    if not len(idx):
        return []
    days = local_days(lg.t, zone)
    key = group_codes(lg.enterprise, days)
    uniq, counts = np.unique(key, return_counts=True)
    total = dict(zip(uniq.tolist(), counts.tolist()))
    out = []
    for k, ii in index_by(key[idx]).items():
        rows = idx[ii]
        rows = rows[np.argsort(lg.t[rows], kind="stable")]
        i = int(rows[0])
        out.append(_LedgerDay(lg.enterprise[i], str(np.datetime64(int(days[i]), "D")), total[int(k)], rows))
    out.sort(key=lambda d: (d.enterprise, d.day))
    return out


def _day_evidence(lg: LedgerRows, d: _LedgerDay, zone: ZoneInfo, problems=None) -> dict:
    t = lg.t[d.idx]
    examples = []
    for i in d.idx[:DAY_EXAMPLES]:
        ex = {"line": int(lg.line[i]), "plate": lg.plate[i], "time": utc(int(lg.t[i])).astimezone(zone).isoformat(),
              "direction": "in" if lg.inbound[i] else "out"}
        if problems is not None:
            ex["problems"] = problems[int(i)]
        examples.append(ex)
    return {"day": d.day, "rows": d.rows, "count": len(d.idx),
            "first": utc(int(t.min())).astimezone(zone).isoformat(),
            "last": utc(int(t.max())).astimezone(zone).isoformat(),
            "examples": examples, "lines": [int(x) for x in lg.line[d.idx[:DAY_LINES]] if x >= 0]}


def _day_params(lg: LedgerRows, d: _LedgerDay, zone: ZoneInfo) -> dict:
    plates: list[str] = []
    for i in d.idx:
        pl = lg.plate[i] or "-"
        if pl not in plates:
            plates.append(pl)
        if len(plates) == DAY_EXAMPLES:
            break
    t = lg.t[d.idx]
    clock = lambda x: utc(int(x)).astimezone(zone).strftime("%H:%M")  # noqa: E731
    return {"day": d.day, "count": len(d.idx), "rows": d.rows, "first": clock(t.min()), "last": clock(t.max()),
            "examples": ", ".join(plates)}


def _day_finding(code: str, lg: LedgerRows, d: _LedgerDay, zone: ZoneInfo, msgid: str, params: dict,
                 evidence: dict) -> Finding:
    t = lg.t[d.idx]
    return _finding(code, d.enterprise, "", int(t.min()), int(t.max()), zone, msgid,
                    _day_params(lg, d, zone) | params, evidence)


def _no_passage_days(lg: LedgerRows, idx: np.ndarray, zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    out = []
    for d in _ledger_days(lg, idx, zone):
        inbound = int(lg.inbound[d.idx].sum())
        out.append(_day_finding(
            "VEH-LEDGER-NO-PASSAGE", lg, d, zone,
            N_("The ledger of %(day)s: %(count)s of %(rows)s rows have no camera passage, from %(first)s to "
               "%(last)s; for example %(examples)s."), {},
            _day_evidence(lg, d, zone) | {"directions": {"in": inbound, "out": len(d.idx) - inbound},
                                          "tolerance_s": settings.match_tolerance_s}))
    return out


# ---------------------------------------------------------------------------------------------- ledger rows
for _r in (
    Rule("VEH-LEDGER-INCOMPLETE", "warning", "Ledger rows of one day lack a field the 2020 guide's table 3 requires "
         "(plate, VIN, emission stage, cargo, volume) or give an invalid VIN; one finding per enterprise and day, "
         "with the rows per field.", f"{_SRC} §3.2 table 3, §3.4 ledger check 1, "
         "§3.6, §7 item 17", f"{__name__}.ledger_rows", "S"),
    Rule("VEH-LEDGER-STAGE-MISMATCH", "warning", "Ledger rows of one day give another emission stage than the "
         "vehicle register; one finding per enterprise and day, with the rows per vehicle.",
         f"{_SRC} §3.4 ledger check 2", f"{__name__}.ledger_rows", "S"),
):
    register(_r)


#: A ledger row's fields as a finding names them (catalogue words; the 2020 guide's table 3).
FIELD_WORDS = {"plate": N_("plate"), "vin": N_("VIN"), "emission_stage": N_("emission stage"), "cargo": N_("cargo"),
               "weight_t": N_("transport volume (t)")}


def _row_problems(lg: LedgerRows, i: int, register: dict[str, Vehicle]
                  ) -> tuple[list[str], list[dict], str | None]:
    """What a ledger row lacks: the fields' keys (evidence), the same as words and sentences of the catalogue (the
    finding's sentence), and the register's stage where the row's differs."""
    missing = [name for name, v in (("plate", lg.plate[i]), ("vin", lg.vin[i]), ("emission_stage", lg.stage[i]),
                                    ("cargo", lg.cargo[i])) if not v]
    if np.isnan(lg.weight_t[i]):
        missing.append("weight_t")
    said: list[dict] = [sentence(FIELD_WORDS[name]) for name in missing]
    if lg.vin[i] and (why := vin_problem(lg.vin[i])):
        missing.append("vin: " + why["msgid"] % why["params"])
        said.append(sentence(N_("VIN: %(problem)s"), problem=why))
    v = register.get(lg.plate[i])
    reg_stage = None
    if v is not None and v.stage and lg.stage[i]:
        reg = "d" if is_new_energy(v.stage, v.fuel) else v.stage
        mine = "d" if is_new_energy(lg.stage[i], lg.fuel[i] or None) else lg.stage[i]
        if reg != mine:
            reg_stage = reg
    return missing, said, reg_stage


#: The order a day's finding lists the problems in (the 2020 guide's table 3, then an invalid VIN).
FIELD_ORDER = ("plate", "vin", "emission_stage", "cargo", "weight_t", "vin_invalid")


def ledger_rows(ds: Dataset, zone: ZoneInfo, *, by_day: bool = True) -> list[Finding]:
    """Every ledger row: the missing fields and invalid VINs (each distinct VIN validated once), and the stage
    against the register's (one look-up per distinct plate); Python only over the rows found wanting. With
    ``by_day``, one finding per enterprise, local day and code: how many of the day's rows, which fields (rows per
    field), which plates and stages, the first and last time, examples; else one per row."""
    lg, out = ds.ledger, []
    if not len(lg):
        return out
    vins, vin_inv = np.unique(lg.vin.astype(str), return_inverse=True)
    vin_bad = np.array([bool(v) and vin_problem(v) is not None for v in vins], dtype=bool)[vin_inv]
    plates, plate_inv = np.unique(lg.plate.astype(str), return_inverse=True)
    reg = np.array([("d" if is_new_energy(v.stage, v.fuel) else v.stage) if (v := ds.register.get(pl)) and v.stage
                    else "" for pl in plates], dtype=object)[plate_inv]
    mine = np.where(np.isin(lg.fuel.astype(str), list(NEW_ENERGY_FUELS)) | (lg.stage == "d"), "d", lg.stage)
    wanting = ((lg.plate == "") | (lg.vin == "") | (lg.stage == "") | (lg.cargo == "") | np.isnan(lg.weight_t)
               | vin_bad | ((reg != "") & (lg.stage != "") & (reg != mine)))
    incomplete: dict[int, tuple[list[str], list[dict]]] = {}
    mismatch: dict[int, str] = {}
    for i in np.flatnonzero(wanting):
        missing, said, reg_stage = _row_problems(lg, int(i), ds.register)
        if missing:
            incomplete[int(i)] = (missing, said)
        if reg_stage is not None:
            mismatch[int(i)] = reg_stage
    if by_day:
        return _incomplete_days(lg, incomplete, zone) + _mismatch_days(lg, mismatch, zone)
    for i, (missing, said) in incomplete.items():
        t = int(lg.t[i])
        out.append(_finding("VEH-LEDGER-INCOMPLETE", lg.enterprise[i], lg.plate[i], t, t, zone,
                            N_("The ledger row of %(plate)s at %(time)s is incomplete: %(missing)s."),
                            {"plate": lg.plate[i] or "-", "time": _when(t, zone), "missing": said},
                            {"line": int(lg.line[i]), "problems": missing}))
    for i, reg_stage in mismatch.items():
        t = int(lg.t[i])
        out.append(_finding("VEH-LEDGER-STAGE-MISMATCH", lg.enterprise[i], lg.plate[i], t, t, zone,
                            N_("The ledger row of %(plate)s at %(time)s says %(ledger_stage)s; the register says "
                               "%(stage)s."),
                            {"plate": lg.plate[i], "time": _when(t, zone),
                             "ledger_stage": stage_label(lg.stage[i]), "stage": stage_label(reg_stage)},
                            {"line": int(lg.line[i]), "ledger_stage": lg.stage[i], "register_stage": reg_stage}))
    return out


def _incomplete_days(lg: LedgerRows, rows: dict[int, tuple[list[str], list[dict]]], zone: ZoneInfo
                     ) -> list[Finding]:
    """One ``VEH-LEDGER-INCOMPLETE`` per enterprise and day: the rows lacking each field, the field names words of
    the catalogue (said in the reader's language)."""
    out = []
    problems = {i: missing for i, (missing, _said) in rows.items()}
    for d in _ledger_days(lg, np.fromiter(rows, dtype=np.int64, count=len(rows)), zone):
        per_field: dict[str, int] = defaultdict(int)
        for i in d.idx:
            for name in problems[int(i)]:
                per_field[name if name in FIELD_WORDS else "vin_invalid"] += 1
        fields = [sentence(N_("%(field)s missing in %(count)s"), words=("field",), field=FIELD_WORDS[k],
                           count=per_field[k]) for k in FIELD_ORDER if k in FIELD_WORDS and per_field.get(k)]
        if per_field.get("vin_invalid"):
            fields.append(sentence(N_("invalid VIN in %(count)s"), count=per_field["vin_invalid"]))
        out.append(_day_finding(
            "VEH-LEDGER-INCOMPLETE", lg, d, zone,
            N_("The ledger of %(day)s: %(count)s of %(rows)s rows are incomplete (%(fields)s), from %(first)s to "
               "%(last)s; for example %(examples)s."), {"fields": fields},
            _day_evidence(lg, d, zone, problems) | {"fields": {k: per_field[k] for k in FIELD_ORDER
                                                              if per_field.get(k)}}))
    return out


def _mismatch_days(lg: LedgerRows, rows: dict[int, str], zone: ZoneInfo) -> list[Finding]:
    """One ``VEH-LEDGER-STAGE-MISMATCH`` per enterprise and day: each vehicle's stage in the ledger and in the
    register, with its rows."""
    out = []
    for d in _ledger_days(lg, np.fromiter(rows, dtype=np.int64, count=len(rows)), zone):
        by_plate: dict[tuple[str, str, str], int] = defaultdict(int)
        for i in d.idx:
            by_plate[(lg.plate[i], lg.stage[i], rows[int(i)])] += 1
        ranked = sorted(by_plate.items(), key=lambda kv: (-kv[1], kv[0]))
        vehicles = [sentence(N_("%(plate)s %(ledger_stage)s instead of %(stage)s: %(count)s"),
                             words=("ledger_stage", "stage"), plate=pl, ledger_stage=stage_label(ls),
                             stage=stage_label(rs), count=n) for (pl, ls, rs), n in ranked[:DAY_EXAMPLES]]
        out.append(_day_finding(
            "VEH-LEDGER-STAGE-MISMATCH", lg, d, zone,
            N_("The ledger of %(day)s: %(count)s of %(rows)s rows give another emission stage than the register, "
               "%(vehicles)s vehicle(s) (rows: %(by_vehicle)s)."),
            {"vehicles": len({k[0] for k in by_plate}), "by_vehicle": vehicles},
            _day_evidence(lg, d, zone) | {"by_vehicle": [{"plate": pl, "ledger_stage": ls, "register_stage": rs,
                                                          "rows": n} for (pl, ls, rs), n in ranked]}))
    return out


# ---------------------------------------------------------------------------------------------- inspection
for _r in (
    Rule("VEH-INSPECT-VIDEO", "warning", "In a sampled 5–10 minute window of an alert day, vehicles of the video are "
         "missing from the ledger (or ledger rows from the video): the inspector's video check.",
         f"{_SRC} §3.4 video check 1–3, §7 item 21", f"{__name__}.inspection", "S"),
    Rule("VEH-INSPECT-LEDGER", "warning", "Among the 5–10 sampled ledger rows, some are incomplete or their "
         "emission stage is wrong: the inspector's ledger check.", f"{_SRC} §3.4 ledger check 1–2, §7 item 21",
         f"{__name__}.inspection", "S"),
):
    register(_r)


def inspection(ds: Dataset, m: Matches, zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    """Reproduce the inspection (§3.4) per enterprise with a seeded draw (:func:`.inspection.inspect`): 2–3 windows
    of 5–10 minutes on alert days, 5–10 ledger rows; a finding for each window and each sample with mismatches."""
    return inspection_findings(inspection_reports(ds, m, zone, settings), ds, zone)


def inspection_reports(ds: Dataset, m: Matches, zone: ZoneInfo, settings: CheckSettings) -> list[InspectionReport]:
    """The inspection record of each enterprise: every window's matches and mismatches, every sampled row."""
    lg = ds.ledger

    def problems(i: int) -> list[str]:
        missing, _, reg_stage = _row_problems(lg, i, ds.register)
        return missing + ([f"stage {lg.stage[i]}, register {reg_stage}"] if reg_stage else [])

    alerts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in ds.alerts:
        alerts[a.enterprise].append((a.start, a.end))
    return inspect(ds.passages, lg, m.passage_to_ledger, m.ledger_to_passage, ds.enterprises, alerts, zone,
                   settings.inspection, problems)


def inspection_findings(reports: list[InspectionReport], ds: Dataset, zone: ZoneInfo) -> list[Finding]:
    p, lg, out = ds.passages, ds.ledger, []
    for r in reports:
        for w, (t0, t1, missing, extra) in zip(r.windows, r.window_bounds):
            if missing or extra:
                out.append(_finding(
                    "VEH-INSPECT-VIDEO", r.enterprise, "", t0, t1, zone,
                    N_("In the %(minutes)s-minute window from %(time)s, %(missing)s of %(seen)s vehicles seen are "
                       "not in the ledger and %(extra)s ledger rows have no vehicle."),
                    {"minutes": w.minutes, "time": _when(t0, zone), "missing": len(missing), "seen": len(w.seen),
                     "extra": len(extra)},
                    {"window": [w.start, w.end], "seen": sorted({s["plate"] for s in w.seen}),
                     "not_in_ledger": sorted({p.plate[i] for i in missing}),
                     "ledger_without_vehicle": sorted({lg.plate[i] for i in extra}), "seed": r.seed}))
        bad = [{"line": row.line, "plate": row.plate, "problems": row.problems} for row in r.rows if row.problems]
        if bad:
            tt = lg.t[r.row_index]
            out.append(_finding("VEH-INSPECT-LEDGER", r.enterprise, "", int(tt.min()), int(tt.max()), zone,
                                N_("%(bad)s of %(sampled)s sampled ledger rows are incomplete or give a wrong "
                                   "emission stage."), {"bad": len(bad), "sampled": len(r.rows)},
                                {"sampled_lines": [row.line for row in r.rows], "problems": bad, "seed": r.seed}))
    return out


# ---------------------------------------------------------------------------------------------- side gates
for _r in (
    Rule("VEH-EXIT-WITHOUT-ENTRY", "warning", "A vehicle left without an entry before it (it came in by a gate "
         "without a camera).", "issue 16 item 5 (side gates); " + f"{_SRC} §3.3 (every entrance and exit)",
         "ecosentry.subsystems.gates.rules.ledger.pair", "ours"),
    Rule("VEH-ENTRY-WITHOUT-EXIT", "info", "A vehicle entered twice without an exit between (it left by a gate "
         "without a camera).", "issue 16 item 5 (side gates); " + f"{_SRC} §3.3", "ecosentry.subsystems.gates.rules"
         ".ledger.pair", "ours"),
):
    register(_r)


def side_gates(ds: Dataset, zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    p, out = ds.passages, []
    pr = pair(p, max_stay_hours=settings.max_stay_hours, repeat_seconds=settings.repeat_seconds)
    for i in pr.exit_without_entry:
        t = int(p.t[i])
        out.append(_finding("VEH-EXIT-WITHOUT-ENTRY", p.enterprise[i], p.plate[i], t, t, zone,
                            N_("%(plate)s left by gate %(gate)s at %(time)s without an entry before it."),
                            {"plate": p.plate[i], "gate": p.gate[i], "time": _when(t, zone)},
                            {"gate": p.gate[i], "line": int(p.line[i]), "max_stay_hours": settings.max_stay_hours}))
    for i in pr.entry_without_exit:
        t = int(p.t[i])
        out.append(_finding("VEH-ENTRY-WITHOUT-EXIT", p.enterprise[i], p.plate[i], t, t, zone,
                            N_("%(plate)s entered by gate %(gate)s at %(time)s and entered again without an exit "
                               "between."),
                            {"plate": p.plate[i], "gate": p.gate[i], "time": _when(t, zone)},
                            {"gate": p.gate[i], "line": int(p.line[i])}))
    return out


# ---------------------------------------------------------------------------------------------- tailgating
for _r in (
    Rule("VEH-TAILGATE", "warning", "Two vehicles through one gate in one direction within seconds (the barrier "
         "closes after each vehicle).", "issue 16 item 5 (tailgating); " + f"{_SRC} §3.3 (barrier at every gate)",
         f"{__name__}.tailgating", "R"),
    Rule("VEH-PLATE-UNREAD", "info", "A passage whose plate was not read or was read with low confidence: the "
         "guard must complete it.", "issue 16 item 5; " + f"{_SRC} §3.3 (recognition accuracy a KPI)",
         f"{__name__}.tailgating", "ours"),
):
    register(_r)


def tailgating(ds: Dataset, zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    p, out = ds.passages, []
    if not len(p):
        return out
    first = np.flatnonzero(_first_reads(p, settings))  # a repeated read of one truck is not a second vehicle
    key = group_codes(p.enterprise[first], p.gate[first], p.inbound[first])
    local = np.lexsort((p.t[first], key))
    order, k = first[local], key[local]
    t, plate = p.t[order], p.plate[order]
    close = np.zeros(len(order), bool)
    close[1:] = (k[1:] == k[:-1]) & (t[1:] - t[:-1] < settings.tailgate_seconds) & (
        (plate[1:] != plate[:-1]) | (plate[1:] == ""))
    for j in np.flatnonzero(close):
        a, b = order[j - 1], order[j]
        out.append(_finding("VEH-TAILGATE", p.enterprise[b], p.plate[b] or p.plate[a], int(p.t[a]), int(p.t[b]),
                            zone, N_("Two vehicles (%(first)s, %(second)s) passed gate %(gate)s %(seconds)s s apart at "
                                     "%(time)s."),
                            {"first": p.plate[a] or "?", "second": p.plate[b] or "?", "gate": p.gate[b],
                             "seconds": int(p.t[b] - p.t[a]), "time": _when(int(p.t[a]), zone)},
                            {"gate": p.gate[b], "direction": "in" if p.inbound[b] else "out",
                             "lines": [int(p.line[a]), int(p.line[b])]}))
    low = (p.plate == "") | (p.confidence < settings.min_confidence)
    for i in np.flatnonzero(low):
        t0 = int(p.t[i])
        conf = None if np.isnan(p.confidence[i]) else round(float(p.confidence[i]), 3)
        out.append(_finding("VEH-PLATE-UNREAD", p.enterprise[i], p.plate[i], t0, t0, zone,
                            N_("A vehicle passed gate %(gate)s at %(time)s with its plate unread or read with low "
                               "confidence."), {"gate": p.gate[i], "time": _when(t0, zone)},
                            {"gate": p.gate[i], "plate_read": p.plate[i], "confidence": conf,
                             "line": int(p.line[i])}))
    return out


# ---------------------------------------------------------------------------------------------- VIN ↔ plate
@rule(code="VEH-VIN-MULTI-PLATE", severity="warning",
      summary="The same VIN appears under different plates (register and ledger).",
      source=f"{_SRC} §3.6 (VIN↔plate consistency), §7 item 22; issue 16 item 4", tag="S")
def vin_plates(ds: Dataset, zone: ZoneInfo) -> list[Finding]:
    seen: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for v in ds.register.values():
        if v.vin and not vin_problem(v.vin):
            seen[v.vin][v.plate].append(("register", None, None))
    lg = ds.ledger
    if len(lg):  # one entry per distinct (VIN, plate, enterprise): the first and last time it was written
        key = group_codes(lg.vin, lg.plate, lg.enterprise)
        order = np.lexsort((lg.t, key))
        ks = key[order]
        edges = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1], True])
        for a, b in zip(edges[:-1], edges[1:]):
            i, j = order[a], order[b - 1]
            if lg.vin[i] and lg.plate[i]:
                seen[lg.vin[i]][lg.plate[i]] += [("ledger", lg.enterprise[i], int(lg.t[i])),
                                                 ("ledger", lg.enterprise[j], int(lg.t[j]))]
    out = []
    for vin, plates in sorted(seen.items()):
        if len(plates) < 2:
            continue
        times = [x[2] for rows in plates.values() for x in rows if x[2] is not None]
        ents = sorted({x[1] for rows in plates.values() for x in rows if x[1]})
        t0, t1 = (min(times), max(times)) if times else (_data_start(ds),) * 2
        names = sorted(plates)
        out.append(_finding("VEH-VIN-MULTI-PLATE", ents[0] if ents else "", names[0], t0, t1, zone,
                            N_("VIN %(vin)s appears under %(count)s plates: %(plates)s."),
                            {"vin": vin, "count": len(names), "plates": ", ".join(names)},
                            {"vin": vin, "plates": {pl: sorted({x[0] for x in rows}) for pl, rows in plates.items()},
                             "enterprises": ents}))
    return out


# ---------------------------------------------------------------------------------------------- small volume
@rule(code="VEH-SMALL-VOLUME", severity="warning",
      summary="More than 10 vehicle entries in a day at an enterprise that claimed the small-volume exemption.",
      source=f"issue 16 item 5; {_SRC} §3.4 ledger checks 3–4 (daily vehicles); the 2020 mobile-source guide's "
             "exemption below 10 vehicles a day [R]", tag="R")
def small_volume(ds: Dataset, zone: ZoneInfo, settings: CheckSettings) -> list[Finding]:
    p, out = ds.passages, []
    exempt = [e.id for e in ds.enterprises.values() if e.small_volume_exempt]
    if not exempt or not len(p):
        return out
    days = local_days(p.t, zone)
    first = _first_reads(p, settings)
    for ent in sorted(exempt):
        sel = (p.enterprise == ent) & p.inbound & first
        if not sel.any():
            continue
        d, counts = np.unique(days[sel], return_counts=True)
        for day, n in zip(d, counts):
            if n <= settings.small_volume_limit:
                continue
            tt = p.t[sel & (days == day)]
            label = str(np.datetime64(int(day), "D"))
            out.append(_finding("VEH-SMALL-VOLUME", ent, "", int(tt.min()), int(tt.max()), zone,
                                N_("%(count)s vehicles entered on %(day)s; the small-volume exemption allows at "
                                   "most %(limit)s."), {"count": int(n), "day": label,
                                                        "limit": settings.small_volume_limit},
                                {"day": label, "entries": int(n), "limit": settings.small_volume_limit}))
    return out


# ---------------------------------------------------------------------------------------------- registers
@rule(code="VEH-UNKNOWN-VEHICLE", severity="info",
      summary="A plate the camera read is not in the vehicle register: the guard must complete its record.",
      source=f"{_SRC} §3.3 (gate logic), §7 item 19; issue 16 item 3", tag="S")
def unknown_vehicles(ds: Dataset, zone: ZoneInfo) -> list[Finding]:
    p, out = ds.passages, []
    if not len(p):
        return out
    known = np.isin(p.plate.astype(str), np.array(list(ds.register) or [""], dtype=str)) | (p.plate == "")
    idx = np.flatnonzero(~known)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i in idx:
        groups[(p.enterprise[i], p.plate[i])].append(int(i))
    for (ent, plate), ii in sorted(groups.items()):
        t0, t1 = int(p.t[ii].min()), int(p.t[ii].max())
        out.append(_finding("VEH-UNKNOWN-VEHICLE", ent, plate, t0, t1, zone,
                            N_("%(plate)s passed %(count)s time(s) from %(time)s and is not in the vehicle register."),
                            {"plate": plate, "count": len(ii), "time": _when(t0, zone)},
                            {"lines": [int(x) for x in p.line[ii][:20] if x >= 0]}))
    return out


def register_validity(ds: Dataset, zone: ZoneInfo) -> list[Finding]:
    out = []
    epoch = utc(_data_start(ds)).astimezone(zone)
    for v in ds.register.values():
        if v.vin and (why := vin_problem(v.vin)):
            out.append(Finding("VEH-VIN-INVALID", "", v.plate, epoch, epoch, epoch,
                               N_("The VIN %(vin)s of %(plate)s is not valid: %(problem)s."),
                               {"vin": v.vin, "plate": v.plate, "problem": why}, {"vin": v.vin, "source": "register"}))
        if why := plate_problem(v.plate, v.plate_colour):
            out.append(Finding("VEH-PLATE-FORMAT", "", v.plate, epoch, epoch, epoch,
                               N_("The plate %(plate)s (%(colour)s) is not valid: %(problem)s."),
                               {"plate": v.plate, "problem": why,
                                "colour": COLOUR_LABELS.get(v.plate_colour or "", v.plate_colour or "-")},
                               {"colour": v.plate_colour, "source": "register"}))
    return out


FINDING_CODES = ("VEH-ALERT-STAGE", "VEH-SHARE-ALERT", "VEH-SHARE-MONTH", "VEH-PASSAGE-NO-LEDGER",
                 "VEH-LEDGER-NO-PASSAGE", "VEH-LEDGER-INCOMPLETE", "VEH-LEDGER-STAGE-MISMATCH", "VEH-INSPECT-VIDEO",
                 "VEH-INSPECT-LEDGER", "VEH-EXIT-WITHOUT-ENTRY", "VEH-ENTRY-WITHOUT-EXIT", "VEH-TAILGATE",
                 "VEH-PLATE-UNREAD", "VEH-VIN-MULTI-PLATE", "VEH-SMALL-VOLUME", "VEH-UNKNOWN-VEHICLE",
                 "VEH-VIN-INVALID", "VEH-PLATE-FORMAT")


def ledger_stages(ds: Dataset, m: Matches, ranks: np.ndarray, codes: np.ndarray, fuels: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A passage whose plate the register does not know takes the stage and fuel of its matched ledger row (the
    guard completed it there, §3.3): the register first, the ledger second."""
    lg = ds.ledger
    fill = np.flatnonzero((ranks < 0) & (m.passage_to_ledger >= 0))
    if not len(fill):
        return ranks, codes, fuels
    ranks, codes, fuels = ranks.copy(), codes.copy(), fuels.copy()
    rows = m.passage_to_ledger[fill]
    for i, j in zip(fill, rows):  # only the unknown plates' passages: the guard's few completions
        ne = is_new_energy(lg.stage[j] or None, lg.fuel[j] or None)
        ranks[i] = NEW_ENERGY_RANK if ne else stage_rank(lg.stage[j] or None)
        codes[i] = "d" if ne else lg.stage[j]
        fuels[i] = lg.fuel[j]
    return ranks, codes, fuels


def _from(ds: Dataset, t0: int) -> Dataset:
    """The dataset's passages and ledger rows from ``t0`` on (register, enterprises and alerts as they are)."""
    return Dataset(ds.passages.take(np.flatnonzero(ds.passages.t >= t0)),
                   ds.ledger.take(np.flatnonzero(ds.ledger.t >= t0)), ds.register, ds.enterprises, ds.alerts)


def run_checks(ds: Dataset, rules: GradeRules, zone: ZoneInfo, settings: CheckSettings, *,
               events_from: int | None = None, with_inspection: bool = True, by_day: bool = True,
               settled_before: int | None = None) -> list[Finding]:
    """Every check over the dataset, findings sorted by enterprise, start and code.

    ``events_from`` (epoch seconds): the checks of single passages and ledger rows (video/ledger reconciliation,
    incomplete rows, side gates, tailgating) look only at the data from then on; the checks over periods (the
    alert's stages, the shares per alert and month, the small-volume days, VIN ↔ plate, the register) see the
    whole dataset. A caller that keeps only the findings ending at or after some time ``t`` and passes
    ``events_from`` ≤ ``t`` less the pairing's reach (``max_stay_hours`` and ``match_tolerance_s``) gets the same
    findings as from the whole run, at the cost of those periods only (the scheduled job, ``checks_job``).
    ``with_inspection`` False leaves out the inspection's sampled draws. ``by_day`` (default): the checks of single
    ledger rows (:data:`DAILY_CODES`) give one finding per enterprise and local day of ``zone``, whole only for
    the days from ``events_from`` on (give it at a local midnight). ``settled_before``: ledger rows after it are
    not judged against the video yet (:func:`reconcile`)."""
    ranks, codes, fuels = passage_ranks(ds.passages.plate, ds.register)
    m = match(ds, settings)
    ranks, codes, fuels = ledger_stages(ds, m, ranks, codes, fuels)
    out = (alert_stage(ds, ranks, codes, rules, zone) + stage_shares(ds, ranks, codes, fuels, rules, zone, settings)
           + vin_plates(ds, zone) + small_volume(ds, zone, settings) + unknown_vehicles(ds, zone)
           + register_validity(ds, zone))
    near, m_near = ds, m
    if events_from is not None:
        near = _from(ds, events_from)
        m_near = match(near, settings)
    out += (reconcile(near, m_near, zone, settings, by_day=by_day, settled_before=settled_before)
            + ledger_rows(near, zone, by_day=by_day)
            + (inspection(near, m_near, zone, settings) if with_inspection else [])
            + side_gates(near, zone, settings) + tailgating(near, zone, settings))
    out.sort(key=lambda f: (f.enterprise, f.start, f.code, f.plate))
    return out
