"""``/gates/cameras``: an enterprise's cameras, each with its registered reference view and its latest snapshots
(pushed by the gate devices, ``POST /gates/v1/snapshot``) with their similarity to the reference; and the form that
registers one of those snapshots as the camera's reference view (``VEH-CAMERA-VIEW`` compares every later snapshot
with it). The form: POST with the session's CSRF token, the enterprise's guard or admin or an administrator
(:func:`.guard.may_guard`, else the 403 page), for a camera of an enterprise they see (else 404); audited
(:func:`..store.snapshots.reference_from_snapshot`). And the form that uploads the reference view from a file (a JPEG
or PNG of at most ``gates.pictures.max_bytes``; another file or a larger one is refused with a sentence on the page,
nothing changed), with the same checks (:func:`.guard.guard_form`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from ecosentry.said import N_
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.queries.cameras import camera_enterprise, enterprise_cameras
from ecosentry.subsystems.gates.queries.passages import gated_enterprises
from ecosentry.subsystems.gates.pipeline.sink import picture_store
from ecosentry.subsystems.gates.store.snapshots import reference_from_snapshot, set_reference
from ecosentry.subsystems.gates.web.guard import guard_form, guard_message, may_guard
from ecosentry.subsystems.gates.web.words import gates_settings
from ecosentry.subsystems.gates.web.live import reader
from ecosentry.web.forms import not_found, see_other, work_render
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
        "max_mb": gates_settings(request).pictures.max_bytes / 2**20,
        "said": guard_message(request, _)})


@router.post("/gates/cameras/{camera_id}/reference")
async def reference_form(request: Request, camera_id: int):
    g = await guard_form(request, camera_enterprise, camera_id, "camera")
    if g.answer:
        return g.answer
    snapshot = str(g.form.get("snapshot") or "")
    try:
        if not snapshot.isdigit():
            raise GatesInputError("", "snapshot", "must be a snapshot's id")
        await asyncio.to_thread(reference_from_snapshot, request.app.state.engine, camera_id, int(snapshot),
                                g.principal.username)
    except GatesInputError:
        return see_other("/gates/cameras", enterprise=g.enterprise, problem="snapshot", row=camera_id)
    return see_other("/gates/cameras", enterprise=g.enterprise, done=camera_id)


def _picture_problem(exc: GatesInputError) -> str:
    """The key of the page's sentence for a refused picture (:func:`ecosentry.store.pictures.check_picture`)."""
    if "bytes, more than" in exc.msgid:
        return "picture_size"
    if "empty" in exc.msgid:
        return "picture_missing"
    return "picture_type"


@router.post("/gates/cameras/{camera_id}/reference-file")
async def reference_file_form(request: Request, camera_id: int):
    """A reference view uploaded from a file (multipart, field ``picture``): a JPEG or PNG (by its bytes, whatever
    the name or the browser's type says) of at most ``gates.pictures.max_bytes``; registered and audited as the
    snapshot's form does (:func:`..store.snapshots.set_reference`)."""
    g = await guard_form(request, camera_enterprise, camera_id, "camera")
    if g.answer:
        return g.answer
    settings = request.app.state.settings
    limit = gates_settings(request).pictures.max_bytes
    item = g.form.get("picture")
    try:
        if not isinstance(item, UploadFile) or not (item.filename or "").strip():
            raise GatesInputError("", "picture", N_("The picture is empty."))
        data = await item.read(limit + 1)
        await asyncio.to_thread(set_reference, request.app.state.engine, picture_store(settings), camera_id, data,
                                g.principal.username, limit)
    except GatesInputError as exc:
        return see_other("/gates/cameras", enterprise=g.enterprise, problem=_picture_problem(exc), row=camera_id)
    return see_other("/gates/cameras", enterprise=g.enterprise, done=camera_id)
