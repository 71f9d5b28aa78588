"""``/gates/holds``: the legal holds on enterprises' gate records (issue 16 item 6, :mod:`..store.holds`), placed
and released by a regulator or an administrator from the page (the ``alarms.supervise`` right: the same people who
open supervision cases), for an enterprise of their scope. A hold covers whole local days of the enterprise, from
the first to the last chosen (both included); it needs a reason, may carry the case's reference (文书号), and is
audited when placed and when released. Anyone else gets the 403 page; an enterprise or hold outside the reader's
scope the 404 page. A refused form (no reason, the days reversed, a day that is no date) is said on the page, in the
reader's language, and changes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from ecosentry.said import N_
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.queries.passages import gated_enterprises
from ecosentry.subsystems.gates.store.holds import hold_enterprise, list_holds, place_hold, release_hold
from ecosentry.web.forms import check_csrf, gate, not_found, see_other, work_render

__all__ = ["router", "HOLD_PROBLEMS"]

router = APIRouter(include_in_schema=False)

#: The right to place and release holds.
RIGHT = "alarms.supervise"
#: What the page says when a form is refused (the key travels in the URL, the sentence is the catalogue's).
HOLD_PROBLEMS = {"reason": N_("A hold needs its reason: the inspection or the case."),
                 "days": N_("Choose the first and the last day held, the last not before the first."),
                 "released": N_("This hold was released already."),
                 "input": N_("The form was not complete; nothing was changed.")}


def _scope(conn, principal) -> list[dict]:
    return gated_enterprises(conn, principal.enterprise_clause(s.enterprises.c.id))


@router.get("/gates/holds")
def holds_page(request: Request, released: str = ""):
    principal, denied = gate(request, RIGHT)
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        ents = _scope(conn, principal)
        zones = {e["id"]: e["tz"] for e in ents}
        holds = [h for h in list_holds(conn, standing=not released) if h["enterprise_id"] in zones]
    q = request.query_params
    problem = q.get("problem")
    return work_render(request, "gates_holds.html", {
        "enterprises": ents, "holds": holds, "zones": zones, "show_released": bool(released),
        "problem": HOLD_PROBLEMS.get(problem) if problem else None,
        "placed": q.get("placed", "").isdigit() and int(q["placed"]),
        "released_id": q.get("released_id", "").isdigit() and int(q["released_id"])})


async def _form(request: Request):
    """The reader, the form's fields, and the answer instead (403 page, CSRF refused) or None."""
    principal, denied = gate(request, RIGHT)
    if denied:
        return principal, None, denied
    form = await request.form()
    return principal, form, check_csrf(request, form)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise GatesInputError("", "days", HOLD_PROBLEMS["days"]) from None


@router.post("/gates/holds")
async def place_form(request: Request):
    """Place a hold on the enterprise's records of whole local days ``first``…``last``."""
    principal, form, answer = await _form(request)
    if answer:
        return answer
    engine = request.app.state.engine
    wanted = str(form.get("enterprise") or "")
    ents = await asyncio.to_thread(lambda: _scope_of(engine, principal))
    ent = next((e for e in ents if str(e["id"]) == wanted), None)
    if ent is None:
        return not_found(request, "enterprise")
    try:
        first, last = _day(str(form.get("first") or "")), _day(str(form.get("last") or ""))
        if last < first:
            raise GatesInputError("", "days", HOLD_PROBLEMS["days"])
        zone = ZoneInfo(ent["tz"])
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone) - timedelta(microseconds=1)
        hold_id = await asyncio.to_thread(place_hold, engine, ent["id"], start, end,
                                          reason=str(form.get("reason") or "")[:2000],
                                          case_ref=str(form.get("case_ref") or "").strip()[:64] or None,
                                          actor=principal.username)
    except GatesInputError as exc:
        return see_other("/gates/holds", problem=exc.field if exc.field in HOLD_PROBLEMS else "input")
    return see_other("/gates/holds", placed=hold_id)


def _scope_of(engine, principal) -> list[dict]:
    with engine.connect() as conn:
        return _scope(conn, principal)


def _hold_enterprise(engine, hold_id: int) -> int | None:
    with engine.connect() as conn:
        return hold_enterprise(conn, hold_id)


@router.post("/gates/holds/{hold_id}/release")
async def release_form(request: Request, hold_id: int):
    """Release a standing hold (with the reason given, if any)."""
    principal, form, answer = await _form(request)
    if answer:
        return answer
    engine = request.app.state.engine
    ent = await asyncio.to_thread(_hold_enterprise, engine, hold_id)
    if ent is None or not principal.sees_enterprise(ent):
        return not_found(request, "hold")
    try:
        await asyncio.to_thread(release_hold, engine, hold_id, actor=principal.username,
                                reason=str(form.get("reason") or "")[:2000])
    except GatesInputError:
        return see_other("/gates/holds", problem="released")
    return see_other("/gates/holds", released_id=hold_id)
