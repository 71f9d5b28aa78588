"""Health and counters of the running service.

``/api/v1/stats`` stays open to everyone, the anonymous public included: it holds process counters and
health flags only (frames received, accepted, rejected; spool backlog; connections), no registry or
monitoring data, and a load balancer or monitoring system must be able to read it without an account.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from ecosentry.metrics import counters

router = APIRouter(prefix="/api/v1", tags=["system"])


@router.get("/stats", summary="Counters of received, accepted, rejected and quarantined input")
def stats(request: Request):
    svc = getattr(request.app.state, "service", None)
    extra = svc.status() if svc is not None else {}
    return {"counters": counters.snapshot(), **extra}
