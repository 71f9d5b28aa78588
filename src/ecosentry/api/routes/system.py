"""Health and counters of the running service."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ecosentry.metrics import counters

router = APIRouter(prefix="/api/v1", tags=["system"])


@router.get("/stats", summary="Counters of received, accepted, rejected and quarantined input")
def stats(request: Request):
    svc = getattr(request.app.state, "service", None)
    extra = svc.status() if svc is not None else {}
    return {"counters": counters.snapshot(), **extra}
