"""The cameras of an enterprise with their reference view and latest snapshots (``/gates/cameras``)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ecosentry.subsystems.gates.schema import gates_cameras, gates_gates, gates_loading_places, gates_snapshots

__all__ = ["enterprise_cameras", "camera_enterprise"]


def enterprise_cameras(conn: Connection, enterprise_id: int, snapshots: int = 6) -> list[dict]:
    """The enterprise's cameras by place and code: id, code, kind, place (the gate's or loading place's name),
    reference picture, and its latest ``snapshots`` snapshots (id, time, picture, similarity, blank), newest
    first."""
    c, g, lp = gates_cameras, gates_gates, gates_loading_places
    rows = [dict(r) for r in conn.execute(
        select(c.c.id, c.c.code, c.c.kind, c.c.reference_picture, g.c.name.label("gate_name"),
               lp.c.name.label("place_name"))
        .outerjoin(g, g.c.id == c.c.gate_id).outerjoin(lp, lp.c.id == c.c.loading_place_id)
        .where(c.c.enterprise_id == enterprise_id).order_by(c.c.code, c.c.id)).mappings()]
    sn = gates_snapshots.c
    for r in rows:
        r["place"] = r.pop("gate_name") or r.pop("place_name", None)
        r.pop("place_name", None)
        r["snapshots"] = [dict(x) for x in conn.execute(
            select(sn.id, sn.at, sn.picture, sn.similarity, sn.blank).where(sn.camera_id == r["id"])
            .order_by(sn.at.desc(), sn.id.desc()).limit(snapshots)).mappings()]
    return rows


def camera_enterprise(conn: Connection, camera_id: int) -> int | None:
    """The enterprise of camera ``camera_id`` (None: no such camera)."""
    return conn.scalar(select(gates_cameras.c.enterprise_id).where(gates_cameras.c.id == camera_id))
