"""``/gates/cameras``: an enterprise's cameras, each with its registered reference view and its latest snapshots
(pushed by the gate devices, ``POST /gates/v1/snapshot``) with their similarity to the reference; and the form that
registers one of those snapshots as the camera's reference view (``VEH-CAMERA-VIEW`` compares every later snapshot
with it). The form: POST with the session's CSRF token, the enterprise's guard or admin or an administrator
(:func:`.guard.may_guard`, else the 403 page), for a camera of an enterprise they see (else 404); audited
(:func:`..store.snapshots.reference_from_snapshot`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.queries.cameras import camera_enterprise, enterprise_cameras
from ecosentry.subsystems.gates.queries.passages import gated_enterprises
from ecosentry.subsystems.gates.store.snapshots import reference_from_snapshot
from ecosentry.subsystems.gates.web.guard import guard_message, guard_principal, may_guard
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.web.forms import check_csrf, not_found, see_other, work_render
from ecosentry.web.templating import page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Snapshots shown per camera.
SNAPSHOTS = 6


@router.get("/gates/cameras")
def cameras_page(request: Request, enterprise: str = ""):
    principal, denied = reader(request)
    if denied:
        return denied
    _ = page_context(request)["_"]
    with request.app.state.engine.connect() as conn:
        ents = gated_enterprises(conn, principal.enterprise_clause(s.enterprises.c.id))
        wanted = int(enterprise) if enterprise.isdigit() else None
        if enterprise and wanted is None:
            return not_found(request, "enterprise")
        current = next((e for e in ents if e["id"] == wanted), None) if wanted is not None else (ents[0] if ents else None)
        if wanted is not None and current is None:
            return not_found(request, "enterprise")
        cameras = enterprise_cameras(conn, current["id"], SNAPSHOTS) if current else []
    return work_render(request, "gates_cameras.html", {
        "enterprises": ents, "current": current, "cameras": cameras, "guard": may_guard(principal),
        "min_similarity": request.app.state.settings.gates.camera.view_min_similarity,
        "said": guard_message(request, _)})


@router.post("/gates/cameras/{camera_id}/reference")
async def reference_form(request: Request, camera_id: int):
    principal, denied = guard_principal(request)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    with engine.connect() as conn:
        ent = camera_enterprise(conn, camera_id)
    if ent is None or not principal.sees_enterprise(ent):
        return not_found(request, "camera")
    snapshot = str(form.get("snapshot") or "")
    try:
        if not snapshot.isdigit():
            raise GatesInputError("", "snapshot", "must be a snapshot's id")
        reference_from_snapshot(engine, camera_id, int(snapshot), principal.username)
    except GatesInputError:
        return see_other("/gates/cameras", enterprise=ent, problem="snapshot", row=camera_id)
    return see_other("/gates/cameras", enterprise=ent, done=camera_id)
