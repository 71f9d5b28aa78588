"""The guard's forms on the gates pages: the override of a passage's decision (on ``/gates``) and the completion
of a ledger row's emission stage (on ``/gates/ledger``). POST with the session's CSRF token; the enterprise's own
accounts and administrators only (:data:`..store.decisions.GUARD_ROLES`, else the 403 page), for a passage or row
they see (else 404); a missing reason or a stage that is none is said on the page it came from, in the reader's
language. Both changes are audited (:mod:`..store.decisions`). Every guard's form (these and the cameras' reference
view, :mod:`.cameras`) makes its checks through :func:`guard_form`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from ecosentry.said import Said
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.decisions import (
    GUARD_ROLES, KNOWN_STAGE, complete_stage, ledger_enterprise, override_decision, passage_enterprise)
from ecosentry.subsystems.gates.web.words import GUARD_PROBLEMS, gates_settings
from ecosentry.web.forms import check_csrf, denied_page, gate, not_found, see_other

__all__ = ["router", "may_guard", "guard_message", "guard_principal", "GuardForm", "guard_form"]

router = APIRouter(include_in_schema=False)


def may_guard(principal) -> bool:
    """Whether the reader gets the guard's forms."""
    return principal.role in GUARD_ROLES and principal.may("marks.file")


def _allowed(request: Request):
    principal, denied = gate(request, "marks.file")
    if denied is None and principal.role not in GUARD_ROLES:
        denied = denied_page(request, Said("Only the enterprise's guard or an administrator acts at the gate."))
    return principal, denied


def guard_principal(request: Request):
    """The reader if the guard's forms are theirs (:func:`may_guard`), else the answer instead (the 403 page)."""
    return _allowed(request)


@dataclass
class GuardForm:
    """A guard's form that may be processed (``answer`` None): its reader, fields and the enterprise of the object
    it acts on; else the page to answer instead (403, CSRF refused, 404)."""

    principal: Any = None
    form: Any = None
    enterprise: int | None = None
    answer: Response | None = None


def _enterprise_of(engine, lookup: Callable[[Connection, int], int | None], object_id: int) -> int | None:
    with engine.connect() as conn:
        return lookup(conn, object_id)


async def guard_form(request: Request, lookup: Callable[[Connection, int], int | None], object_id: int,
                     what: str) -> GuardForm:
    """The checks every guard's form makes, in order: the reader may act at the gate (else the 403 page), the
    session's CSRF token (else 403), the object exists (``lookup`` gives its enterprise, read off the event loop)
    and lies in the reader's scope (else the 404 page, the same for both)."""
    principal, denied = _allowed(request)
    if denied:
        return GuardForm(answer=denied)
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return GuardForm(answer=bad)
    ent = await asyncio.to_thread(_enterprise_of, request.app.state.engine, lookup, object_id)
    if ent is None or not principal.sees_enterprise(ent):
        return GuardForm(answer=not_found(request, what))
    return GuardForm(principal, form, ent)


def _problem(exc: GatesInputError) -> str:
    """The key of :data:`..web.words.GUARD_PROBLEMS` the page says (a key, never the text, goes in the URL)."""
    if exc.msgid == KNOWN_STAGE:
        return "known"
    return exc.field if exc.field in GUARD_PROBLEMS else "input"


@router.post("/gates/passages/{passage_id}/override")
async def override_form(request: Request, passage_id: int):
    g = await guard_form(request, passage_enterprise, passage_id, "passage")
    if g.answer:
        return g.answer
    verdict = str(g.form.get("allowed") or "")
    try:
        if verdict not in ("1", "0"):
            raise GatesInputError("", "allowed", "must be true or false")
        await asyncio.to_thread(override_decision, request.app.state.engine, passage_id, allowed=verdict == "1",
                                operator=g.principal.username, reason=str(g.form.get("reason") or "")[:500])
    except GatesInputError as exc:
        return see_other("/gates", enterprise=g.enterprise, problem=_problem(exc), passage=passage_id)
    return see_other("/gates", enterprise=g.enterprise, done=passage_id)


@router.post("/gates/ledger/{row_id}/stage")
async def complete_form(request: Request, row_id: int):
    g = await guard_form(request, ledger_enterprise, row_id, "ledger row")
    if g.answer:
        return g.answer
    try:
        await asyncio.to_thread(complete_stage, request.app.state.engine, row_id,
                                stage=str(g.form.get("emission_stage") or ""),
                                fuel=str(g.form.get("fuel") or "") or None, operator=g.principal.username,
                                rules=gates_settings(request).grades)
    except GatesInputError as exc:
        return see_other("/gates/ledger", enterprise=g.enterprise, unknown=1, problem=_problem(exc), row=row_id)
    return see_other("/gates/ledger", enterprise=g.enterprise, done=row_id)


def guard_message(request: Request, _) -> dict:
    """What the page says after a guard's form: ``{"done": id}`` or ``{"problem": sentence, "target": id}``."""
    q = request.query_params
    problem = q.get("problem")
    out: dict = {}
    if problem in GUARD_PROBLEMS:
        out["problem"] = _(GUARD_PROBLEMS[problem])
        if problem == "picture_size":
            out["problem"] = out["problem"] % {"mb": round(gates_settings(request).pictures.max_bytes / 2**20, 1)}
        out["target"] = q.get("passage") or q.get("row")
    elif q.get("done", "").isdigit():
        out["done"] = int(q["done"])
    return out
