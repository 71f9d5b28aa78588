"""Station-room cameras (or the NVR channels serving them): their push authentication, snapshots stored in the
core picture store (:mod:`ecosentry.store.pictures`) and linked to the room's door event, heartbeats, and the
offline check (``ALM-OM-CAMERA-OFFLINE``).

A camera is registered in the fleet key ``om:`` (room + code, RTSP URL or GB/T 28181 id); one that pushes has a
secret, kept only as its Argon2id hash (``om_camera_devices``). A snapshot is checked (JPEG or PNG by its bytes,
at most ``cameras.max_snapshot_bytes``) before anything is stored; the picture is written first (content-addressed,
so a repeat is the same file), then its row, linked to the room's door event nearest in time within
``cameras.link_minutes`` (the camera shoots on the door's opening). A heartbeat or a snapshot marks the camera
seen; :func:`check_offline` raises the alarm of each pushing camera not seen for ``cameras.offline_minutes`` and
clears it once the camera is seen again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.auth.passwords import verify_password
from ecosentry.store import schema as s
from ecosentry.store.pictures import FilePictureStore, PictureStore, check_picture
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.alarms import CAMERA, CAMERA_OFFLINE
from ecosentry.subsystems.om.schema import om_camera_devices as dev
from ecosentry.subsystems.om.schema import om_cameras as cam
from ecosentry.subsystems.om.schema import om_door_events as de
from ecosentry.subsystems.om.schema import om_room_points, om_rooms
from ecosentry.subsystems.om.schema import om_snapshots as sn

__all__ = ["picture_store", "authenticate", "seen", "store_snapshot", "check_offline"]

_VERIFIED: dict[int, tuple[str, bytes]] = {}


def picture_store(settings) -> FilePictureStore:
    """The O&M pictures: ``om.cameras.pictures_directory``, else ``<data_dir>/om/pictures``."""
    folder = settings.om.cameras.pictures_directory or settings.om.photos.directory
    return FilePictureStore(Path(folder) if folder else Path(settings.data_dir) / "om" / "pictures")


def authenticate(conn: Connection, room_code: str, camera_code: str, secret: str) -> dict | None:
    """The camera (with its room id) whose room and code these are, when ``secret`` is its push secret."""
    row = conn.execute(select(cam.c.id, cam.c.code, cam.c.room_id, dev.c.secret_hash)
                       .join(om_rooms, om_rooms.c.id == cam.c.room_id).join(dev, dev.c.camera_id == cam.c.id)
                       .where(om_rooms.c.code == room_code, cam.c.code == camera_code)).mappings().first()
    if row is None or not row["secret_hash"]:
        return None
    stored, digest = row["secret_hash"], hashlib.sha256(secret.encode()).digest()
    known = _VERIFIED.get(row["id"])
    if known is not None and known[0] == stored and hmac.compare_digest(known[1], digest):
        return dict(row)
    if not verify_password(stored, secret):
        return None
    _VERIFIED[row["id"]] = (stored, digest)
    return dict(row)


def seen(conn: Connection, camera_id: int, at: datetime) -> None:
    """The camera answered at ``at``: its last contact (``om_cameras.last_seen_at``, never moved back), which the
    offline check and the coverage's "networked" (``queries/coverage``) both read."""
    conn.execute(update(cam).where(cam.c.id == camera_id, or_(cam.c.last_seen_at.is_(None), cam.c.last_seen_at < at))
                 .values(last_seen_at=at))


def _nearest_door_event(conn: Connection, room_id: int, at: datetime, window: timedelta) -> int | None:
    rows = conn.execute(select(de.c.id, de.c.at).where(de.c.room_id == room_id, de.c.at >= at - window,
                                                       de.c.at <= at + window)).all()
    if not rows:
        return None
    return min(rows, key=lambda r: (abs((r.at - at).total_seconds()), r.id)).id


def store_snapshot(engine: Engine, pictures: PictureStore, camera: dict, at: datetime, data: bytes, *,
                   max_bytes: int, link: timedelta, received_at: datetime) -> tuple[dict, bool]:
    """Check and store one snapshot; (its row, whether it is new). Raises
    :class:`~ecosentry.store.pictures.PictureError` before anything is stored."""
    kind = check_picture(data, max_bytes)
    sha = pictures.put(data)
    with engine.begin() as conn:
        door_event = _nearest_door_event(conn, camera["room_id"], at, link)
        new_id = conn.execute(insert_for(conn, sn).values(
            camera_id=camera["id"], room_id=camera["room_id"], at=at, picture=sha, content_type=kind, size=len(data),
            door_event_id=door_event, received_at=received_at)
            .on_conflict_do_nothing(index_elements=[sn.c.camera_id, sn.c.at]).returning(sn.c.id)).scalar()
        seen(conn, camera["id"], received_at)
        row = conn.execute(select(sn).where(sn.c.camera_id == camera["id"], sn.c.at == at)).mappings().one()
    return dict(row), new_id is not None


def check_offline(engine: Engine, now: datetime, offline_after: timedelta, raise_alarm: Callable | None = None
                  ) -> dict[str, int]:
    """One pass over the pushing cameras: offline ones alarmed (one alarm per camera), seen ones cleared."""
    stats = {"offline": 0, "cleared": 0}
    with engine.connect() as conn:
        point = (select(func.min(om_room_points.c.point_id)).where(om_room_points.c.room_id == cam.c.room_id)
                 .scalar_subquery())
        rows = conn.execute(select(cam.c.id, cam.c.code, om_rooms.c.code.label("room"), om_rooms.c.name,
                                   om_rooms.c.enterprise_id,
                                   cam.c.last_seen_at, point.label("point_id"))
                            .join(dev, dev.c.camera_id == cam.c.id).join(om_rooms, om_rooms.c.id == cam.c.room_id)
                            .where(dev.c.secret_hash.is_not(None))).mappings().all()
        a = s.alarms
        open_ids = set(conn.execute(select(a.c.source_id).where(
            and_(a.c.type == CAMERA_OFFLINE, a.c.source_type == CAMERA, a.c.state != "cleared"))).scalars())
    for r in rows:
        offline = r["last_seen_at"] is None or r["last_seen_at"] < now - offline_after
        if offline:
            stats["offline"] += 1
            since = r["last_seen_at"].isoformat() if r["last_seen_at"] else None
            kwargs = dict(type=CAMERA_OFFLINE, source_type=CAMERA, source_id=r["id"], severity=None, title="",
                          explanation=None, point_id=r["point_id"], at=now,
                          enterprise_id=None if r["point_id"] else r["enterprise_id"],
                          evidence={"camera": r["code"], "room": r["room"], "last_seen": since,
                                    "offline_minutes": offline_after.total_seconds() / 60})
            (raise_alarm or (lambda **k: alarm_store.raise_alarm(engine, **k)))(**kwargs)
        elif str(r["id"]) in open_ids:
            if alarm_store.clear_by_data(engine, type=CAMERA_OFFLINE, source_type=CAMERA, source_id=r["id"], at=now,
                                         explanation="the camera is seen again") is not None:
                stats["cleared"] += 1
    return stats
