"""Whose heavy-pollution alerts a principal sees, and for which regions it may issue them.

An alert issued for a region covers every place below it, so it concerns everyone there:

=============================  ==========================================================================
principal                      alerts shown
=============================  ==========================================================================
``admin``                      every alert
``regulator``                  those issued for its subtree (the counties' own) and for the regions above
                               it (the city's or the province's alert covers the county too)
``enterprise``, ``om``,        those issued for the region of each of its enterprises or a region above it
``park``, ``public``           (the public: the published enterprises')
=============================  ==========================================================================

Issuing, correcting, changing the level and lifting need ``alerts.issue`` and are limited to the regulator's
own subtree (a county regulator sees the city's alert but may not lift it); an administrator issues anywhere.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ecosentry.auth.principal import Principal
from ecosentry.store.queries.pollution_alerts import concerned_regions, enterprise_regions

__all__ = ["alert_regions", "issue_scope", "may_issue_for"]


def alert_regions(conn: Connection, principal: Principal) -> set[str] | None:
    """The regions whose alerts ``principal`` sees (``None`` = every region)."""
    if principal.role == "admin" or (principal.region_codes is None and principal.enterprise_ids is None):
        return None
    if principal.role == "regulator":
        return concerned_regions(conn, principal.region_codes or ())
    return concerned_regions(conn, enterprise_regions(conn, principal.enterprise_ids or ()))


def issue_scope(principal: Principal) -> frozenset[str] | None:
    """The regions ``principal`` may issue alerts for (``None`` = every region; empty = none)."""
    if not principal.may("alerts.issue"):
        return frozenset()
    if principal.role == "admin":
        return None
    return frozenset(principal.region_codes or ())


def may_issue_for(principal: Principal, region_code: str) -> bool:
    """True when ``principal`` may issue, correct or lift an alert of ``region_code``."""
    scope = issue_scope(principal)
    return scope is None or region_code in scope
