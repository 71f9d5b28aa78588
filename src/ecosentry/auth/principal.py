"""Who is asking, and what they may see: the one place where scopes are decided (API and pages alike).

Roles and scopes (issue 6; DESIGN.md "who uses it"):

=============  ==========================================================================================
role           scope
=============  ==========================================================================================
``admin``      everything; registry administration and users
``regulator``  a region subtree (national / provincial / city / county by the level of ``region_code``)
``enterprise`` its enterprise (``enterprise_id``)
``om``         the points it maintains (``point_maintainers``)
``park``       the enterprises of its chemical park (``park_code``)
``public``     published enterprises only (``enterprises.published``), read-only, no raw frames
=============  ==========================================================================================

A :class:`Principal` is resolved once per request (session cookie, API key or bearer token, or anonymous =
public) and carries the resolved scope: the set of visible point ids and enterprise ids (``None`` = all). Every
route and page filters with :meth:`Principal.point_clause` / :meth:`Principal.enterprise_clause` /
:meth:`Principal.region_clause` or checks one object with :meth:`Principal.sees_point` /
:meth:`Principal.sees_enterprise`, and checks actions with :meth:`Principal.may` (the permission table
:data:`PERMISSIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import Connection, false, select, true
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree

__all__ = ["ROLES", "PERMISSIONS", "Principal", "PUBLIC", "resolve_scope", "Forbidden"]

ROLES = ("admin", "regulator", "enterprise", "om", "park", "public")

#: Action → roles allowed (within their scope). The access matrix test walks this table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "data.read": frozenset(ROLES),                      # values, periods, rates, reports of visible points
    "raw.read": frozenset({"admin", "regulator", "enterprise", "om"}),   # raw frames, quarantine
    "marks.read": frozenset({"admin", "regulator", "enterprise", "om", "park"}),   # marks and their evidence
    "marks.file": frozenset({"admin", "enterprise", "om"}),     # file, close, delete, evidence, manual values
    "marks.review": frozenset({"admin", "regulator"}),
    "alarms.read": frozenset({"admin", "regulator", "enterprise", "om", "park"}),
    "alarms.act": frozenset({"admin", "regulator"}),    # acknowledge, assign, clear
    "alarms.comment": frozenset({"admin", "regulator", "enterprise", "om", "park"}),
    # the supervision of alarms (督办, ecosentry.alarms.disposal): push, check, close / acknowledge, answer
    "alarms.supervise": frozenset({"admin", "regulator"}),
    "alarms.respond": frozenset({"admin", "enterprise"}),
    "subscriptions.manage": frozenset({"admin", "regulator", "enterprise", "om", "park"}),
    "audit.read": frozenset({"admin", "regulator"}),
    "registry.edit": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "limits.edit": frozenset({"admin", "regulator"}),
    "apikeys.manage": frozenset({"admin", "regulator", "enterprise", "om", "park"}),
    # heavy-pollution weather alerts: everyone sees those covering them (ecosentry.auth.alert_scope); a
    # regulator issues, corrects, changes the level of and lifts those of its own region subtree
    "alerts.read": frozenset(ROLES),
    "alerts.issue": frozenset({"admin", "regulator"}),
}


class Forbidden(PermissionError):
    """The principal may not do this or see that; ``str()`` says what, for the 403/404 answer."""


@dataclass(frozen=True)
class Principal:
    """An authenticated user (or the anonymous public) with the resolved scope.

    Attributes
    ----------
    username, role, user_id
    region_code : str or None
        Regulators: the root of their region subtree.
    enterprise_id, park_code
        Enterprise users and park committees.
    point_ids : frozenset of int or None
        Visible points (``None`` = every point: admin, national regulator of the whole tree).
    enterprise_ids : frozenset of int or None
        Visible enterprises (``None`` = every enterprise).
    region_codes : frozenset of str or None
        Visible regions (regulators: the subtree; ``None`` = all).
    locale : str or None
        Preferred UI language.
    """

    username: str
    role: str
    user_id: int | None = None
    display_name: str | None = None
    region_code: str | None = None
    enterprise_id: int | None = None
    park_code: str | None = None
    point_ids: frozenset[int] | None = None
    enterprise_ids: frozenset[int] | None = None
    region_codes: frozenset[str] | None = None
    locale: str | None = None
    auth: str = "anonymous"  # session | api_key | anonymous
    api_key_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    # ------------------------------------------------------------------ actions

    def may(self, action: str) -> bool:
        """True when the role may perform ``action`` (within its scope)."""
        try:
            return self.role in PERMISSIONS[action]
        except KeyError:
            raise ValueError(f"unknown action {action!r}") from None

    def require(self, action: str) -> None:
        """Raise :class:`Forbidden` unless :meth:`may`."""
        if not self.may(action):
            raise Forbidden(f"a {self.role} account may not do {action}")

    @property
    def is_public(self) -> bool:
        return self.role == "public"

    # ------------------------------------------------------------------ objects

    def sees_point(self, point_id: int) -> bool:
        return self.point_ids is None or point_id in self.point_ids

    def sees_enterprise(self, enterprise_id: int) -> bool:
        return self.enterprise_ids is None or enterprise_id in self.enterprise_ids

    def sees_region(self, region_code: str | None) -> bool:
        return self.region_codes is None or (region_code is not None and region_code in self.region_codes)

    # ------------------------------------------------------------------ SQL filters

    def point_clause(self, column) -> ColumnElement[bool]:
        """``WHERE`` clause on a point-id column (``points.c.id``, ``alarms.c.point_id`` ...)."""
        return _in(column, self.point_ids)

    def enterprise_clause(self, column) -> ColumnElement[bool]:
        return _in(column, self.enterprise_ids)

    def region_clause(self, column) -> ColumnElement[bool]:
        return _in(column, self.region_codes)


def _in(column, allowed: frozenset | None) -> ColumnElement[bool]:
    if allowed is None:
        return true()
    if not allowed:
        return false()
    return column.in_(sorted(allowed))


def _points_of_enterprises(conn: Connection, enterprise_ids: Iterable[int]) -> frozenset[int]:
    p, o = s.points, s.outlets
    ids = sorted(set(enterprise_ids))
    if not ids:
        return frozenset()
    return frozenset(conn.execute(select(p.c.id).join(o, p.c.outlet_id == o.c.id)
                                  .where(o.c.enterprise_id.in_(ids))).scalars())


def resolve_scope(conn: Connection, user: dict, *, auth: str = "session", api_key_id: int | None = None) -> Principal:
    """The :class:`Principal` of a ``users`` row (a mapping), with its scope read from the registry.

    An account whose scope key is missing (a regulator without a region, an enterprise user without an
    enterprise ...) sees nothing rather than everything.
    """
    role = user["role"]
    base = dict(username=user["username"], role=role, user_id=user.get("id"), display_name=user.get("display_name"),
                region_code=user.get("region_code"), enterprise_id=user.get("enterprise_id"),
                park_code=user.get("park_code"), locale=user.get("locale"), auth=auth, api_key_id=api_key_id)
    e, p, o = s.enterprises, s.points, s.outlets
    if role == "admin":
        return Principal(**base)
    if role == "regulator":
        if not user.get("region_code"):
            return Principal(**base, point_ids=frozenset(), enterprise_ids=frozenset(), region_codes=frozenset())
        regions = frozenset(region_subtree(conn, user["region_code"]))
        ents = frozenset(conn.execute(select(e.c.id).where(e.c.region_code.in_(sorted(regions)))).scalars())
        # a point belongs to the regulator of its jurisdiction (points.region_code) or of its enterprise
        pts = frozenset(conn.execute(select(p.c.id).where(p.c.region_code.in_(sorted(regions))))
                        .scalars()) | _points_of_enterprises(conn, ents)
        return Principal(**base, point_ids=pts, enterprise_ids=ents, region_codes=regions)
    if role == "enterprise":
        ents = frozenset({user["enterprise_id"]}) if user.get("enterprise_id") else frozenset()
        return Principal(**base, point_ids=_points_of_enterprises(conn, ents), enterprise_ids=ents,
                         region_codes=frozenset())
    if role == "om":
        pts = frozenset(conn.execute(select(s.point_maintainers.c.point_id)
                                     .where(s.point_maintainers.c.user_id == user.get("id"))).scalars())
        ents = frozenset(conn.execute(select(o.c.enterprise_id).join(p, p.c.outlet_id == o.c.id)
                                      .where(p.c.id.in_(sorted(pts)))).scalars()) if pts else frozenset()
        return Principal(**base, point_ids=pts, enterprise_ids=ents, region_codes=frozenset())
    if role == "park":
        ents = frozenset(conn.execute(select(e.c.id).where(e.c.park_code == user.get("park_code"))).scalars()) \
            if user.get("park_code") else frozenset()
        return Principal(**base, point_ids=_points_of_enterprises(conn, ents), enterprise_ids=ents,
                         region_codes=frozenset())
    if role == "public":
        return public_principal(conn, base)
    raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")


def public_principal(conn: Connection, base: dict | None = None) -> Principal:
    """The anonymous public: published enterprises only."""
    e = s.enterprises
    ents = frozenset(conn.execute(select(e.c.id).where(e.c.published.is_(True))).scalars())
    b = base or dict(username="public", role="public")
    return Principal(**b, point_ids=_points_of_enterprises(conn, ents), enterprise_ids=ents,
                     region_codes=frozenset())


#: The anonymous principal before its scope is resolved (sees nothing).
PUBLIC = Principal(username="public", role="public", point_ids=frozenset(), enterprise_ids=frozenset(),
                   region_codes=frozenset())
