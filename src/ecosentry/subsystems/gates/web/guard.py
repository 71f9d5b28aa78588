"""The guard's forms on the gates pages: the override of a passage's decision (on ``/gates``) and the completion
of a ledger row's emission stage (on ``/gates/ledger``). POST with the session's CSRF token; the enterprise's own
accounts and administrators only (:data:`..store.decisions.GUARD_ROLES`, else the 403 page), for a passage or row
they see (else 404); a missing reason or a stage that is none is said on the page it came from, in the reader's
language. Both changes are audited (:mod:`..store.decisions`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ecosentry.said import Said
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.decisions import (
    GUARD_ROLES, KNOWN_STAGE, complete_stage, ledger_enterprise, override_decision, passage_enterprise)
from ecosentry.subsystems.gates.web.words import GUARD_PROBLEMS, gates_settings
from ecosentry.web.forms import check_csrf, denied_page, gate, not_found, see_other

__all__ = ["router", "may_guard", "guard_message", "guard_principal"]

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


def _problem(exc: GatesInputError) -> str:
    """The key of :data:`..web.words.GUARD_PROBLEMS` the page says (a key, never the text, goes in the URL)."""
    if exc.msgid == KNOWN_STAGE:
        return "known"
    return exc.field if exc.field in GUARD_PROBLEMS else "input"


@router.post("/gates/passages/{passage_id}/override")
async def override_form(request: Request, passage_id: int):
    principal, denied = _allowed(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    with engine.connect() as conn:
        ent = passage_enterprise(conn, passage_id)
    if ent is None or not principal.sees_enterprise(ent):
        return not_found(request, "passage")
    verdict = str(form.get("allowed") or "")
    try:
        if verdict not in ("1", "0"):
            raise GatesInputError("", "allowed", "must be true or false")
        override_decision(engine, passage_id, allowed=verdict == "1", operator=principal.username,
                          reason=str(form.get("reason") or "")[:500])
    except GatesInputError as exc:
        return see_other("/gates", enterprise=ent, problem=_problem(exc), passage=passage_id)
    return see_other("/gates", enterprise=ent, done=passage_id)


@router.post("/gates/ledger/{row_id}/stage")
async def complete_form(request: Request, row_id: int):
    principal, denied = _allowed(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    with engine.connect() as conn:
        ent = ledger_enterprise(conn, row_id)
    if ent is None or not principal.sees_enterprise(ent):
        return not_found(request, "ledger row")
    try:
        complete_stage(engine, row_id, stage=str(form.get("emission_stage") or ""),
                       fuel=str(form.get("fuel") or "") or None, operator=principal.username,
                       rules=gates_settings(request).grades)
    except GatesInputError as exc:
        return see_other("/gates/ledger", enterprise=ent, unknown=1, problem=_problem(exc), row=row_id)
    return see_other("/gates/ledger", enterprise=ent, done=row_id)


def guard_message(request: Request, _) -> dict:
    """What the page says after a guard's form: ``{"done": id}`` or ``{"problem": sentence, "target": id}``."""
    q = request.query_params
    problem = q.get("problem")
    out: dict = {}
    if problem in GUARD_PROBLEMS:
        out["problem"] = _(GUARD_PROBLEMS[problem])
        out["target"] = q.get("passage") or q.get("row")
    elif q.get("done", "").isdigit():
        out["done"] = int(q["done"])
    return out
