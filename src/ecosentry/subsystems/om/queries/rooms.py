"""Read model of the station rooms (站房): the rooms in a principal's scope, one room's registry (its points and
cameras), and one room's day: door events, camera snapshots, the points' marks and work orders, the points' hourly
data, the instrument parameters (registered against reported) and the stored findings. Used by the station-room
pages (:mod:`..web.rooms`); the scope comes in as the ids of the points the caller sees (``None``: every point).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import (om_camera_devices, om_cameras, om_door_events, om_findings,
                                            om_parameters, om_room_points, om_rooms, om_snapshots, om_work_orders)

__all__ = ["room_list", "room_head", "room_day", "snapshot_picture", "room_point_ids"]

STAMPS = ("created_at", "assigned_at", "accepted_at", "on_site_at", "done_at", "reviewed_at", "rejected_at",
          "cancelled_at")


def room_point_ids(conn: Connection, room_id: int) -> list[int]:
    return list(conn.execute(select(om_room_points.c.point_id).where(om_room_points.c.room_id == room_id)
                             .order_by(om_room_points.c.point_id)).scalars())


def room_list(conn: Connection, point_ids: Collection[int] | None, enterprise_ids: Collection[int] | None
              ) -> list[dict]:
    """The rooms holding a point the caller sees (or of an enterprise it sees, for a room without points), with
    their enterprise, point count, camera count and last door event."""
    rp = om_room_points
    n_points = select(func.count()).where(rp.c.room_id == om_rooms.c.id).scalar_subquery()
    n_cams = select(func.count()).where(om_cameras.c.room_id == om_rooms.c.id).scalar_subquery()
    last_door = select(func.max(om_door_events.c.at)).where(om_door_events.c.room_id == om_rooms.c.id) \
        .scalar_subquery()
    q = (select(om_rooms.c.id, om_rooms.c.code, om_rooms.c.name, s.enterprises.c.name.label("enterprise"),
                n_points.label("points"), n_cams.label("cameras"), last_door.label("last_door"))
         .outerjoin(s.enterprises, s.enterprises.c.id == om_rooms.c.enterprise_id).order_by(om_rooms.c.code))
    if point_ids is not None:
        seen_point = select(rp.c.room_id).where(rp.c.point_id.in_(list(point_ids) or [-1]))
        cond = om_rooms.c.id.in_(seen_point)
        if enterprise_ids is not None:
            cond = or_(cond, (n_points == 0) & om_rooms.c.enterprise_id.in_(list(enterprise_ids) or [-1]))
        q = q.where(cond)
    return [dict(r) for r in conn.execute(q).mappings()]


def room_head(conn: Connection, room_id: int) -> dict | None:
    """The room with its enterprise, its points (id, MN, name, time zone, region) and cameras; None if unknown."""
    row = conn.execute(select(om_rooms.c.id, om_rooms.c.code, om_rooms.c.name, om_rooms.c.enterprise_id,
                              om_rooms.c.door_id, s.enterprises.c.name.label("enterprise"))
                       .outerjoin(s.enterprises, s.enterprises.c.id == om_rooms.c.enterprise_id)
                       .where(om_rooms.c.id == room_id)).mappings().first()
    if row is None:
        return None
    p = s.points
    points = [dict(r) for r in conn.execute(
        select(p.c.id, p.c.mn, p.c.name, p.c.tz, p.c.region_code).join(om_room_points, om_room_points.c.point_id == p.c.id)
        .where(om_room_points.c.room_id == room_id).order_by(p.c.id)).mappings()]
    cameras = [dict(r) for r in conn.execute(
        select(om_cameras.c.id, om_cameras.c.code, om_cameras.c.rtsp_url, om_cameras.c.gb28181_id,
               om_cameras.c.last_seen_at, om_camera_devices.c.secret_hash.is_not(None).label("pushes"))
        .outerjoin(om_camera_devices, om_camera_devices.c.camera_id == om_cameras.c.id)
        .where(om_cameras.c.room_id == room_id).order_by(om_cameras.c.code)).mappings()]
    return {**dict(row), "points": points, "cameras": cameras}


def room_day(conn: Connection, room_id: int, point_ids: list[int], t0: datetime, t1: datetime) -> dict:
    """What happened in ``[t0, t1)``: ``doors``, ``snapshots``, ``marks`` and ``orders`` overlapping it (of the
    room's points), ``hours`` (the points' hourly values), ``parameters`` and ``findings``."""
    de, sn = om_door_events, om_snapshots
    doors = [dict(r) for r in conn.execute(select(de.c.id, de.c.at, de.c.event, de.c.source).where(
        de.c.room_id == room_id, de.c.at >= t0, de.c.at < t1).order_by(de.c.at, de.c.id)).mappings()]
    snapshots = [dict(r) for r in conn.execute(
        select(sn.c.id, sn.c.at, sn.c.door_event_id, om_cameras.c.code.label("camera"))
        .join(om_cameras, om_cameras.c.id == sn.c.camera_id)
        .where(sn.c.room_id == room_id, sn.c.at >= t0, sn.c.at < t1).order_by(sn.c.at, sn.c.id)).mappings()]
    ids = list(point_ids) or [-1]
    m = s.marks
    marks = [dict(r) for r in conn.execute(
        select(m.c.id, m.c.point_id, m.c.type, m.c.factor_codes, m.c.start, m.c.end, m.c.status, m.c.filed_by)
        .where(m.c.point_id.in_(ids), m.c.deleted_at.is_(None), m.c.start < t1, or_(m.c.end.is_(None), m.c.end >= t0))
        .order_by(m.c.start)).mappings()]
    wo = om_work_orders
    orders = [dict(r) for r in conn.execute(
        select(wo.c.id, wo.c.point_id, wo.c.kind, wo.c.state, wo.c.assignee, *(wo.c[k] for k in STAMPS))
        .where(wo.c.point_id.in_(ids), wo.c.created_at < t1,
               or_(wo.c.done_at.is_(None), wo.c.done_at >= t0), or_(wo.c.cancelled_at.is_(None),
                                                                   wo.c.cancelled_at >= t0))
        .order_by(wo.c.created_at)).mappings()]
    h = s.hourly_values
    hours = [dict(r) for r in conn.execute(
        select(h.c.point_id, h.c.factor_code, h.c.period_start, h.c.value, h.c.valid, h.c.flag)
        .where(h.c.point_id.in_(ids), h.c.period_start >= t0, h.c.period_start < t1)
        .order_by(h.c.point_id, h.c.factor_code, h.c.period_start)).mappings()]
    pm = om_parameters
    parameters = [dict(r) for r in conn.execute(
        select(pm.c.point_id, pm.c.factor_code, pm.c.name, pm.c.registered_value, pm.c.reported_value,
               pm.c.reported_at).where(pm.c.point_id.in_(ids))
        .order_by(pm.c.point_id, pm.c.factor_code, pm.c.name)).mappings()]
    fd = om_findings
    findings = [dict(r) for r in conn.execute(
        select(fd.c.id, fd.c.code, fd.c.point_id, fd.c.start, fd.c.end, fd.c.msgid, fd.c.params)
        .where(fd.c.point_id.in_(ids), fd.c.start < t1, fd.c.end >= t0).order_by(fd.c.start)).mappings()]
    return {"doors": doors, "snapshots": snapshots, "marks": marks, "orders": orders, "hours": hours,
            "parameters": parameters, "findings": findings}


def snapshot_picture(conn: Connection, room_id: int, snapshot_id: int) -> dict | None:
    """The stored picture (sha256, content type) of a snapshot of this room; None if there is none."""
    row = conn.execute(select(om_snapshots.c.picture, om_snapshots.c.content_type).where(
        om_snapshots.c.id == snapshot_id, om_snapshots.c.room_id == room_id)).mappings().first()
    return dict(row) if row else None
