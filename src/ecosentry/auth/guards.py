"""Scope checks used by every API route, so that refusals look the same everywhere.

The rule (issue 6 "a user never sees or changes anything outside the scope"):

1. **The action.** A route that needs an action (``alarms.act``, ``marks.review`` …) declares
   ``Depends(requires(action))``: 401 for the anonymous public ("log in first"), 403 for a role that may
   never do it. Reading alarms, marks or the audit log is such an action too.
2. **The object.** An object outside the principal's scope answers **404** with the same sentence as an
   object that does not exist (``no point with id 7``), so ids cannot be probed.
3. **Lists** are filtered with the principal's clauses; a filter naming something outside the scope (a
   region, an enterprise) simply finds nothing.

A refusal's ``detail`` is a :class:`~ecosentry.said.Said` (msgids below, translated in the core's catalogues):
the API answers it in the reader's language (:mod:`ecosentry.web.errors`), ``str()`` stays English.

Alarms belong to a point when they have one, else to an enterprise, else to a region
(:func:`alarm_clause`); marks and reports belong to their point.
"""

from __future__ import annotations

from typing import Any, Mapping

from fastapi import HTTPException
from sqlalchemy import String, and_, cast, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.auth.principal import Principal
from ecosentry.said import N_, Said
from ecosentry.store import schema as s

__all__ = ["may_not", "log_in_first", "need", "point_or_404", "enterprise_or_404", "alarm_clause", "alarm_visible", "alarm_or_404",
           "audit_clause", "report_region"]


#: The sentences of the refusals (the same msgids as the stores' ``MarkNotFound`` / ``AlarmNotFound``).
LOG_IN_FIRST = N_("log in first")
MAY_NOT_DO = N_("a %(role)s account may not do %(action)s")
NO_POINT = N_("no point with id %(id)s")
NO_ENTERPRISE = N_("no enterprise with id %(id)s")
NO_ALARM = N_("no alarm with id %(id)s")
NO_REGION_IN_SCOPE = N_("no region %(region)s in your scope")
NO_REGION_REPORTS = N_("a %(role)s account may not run region reports; ask for its points' reports")
#: A role as the refusal names it (the administration pages' words for the roles).
ROLE_WORDS = {"admin": N_("administrator"), "regulator": N_("regulator"), "enterprise": N_("enterprise"),
              "om": N_("O&M contractor"), "park": N_("park committee"), "public": N_("public")}


def role_word(role: str) -> Said | str:
    """The role, said in the reader's language inside a refusal."""
    return Said(ROLE_WORDS[role]) if role in ROLE_WORDS else role


def log_in_first() -> HTTPException:
    """401 for the anonymous public."""
    return HTTPException(401, Said(LOG_IN_FIRST), headers={"WWW-Authenticate": "Bearer"})


def may_not(principal: Principal, action: str) -> HTTPException:
    """401 for the anonymous public, else 403: ``principal`` may not do ``action``."""
    if principal.is_public and principal.auth == "anonymous":
        return log_in_first()
    return HTTPException(403, Said(MAY_NOT_DO, role=role_word(principal.role), action=action))


def need(principal: Principal, action: str) -> None:
    """401 (anonymous) or 403 unless the principal may do ``action``."""
    if not principal.may(action):
        raise may_not(principal, action)


def point_or_404(principal: Principal, point_id: int) -> None:
    if not principal.sees_point(point_id):
        raise HTTPException(404, Said(NO_POINT, id=point_id))


def enterprise_or_404(principal: Principal, enterprise_id: int) -> None:
    if not principal.sees_enterprise(enterprise_id):
        raise HTTPException(404, Said(NO_ENTERPRISE, id=enterprise_id))


def alarm_clause(principal: Principal, table=s.alarms) -> ColumnElement[bool]:
    """Alarms the principal may see: of a visible point; without a point, of a visible enterprise; without
    either, of a visible region."""
    if principal.point_ids is None and principal.enterprise_ids is None and principal.region_codes is None:
        return true()
    if principal.is_public:
        return false()
    a = table
    return or_(and_(a.c.point_id.is_not(None), principal.point_clause(a.c.point_id)),
               and_(a.c.point_id.is_(None), a.c.enterprise_id.is_not(None),
                    principal.enterprise_clause(a.c.enterprise_id)),
               and_(a.c.point_id.is_(None), a.c.enterprise_id.is_(None), a.c.region_code.is_not(None),
                    principal.region_clause(a.c.region_code)))


def alarm_visible(principal: Principal, alarm: Mapping[str, Any]) -> bool:
    """The Python twin of :func:`alarm_clause`, for one alarm (a row or its JSON)."""
    if principal.point_ids is None and principal.enterprise_ids is None and principal.region_codes is None:
        return True
    if principal.is_public:
        return False
    if alarm.get("point_id") is not None:
        return principal.sees_point(int(alarm["point_id"]))
    if alarm.get("enterprise_id") is not None:
        return principal.sees_enterprise(int(alarm["enterprise_id"]))
    region = alarm.get("region_code") or alarm.get("region")
    return region is not None and principal.sees_region(str(region))


def alarm_or_404(principal: Principal, alarm: Mapping[str, Any]) -> None:
    if not alarm_visible(principal, alarm):
        raise HTTPException(404, Said(NO_ALARM, id=alarm["id"]))


def audit_clause(principal: Principal) -> ColumnElement[bool]:
    """The audit rows ``principal`` may read: every row for an admin; for the others, the rows about a mark,
    alarm, point or enterprise in their scope, plus every row of their own actions (``actor``)."""
    a = s.audit_log
    if principal.role == "admin":
        return true()
    m, al = s.marks, s.alarms
    about = or_(
        and_(a.c.entity == "mark",
             a.c.entity_id.in_(select(cast(m.c.id, String)).where(principal.point_clause(m.c.point_id)))),
        and_(a.c.entity == "alarm",
             a.c.entity_id.in_(select(cast(al.c.id, String)).where(alarm_clause(principal, al)))),
        and_(a.c.entity == "point",
             a.c.entity_id.in_(select(cast(s.points.c.id, String)).where(principal.point_clause(s.points.c.id)))),
        and_(a.c.entity == "enterprise",
             a.c.entity_id.in_(select(cast(s.enterprises.c.id, String))
                               .where(principal.enterprise_clause(s.enterprises.c.id)))),
        # heavy-pollution alerts issued for a region of the regulator's subtree
        and_(a.c.entity == "pollution_alert",
             a.c.entity_id.in_(select(cast(s.pollution_alerts.c.id, String))
                               .where(principal.region_clause(s.pollution_alerts.c.region_code)))),
    )
    return or_(a.c.actor == principal.username, about)


def report_region(principal: Principal, region: str | None) -> str | None:
    """The region a region-wide report may cover: the one asked for if it is in scope (404 otherwise); none
    asked: everything for an unrestricted principal, the regulator's own region, else 403."""
    if region:
        if not principal.sees_region(region):
            raise HTTPException(404, Said(NO_REGION_IN_SCOPE, region=region))
        return region
    if principal.region_codes is None:
        return None
    if principal.region_code and principal.role == "regulator":
        return principal.region_code
    if principal.is_public and principal.auth == "anonymous":
        raise log_in_first()
    raise HTTPException(403, Said(NO_REGION_REPORTS, role=role_word(principal.role)))
