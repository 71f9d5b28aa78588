"""The sink of ``gate-passages`` envelopes (:class:`ecosentry.contracts.sink.Sink`), made by the HTTP push
(:mod:`..gateways.push`) once the envelope is on the durable spool:

* a passage: its picture into the picture store (content-addressed, so a replay writes nothing new) and
  ``gates_pictures``; the passage into ``gates_passages`` (unique on the spool record: a replay stops here, the
  whole batch being one transaction); the gate's decision (``gates_decisions``, kind ``rule``, as the reply gave
  it); its ledger row (:func:`..store.ledger.ledger_row_of_passage`: joined to the register, exits paired;
  queued for the upper platform in the same transaction when ``gates.upload.url`` is set);
  the device's ``last_seen_at``;
* a heartbeat: a ``gates_heartbeats`` row (unique on device and time) and ``last_seen_at``;
* a snapshot: its picture and a ``gates_snapshots`` row (unique on camera and time,
  :func:`..store.snapshots.insert_snapshot`) and ``last_seen_at``.

A batch's passages are written together, with a fixed number of statements whatever the batch's size
(:meth:`GatePassageSink._passages`, :func:`..store.ledger.ledger_rows_of_passages`): each judged on the passages
stored before it, so a batch stores exactly what its records one at a time store.

The passage itself is the archive of what was received (``gates_passages`` keeps every field of the event and
the picture's sha256); the raw JSON with its base64 picture is not copied into the core's ``raw_frames``. An
envelope whose header the sink cannot use (a fault: ``bad_envelope``) is counted and left out; one the database
refuses is set aside into ``raw_frames`` (transport ``gates-http``, quarantined) with the error, so nothing of
it is half-stored and the spool moves on.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Engine, update

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.store.fit import Fault, set_aside_form
from ecosentry.store.partitions import raw_frame_key
from ecosentry.store.upsert import insert_for
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.gateways.push_event import Refusal, parse_event, parse_snapshot
from ecosentry.store.pictures import FilePictureStore, PictureStore
from ecosentry.subsystems.gates.store.ledger import ledger_rows_of_passages
from ecosentry.subsystems.gates.store.snapshots import insert_snapshot

log = logging.getLogger(__name__)

__all__ = ["GatePassageSink", "BAD_ENVELOPE", "picture_store"]

BAD_ENVELOPE = "bad_envelope"
#: A picture the push accepted is stored whatever the setting says now (it was checked at the push).
_ANY_SIZE = 1 << 31


def picture_store(settings) -> FilePictureStore:
    """The deployment's picture store: ``gates.pictures.directory``, else ``<data_dir>/gates/pictures``."""
    folder = settings.gates.pictures.directory
    return FilePictureStore(Path(folder) if folder else Path(settings.data_dir) / "gates" / "pictures")


class GatePassageSink:
    def __init__(self, engine: Engine, pictures: PictureStore, checks, *, upload: bool = False) -> None:
        self.engine, self.pictures, self.checks = engine, pictures, checks
        #: queue each ledger row for the upper platform in its own transaction (``gates.upload.url`` set)
        self.upload = upload

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory) -> GatePassageSink:  # noqa: ARG003
        return cls(engine, picture_store(settings), settings.gates.checks, upload=bool(settings.gates.upload.url))

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        result = SinkResult(frames=len(items))
        if not items:
            return result
        now = datetime.now(timezone.utc)
        passages: list[tuple[dict, dict, tuple | None]] = []
        with self.engine.begin() as conn:
            for seq, env in items:
                try:
                    what = env.meta.get("what")
                    if what == "passage":
                        passages.append(self._passage_values(spool_id, seq, env))
                        continue
                    if what == "heartbeat":
                        stored = self._heartbeat(conn, env)
                    elif what == "snapshot":
                        stored = self._snapshot(conn, env, now)
                    else:
                        raise ValueError(f"unknown record {str(what)[:20]!r}")
                except (KeyError, TypeError, ValueError, Refusal, GatesInputError) as exc:
                    note = f"{type(exc).__name__}: {str(exc)[:200]}"
                    log.warning("gate-passages record %s/%s left out: %s", spool_id, seq, note)
                    result.isolated.append((seq, Fault(BAD_ENVELOPE, note)))
                    continue
                result.records_offered += stored
            if passages:
                result.records_offered += self._passages(conn, passages, now)
        return result

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        safe, fault = set_aside_form(dataclasses.replace(envelope, transport=f"gates-{envelope.transport}",
                                                         point_id=None, meta={}), exc)
        with self.engine.begin() as conn:
            stmt = insert_for(conn, s.raw_frames).on_conflict_do_nothing(index_elements=raw_frame_key(conn))
            conn.execute(stmt, [{"spool": spool_id, "spool_seq": seq, "received_at": safe.received_at,
                                 "transport": safe.transport, "peer": safe.peer, "mn": safe.mn, "cn": safe.cn,
                                 "qn": safe.qn, "point_id": None, "status": safe.status, "error": safe.error,
                                 "detail": safe.detail, "raw": safe.raw}])
        return SinkResult(frames=1, isolated=[(seq, fault)])

    def after_commit(self, result: SinkResult) -> None:
        pass

    def flush(self) -> int:
        return 0

    # ------------------------------------------------------------------------------------------------ writes

    def _passage_values(self, spool_id: str, seq: int, env: Envelope) -> tuple[dict, dict, tuple | None]:
        """Every value of a passage record (a header the sink cannot use raises before anything is written): its
        ``gates_passages`` row, its decision, its picture (bytes, type) if any."""
        m, d = env.meta, env.meta["decision"]
        event = parse_event(env.raw, max_picture_bytes=_ANY_SIZE) if m.get("picture_type") else None
        confidence = m.get("confidence")
        row = {"spool": spool_id, "spool_seq": seq, "enterprise_id": int(m["enterprise"]), "gate_id": int(m["gate"]),
               "device_id": int(m["device"]), "at": datetime.fromtimestamp(float(m["at"]), timezone.utc),
               "received_at": env.received_at, "inbound": bool(m["inbound"]), "plate": str(m["plate"])[:16],
               "plate_colour": m.get("colour"),
               "confidence": float(confidence) if confidence is not None and math.isfinite(confidence) else None,
               "picture": None, "peer": (env.peer or "")[:64] or None}
        decision = {"kind": "rule", "allowed": d["allowed"], "reason": str(d["reason"])[:24], "stage": d.get("stage"),
                    "level": d.get("level"), "grade": d.get("grade"),
                    "params": json.loads(json.dumps(d.get("params") or {})),
                    "decided_at": datetime.fromtimestamp(float(d["at"]), timezone.utc)}
        picture = (event.picture, event.picture_type) if event is not None and event.picture is not None else None
        return row, decision, picture

    def _passages(self, conn: Connection, batch: list[tuple[dict, dict, tuple | None]], now: datetime) -> int:
        """Store a batch's passages with a fixed number of statements whatever its size: the pictures (files,
        then one insert), the passages (one insert; a replayed record, already stored, returns nothing and stops
        there), their decisions (one insert), their ledger rows (:func:`..store.ledger.ledger_rows_of_passages`)
        and the devices' ``last_seen_at`` (one update per device)."""
        pictures: dict[str, dict] = {}
        for row, _decision, picture in batch:
            if picture is not None:
                row["picture"] = self.pictures.put(picture[0])  # content-addressed: a replay writes nothing new
                pictures.setdefault(row["picture"], {"sha256": row["picture"], "content_type": picture[1],
                                                     "size": len(picture[0]), "stored_at": now})
        if pictures:
            stmt = insert_for(conn, gs.gates_pictures).on_conflict_do_nothing(index_elements=["sha256"])
            conn.execute(stmt, list(pictures.values()))
        p = gs.gates_passages.c
        stmt = insert_for(conn, gs.gates_passages).on_conflict_do_nothing(index_elements=["spool", "spool_seq"])
        got = dict(conn.execute(stmt.returning(p.spool_seq, p.id), [row for row, _, _ in batch]).all())
        stored = []
        for row, decision, _ in batch:
            if row["spool_seq"] in got:  # else a replay: stored with everything that came with it
                row["id"] = int(got[row["spool_seq"]])
                stored.append((row, decision))
        if not stored:
            return 0
        stored.sort(key=lambda x: x[0]["id"])
        conn.execute(gs.gates_decisions.insert(), [{"passage_id": row["id"], **decision} for row, decision in stored])
        ledger_rows_of_passages(conn, [row for row, _ in stored], self.checks, now, upload=self.upload)
        seen: dict[int, datetime] = {}
        for row, _ in stored:
            seen[row["device_id"]] = max(seen.get(row["device_id"], row["received_at"]), row["received_at"])
        for device_id, at in sorted(seen.items()):
            _seen(conn, device_id, at)
        return len(stored)

    def _heartbeat(self, conn: Connection, env: Envelope) -> int:
        m = env.meta
        at = datetime.fromtimestamp(float(m["at"]), timezone.utc)
        stmt = insert_for(conn, gs.gates_heartbeats).on_conflict_do_nothing(index_elements=["device_id", "at"])
        new = conn.scalar(stmt.values(device_id=int(m["device"]), at=at, status=str(m.get("status") or "ok"),
                                      detail=m.get("detail")).returning(gs.gates_heartbeats.c.id))
        _seen(conn, int(m["device"]), env.received_at)
        return 0 if new is None else 1

    def _snapshot(self, conn: Connection, env: Envelope, now: datetime) -> int:
        m = env.meta
        at = datetime.fromtimestamp(float(m["at"]), timezone.utc)
        camera_id, device_id = int(m["camera"]), int(m["device"])
        event = parse_snapshot(env.raw, max_picture_bytes=_ANY_SIZE)
        new = insert_snapshot(conn, self.pictures, camera_id, at, event.picture, _ANY_SIZE, now)
        _seen(conn, device_id, env.received_at)
        return 1 if new else 0


def _seen(conn: Connection, device_id: int, at: datetime) -> None:
    d = gs.gates_devices.c
    conn.execute(update(gs.gates_devices).where(d.id == device_id, (d.last_seen_at.is_(None)) | (d.last_seen_at < at))
                 .values(last_seen_at=at))
