"""The retention job's deletions (issue 16 item 6; ``shared/reference/subsystems.md`` §3.2, §3.3, §7 item 18): one
pass deletes what the jurisdiction's retention no longer keeps, in batches, each batch one transaction with its own
audit entry. The clock is an argument (``now``); :class:`..service.RetentionPart` runs a pass every
``gates.retention.every_s`` in a worker thread, off the event loop.

What each kind covers, per jurisdiction (:func:`..rules.retention.jurisdiction_of`: the nearest region of the
enterprise's chain the settings name, else ``default``):

* **ledger** (``ledger_months``, default 24): ledger rows (with their upload outbox row and delivery log), then
  passages (with their decisions) that no remaining ledger row names. Held back, never deleted early: a ledger
  row that a kept exit row pairs with (``pairs_with``), and a passage whose picture is still within the media
  retention (a jurisdiction keeping pictures longer than its ledger).
* **media** (``media_months``, default 12; pictures and video references): the passage's reference to its capture
  (``gates_passages.picture`` set to NULL: the passage itself is ledger and stays); then every picture of
  ``gates_pictures`` that no remaining row names (passages, the vehicle and machinery registers, the cameras'
  reference views) and stored before the shortest media retention of any jurisdiction (a picture belongs to no
  enterprise; every row naming it was cleared by its own jurisdiction's rule) is deleted from the picture store
  and from the table.

* **snapshots** (``snapshot_months``, default 12, floor 6): the cameras' ``gates_snapshots`` rows (their camera's
  enterprise decides the jurisdiction); their pictures then go with the media pass above once no row names them (a
  snapshot registered as a camera's reference view is named by the camera and stays).
* **heartbeats** (``heartbeat_months``, default 12, floor 6): the devices' ``gates_heartbeats`` rows (the device's
  gate's enterprise decides the jurisdiction).

**Held** (:mod:`.holds`): a record of an enterprise and a period under a standing hold, or in the period of a
finding whose alarm has an open supervision case, is never a candidate, whatever its age (nor is an entry that a
held exit pairs with); once the hold is released or the case closed, the next pass deletes what is due.

One function does every kind's batches (:func:`_in_batches`: the candidates, the pure rule, the deletion, the
audit entry, in one transaction per batch); each kind gives its candidates' query and its deletion.

Which records are due is the pure rule's answer (:func:`..rules.retention.due_for_deletion` on the candidates'
times; the query's bound :func:`..rules.retention.due_before` only narrows what is read), so nothing goes a second
early. Batches are taken newest first: an exit row is deleted in the batch of its entry or before it, so a
foreign key never stops a batch. The audit entry (``audit_log``: actor ``retention``, action ``delete``, entity
``gates_ledger`` / ``gates_media``, entity id the jurisdiction) says what was deleted, how many of each table, the
period covered (the oldest and newest record time deleted) and the cutoff, in the batch's own transaction.

Known limit: a capture byte-for-byte equal to a picture stored more than the media retention ago and arriving while
that picture is being deleted would name a deleted file (a plate capture carries its time stamp, so this does not
happen with cameras).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, Engine, delete, exists, or_, select, update

from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.pictures import PictureStore
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.rules.retention import (RetentionSettings, due_before, due_for_deletion,
                                                        jurisdiction_of)
from ecosentry.subsystems.gates.store.holds import held

log = logging.getLogger(__name__)

__all__ = ["RetentionReport", "run_retention", "jurisdictions", "ACTOR"]

#: The audit log's actor of the job's deletions.
ACTOR = "retention"
_IN_CHUNK = 500


@dataclass
class RetentionReport:
    """What one pass deleted: per (jurisdiction, table) the count; the batches (= audit entries)."""

    now: datetime
    deleted: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    batches: int = 0
    pictures_deleted: int = 0

    def total(self, table: str) -> int:
        return sum(n for (_j, t), n in self.deleted.items() if t == table)


def jurisdictions(conn: Connection, settings: RetentionSettings) -> dict[str, list[int]]:
    """The gated enterprises by jurisdiction (every enterprise with a gates registry or ledger rows)."""
    parent = dict(conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all())
    e = s.enterprises
    ids = select(gs.gates_enterprises.c.enterprise_id).union(select(gs.gates_ledger.c.enterprise_id).distinct(),
                                                             select(gs.gates_passages.c.enterprise_id).distinct())
    out: dict[str, list[int]] = defaultdict(list)
    for ent_id, region in conn.execute(select(e.c.id, e.c.region_code).where(e.c.id.in_(ids))).all():
        chain, seen = [], set()
        while region is not None and region not in seen:
            seen.add(region)
            chain.append(region)
            region = parent.get(region)
        out[jurisdiction_of(chain, settings)].append(int(ent_id))
    return dict(out)


def run_retention(engine: Engine, now: datetime, settings: RetentionSettings, pictures: PictureStore,
                  *, batch: int | None = None) -> RetentionReport:
    """One pass at ``now`` (aware): every jurisdiction's ledger, then media, then the pictures; the report."""
    batch = batch or settings.batch
    report = RetentionReport(now)
    with engine.connect() as conn:
        groups = jurisdictions(conn, settings)
    for name, ents in sorted(groups.items()):
        for i in range(0, len(ents), _IN_CHUNK):
            chunk = ents[i:i + _IN_CHUNK]
            _ledger(engine, now, settings, name, chunk, batch, report)
            _passages(engine, now, settings, name, chunk, batch, report)
            _media_references(engine, now, settings, name, chunk, batch, report)
            _snapshots(engine, now, settings, name, chunk, batch, report)
            _heartbeats(engine, now, settings, name, chunk, batch, report)
    _pictures(engine, now, settings, pictures, batch, report)
    if report.batches:
        log.info("gate retention at %s: %s", now.isoformat(), {f"{j}/{t}": n for (j, t), n in report.deleted.items()})
    return report


def _due(rows: list, kind: str, now: datetime, settings: RetentionSettings, jurisdiction: str) -> list:
    """The rows (id, at, …) the pure rule finds due."""
    if not rows:
        return []
    times = np.array([int(r.at.timestamp() // 1) for r in rows], dtype=np.int64)
    return [rows[i] for i in due_for_deletion(times, kind, now, settings, jurisdiction)]


def _audit(conn: Connection, entity: str, jurisdiction: str, kind: str, months: int, bound: datetime, rows: list,
           counts: dict[str, int]) -> None:
    """The batch's audit entry: what (the tables and counts), which period (the oldest and newest record time
    deleted) and under which rule (kind, months, the bound)."""
    ats = [r.at for r in rows]
    audit.record(conn, ACTOR, "delete", entity, jurisdiction, {"kind": kind, "months": months, "due_before": bound},
                 {"counts": counts, "period": [min(ats), max(ats)] if ats else None})


_MONTHS = {"ledger": "ledger_months", "media": "media_months", "snapshots": "snapshot_months",
           "heartbeats": "heartbeat_months"}


def _in_batches(engine: Engine, now: datetime, settings: RetentionSettings, report: RetentionReport, name: str,
                kind: str, entity: str, bound: datetime, batch: int,
                candidates: Callable[[Connection], list], apply: Callable[[Connection, list], dict | None],
                jurisdiction: str | None = None) -> None:
    """The batched deletion every kind shares: in one transaction per batch, ``candidates`` (rows ``(id, at)`` or
    ``(key, at)``, newest first, at most ``batch``), those the pure rule finds due (jurisdiction ``name``),
    ``apply`` deleting them (its counts per table; ``None``: nothing this pass) and the batch's audit entry (as
    ``jurisdiction``, by default ``name``); until a batch comes back short."""
    months = getattr(settings.of(name), _MONTHS[kind])
    said_as = jurisdiction or name
    while True:
        with engine.begin() as conn:
            found = candidates(conn)
            rows = _due(found, kind, now, settings, name)
            if not rows:
                return
            counts = apply(conn, rows)
            if counts is None:
                return
            _audit(conn, entity, said_as, kind, months, bound, rows, counts)
        _count(report, said_as, counts)
        if len(found) < batch:
            return


def _ids(rows: list) -> list[int]:
    return [int(r.id) for r in rows]


def _ledger(engine: Engine, now: datetime, settings: RetentionSettings, name: str, ents: list[int], batch: int,
            report: RetentionReport) -> None:
    bound = due_before(now, "ledger", settings, name)
    lg = gs.gates_ledger
    kept_exit = lg.alias("kept_exit")
    ob, ul = gs.gates_upload_outbox, gs.gates_upload_log

    def candidates(conn: Connection) -> list:
        # a row that a kept (not due, or held) row pairs with is held: its exit still needs it
        return conn.execute(
            select(lg.c.id, lg.c.at).where(
                lg.c.enterprise_id.in_(ents), lg.c.at < bound, ~held(lg.c.enterprise_id, lg.c.at),
                ~exists(select(kept_exit.c.id).where(kept_exit.c.pairs_with == lg.c.id, or_(
                    kept_exit.c.at >= bound, held(kept_exit.c.enterprise_id, kept_exit.c.at)))))
            .order_by(lg.c.at.desc(), lg.c.id.desc()).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict | None:
        ids = _ids(rows)
        # a due row whose pairing row is outside this batch waits for that row's batch
        outside = set(conn.execute(select(lg.c.pairs_with).where(lg.c.pairs_with.in_(ids),
                                                                 lg.c.id.not_in(ids))).scalars())
        rows[:] = [r for r in rows if int(r.id) not in outside]
        if not rows:
            log.warning("gate retention: %s ledger rows of %s held by their pairs; next pass", len(ids), name)
            return None
        ids = _ids(rows)
        outbox = select(ob.c.id).where(ob.c.ledger_id.in_(ids))
        counts = {"gates_upload_log": conn.execute(delete(ul).where(ul.c.outbox_id.in_(outbox))).rowcount,
                  "gates_upload_outbox": conn.execute(delete(ob).where(ob.c.ledger_id.in_(ids))).rowcount}
        # exits first (they name their entries), then the rest
        conn.execute(delete(lg).where(lg.c.id.in_(ids), lg.c.pairs_with.is_not(None)))
        conn.execute(delete(lg).where(lg.c.id.in_(ids)))
        return {"gates_ledger": len(ids), **counts}

    _in_batches(engine, now, settings, report, name, "ledger", "gates_ledger", bound, batch, candidates, apply)


def _passages(engine: Engine, now: datetime, settings: RetentionSettings, name: str, ents: list[int], batch: int,
              report: RetentionReport) -> None:
    bound = due_before(now, "ledger", settings, name)
    media_bound = due_before(now, "media", settings, name)
    p, d, lg = gs.gates_passages, gs.gates_decisions, gs.gates_ledger

    def candidates(conn: Connection) -> list:
        return conn.execute(
            select(p.c.id, p.c.at).where(
                p.c.enterprise_id.in_(ents), p.c.at < bound, ~held(p.c.enterprise_id, p.c.at),
                # held back: a remaining ledger row names it, or its picture is still within the media retention
                ~exists(select(lg.c.id).where(lg.c.passage_id == p.c.id)),
                or_(p.c.picture.is_(None), p.c.at < media_bound))
            .order_by(p.c.at.desc(), p.c.id.desc()).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict:
        ids = _ids(rows)
        return {"gates_decisions": conn.execute(delete(d).where(d.c.passage_id.in_(ids))).rowcount,
                "gates_passages": conn.execute(delete(p).where(p.c.id.in_(ids))).rowcount}

    _in_batches(engine, now, settings, report, name, "ledger", "gates_ledger", bound, batch, candidates, apply)


def _media_references(engine: Engine, now: datetime, settings: RetentionSettings, name: str, ents: list[int],
                      batch: int, report: RetentionReport) -> None:
    bound = due_before(now, "media", settings, name)
    p = gs.gates_passages

    def candidates(conn: Connection) -> list:
        return conn.execute(
            select(p.c.id, p.c.at).where(p.c.enterprise_id.in_(ents), p.c.at < bound, p.c.picture.is_not(None),
                                         ~held(p.c.enterprise_id, p.c.at))
            .order_by(p.c.at.desc(), p.c.id.desc()).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict:
        return {"gates_passages.picture": conn.execute(update(p).where(p.c.id.in_(_ids(rows))).values(picture=None))
                .rowcount}

    _in_batches(engine, now, settings, report, name, "media", "gates_media", bound, batch, candidates, apply)


def _snapshots(engine: Engine, now: datetime, settings: RetentionSettings, name: str, ents: list[int], batch: int,
               report: RetentionReport) -> None:
    bound = due_before(now, "snapshots", settings, name)
    sn, cam = gs.gates_snapshots, gs.gates_cameras
    cams = select(cam.c.id).where(cam.c.enterprise_id.in_(ents))
    # correlated to the snapshot row across the hold's EXISTS
    owner = select(cam.c.enterprise_id).where(cam.c.id == sn.c.camera_id).correlate(sn).scalar_subquery()

    def candidates(conn: Connection) -> list:
        return conn.execute(select(sn.c.id, sn.c.at).where(sn.c.camera_id.in_(cams), sn.c.at < bound,
                                                           ~held(owner, sn.c.at))
                            .order_by(sn.c.at.desc(), sn.c.id.desc()).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict:
        return {"gates_snapshots": conn.execute(delete(sn).where(sn.c.id.in_(_ids(rows)))).rowcount}

    _in_batches(engine, now, settings, report, name, "snapshots", "gates_media", bound, batch, candidates, apply)


def _heartbeats(engine: Engine, now: datetime, settings: RetentionSettings, name: str, ents: list[int], batch: int,
                report: RetentionReport) -> None:
    bound = due_before(now, "heartbeats", settings, name)
    hb, dev, gate = gs.gates_heartbeats, gs.gates_devices, gs.gates_gates
    devices = select(dev.c.id).join(gate, gate.c.id == dev.c.gate_id).where(gate.c.enterprise_id.in_(ents))
    owner = (select(gate.c.enterprise_id).join(dev, dev.c.gate_id == gate.c.id).where(dev.c.id == hb.c.device_id)
             .correlate(hb).scalar_subquery())

    def candidates(conn: Connection) -> list:
        return conn.execute(select(hb.c.id, hb.c.at).where(hb.c.device_id.in_(devices), hb.c.at < bound,
                                                           ~held(owner, hb.c.at))
                            .order_by(hb.c.at.desc(), hb.c.id.desc()).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict:
        return {"gates_heartbeats": conn.execute(delete(hb).where(hb.c.id.in_(_ids(rows)))).rowcount}

    _in_batches(engine, now, settings, report, name, "heartbeats", "gates_heartbeats", bound, batch, candidates,
                apply)


def _referenced(sha):
    """Whether any remaining row names the picture ``sha`` (a column)."""
    p, v, m, c = gs.gates_passages, gs.gates_vehicles, gs.gates_machinery, gs.gates_cameras
    sn = gs.gates_snapshots
    return or_(exists(select(p.c.id).where(p.c.picture == sha)),
               exists(select(sn.c.id).where(sn.c.picture == sha)),
               exists(select(v.c.id).where(or_(v.c.list_picture == sha, v.c.licence_picture == sha))),
               exists(select(m.c.id).where(or_(m.c.nameplate_picture == sha, m.c.label_picture == sha))),
               exists(select(c.c.id).where(c.c.reference_picture == sha)))


def _pictures(engine: Engine, now: datetime, settings: RetentionSettings, pictures: PictureStore, batch: int,
              report: RetentionReport) -> None:
    # the shortest media retention of any jurisdiction: every row naming a picture was cleared by its own rule
    name = max(settings.jurisdictions, key=lambda j: (due_before(now, "media", settings, j), j))
    bound = due_before(now, "media", settings, name)
    pic = gs.gates_pictures

    def candidates(conn: Connection) -> list:
        return conn.execute(
            select(pic.c.sha256, pic.c.stored_at.label("at")).where(pic.c.stored_at < bound,
                                                                    ~_referenced(pic.c.sha256))
            .order_by(pic.c.stored_at.desc(), pic.c.sha256).limit(batch)).all()

    def apply(conn: Connection, rows: list) -> dict:
        shas = [r.sha256 for r in rows]
        gone = list(conn.execute(delete(pic).where(pic.c.sha256.in_(shas), ~_referenced(pic.c.sha256))
                                 .returning(pic.c.sha256)).scalars())
        # the files go inside the transaction: a failed commit leaves rows naming missing files, which the
        # next pass deletes (delete() of a missing file is no error); never a file without its row
        files = sum(pictures.delete(sha) for sha in gone)
        report.pictures_deleted += files
        return {"gates_pictures": len(gone), "files": files}

    _in_batches(engine, now, settings, report, name, "media", "gates_media", bound, batch, candidates, apply,
                jurisdiction="*")


def _count(report: RetentionReport, jurisdiction: str, counts: dict[str, int]) -> None:
    report.batches += 1
    for table, n in counts.items():
        report.deleted[(jurisdiction, table)] += int(n)
