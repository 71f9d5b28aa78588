"""Read model of the parameter mapping page (issue 14 item 3): the Vietnamese stations in scope, the names and
units of their files that did not become a factor (``vn_unmapped``, counted by the vn-file sink), their own
mapping rules (``vn_parameter_map``) and the factors a name can be mapped to."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms

__all__ = ["vn_stations", "unmapped_rows", "station_rules", "factor_choices", "station"]

_p, _o, _e = s.points, s.outlets, s.enterprises
_u, _m, _f = ms.vn_unmapped, ms.vn_parameter_map, ms.vn_files


def _station_select(point_clause):
    return (select(_p.c.id, _p.c.name, _p.c.mn, _p.c.tz, _p.c.region_code, _o.c.medium,
                   _e.c.name.label("enterprise_name"))
            .join(_o, _p.c.outlet_id == _o.c.id).join(_e, _o.c.enterprise_id == _e.c.id)
            .where(point_clause))


def vn_stations(conn: Connection, point_clause) -> list[dict]:
    """Points in scope that send Vietnamese station files (a file, an unmapped line or a rule of theirs),
    by enterprise then name."""
    on_vn_path = or_(_p.c.id.in_(select(_f.c.point_id).where(_f.c.point_id.is_not(None)).distinct()),
                     _p.c.id.in_(select(_u.c.point_id)), _p.c.id.in_(select(_m.c.point_id)))
    q = _station_select(point_clause).where(on_vn_path).order_by(_e.c.name, _p.c.name, _p.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


def station(conn: Connection, point_id: int) -> dict | None:
    """One point with its medium and enterprise (no scope check: the caller has made it)."""
    r = conn.execute(_station_select(_p.c.id == point_id)).mappings().first()
    return None if r is None else dict(r)


def unmapped_rows(conn: Connection, point_ids: list[int]) -> list[dict]:
    """Counted unmapped names and units of these points, most lines first."""
    if not point_ids:
        return []
    q = select(_u).where(_u.c.point_id.in_(point_ids)).order_by(_u.c.n_lines.desc(), _u.c.point_id, _u.c.name_key)
    return [dict(r) for r in conn.execute(q).mappings()]


def station_rules(conn: Connection, point_ids: list[int]) -> list[dict]:
    """The stations' own mapping rules, by station then name."""
    if not point_ids:
        return []
    q = select(_m).where(_m.c.point_id.in_(point_ids)).order_by(_m.c.point_id, _m.c.name_key, _m.c.unit_key)
    return [dict(r) for r in conn.execute(q).mappings()]


def factor_choices(conn: Connection) -> dict[str, list[dict]]:
    """Factors by medium (code, English and Chinese names, unit), by code: what a name can be mapped to."""
    f = s.factors
    out: dict[str, list[dict]] = {}
    for r in conn.execute(select(f.c.code, f.c.name_en, f.c.name_zh, f.c.unit, f.c.medium).order_by(f.c.code)
                          ).mappings():
        out.setdefault(r["medium"], []).append(dict(r))
    return out
