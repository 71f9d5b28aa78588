"""Calibration records as the pages read them (issue 18 items 3 and 7): the analysers in a reader's scope (each
point and factor with zero/span checks), and one analyser's checks with the names of its point and enterprise.

The scope is a ``WHERE`` clause on a point-id column (:meth:`ecosentry.auth.principal.Principal.point_clause`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, select

from ecosentry.store import schema as s
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.schema import om_calibrations as cal

__all__ = ["analysers", "point_head", "series_checks", "as_rule_checks"]


def analysers(conn: Connection, point_clause) -> list[dict]:
    """Every point and factor in scope (``point_clause`` on ``om_calibrations.point_id``) with checks: names,
    number of checks, failed verdicts, the last check."""
    p, o, e = s.points, s.outlets, s.enterprises
    q = (select(cal.c.point_id, cal.c.factor_code, p.c.name.label("point_name"), p.c.tz,
                e.c.name.label("enterprise_name"), func.count().label("checks"),
                func.sum(case((cal.c.verdict == "fail", 1), else_=0)).label("failed"),
                func.max(cal.c.at).label("last_at"))
         .join(p, p.c.id == cal.c.point_id).join(o, o.c.id == p.c.outlet_id).join(e, e.c.id == o.c.enterprise_id)
         .where(point_clause)
         .group_by(cal.c.point_id, cal.c.factor_code, p.c.name, p.c.tz, e.c.name)
         .order_by(e.c.name, p.c.name, cal.c.factor_code))
    return [dict(r) for r in conn.execute(q).mappings()]


def point_head(conn: Connection, point_id: int) -> dict | None:
    """The point's name, zone and enterprise (``None``: no such point)."""
    p, o, e = s.points, s.outlets, s.enterprises
    row = conn.execute(select(p.c.id, p.c.name, p.c.tz, p.c.mn, o.c.name.label("outlet_name"),
                              e.c.name.label("enterprise_name"))
                       .join(o, o.c.id == p.c.outlet_id).join(e, e.c.id == o.c.enterprise_id)
                       .where(p.c.id == point_id)).mappings().first()
    return dict(row) if row is not None else None


def series_checks(conn: Connection, point_id: int, factor: str, start: datetime | None = None,
                  end: datetime | None = None) -> list[dict]:
    """The zero/span checks of one analyser (point and factor), oldest first, within ``[start, end)`` if given."""
    q = select(cal).where(cal.c.point_id == point_id, cal.c.factor_code == factor)
    if start is not None:
        q = q.where(cal.c.at >= start)
    if end is not None:
        q = q.where(cal.c.at < end)
    return [dict(r) for r in conn.execute(q.order_by(cal.c.at, cal.c.kind)).mappings()]


def as_rule_checks(rows: list[dict]) -> list[CalibrationCheck]:
    """The stored checks as the pure rules take them."""
    return [CalibrationCheck(str(r["point_id"]), r["factor_code"], r["at"], r["kind"], r["result"], r["drift_pct"])
            for r in rows]
