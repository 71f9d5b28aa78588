"""The guard's API (``/api/v1/gates``): the override of a gate decision and the completion of a ledger row whose
emission stage the register lacked.

``POST /api/v1/gates/passages/{passage_id}/override`` ``{"allowed": true | false, "reason": "…"}``: 201 with
``{"decision_id": …, "allowed": …}``; the reason is required (≤ 500 characters).
``POST /api/v1/gates/ledger/{row_id}/stage`` ``{"emission_stage": "5" | "国五" | …, "fuel": …}``: 200 with
``{"row_id", "stage", "decision": {"allowed", "reason", "message"} | null}`` (the passage's decision made again with
the stage); a row whose stage is known is a 422.

Who: the enterprise's own accounts (its guard) and administrators (``marks.file`` and role ``enterprise`` or
``admin``; an O&M account is refused with 403) for a passage or row of an enterprise they see (else 404). Every
change is audited; a refusal's ``detail`` names the field in the reader's language (``?lang=``, cookie, the
account's, ``Accept-Language``: :func:`ecosentry.web.i18n.reader_gettext`).
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ecosentry.api.deps import get_engine
from ecosentry.auth.deps import requires
from ecosentry.auth.principal import Principal
from ecosentry.metrics import counters
from ecosentry.said import N_, Said
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.decisions import (
    GUARD_ROLES, complete_stage, ledger_enterprise, override_decision, passage_enterprise)
from ecosentry.subsystems.gates.web.words import decision_sentence
from ecosentry.web.i18n import reader_gettext

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/gates", tags=["gates"])

#: The refusals (msgids, said in the reader's language by the API's error handler, :mod:`ecosentry.web.errors`).
GUARD_ONLY = N_("only the enterprise's guard or an administrator acts at the gate")
NO_PASSAGE_HERE = N_("no such passage in your area")
NO_LEDGER_ROW_HERE = N_("no such ledger row in your area")


def _guard(principal: Principal) -> None:
    if principal.role not in GUARD_ROLES:
        raise HTTPException(403, Said(GUARD_ONLY))


def _refused(exc: GatesInputError) -> HTTPException:
    counters.inc("gates.guard.refused")
    return HTTPException(422, exc)


@router.post("/passages/{passage_id}/override", status_code=201)
def override(request: Request, passage_id: int, body: dict = Body(...),
             principal: Principal = Depends(requires("marks.file"))):
    engine = get_engine(request)
    with engine.connect() as conn:
        ent = passage_enterprise(conn, passage_id)
    if ent is None or not principal.sees_enterprise(ent):
        raise HTTPException(404, Said(NO_PASSAGE_HERE))
    _guard(principal)
    allowed, reason = body.get("allowed"), body.get("reason")
    try:
        if not isinstance(allowed, bool):
            raise GatesInputError("", "allowed", "must be true or false")
        if not isinstance(reason, str) or len(reason) > 500:
            raise GatesInputError("", "reason", "an override needs the operator and a reason")
        decision_id = override_decision(engine, passage_id, allowed=allowed, operator=principal.username,
                                        reason=reason)
    except GatesInputError as exc:
        raise _refused(exc) from None
    return JSONResponse({"decision_id": decision_id, "allowed": allowed}, status_code=201)


@router.post("/ledger/{row_id}/stage")
def complete(request: Request, row_id: int, body: dict = Body(...),
             principal: Principal = Depends(requires("marks.file"))):
    engine = get_engine(request)
    with engine.connect() as conn:
        ent = ledger_enterprise(conn, row_id)
    if ent is None or not principal.sees_enterprise(ent):
        raise HTTPException(404, Said(NO_LEDGER_ROW_HERE))
    _guard(principal)
    stage, fuel = body.get("emission_stage"), body.get("fuel")
    try:
        if not isinstance(stage, str) or (fuel is not None and not isinstance(fuel, str)):
            raise GatesInputError("", "emission_stage", "%(text)r is no emission stage (0–6, d, 国四 …)",
                                  text=str(stage))
        st = request.app.state.settings.gates
        out = complete_stage(engine, row_id, stage=stage, fuel=fuel, operator=principal.username, rules=st.grades)
    except GatesInputError as exc:
        raise _refused(exc) from None
    d = out["decision"]
    _ = reader_gettext(request, principal)
    return {"row_id": out["row_id"], "stage": out["stage"],
            "decision": None if d is None else {"allowed": d["allowed"], "reason": d["reason"],
                                                "message": decision_sentence(_, d)}}
