"""Read model of "the Vietnamese stations this user may see", and the scope clauses of the Vietnamese tables.

Every Vietnamese page (desk, reception, mapping, control, reports) asks the same two questions and must get the
same answer, whoever builds the page:

* which stations (points of a region whose ``country`` is ``VN``) are in the principal's scope:
  :func:`vn_stations` with :func:`station_scope`, and one station by id or key with :func:`vn_station`;
* which rows of ``vn_files`` (received files, their receipts) and ``vn_parameter_map`` (a station's mapping)
  the principal may read: :func:`vn_file_scope`, :func:`vn_mapping_scope`.

The scope itself is decided once, in :mod:`ecosentry.auth.principal` (``Principal.point_ids``): a DONRE officer
(regulator of the province) sees every station of the province's districts, a district officer (regulator of a
district, region level ``county``) the stations of that district, a facility account (role ``enterprise``)
its own facility's stations only, the public the published facilities (pages without raw files). This module
only turns that scope into ``WHERE`` clauses on the subsystem's own tables, as
:func:`ecosentry.auth.guards.alarm_clause` does for the core's. A file of a station key that is registered
nowhere (``vn_files.point_id`` NULL: rejected ``unknown station``) belongs to no facility and no region: only
an unrestricted principal (an administrator) sees it.

An object outside the scope answers 404 like a missing one (docs/access.md): :func:`vn_station` returns
``None`` for both.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection, and_, false, select, true
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree
from ecosentry.subsystems.monitoring import schema as ms

__all__ = ["station_scope", "vn_file_scope", "vn_mapping_scope", "vn_stations", "vn_station", "VN_COUNTRY"]

#: ``regions.country`` of Vietnamese regions.
VN_COUNTRY = "VN"


class _Scoped(Protocol):  # ecosentry.auth.principal.Principal
    point_ids: frozenset[int] | None
    role: str

    def point_clause(self, column) -> ColumnElement[bool]: ...


def station_scope(principal: _Scoped, column=s.points.c.id) -> ColumnElement[bool]:
    """``WHERE`` clause on a point-id column: the stations the principal may see."""
    return principal.point_clause(column)


def vn_file_scope(principal: _Scoped, table=ms.vn_files, *, raw: bool = True) -> ColumnElement[bool]:
    """``WHERE`` clause on ``vn_files`` (or a table with its ``point_id``): the files of visible stations; files
    of unregistered station keys only for an unrestricted principal. ``raw`` (the default): the public, who may
    not read raw data (``raw.read``), sees no file at all."""
    if raw and principal.role == "public":
        return false()
    if principal.point_ids is None:
        return true()
    return and_(table.c.point_id.is_not(None), principal.point_clause(table.c.point_id))


def vn_mapping_scope(principal: _Scoped) -> ColumnElement[bool]:
    """``WHERE`` clause on ``vn_parameter_map``: the mappings of visible stations (none for the public)."""
    if principal.role == "public":
        return false()
    return principal.point_clause(ms.vn_parameter_map.c.point_id)


def _station_select():
    p, o, e, r = s.points, s.outlets, s.enterprises, s.regions
    return (select(p.c.id, p.c.mn.label("station"), p.c.name, p.c.st, p.c.tz, p.c.min_interval, p.c.active,
                   p.c.region_code, r.c.name.label("region_name"), r.c.level.label("region_level"),
                   r.c.parent_code.label("region_parent"), o.c.id.label("outlet_id"),
                   o.c.name.label("outlet_name"), o.c.medium, e.c.id.label("enterprise_id"),
                   e.c.name.label("enterprise_name"), e.c.credit_code.label("tax_code"))
            .join_from(p, o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
            .join(r, p.c.region_code == r.c.code)
            .where(r.c.country == VN_COUNTRY))


def vn_stations(conn: Connection, scope: ColumnElement[bool], *, region: str | None = None,
                enterprise_id: int | None = None) -> list[dict]:
    """The Vietnamese stations matching ``scope`` (:func:`station_scope`), by facility name then station key.

    Parameters
    ----------
    scope : ColumnElement
        ``station_scope(principal)``.
    region : str, optional
        Only the stations of this region or a region below it (a province: its districts too). A region
        outside the scope simply finds nothing.
    enterprise_id : int, optional
        Only this facility's stations.

    Returns
    -------
    list of dict
        ``id``, ``station`` (the key ``Province_Facility_Station`` = MN), ``name``, ``st``, ``tz``,
        ``min_interval``, ``active``, ``region_code``, ``region_name``, ``region_level``, ``region_parent``,
        ``outlet_id``, ``outlet_name``, ``medium``, ``enterprise_id``, ``enterprise_name``, ``tax_code``.
    """
    q = _station_select().where(scope)
    if region is not None:
        q = q.where(s.points.c.region_code.in_(region_subtree(conn, region)))
    if enterprise_id is not None:
        q = q.where(s.outlets.c.enterprise_id == enterprise_id)
    q = q.order_by(s.enterprises.c.name, s.points.c.mn)
    return [dict(r) for r in conn.execute(q).mappings()]


def vn_station(conn: Connection, scope: ColumnElement[bool], station: int | str) -> dict | None:
    """One Vietnamese station by point id or station key, or ``None`` when there is none *or* it is outside
    ``scope`` (the caller answers 404 either way)."""
    key = s.points.c.id == station if isinstance(station, int) else s.points.c.mn == str(station)
    row = conn.execute(_station_select().where(scope, key)).mappings().first()
    return dict(row) if row is not None else None
