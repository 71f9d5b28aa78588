"""The gates subsystem's API (``/api/v1/gates``): the guard's manual entry of a ledger row.

``POST /api/v1/gates/ledger`` with ``{"enterprise_id": 1, "time": "2026-12-06T08:15:00+08:00", "direction": "in",
"plate": "晋A12345", "vin": …, "emission_stage": "5", "fuel": "diesel", "cargo": "煤", "weight_t": 31.5,
"transport_company": …, "purpose": "transport" | "in_plant" | "maintenance" | "testing" | "commissioning" |
"other"}``: an account that may file records (``marks.file``: the enterprise, its O&M, an admin) for an
enterprise it sees. 201 with ``{"stored": true}``, 200 with ``{"stored": false}`` when the same row (direction,
time, plate) was entered before; a bad field is a 422 whose ``detail`` names the field, in the reader's
language (:func:`ecosentry.web.i18n.reader_gettext`: ``?lang=``, cookie, the account's, ``Accept-Language``).
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ecosentry.api.deps import get_engine
from ecosentry.auth.deps import requires
from ecosentry.auth.principal import Principal
from ecosentry.store.schema import enterprises
from ecosentry.said import N_, Said
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.ledger import check_entry, enter_manually

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/gates", tags=["gates"])

#: The refusal of an enterprise the account does not see (or that does not exist: the same answer).
NO_ENTERPRISE_HERE = N_("no such enterprise in your area")


@router.post("/ledger", status_code=201)
def manual_entry(request: Request, body: dict = Body(...),
                 principal: Principal = Depends(requires("marks.file"))):
    enterprise_id = body.get("enterprise_id")
    if not isinstance(enterprise_id, int) or isinstance(enterprise_id, bool) \
            or not principal.sees_enterprise(enterprise_id):
        raise HTTPException(404, Said(NO_ENTERPRISE_HERE))
    try:
        entry = check_entry(body, enterprise_id)
    except GatesInputError as exc:
        raise HTTPException(422, exc) from None
    engine = get_engine(request)
    with engine.connect() as conn:
        if conn.scalar(select(enterprises.c.id).where(enterprises.c.id == enterprise_id)) is None:
            raise HTTPException(404, Said(NO_ENTERPRISE_HERE))
    stored = enter_manually(engine, entry, actor=principal.username,
                            upload=bool(request.app.state.settings.gates.upload.url))
    return JSONResponse({"stored": stored}, status_code=201 if stored else 200)
