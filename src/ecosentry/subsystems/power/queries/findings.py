"""Read model of the electricity findings (``power_findings``): lists for the pages (open ones first) and the
open counts by severity per enterprise. The scope comes in as a clause on an enterprise-id column."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.subsystems.power.schema import power_findings

__all__ = ["list_findings", "open_counts", "findings_overlapping"]

Clause = ColumnElement[bool]


def list_findings(conn: Connection, scope: Clause, *, enterprise_id: int | None = None, code: str | None = None,
                  severity: str | None = None, open_only: bool = False, since: datetime | None = None,
                  limit: int = 200, offset: int = 0) -> tuple[list[dict], int]:
    """Findings in ``scope`` with their enterprise's name: open ones first, then the latest start first; and
    how many match in all."""
    f, e = power_findings, s.enterprises
    where = [scope]
    if enterprise_id is not None:
        where.append(f.c.enterprise_id == enterprise_id)
    if code:
        where.append(f.c.code == code)
    if severity:
        where.append(f.c.severity == severity)
    if open_only:
        where.append(f.c.end_at.is_(None))
    if since is not None:
        where.append((f.c.end_at.is_(None)) | (f.c.end_at >= since))
    total = conn.execute(select(func.count()).select_from(f).where(*where)).scalar_one()
    stmt = (select(f, e.c.name.label("enterprise_name")).join(e, e.c.id == f.c.enterprise_id).where(*where)
            .order_by(case((f.c.end_at.is_(None), 0), else_=1), f.c.start_at.desc(), f.c.id.desc())
            .limit(limit).offset(offset))
    return [dict(x) for x in conn.execute(stmt).mappings()], int(total)


def findings_overlapping(conn: Connection, enterprise_id: int, t0: datetime, t1: datetime) -> list[dict]:
    """The enterprise's findings whose span meets ``[t0, t1)`` (an open one runs to now), by start."""
    f = power_findings
    stmt = (select(f).where(f.c.enterprise_id == enterprise_id, f.c.start_at < t1,
                            f.c.end_at.is_(None) | (f.c.end_at > t0)).order_by(f.c.start_at, f.c.id))
    return [dict(x) for x in conn.execute(stmt).mappings()]


def open_counts(conn: Connection, enterprise_ids: list[int]) -> dict[int, dict[str, int]]:
    """Open findings per enterprise by severity (``{ent: {"critical": 2, "warning": 1}}``)."""
    if not enterprise_ids:
        return {}
    f = power_findings
    rows = conn.execute(select(f.c.enterprise_id, f.c.severity, func.count())
                        .where(f.c.enterprise_id.in_(enterprise_ids), f.c.end_at.is_(None))
                        .group_by(f.c.enterprise_id, f.c.severity)).all()
    out: dict[int, dict[str, int]] = {}
    for ent, sev, n in rows:
        out.setdefault(int(ent), {})[sev] = int(n)
    return out
