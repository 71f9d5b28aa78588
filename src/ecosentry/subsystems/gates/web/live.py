"""``/gates``: the gate live view of one enterprise (the latest passages, each with its capture, direction, gate,
plate, registered stage and the gate decision with its sentence; overrides shown), and
``/gates/pictures/{sha256}``: a capture or register picture from the picture store, served only when it belongs
to an enterprise the reader sees."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.pipeline.sink import picture_store
from ecosentry.store.pictures import picture_type
from ecosentry.subsystems.gates.queries.passages import gated_enterprises, latest_passages, picture_visible
from ecosentry.subsystems.gates.web.guard import guard_message, may_guard
from ecosentry.subsystems.gates.web.words import decision_sentence, stage_text
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.templating import page_context

__all__ = ["router", "reader"]

router = APIRouter(include_in_schema=False)

#: Passages on the live view.
LIVE_ROWS = 50


def reader(request: Request):
    """The logged-in reader, or the answer instead of the page (the gates pages are not public)."""
    principal, denied = gate(request, "data.read")
    if denied is None and principal.is_public:
        denied = not_found(request, "the gates pages are not public")
    return principal, denied


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@router.get("/gates")
def live_page(request: Request, enterprise: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    _ = page_context(request)["_"]
    with request.app.state.engine.connect() as conn:
        ents = gated_enterprises(conn, principal.enterprise_clause(s.enterprises.c.id))
        wanted = _int(enterprise)
        current = next((e for e in ents if e["id"] == wanted), None) if wanted is not None else (ents[0] if ents else None)
        if wanted is not None and current is None:
            return not_found(request, "enterprise")
        rows = latest_passages(conn, current["id"], LIVE_ROWS) if current else []
    for r in rows:
        r["sentence"] = decision_sentence(_, r["decision"])
        r["stage_text"] = stage_text(_, (r["decision"] or {}).get("stage") or r["registered_stage"])
        verdict = r["override"] or r["decision"] or {}
        r["allowed"] = verdict.get("allowed")
    return work_render(request, "gates_live.html", {"enterprises": ents, "current": current, "rows": rows,
                                                    "guard": may_guard(principal), "said": guard_message(request, _)})


@router.get("/gates/pictures/{sha256}")
def picture(request: Request, sha256: str):
    principal, denied = reader(request)
    if denied:
        return denied
    sha256 = sha256.lower()
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        return not_found(request, "picture")
    with request.app.state.engine.connect() as conn:
        if not picture_visible(conn, sha256, principal.enterprise_clause(s.enterprises.c.id)):
            return not_found(request, "picture")
    data = picture_store(request.app.state.settings).get(sha256)
    if data is None:
        return not_found(request, "picture")
    return Response(data, media_type=picture_type(data) or "application/octet-stream",
                    headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
