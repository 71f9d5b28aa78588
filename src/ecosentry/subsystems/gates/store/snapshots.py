"""Camera snapshots and reference views (issue 16 item 5, camera view changed): a snapshot is a picture of what a
camera sees now, stored in the picture store and ``gates_pictures``, one ``gates_snapshots`` row per camera and
time (a replay stores nothing new); the reference view is the camera's ``reference_picture`` (registered by an
administrator, audited). The checks job (:mod:`..checks_job`) compares each new snapshot with the reference once."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store.pictures import PictureError, PictureStore, check_picture
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError

__all__ = ["record_snapshot", "insert_snapshot", "set_reference", "reference_from_snapshot", "store_picture"]


def store_picture(conn: Connection, pictures: PictureStore, data: bytes, max_bytes: int, now: datetime) -> str:
    """Put a JPEG or PNG into the store and ``gates_pictures``; its sha256 (:class:`GatesInputError` when it is
    neither or too large)."""
    try:
        content_type = check_picture(data, max_bytes)
    except PictureError as exc:
        raise GatesInputError("", "picture", exc.msgid, **exc.params) from None
    digest = pictures.put(data)
    stmt = insert_for(conn, gs.gates_pictures).on_conflict_do_nothing(index_elements=["sha256"])
    conn.execute(stmt.values(sha256=digest, content_type=content_type, size=len(data), stored_at=now))
    return digest


def _camera(conn: Connection, camera_id: int):
    row = conn.execute(select(gs.gates_cameras).where(gs.gates_cameras.c.id == camera_id)).first()
    if row is None:
        raise GatesInputError("", "camera_id", N_("camera %(id)s is not registered"), id=camera_id)
    return row


def record_snapshot(engine: Engine, pictures: PictureStore, camera_id: int, at: datetime, data: bytes,
                    max_bytes: int = 2 * 1024 * 1024) -> bool:
    """Store a snapshot of the camera taken at ``at``; False when that camera's snapshot of that time is stored."""
    if at.tzinfo is None:
        raise GatesInputError("", "time", N_("a time needs its offset"))
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        _camera(conn, camera_id)
        return insert_snapshot(conn, pictures, camera_id, at, data, max_bytes, now)


def insert_snapshot(conn: Connection, pictures: PictureStore, camera_id: int, at: datetime, data: bytes,
                    max_bytes: int, now: datetime) -> bool:
    """The writes of :func:`record_snapshot` in the caller's transaction (the push's sink: the whole batch is one):
    the picture checked and stored, the ``gates_snapshots`` row; False when that camera's snapshot of that time is
    stored (a replay)."""
    digest = store_picture(conn, pictures, data, max_bytes, now)
    stmt = insert_for(conn, gs.gates_snapshots).on_conflict_do_nothing(index_elements=["camera_id", "at"])
    return conn.execute(stmt.values(camera_id=camera_id, at=at.astimezone(timezone.utc), picture=digest,
                                    received_at=now)).rowcount == 1


def set_reference(engine: Engine, pictures: PictureStore, camera_id: int, data: bytes, actor: str,
                  max_bytes: int = 2 * 1024 * 1024) -> str:
    """Register the camera's reference view (audited); its sha256."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        cam = _camera(conn, camera_id)
        digest = store_picture(conn, pictures, data, max_bytes, now)
        conn.execute(update(gs.gates_cameras).where(gs.gates_cameras.c.id == camera_id)
                     .values(reference_picture=digest))
        audit.record(conn, actor, "update", "gate_camera", camera_id, {"reference_picture": cam.reference_picture},
                     {"reference_picture": digest})
    return digest


def reference_from_snapshot(engine: Engine, camera_id: int, snapshot_id: int, actor: str) -> str:
    """Register the camera's stored snapshot ``snapshot_id`` as its reference view (audited: the camera's reference
    before and after, and the snapshot chosen); its sha256. The camera's snapshots from that one on are compared
    again with the new reference at the checks job's next pass (the view an administrator accepted: a finding of
    a changed view from then on closes); earlier ones keep their comparison with the reference of their time."""
    sn = gs.gates_snapshots.c
    with engine.begin() as conn:
        cam = _camera(conn, camera_id)
        snap = conn.execute(select(sn.id, sn.at, sn.picture).where(sn.id == snapshot_id, sn.camera_id == camera_id)
                            ).first()
        if snap is None:
            raise GatesInputError("", "snapshot", N_("snapshot %(id)s is not a snapshot of this camera"),
                                  id=snapshot_id)
        conn.execute(update(gs.gates_cameras).where(gs.gates_cameras.c.id == camera_id)
                     .values(reference_picture=snap.picture))
        conn.execute(update(gs.gates_snapshots).where(sn.camera_id == camera_id, sn.at >= snap.at)
                     .values(similarity=None, blank=None))
        audit.record(conn, actor, "update", "gate_camera", camera_id, {"reference_picture": cam.reference_picture},
                     {"reference_picture": snap.picture, "snapshot": snapshot_id})
    return snap.picture
