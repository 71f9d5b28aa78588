"""The checks over the stored tables: what one pass reads for an enterprise (passages, ledger rows, register,
grade, alerts, heartbeats, compared snapshots) as the pure rules' columns, and how their findings are kept
(``gates_findings``: one row per finding, unique on enterprise, code, subject and start, so a pass run again
changes a finding that grew — a later end, more evidence — and never adds it twice).

Times are read as UTC and handed to the rules as epoch seconds; the passages' and ledger rows' ``line`` is their
row id (the evidence's ``lines`` name stored rows, the dashboard links to them).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, func, or_, select, update

from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.rules.camera import ComparedSnapshot, Heartbeats
from ecosentry.subsystems.gates.rules.camera_view import ViewComparison
from ecosentry.subsystems.gates.rules.checks import DAILY_CODES, Alert, Dataset, Enterprise
from ecosentry.subsystems.gates.rules.decision import Vehicle
from ecosentry.subsystems.gates.rules.findings import Finding
from ecosentry.subsystems.gates.rules.ledger import LedgerRows, Passages

__all__ = ["EnterpriseInfo", "enterprise_info", "load_dataset", "RowCache", "load_heartbeats", "load_snapshots", "subject_of",
           "TIMELESS", "StoredFinding", "store_findings", "epoch", "load_alerts", "alert_starts",
           "camera_labels", "close_vanished", "note_alarm", "epochs"]

#: Codes about the register or a plate over all its passages: one finding per (enterprise, code, subject),
#: whatever its start (the window a pass reads moves; the finding stays one).
TIMELESS = ("VEH-UNKNOWN-VEHICLE", "VEH-VIN-INVALID", "VEH-PLATE-FORMAT", "VEH-VIN-MULTI-PLATE")


def epoch(t: datetime) -> int:
    return int(t.timestamp())


def epochs(times) -> np.ndarray:
    """Epoch seconds of UTC datetimes (aware or naive UTC), one numpy conversion for the whole column."""
    naive = [t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t for t in times]
    return np.asarray(naive, dtype="datetime64[us]").astype("datetime64[s]").astype(np.int64) if naive \
        else np.zeros(0, dtype=np.int64)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@dataclass
class EnterpriseInfo:
    id: int
    name: str
    grade: str
    small_volume_exempt: bool
    tz: str
    region_code: str | None
    gates: dict[int, str]          # gate id → the label the findings say (its name; the code added if two share it)


def enterprise_info(conn: Connection, enterprise_id: int) -> EnterpriseInfo | None:
    ge, e, g = gs.gates_enterprises.c, s.enterprises.c, gs.gates_gates.c
    row = conn.execute(select(e.id, e.name, e.region_code, ge.grade, ge.small_volume_exempt, ge.tz)
                       .join(gs.gates_enterprises, ge.enterprise_id == e.id).where(e.id == enterprise_id)).first()
    if row is None:
        return None
    gates = conn.execute(select(g.id, g.code, g.name).where(g.enterprise_id == enterprise_id)).all()
    names = [x.name for x in gates]
    labels = {x.id: (x.name if names.count(x.name) == 1 else f"{x.name} ({x.code})") for x in gates}
    return EnterpriseInfo(row.id, row.name, row.grade, bool(row.small_volume_exempt), row.tz, row.region_code, labels)


def load_alerts(conn: Connection, info: EnterpriseInfo, start: datetime, end: datetime, now: datetime) -> list[Alert]:
    if not info.region_code:
        return []
    chain = region_ancestry(conn, info.region_code)
    out = []
    for a in alerts_overlapping(conn, start, end, chain):
        ends = [_aware(t) for t in (a.get("ends_at"), a.get("lifted_at")) if t is not None]
        stop = min(ends) if ends else now
        if stop > _aware(a["starts_at"]):
            out.append(Alert(str(info.id), a["level"], epoch(_aware(a["starts_at"])), epoch(stop)))
    return out


def alert_starts(conn: Connection, info: EnterpriseInfo, start: datetime, end: datetime) -> list[datetime]:
    """The starts of the alerts over the enterprise's region that meet ``[start, end)``."""
    if not info.region_code:
        return []
    return [_aware(a["starts_at"]) for a in alerts_overlapping(conn, start, end, region_ancestry(conn, info.region_code))]


_P_COLS = ("id", "gate_id", "at", "inbound", "plate", "plate_colour", "confidence")
_L_COLS = ("id", "at", "inbound", "plate", "vin", "emission_stage", "fuel", "cargo", "weight_t", "stage_unknown")


def _passage_rows(conn: Connection, *where) -> list:
    p = gs.gates_passages.c
    return conn.execute(select(*(p[c] for c in _P_COLS)).where(*where)).all()


def _ledger_rows(conn: Connection, *where) -> list:
    lg = gs.gates_ledger.c
    return conn.execute(select(*(lg[c] for c in _L_COLS)).where(*where)).all()


def _columns(info: EnterpriseInfo, prow: list, lrow: list) -> tuple[Passages, LedgerRows, np.ndarray]:
    """The rows as the rules' columns (the line is the row id), and which ledger rows wait for the guard's stage."""
    key = str(info.id)
    passages = Passages.of([(key, info.gates.get(r.gate_id, str(r.gate_id)), 0, bool(r.inbound),
                             r.plate or "", r.plate_colour or "",
                             float("nan") if r.confidence is None else float(r.confidence)) for r in prow])
    passages.t = epochs([r.at for r in prow])
    passages.line = np.asarray([r.id for r in prow], dtype=np.int64)
    ledger = LedgerRows.of([(key, 0, bool(r.inbound), r.plate or "", r.vin or "",
                             r.emission_stage or "", r.fuel or "", r.cargo or "",
                             float("nan") if r.weight_t is None else float(r.weight_t)) for r in lrow])
    ledger.t = epochs([r.at for r in lrow])
    ledger.line = np.asarray([r.id for r in lrow], dtype=np.int64)
    return passages, ledger, np.asarray([bool(r.stage_unknown) for r in lrow], dtype=bool)


def _join(a, b):
    """Two column tables of one kind end to end, then in time order (ties by row id)."""
    joined = type(a)(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(a)))
    return joined.take(np.lexsort((joined.line, joined.t)))


def _dataset(conn: Connection, info: EnterpriseInfo, passages: Passages, ledger: LedgerRows, start: datetime,
             end: datetime, now: datetime) -> Dataset:
    t0, t1 = epoch(start), epoch(end)
    passages = passages.take(np.flatnonzero((passages.t >= t0) & (passages.t <= t1)))
    ledger = ledger.take(np.flatnonzero((ledger.t >= t0) & (ledger.t <= t1)))
    key = str(info.id)
    v = gs.gates_vehicles.c
    register = {r.plate: Vehicle(r.plate, r.plate_colour, r.vin or "", r.emission_stage, r.fuel,
                                 r.registration_date or "")
                for r in conn.execute(select(v.plate, v.plate_colour, v.vin, v.emission_stage, v.fuel,
                                             v.registration_date).where(v.enterprise_id == info.id))}
    return Dataset(passages, ledger, register, {key: Enterprise(key, info.grade, info.small_volume_exempt)},
                   load_alerts(conn, info, start, end, now))


def load_dataset(conn: Connection, info: EnterpriseInfo, start: datetime, end: datetime, now: datetime) -> Dataset:
    """The enterprise's passages and ledger rows of ``[start, end]``, its register, grade and alerts."""
    p, lg = gs.gates_passages.c, gs.gates_ledger.c
    prow = _passage_rows(conn, p.enterprise_id == info.id, p.at >= start, p.at <= end)
    lrow = _ledger_rows(conn, lg.enterprise_id == info.id, lg.at >= start, lg.at <= end)
    passages, ledger, _unknown = _columns(info, prow, lrow)
    passages = passages.take(np.lexsort((passages.line, passages.t)))
    ledger = ledger.take(np.lexsort((ledger.line, ledger.t)))
    return _dataset(conn, info, passages, ledger, start, end, now)


@dataclass
class _Cached:
    start: datetime
    read_at: datetime          # the ``now`` of the last read
    filled_at: float           # monotonic time of the last full read
    passages: Passages         # the window's columns from ``start`` on, in time order
    ledger: LedgerRows
    unknown: np.ndarray        # per ledger row: still waiting for the guard's stage


class RowCache:
    """The passages and ledger rows of the enterprises the checks job read last (issue 16, "the checks job re-reads
    the month per touched enterprise"), as the rules' columns: a pass reads only what is new since the last one, not
    the month again, and appends it to the columns.

    Passages are never changed once stored; a ledger row changes only when the guard completes its unknown stage
    (:func:`..store.decisions.complete_stage`), so the cached rows still ``stage_unknown`` are read again at each
    pass. New rows are those above the largest id read **or** timed after the last read less ``tail`` (a
    transaction that committed a row after a larger id was read: its time is recent); a window starting earlier
    than the cached one, an entry older than ``max_age`` seconds (a full read bounds what any other writer could
    hide) or an enterprise beyond the ``size`` most recently read is read whole."""

    def __init__(self, size: int = 200, max_age: float = 3600.0, tail: timedelta = timedelta(minutes=10)) -> None:
        self.size, self.max_age, self.tail = size, max_age, tail
        self._entries: OrderedDict[int, _Cached] = OrderedDict()
        #: rows read by the last :meth:`dataset` (passages, ledger rows): what a pass costs
        self.last_read = (0, 0)

    def clear(self) -> None:
        self._entries.clear()

    def dataset(self, conn: Connection, info: EnterpriseInfo, start: datetime, end: datetime, now: datetime,
                ledger_from: int | None = None) -> Dataset:
        """As :func:`load_dataset`, from the cache and what is new. ``ledger_from``: the ledger rows with a larger
        id are read again whatever the cache holds (the check state's mark, lowered by a corrected ledger:
        :func:`.ledger.correct_entries`)."""
        p, lg = gs.gates_passages.c, gs.gates_ledger.c
        entry = self._entries.get(info.id)
        if entry is None or start < entry.start or time.monotonic() - entry.filled_at > self.max_age:
            prow = _passage_rows(conn, p.enterprise_id == info.id, p.at >= start)
            lrow = _ledger_rows(conn, lg.enterprise_id == info.id, lg.at >= start)
            passages, ledger, unknown = _columns(info, prow, lrow)
            order = np.lexsort((ledger.line, ledger.t))
            entry = _Cached(start, now, time.monotonic(), passages.take(np.lexsort((passages.line, passages.t))),
                            ledger.take(order), unknown[order])
        else:
            since = entry.read_at - self.tail
            p_max = int(entry.passages.line.max()) if len(entry.passages) else 0
            l_max = int(entry.ledger.line.max()) if len(entry.ledger) else 0
            if ledger_from is not None:
                l_max = min(l_max, ledger_from)
            prow = _passage_rows(conn, p.enterprise_id == info.id, p.at >= start, or_(p.id > p_max, p.at >= since))
            lrow = _ledger_rows(conn, lg.enterprise_id == info.id, lg.at >= start, or_(lg.id > l_max, lg.at >= since))
            waiting = [int(x) for x in entry.ledger.line[entry.unknown]]
            seen = {r.id for r in lrow}
            for k in range(0, len(waiting), 500):
                lrow += [r for r in _ledger_rows(conn, lg.id.in_(waiting[k:k + 500])) if r.id not in seen]
            new_p, new_l, new_unknown = _columns(info, prow, lrow)
            t0 = epoch(start)
            keep_p = (entry.passages.t >= t0) & ~np.isin(entry.passages.line, new_p.line)
            keep_l = (entry.ledger.t >= t0) & ~np.isin(entry.ledger.line, new_l.line)
            passages = _join(entry.passages.take(np.flatnonzero(keep_p)), new_p)
            both = np.concatenate([entry.ledger.line[keep_l], new_l.line])
            unknown = np.concatenate([entry.unknown[keep_l], new_unknown])
            ledger = _join(entry.ledger.take(np.flatnonzero(keep_l)), new_l)
            # the flags follow their rows into the new order
            unknown = unknown[np.argsort(both, kind="stable")][np.argsort(np.argsort(ledger.line, kind="stable"))]
            entry = _Cached(start, now, entry.filled_at, passages, ledger, unknown)
        self.last_read = (len(prow), len(lrow))
        self._entries[info.id] = entry
        self._entries.move_to_end(info.id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return _dataset(conn, info, entry.passages, entry.ledger, start, end, now)


def load_heartbeats(conn: Connection, info: EnterpriseInfo, start: datetime, end: datetime
                    ) -> tuple[Heartbeats, Passages]:
    """The signs of life of the enterprise's gates in ``[start, end]``: the ``ok`` heartbeats of its devices and its
    passages, each gate's last one before ``start`` included (a silence keeps its start whatever the window)."""
    key = str(info.id)
    h, d, p = gs.gates_heartbeats.c, gs.gates_devices.c, gs.gates_passages.c
    ok = (h.status == "ok", d.gate_id.in_(list(info.gates)))
    hb = conn.execute(select(d.gate_id, h.at).join(gs.gates_devices, d.id == h.device_id)
                      .where(*ok, h.at >= start, h.at <= end)).all()
    hb += conn.execute(select(d.gate_id, func.max(h.at)).join(gs.gates_devices, d.id == h.device_id)
                       .where(*ok, h.at < start).group_by(d.gate_id)).all()
    ps = conn.execute(select(p.gate_id, p.at).where(p.enterprise_id == info.id, p.at >= start, p.at <= end)).all()
    ps += conn.execute(select(p.gate_id, func.max(p.at)).where(p.enterprise_id == info.id, p.at < start)
                       .group_by(p.gate_id)).all()
    hb = [(g, t) for g, t in hb if t is not None]
    ps = [(g, t) for g, t in ps if t is not None]
    heartbeats = Heartbeats.of([(key, info.gates.get(g, str(g)), 0) for g, _t in hb])
    heartbeats.t = epochs([t for _g, t in hb])
    passages = Passages.of([(key, info.gates.get(g, str(g)), 0, True, "", "", float("nan")) for g, _t in ps])
    passages.t = epochs([t for _g, t in ps])
    return heartbeats, passages


def camera_labels(conn: Connection, info: EnterpriseInfo) -> dict[int, str]:
    """Camera id → the label its findings say: the gate's (or loading place's) name and the camera's code."""
    c, lp = gs.gates_cameras.c, gs.gates_loading_places.c
    places = dict(conn.execute(select(lp.id, lp.name).where(lp.enterprise_id == info.id)).all())
    out = {}
    for cam in conn.execute(select(c.id, c.code, c.gate_id, c.loading_place_id).where(c.enterprise_id == info.id)):
        place = info.gates.get(cam.gate_id) if cam.gate_id else places.get(cam.loading_place_id)
        out[cam.id] = f"{place} ({cam.code})" if place else cam.code
    return out


def load_snapshots(conn: Connection, info: EnterpriseInfo, labels: dict[int, str], start: datetime,
                   min_similarity: float) -> list[ComparedSnapshot]:
    """The compared snapshots of the enterprise's cameras from ``start`` on, each camera's from its last snapshot
    showing the reference view before ``start`` (a camera turned for days keeps one finding with its start)."""
    sn = gs.gates_snapshots.c
    ids = list(labels)
    if not ids:
        return []
    good = (sn.blank.is_(False), sn.similarity >= min_similarity)
    since = dict(conn.execute(select(sn.camera_id, func.max(sn.at)).where(sn.camera_id.in_(ids), sn.at < start, *good)
                              .group_by(sn.camera_id)).all())
    earliest = min([start, *(_aware(t) for t in since.values())])
    out = []
    for r in conn.execute(select(sn.id, sn.camera_id, sn.at, sn.similarity, sn.blank)
                          .where(sn.camera_id.in_(ids), sn.at >= earliest, sn.similarity.is_not(None))
                          .order_by(sn.camera_id, sn.at)):
        at = _aware(r.at)
        if at < start and (r.camera_id not in since or at < _aware(since[r.camera_id])):
            continue
        cmp = ViewComparison(float(r.similarity), bool(r.blank), 0.0, (0, 0))
        out.append(ComparedSnapshot(str(info.id), labels[r.camera_id], epoch(at), cmp, int(r.id)))
    return out


def subject_of(f: Finding) -> str:
    """What a finding is about, in its key: the local day of a ledger's day (:data:`.rules.checks.DAILY_CODES`),
    else the plate, else the gate or camera it names, else empty."""
    if f.code in DAILY_CODES:
        return str(f.evidence["day"])
    return str(f.plate or f.params.get("gate") or f.evidence.get("gate") or "")[:64]


@dataclass
class StoredFinding:
    id: int
    enterprise_id: int
    code: str
    subject: str
    new: bool            # inserted by this pass
    opened: bool         # open now (a camera still silent or turned)
    was_open: bool       # open before this pass
    alarm_id: int | None
    finding: Finding


def _jsonable(v: Any) -> Any:
    return audit.jsonable(v)


def store_findings(conn: Connection, enterprise_id: int, findings: list[Finding], now: datetime,
                   open_of=lambda f: False) -> list[StoredFinding]:
    """Insert the new findings, update those that grew (end, parameters, evidence, open); the stored rows.

    A finding is the one stored with the same enterprise, code, subject and start (for the :data:`TIMELESS` codes,
    the same enterprise, code and subject; for a ledger's day, :data:`.rules.checks.DAILY_CODES`, the same
    enterprise, code and day: its counts, first and last time are updated, never a second one for the day)."""
    f_ = gs.gates_findings.c
    if not findings:
        return []
    codes = sorted({f.code for f in findings})
    starts = [f.start for f in findings]
    days = sorted({subject_of(f) for f in findings if f.code in DAILY_CODES})
    by_subject = TIMELESS + DAILY_CODES
    existing = {}
    for r in conn.execute(select(f_.id, f_.code, f_.subject, f_.start, f_.open, f_.alarm_id, f_.end)
                          .where(f_.enterprise_id == enterprise_id, f_.code.in_(codes),
                                 or_(f_.start >= min(starts), f_.code.in_(TIMELESS),
                                     and_(f_.code.in_(DAILY_CODES), f_.subject.in_(days or [""]))))):
        key = (r.code, r.subject) if r.code in by_subject else (r.code, r.subject, _aware(r.start))
        existing[key] = r
    out: list[StoredFinding] = []
    seen: set = set()
    for f in findings:
        subject = subject_of(f)
        start = f.start.astimezone(timezone.utc)
        key = (f.code, subject) if f.code in by_subject else (f.code, subject, start)
        if key in seen:
            continue
        seen.add(key)
        values = {"severity": f.severity, "plate": (f.plate or "")[:16], "end": f.end.astimezone(timezone.utc),
                  "detected_at": f.detected_at.astimezone(timezone.utc), "msgid": f.msgid,
                  "params": _jsonable(f.params), "evidence": _jsonable(f.evidence), "open": bool(open_of(f)),
                  "updated_at": now}
        row = existing.get(key)
        if row is None:
            fid = conn.execute(gs.gates_findings.insert().values(
                enterprise_id=enterprise_id, code=f.code, subject=subject, start=start, found_at=now, **values)
                .returning(f_.id)).scalar_one()
            out.append(StoredFinding(int(fid), enterprise_id, f.code, subject, True, values["open"], False, None, f))
            continue
        if f.code in TIMELESS:  # the stored start stays; the end only grows
            values["end"] = max(values["end"], _aware(row.end))
        elif f.code in DAILY_CODES:  # the day's first wanting row may have been corrected: the start moves
            values["start"] = start
        conn.execute(update(gs.gates_findings).where(f_.id == row.id).values(**values))
        out.append(StoredFinding(int(row.id), enterprise_id, f.code, subject, False, values["open"], bool(row.open),
                                 row.alarm_id, f))
    return out


def close_vanished(conn: Connection, enterprise_id: int, code: str, kept: set[int], now: datetime,
                   subjects_from: str | None = None) -> list[dict]:
    """Open findings of ``code`` that this pass no longer found open are closed (the camera was heard again and
    the silence fell below the threshold, a snapshot was deleted; a ledger's day corrected by the enterprise); their
    rows. ``subjects_from``: only those whose subject is at or after it (the days a pass checked whole)."""
    f_ = gs.gates_findings.c
    where = [f_.enterprise_id == enterprise_id, f_.code == code, f_.open.is_(True)]
    if subjects_from is not None:
        where.append(f_.subject >= subjects_from)
    rows = [dict(r) for r in conn.execute(select(gs.gates_findings).where(*where)).mappings()
            if r["id"] not in kept]
    if rows:
        conn.execute(update(gs.gates_findings).where(f_.id.in_([r["id"] for r in rows]))
                     .values(open=False, updated_at=now))
    return rows


def note_alarm(conn: Connection, finding_id: int, alarm_id: int) -> None:
    conn.execute(update(gs.gates_findings).where(gs.gates_findings.c.id == finding_id).values(alarm_id=alarm_id))

