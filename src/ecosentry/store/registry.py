"""Registry look-ups shared by the core: the factor catalogue seed, the point directory by MN, region subtrees.

Loading a whole fleet file (which also creates accounts, so it sits above :mod:`ecosentry.auth`) is
:mod:`ecosentry.fleet`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from ecosentry.store import schema as s
from ecosentry.store.seed import load_factors
from ecosentry.store.upsert import upsert


# ---------------------------------------------------------------------------------------- factors

def seed_factors(conn: Connection) -> int:
    """Insert or refresh the HJ 212-2017 Appendix B factor catalogue shipped with ecosentry."""
    cols = {c.name for c in s.factors.columns}
    rows = [{k: v for k, v in f.items() if k in cols} for f in load_factors()]
    upsert(conn, s.factors, rows, ["code"], [c for c in cols if c != "code"])
    return len(rows)


# ---------------------------------------------------------------------------------------- lookup

@dataclass(frozen=True, slots=True)
class PointInfo:
    """What the gateways and the pipeline need to know of a point, keyed by its MN."""

    point_id: int
    mn: str
    password: str
    tz: str
    active: bool
    medium: str
    min_interval: int
    ref_o2: float | None = None
    #: Accept a wrong declared frame length when the CRC is right (``points.lenient_length``).
    lenient_length: bool = False


def load_point_directory(engine: Engine) -> dict[str, PointInfo]:
    p, o = s.points, s.outlets
    with engine.connect() as conn:
        rows = conn.execute(select(p.c.id, p.c.mn, p.c.password, p.c.tz, p.c.active, o.c.medium,
                                   p.c.min_interval, o.c.ref_o2, p.c.lenient_length)
                            .join_from(p, o, p.c.outlet_id == o.c.id))
        return {r.mn: PointInfo(r.id, r.mn, r.password, r.tz, bool(r.active), r.medium, r.min_interval, r.ref_o2,
                                bool(r.lenient_length)) for r in rows}


def region_subtree(conn: Connection, code: str) -> list[str]:
    """The region and every region below it (GB/T 2260 tree as stored, not guessed from the digits)."""
    rows = conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all()
    children: dict[str | None, list[str]] = {}
    for c, parent in rows:
        children.setdefault(parent, []).append(c)
    out, stack, seen = [], [code], set()
    while stack:
        c = stack.pop()
        if c in seen:  # a cycle in the stored tree (parent codes are only foreign keys)
            continue
        seen.add(c)
        out.append(c)
        stack.extend(children.get(c, []))
    return out
