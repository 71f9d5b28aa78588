"""Marks (标记) in the database: filing, evidence, review, closing, soft deletion, automatic gap marks.

Every change writes an ``audit_log`` row (entity ``"mark"``, the mark id, the full mark before and after,
including the metadata of its evidence files) in the same transaction.

Life cycle: a manual mark is ``filed`` by the enterprise and reviewed once (``approved`` or ``rejected``);
automatic marks are created ``approved`` and are not reviewed. An open mark (``end`` None) is closed with
:func:`close_mark`. Deleting is soft (``deleted_at``; national ``data_status`` −1): deleted marks stay in the
audit trail and in :func:`list_marks` with ``include_deleted=True``, and have no effect.

What a mark does to an hour is decided by :mod:`ecosentry.subsystems.monitoring.rules.cn.marks`.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Engine, insert, or_, select, update

from ecosentry.subsystems.monitoring.rules.cn.marks import FAMILIES, MARK_TYPES, TYPE_FAMILY, MarkSpan, auto_gap_marks
from ecosentry.said import Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms

__all__ = [
    "MarkError", "MarkNotFound", "MAX_EVIDENCE_BYTES", "AUTO_ACTOR", "file_mark", "attach_evidence",
    "get_evidence", "review_mark", "close_mark", "delete_mark", "get_mark", "list_marks", "marks_for_hours",
    "marks_for_points", "sync_points_gap_marks",
    "sync_auto_gap_marks", "point_tz", "SOURCES", "DECISIONS",
]

#: Largest evidence file accepted (bytes). A setting: pass ``max_bytes`` to :func:`attach_evidence`.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
#: Actor recorded for automatic marks.
AUTO_ACTOR = "system"
SOURCES = ("manual", "auto")
DECISIONS = ("approved", "rejected")


class MarkError(Said):
    """A mark operation was refused; the message says why (a catalogue msgid: shown in the reader's
    language, see :class:`ecosentry.said.Said`)."""


class MarkNotFound(MarkError):
    """The mark, evidence file or point does not exist."""


# --------------------------------------------------------------------------- helpers

def _aware(t: datetime | None, name: str) -> datetime | None:
    if t is None:
        return None
    if not isinstance(t, datetime):
        raise MarkError("%(name)s must be a datetime", name=name)
    if t.tzinfo is None:
        raise MarkError("%(name)s %(time)s has no time zone; give an offset (e.g. +08:00)", name=name,
                        time=t.isoformat())
    return t.astimezone(timezone.utc)


def _split(codes: str | None) -> list[str] | None:
    return None if codes is None else [c for c in codes.split(",") if c]


def _evidence_meta(conn: Connection, mark_id: int) -> list[dict]:
    e = ms.mark_evidence
    rows = conn.execute(select(e.c.id, e.c.filename, e.c.content_type, e.c.size, e.c.sha256, e.c.uploaded_by,
                               e.c.uploaded_at).where(e.c.mark_id == mark_id).order_by(e.c.id)).mappings()
    return [dict(r) for r in rows]


def _load(conn: Connection, mark_id: int, *, lock: bool = False) -> dict:
    q = select(s.marks).where(s.marks.c.id == mark_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    if row is None:
        raise MarkNotFound("no mark with id %(id)s", id=mark_id)
    mark = dict(row)
    mark["factor_codes"] = _split(mark["factor_codes"])
    mark["evidence"] = _evidence_meta(conn, mark_id)
    return mark


def _live(conn: Connection, mark_id: int) -> dict:
    mark = _load(conn, mark_id, lock=True)
    if mark["deleted_at"] is not None:
        raise MarkError("mark %(id)s is deleted", id=mark_id)
    return mark


def point_tz(engine: Engine, point_id: int) -> str:
    """The time zone of a point (:class:`MarkNotFound` when there is no such point)."""
    with engine.connect() as conn:
        tz = conn.execute(select(s.points.c.tz).where(s.points.c.id == point_id)).scalar()
    if tz is None:
        raise MarkNotFound("no point with id %(id)s", id=point_id)
    return tz


# --------------------------------------------------------------------------- filing

def _insert_mark(conn: Connection, *, point_id: int, type: str, start: datetime, end: datetime | None,
                 factor_codes: Iterable[str] | None, family: str | None, sub_type: str | None,
                 reason: str | None, majeure_type: int | None, filed_by: str | None, source: str) -> int:
    if type not in MARK_TYPES:
        raise MarkError("unknown mark type %(type)r; known types: %(known)s", type=type,
                        known=", ".join(sorted(MARK_TYPES)))
    if source not in SOURCES:
        raise MarkError(f"source must be 'manual' or 'auto', not {source!r}")
    start = _aware(start, "start")
    end = _aware(end, "end")
    if start is None:
        raise MarkError("start is required")
    if end is not None and end <= start:
        raise MarkError("end %(end)s must be after start %(start)s", end=end, start=start)
    family = family or TYPE_FAMILY[type]
    if family not in FAMILIES:
        raise MarkError(f"unknown mark family {family!r}; known families: {', '.join(sorted(FAMILIES))}")
    if majeure_type is not None and majeure_type not in (1, 2, 3):
        raise MarkError("majeure_type must be 1 (force majeure), 2 (long-term shutdown) or 3 (other)")
    if conn.execute(select(s.points.c.id).where(s.points.c.id == point_id)).first() is None:
        raise MarkNotFound("no point with id %(id)s", id=point_id)
    codes = sorted({c.strip() for c in factor_codes if c and c.strip()}) if factor_codes is not None else []
    if codes:
        pf = s.point_factors
        known = set(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == point_id)).scalars())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise MarkError("factor(s) %(factors)s are not monitored at point %(point)s (its factors: %(known)s)",
                            factors=", ".join(unknown), point=point_id, known=", ".join(sorted(known)) or "—")
    joined = ",".join(codes) or None
    if joined is not None and len(joined) > 400:
        raise MarkError("too many factor codes for one mark")
    now = datetime.now(timezone.utc)
    res = conn.execute(insert(s.marks).values(
        point_id=point_id, factor_codes=joined, family=family, type=type, sub_type=sub_type, start=start,
        end=end, source=source, status="approved" if source == "auto" else "filed", majeure_type=majeure_type,
        reason=reason, filed_by=filed_by, filed_at=now))
    mark_id = int(res.inserted_primary_key[0])
    audit.record(conn, filed_by, "file", "mark", mark_id, None, _load(conn, mark_id))
    return mark_id


def file_mark(engine: Engine, *, point_id: int, type: str, start: datetime, end: datetime | None = None,
              factor_codes: Iterable[str] | None = None, family: str | None = None, sub_type: str | None = None,
              reason: str | None = None, majeure_type: int | None = None, filed_by: str | None = None,
              source: str = "manual") -> int:
    """File a mark and return its id.

    ``factor_codes`` None or empty = every factor of the point. ``family`` defaults from the type
    (:data:`ecosentry.subsystems.monitoring.rules.cn.marks.TYPE_FAMILY`). Manual marks start ``filed``, automatic ones
    ``approved``. Times must be timezone-aware. Raises :class:`MarkError` (unknown type/family, end not
    after start, factor not monitored at the point) or :class:`MarkNotFound` (no such point).
    """
    with engine.begin() as conn:
        return _insert_mark(conn, point_id=point_id, type=type, start=start, end=end, factor_codes=factor_codes,
                            family=family, sub_type=sub_type, reason=reason, majeure_type=majeure_type,
                            filed_by=filed_by, source=source)


# --------------------------------------------------------------------------- evidence

def _clean_filename(name: str | None) -> str:
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    if not base:
        raise MarkError("the evidence file needs a file name")
    return base[-200:]


def attach_evidence(engine: Engine, mark_id: int, filename: str, content_type: str | None, data: bytes,
                    uploaded_by: str | None, *, max_bytes: int | None = None) -> dict:
    """Store an evidence file (凭证) for a mark; returns its metadata (id, filename, size, sha256 …).

    Refuses empty files and files larger than ``max_bytes`` (default :data:`MAX_EVIDENCE_BYTES`, 20 MB).
    """
    limit = MAX_EVIDENCE_BYTES if max_bytes is None else max_bytes
    data = bytes(data or b"")
    if not data:
        raise MarkError("the evidence file is empty")
    if len(data) > limit:
        raise MarkError("the evidence file is %(size)d bytes; the limit is %(limit)d bytes", size=len(data),
                        limit=limit)
    fname = _clean_filename(filename)
    digest = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        before = _live(conn, mark_id)
        res = conn.execute(insert(ms.mark_evidence).values(
            mark_id=mark_id, filename=fname, content_type=(content_type or None) and content_type[:100],
            size=len(data), sha256=digest, data=data, uploaded_by=uploaded_by,
            uploaded_at=datetime.now(timezone.utc)))
        eid = int(res.inserted_primary_key[0])
        after = _load(conn, mark_id)
        audit.record(conn, uploaded_by, "attach_evidence", "mark", mark_id, before, after)
    return next(e for e in after["evidence"] if e["id"] == eid)


def add_manual_value(engine: Engine, mark_id: int, *, factor_code: str, sampled_at: datetime, value: float,
                     zs_value: float | None = None, unit: str | None = None, method: str | None = None,
                     instrument: str | None = None, monitor_type: int | None = None,
                     actor: str | None = None) -> dict:
    """Record a manual monitoring value (手工监测值录入) taken while the equipment was down: the national
    mark family 3; ``monitor_type`` 1 self-monitoring, 2 enforcement monitoring."""
    sampled_at = _aware(sampled_at, "sampled_at")
    if monitor_type not in (None, 1, 2):
        raise MarkError(f"monitor_type must be 1 (self-monitoring) or 2 (enforcement), not {monitor_type!r}")
    if not math.isfinite(value):
        raise MarkError("value %(value)r is not a finite number", value=value)
    with engine.begin() as conn:
        before = _live(conn, mark_id)
        codes = before["factor_codes"]
        if codes and factor_code not in codes:
            raise MarkError("factor %(factor)s is not covered by mark %(id)s (%(codes)s)", factor=factor_code,
                            id=mark_id, codes=", ".join(codes))
        registered = set(conn.scalars(select(s.point_factors.c.factor_code)
                                      .where(s.point_factors.c.point_id == before["point_id"])))
        if factor_code not in registered:
            raise MarkError("factor %(factor)s is not registered on point %(point)s", factor=factor_code,
                            point=before["point_id"])
        res = conn.execute(insert(ms.mark_manual_values).values(
            mark_id=mark_id, factor_code=factor_code, sampled_at=sampled_at, value=value, zs_value=zs_value,
            unit=unit, method=method, instrument=instrument, monitor_type=monitor_type))
        row = dict(conn.execute(select(ms.mark_manual_values).where(
            ms.mark_manual_values.c.id == res.inserted_primary_key[0])).mappings().one())
        audit.record(conn, actor, "add_manual_value", "mark", mark_id, None, row)
    return row


def list_manual_values(engine: Engine, mark_id: int) -> list[dict]:
    with engine.connect() as conn:
        _load(conn, mark_id)
        return [dict(r) for r in conn.execute(select(ms.mark_manual_values).where(
            ms.mark_manual_values.c.mark_id == mark_id).order_by(ms.mark_manual_values.c.sampled_at)).mappings()]


def get_evidence(engine: Engine, mark_id: int, evidence_id: int) -> dict:
    """One evidence file with its bytes (``data``); :class:`MarkNotFound` if absent."""
    e = ms.mark_evidence
    with engine.connect() as conn:
        row = conn.execute(select(e).where(e.c.id == evidence_id, e.c.mark_id == mark_id)).mappings().first()
    if row is None:
        raise MarkNotFound("mark %(id)s has no evidence file with id %(evidence)s", id=mark_id, evidence=evidence_id)
    return dict(row)


# --------------------------------------------------------------------------- review, close, delete

def review_mark(engine: Engine, mark_id: int, decision: str, reviewer: str | None, comment: str | None = None) -> dict:
    """Approve or reject a ``filed`` mark (once); returns the mark."""
    if decision not in DECISIONS:
        raise MarkError(f"decision must be 'approved' or 'rejected', not {decision!r}")
    with engine.begin() as conn:
        before = _live(conn, mark_id)
        if before["status"] != "filed":
            raise MarkError("mark %(id)s is already reviewed; only filed marks can be reviewed", id=mark_id)
        conn.execute(update(s.marks).where(s.marks.c.id == mark_id).values(
            status=decision, reviewed_by=reviewer, reviewed_at=datetime.now(timezone.utc), review_comment=comment))
        after = _load(conn, mark_id)
        audit.record(conn, reviewer, "review", "mark", mark_id, before, after)
    return after


def close_mark(engine: Engine, mark_id: int, end: datetime, actor: str | None) -> dict:
    """Set the end of an open mark (status 0 → 1 in the national interface); returns the mark."""
    end = _aware(end, "end")
    if end is None:
        raise MarkError("end is required to close a mark")
    with engine.begin() as conn:
        before = _live(conn, mark_id)
        if before["end"] is not None:
            raise MarkError("mark %(id)s is already closed (end %(end)s)", id=mark_id, end=before["end"])
        if end <= before["start"]:
            raise MarkError("end %(end)s must be after start %(start)s", end=end, start=before["start"])
        conn.execute(update(s.marks).where(s.marks.c.id == mark_id).values(end=end))
        after = _load(conn, mark_id)
        audit.record(conn, actor, "close", "mark", mark_id, before, after)
    return after


def delete_mark(engine: Engine, mark_id: int, actor: str | None) -> dict:
    """Soft-delete a mark (it stays stored and audited, and has no effect any more); returns the mark."""
    with engine.begin() as conn:
        before = _live(conn, mark_id)
        conn.execute(update(s.marks).where(s.marks.c.id == mark_id).values(deleted_at=datetime.now(timezone.utc)))
        after = _load(conn, mark_id)
        audit.record(conn, actor, "delete", "mark", mark_id, before, after)
    return after


# --------------------------------------------------------------------------- reading

def get_mark(engine: Engine, mark_id: int) -> dict:
    """One mark (deleted ones too) with ``evidence`` metadata; :class:`MarkNotFound` if absent."""
    with engine.connect() as conn:
        return _load(conn, mark_id)


def _overlap(start: datetime | None, end: datetime | None):
    m = s.marks
    cond = []
    if start is not None:
        cond.append(or_(m.c.end.is_(None), m.c.end > _aware(start, "start")))
    if end is not None:
        cond.append(m.c.start < _aware(end, "end"))
    return cond


def list_marks(engine: Engine, point_id: int | None = None, start: datetime | None = None,
               end: datetime | None = None, status: str | None = None, include_deleted: bool = False) -> list[dict]:
    """Marks overlapping ``[start, end)`` (either bound optional), oldest start first."""
    m = s.marks
    q = select(m.c.id).where(*_overlap(start, end)).order_by(m.c.start, m.c.id)
    if point_id is not None:
        q = q.where(m.c.point_id == point_id)
    if status is not None:
        q = q.where(m.c.status == status)
    if not include_deleted:
        q = q.where(m.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return [_load(conn, i) for i in conn.execute(q).scalars().all()]


def _span(row: Any) -> MarkSpan:
    codes = _split(row.factor_codes)
    return MarkSpan(id=row.id, factor_codes=frozenset(codes) if codes else None, type=row.type, start=row.start,
                    end=row.end, source=row.source, status=row.status)


def marks_for_points(conn: Connection, point_ids: Iterable[int], start: datetime, end: datetime
                     ) -> dict[int, list[MarkSpan]]:
    """:func:`marks_for_hours` of many points at once (a statement per 500 points): point → its marks (every
    point asked for is a key), each point's in the same order."""
    m = s.marks
    ids = sorted(set(point_ids))
    out: dict[int, list[MarkSpan]] = {p: [] for p in ids}
    for i in range(0, len(ids), 500):
        q = (select(m.c.point_id, m.c.id, m.c.factor_codes, m.c.type, m.c.start, m.c.end, m.c.source, m.c.status)
             .where(m.c.point_id.in_(ids[i:i + 500]), m.c.deleted_at.is_(None), *_overlap(start, end))
             .order_by(m.c.point_id, m.c.start, m.c.id))
        for r in conn.execute(q):
            out[r.point_id].append(_span(r))
    return out


def marks_for_hours(bind: Engine | Connection, point_id: int, start: datetime, end: datetime) -> list[MarkSpan]:
    """The non-deleted marks of a point overlapping ``[start, end)``, for
    :func:`ecosentry.subsystems.monitoring.rules.cn.marks.hour_mark_effect` (which ignores rejected ones). ``bind`` may be an
    open connection (the hourly recompute reads marks inside its own transaction)."""
    if isinstance(bind, Connection):
        return marks_for_points(bind, [point_id], start, end)[point_id]
    with bind.connect() as conn:
        return marks_for_points(conn, [point_id], start, end)[point_id]


# --------------------------------------------------------------------------- automatic gap marks

def sync_auto_gap_marks(engine: Engine, point_id: int, factor: str, window_start: datetime,
                        window_end: datetime, min_gap_minutes: int = 15) -> dict:
    """Create, update or remove the automatic 通讯中断 marks of one factor; see :func:`sync_point_gap_marks`."""
    return sync_point_gap_marks(engine, point_id, [factor], window_start, window_end, min_gap_minutes,
                                require_monitored=True)


def sync_point_gap_marks(engine: Engine, point_id: int, factors: Sequence[str] | None, window_start: datetime,
                         window_end: datetime, min_gap_minutes: int = 15, *, require_monitored: bool = False,
                         only_minute_factors: bool = False) -> dict:
    """Create, update or remove the automatic 通讯中断 marks of a point's factors from its stored minute data.

    Gaps are found by :func:`ecosentry.subsystems.monitoring.rules.cn.marks.auto_gap_marks` over the ``observations`` of kind
    ``min`` in ``[window_start, window_end)``, with the point's ``min_interval``; ``factors`` ``None`` means
    every factor monitored at the point. One transaction for all factors. Idempotent: running it twice
    changes nothing the second time. Matching: an existing automatic comm-interruption mark of a factor that
    overlaps a gap is updated to it (a gap cut at a window edge keeps the mark's start or end beyond that
    edge); a gap without a mark gets a new mark; an automatic mark lying wholly inside the window that no gap
    matches any more (late or back-filled data) is soft-deleted. Automatic marks partly outside the window
    and unmatched are left alone. Returns ``{"created": [...], "updated": [...], "deleted": [...]}``
    (mark ids).

    ``only_minute_factors``: skip factors without any minute record in the window (a wastewater analyser
    whose cycle is the hour sends hourly records only; it has no minute data to miss).

    ``factors`` ``None`` (the pipeline's call) syncs **point-wide** marks: a gap is a stretch in which none
    of the point's factors sent a minute record (the logger did not communicate), and each gap is **one**
    mark whose ``factor_codes`` are the factors checked (issue 11: one 20-minute gap gave one mark per
    factor, 30 marks). Back-filling any factor over part of a gap shortens or removes the mark there: the
    logger did communicate for that time; the factors still missing those minutes are judged by the
    45-minute rule (CN-HOUR-45MIN), which counts them as missing, so no hour becomes valid by it. Older
    per-factor automatic marks inside the window are taken over (the first that overlaps a gap) or removed.
    """
    w0, w1 = _aware(window_start, "window_start"), _aware(window_end, "window_end")
    if w1 <= w0:
        raise MarkError("window_end must be after window_start")
    out: dict[str, list[int]] = {"created": [], "updated": [], "deleted": []}
    o, m, pf = s.observations, s.marks, s.point_factors
    if factors is None:  # point-wide (the pipeline's call): as for many points
        with engine.connect() as conn:
            if conn.execute(select(s.points.c.id).where(s.points.c.id == point_id)).first() is None:
                raise MarkNotFound("no point with id %(id)s", id=point_id)
        done = sync_points_gap_marks(engine, {point_id: (w0, w1)}, min_gap_minutes,
                                     only_minute_factors=only_minute_factors)
        if point_id in done.failed:
            raise done.failed[point_id]
        return done.changes.get(point_id, out)
    with engine.begin() as conn:
        row = conn.execute(select(s.points.c.min_interval).where(s.points.c.id == point_id)).first()
        if row is None:
            raise MarkNotFound("no point with id %(id)s", id=point_id)
        interval = int(row[0] or 1)
        monitored = set(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == point_id)).scalars())
        wanted = sorted(set(factors))
        missing = [f for f in wanted if f not in monitored]
        if missing and require_monitored:
            raise MarkError(f"factor {missing[0]} is not monitored at point {point_id}")
        wanted = [f for f in wanted if f in monitored]
        if not wanted:
            return out
        times: dict[str, list[datetime]] = {f: [] for f in wanted}
        for factor, t in conn.execute(select(o.c.factor_code, o.c.period_start).where(
                o.c.point_id == point_id, o.c.factor_code.in_(wanted), o.c.kind == "min",
                o.c.period_start >= w0 - timedelta(minutes=interval), o.c.period_start < w1)
                .order_by(o.c.factor_code, o.c.period_start)):
            times[factor].append(t)
        existing_all = [dict(r) for r in conn.execute(select(m).where(
            m.c.point_id == point_id, m.c.source == "auto", m.c.type == "comm_interruption",
            m.c.factor_codes.in_(wanted), m.c.deleted_at.is_(None),
            or_(m.c.end.is_(None), m.c.end >= w0), m.c.start <= w1).order_by(m.c.start, m.c.id)).mappings()]
        for factor in wanted:
            if only_minute_factors and not times[factor]:
                continue
            gaps = auto_gap_marks(times[factor], interval, w0, w1, min_gap_minutes)
            existing = [e for e in existing_all if e["factor_codes"] == factor]
            _sync_factor_gaps(conn, point_id, [factor], gaps, existing, w0, w1, min_gap_minutes, out)
    return out


class GapMarkSync:
    """What :func:`sync_points_gap_marks` did: point → ``{"created": [...], "updated": [...], "deleted": [...]}``
    (mark ids) for the points whose marks changed, and point → the exception of each point whose marks could
    not be synced (its changes rolled back, the other points' kept)."""

    def __init__(self) -> None:
        self.changes: dict[int, dict[str, list[int]]] = {}
        self.failed: dict[int, Exception] = {}


def sync_points_gap_marks(engine: Engine, windows: dict[int, tuple[datetime, datetime]],
                          min_gap_minutes: int = 15, *, only_minute_factors: bool = True) -> GapMarkSync:
    """The point-wide automatic 通讯中断 marks of many points, each over its own window ``[w0, w1)`` (aware
    datetimes): what :func:`sync_point_gap_marks` does with ``factors=None`` for one point (it calls this), for
    all of them with a few reads per 500 points sharing a window (the worker's flush: every touched point, every
    ``hourly_every`` seconds).

    Per point: the factors checked are its monitored factors (``only_minute_factors``: those with a minute
    record in ``[w0 − min_interval, w1)``); a gap is a stretch in which none of them sent one
    (:func:`~ecosentry.subsystems.monitoring.rules.cn.marks.auto_gap_marks`); the point's non-deleted automatic
    comm-interruption marks overlapping the window are matched, updated, created or removed as
    :func:`sync_point_gap_marks` says. Unknown points are skipped. The reads share one connection; each point
    whose marks change is written in its own transaction (rare: a gap opened, grew or was filled), so a point
    that fails is reported in ``failed`` and leaves the others' changes in place (and on SQLite no read snapshot
    is held when the write begins, which a concurrent writer would turn into "database is locked")."""
    done = GapMarkSync()
    wins = {p: (_aware(a, "window_start"), _aware(b, "window_end")) for p, (a, b) in windows.items()}
    wins = {p: w for p, w in wins.items() if w[1] > w[0]}
    if not wins:
        return done
    o, m, pf = s.observations, s.marks, s.point_factors
    ids = sorted(wins)
    todo: list[tuple[int, list[str], list[tuple[datetime, datetime]], list[dict], datetime, datetime]] = []
    with engine.connect() as conn:
        interval: dict[int, int] = {}
        monitored: dict[int, set[str]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for pid, mi in conn.execute(select(s.points.c.id, s.points.c.min_interval).where(s.points.c.id.in_(part))):
                interval[pid] = int(mi or 1)
            for pid, f in conn.execute(select(pf.c.point_id, pf.c.factor_code).where(pf.c.point_id.in_(part))):
                monitored.setdefault(pid, set()).add(f)
        # points sharing a window and an interval are read together
        groups: dict[tuple[datetime, datetime, int], list[int]] = {}
        for pid in ids:
            if pid in interval and monitored.get(pid):
                groups.setdefault((*wins[pid], interval[pid]), []).append(pid)
        joined = o.join(pf, (pf.c.point_id == o.c.point_id) & (pf.c.factor_code == o.c.factor_code))
        for (w0, w1, step), pids in sorted(groups.items()):
            lo = w0 - timedelta(minutes=step)
            for i in range(0, len(pids), 500):
                part = pids[i:i + 500]
                where = (o.c.point_id.in_(part), o.c.kind == "min", o.c.period_start >= lo, o.c.period_start < w1)
                # the minutes in which some monitored factor sent a record, and which factors sent any
                union: dict[int, list[datetime]] = {p: [] for p in part}
                for pid, t in conn.execute(select(o.c.point_id, o.c.period_start).select_from(joined).where(*where)
                                           .group_by(o.c.point_id, o.c.period_start)
                                           .order_by(o.c.point_id, o.c.period_start)):
                    union[pid].append(t)
                sent: dict[int, set[str]] = {p: set() for p in part}
                for pid, f in conn.execute(select(o.c.point_id, o.c.factor_code).select_from(joined).where(*where)
                                           .distinct()):
                    sent[pid].add(f)
                existing: dict[int, list[dict]] = {p: [] for p in part}
                for r in conn.execute(select(m).where(
                        m.c.point_id.in_(part), m.c.source == "auto", m.c.type == "comm_interruption",
                        m.c.deleted_at.is_(None), or_(m.c.end.is_(None), m.c.end >= w0), m.c.start <= w1)
                        .order_by(m.c.point_id, m.c.start, m.c.id)).mappings():
                    existing[r["point_id"]].append(dict(r))
                for pid in part:
                    checked = sorted(sent[pid] if only_minute_factors else monitored[pid])
                    if not checked:
                        continue
                    gaps = auto_gap_marks(union[pid], step, w0, w1, min_gap_minutes)
                    if gaps or existing[pid]:  # else nothing to match, create or remove (the steady state)
                        todo.append((pid, checked, gaps, existing[pid], w0, w1))
    for pid, checked, gaps, existing_marks, w0, w1 in todo:
        out: dict[str, list[int]] = {"created": [], "updated": [], "deleted": []}
        try:
            with engine.begin() as conn:
                _sync_factor_gaps(conn, pid, checked, gaps, existing_marks, w0, w1, min_gap_minutes, out)
        except Exception as exc:  # one point's marks must not cost the others theirs
            done.failed[pid] = exc
            continue
        if any(out.values()):
            done.changes[pid] = out
    return done


def _sync_factor_gaps(conn: Connection, point_id: int, factors: list[str] | None, gaps: list[tuple[datetime, datetime]],
                      existing: list[dict], w0: datetime, w1: datetime, min_gap_minutes: int,
                      out: dict[str, list[int]]) -> None:
    m = s.marks
    codes: str | None = ",".join(sorted(factors))
    if len(codes) > 400:  # more factors than the column holds: NULL, every factor of the point
        codes, factors = None, None
    used: set[int] = set()
    for g0, g1 in gaps:
        match = next((e for e in existing if e["id"] not in used and e["start"] <= g1
                      and (e["end"] is None or e["end"] >= g0)), None)
        if match is None:
            out["created"].append(_insert_mark(
                conn, point_id=point_id, type="comm_interruption", start=g0, end=g1, factor_codes=factors,
                family=None, sub_type=None, reason=f"CN-MARK-AUTO-GAP: no minute data for more than "
                f"{min_gap_minutes} min", majeure_type=None, filed_by=AUTO_ACTOR, source="auto"))
            continue
        used.add(match["id"])
        new_start = match["start"] if (g0 == w0 and match["start"] < w0) else g0
        new_end = match["end"] if (g1 == w1 and (match["end"] is None or match["end"] > w1)) else g1
        if (new_start, new_end, codes) != (match["start"], match["end"], match["factor_codes"]):
            before = _load(conn, match["id"])
            conn.execute(update(m).where(m.c.id == match["id"]).values(start=new_start, end=new_end,
                                                                      factor_codes=codes))
            audit.record(conn, AUTO_ACTOR, "auto_update", "mark", match["id"], before, _load(conn, match["id"]))
            out["updated"].append(match["id"])
    for e in existing:
        if e["id"] in used or e["start"] < w0 or e["end"] is None or e["end"] > w1:
            continue
        before = _load(conn, e["id"])
        conn.execute(update(m).where(m.c.id == e["id"]).values(deleted_at=datetime.now(timezone.utc)))
        audit.record(conn, AUTO_ACTOR, "auto_delete", "mark", e["id"], before, _load(conn, e["id"]))
        out["deleted"].append(e["id"])
