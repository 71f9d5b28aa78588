"""Who sees what of a chemical park (the pages' and the report's one rule):

* ``admin``: every park;
* ``park`` (the committee): its own park (``park_code``), everything in it;
* ``regulator``: the parks of its region subtree, everything in them;
* ``enterprise``: the park its enterprise belongs to, with the boundary, receptors, met stations and park-edge
  stations, but of the enterprise-boundary stations and sources only its own; the incidents at its own
  stations and those whose ranking names one of its sources (the incidents that concern it);
* ``om`` and ``public``: no park.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s

__all__ = ["ParkScope", "park_scope", "visible_parks"]


@dataclass(frozen=True)
class ParkScope:
    """What one principal sees of one park: ``whole`` (every station, source and incident) or only the
    enterprises ``own``."""

    park_code: str
    whole: bool
    own: frozenset[int]

    def sees_enterprise_item(self, enterprise_id: int | None) -> bool:
        """A boundary station or a source (``enterprise_id`` set) is seen by the whole scope or its owner; a
        park-edge, receptor or met station (no enterprise) by everyone who sees the park."""
        return self.whole or enterprise_id is None or enterprise_id in self.own


def visible_parks(conn: Connection, principal: Principal) -> list[dict]:
    """The parks ``principal`` sees (code, name, region name), by name."""
    p, r = s.parks, s.regions
    q = select(p.c.code, p.c.name, p.c.region_code, r.c.name.label("region_name")).join(
        r, r.c.code == p.c.region_code).order_by(p.c.name, p.c.code)
    if principal.role == "admin":
        pass
    elif principal.role == "park":
        q = q.where(p.c.code == (principal.park_code or ""))
    elif principal.role == "regulator":
        q = q.where(principal.region_clause(p.c.region_code))
    elif principal.role == "enterprise":
        e = s.enterprises
        q = q.where(p.c.code.in_(select(e.c.park_code).where(principal.enterprise_clause(e.c.id),
                                                             e.c.park_code.is_not(None))))
    else:
        return []
    return [dict(x._mapping) for x in conn.execute(q)]


def park_scope(conn: Connection, principal: Principal, park_code: str) -> ParkScope | None:
    """The principal's view of ``park_code``; None when it does not see the park (or there is none)."""
    if park_code not in {p["code"] for p in visible_parks(conn, principal)}:
        return None
    whole = principal.role in ("admin", "park", "regulator")
    return ParkScope(park_code, whole, frozenset() if whole else frozenset(principal.enterprise_ids or ()))
