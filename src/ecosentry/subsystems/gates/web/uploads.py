"""``/gates/uploads``: the delivery state of the upload to the upper platform per enterprise the reader sees
(issue 16 item 7; §3.6 uplink timeliness): deliveries by state, late and overdue rows, delays, the oldest unsent
row, the last attempt and error; ``?enterprise=<id>`` adds that enterprise's latest attempts (the delivery log)."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.queries.uploads import delivery_log, delivery_state
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.web.forms import not_found, work_render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

LOG_ROWS = 50


@router.get("/gates/uploads")
def uploads_page(request: Request, enterprise: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    upload = request.app.state.settings.gates.upload
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        rows = delivery_state(conn, principal.enterprise_clause(s.enterprises.c.id), now, upload.late_after_s)
        current = None
        if enterprise:
            current = next((r for r in rows if str(r["id"]) == enterprise), None)
            if current is None:
                return not_found(request, "enterprise")
        attempts = delivery_log(conn, current["id"], LOG_ROWS) if current else []
    return work_render(request, "gates_uploads.html", {
        "rows": rows, "current": current, "attempts": attempts, "configured": bool(upload.url),
        "late_minutes": upload.late_after_s // 60 if upload.late_after_s % 60 == 0 else upload.late_after_s / 60})
