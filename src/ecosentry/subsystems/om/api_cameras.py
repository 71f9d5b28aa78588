"""The pushes of station-room cameras (or their NVR) to ``/api/v1/om/cameras/…``, authenticated per device like
the door controllers (headers ``X-Room-Id``, ``X-Camera-Id``, ``X-Camera-Secret``: the room's and the camera's
codes in the fleet file and the camera's secret):

``POST /api/v1/om/cameras/snapshots?time=<ISO 8601 with offset>``  the picture's bytes as the body (JPEG or PNG);
   stored in the core picture store and linked to the room's door event nearest in time (201; a repeat of the
   same camera and time answers 200, ``stored: false``)
``POST /api/v1/om/cameras/heartbeat``  the camera is alive (200)

Unauthenticated → 401, malformed (no or a bad time, a time in the future, not JPEG/PNG, empty) → 422, too large →
413; each counted once (``/api/v1/stats``: ``om_camera_unauthenticated``, ``om_camera_malformed``,
``om_camera_too_large``) and logged, and nothing of it stored. Refusals answer ``{"detail": English, "message":
the reader's language}``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.web.i18n import reader_gettext
from ecosentry.metrics import counters
from ecosentry.said import N_, Said
from ecosentry.store.pictures import PictureError
from ecosentry.subsystems.om.gateways.push_body import Malformed, snapshot_time
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store import cameras as cam_store

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/om/cameras", tags=["om"])

#: How far in the future a camera's clock may be [ours].
FUTURE_SLACK = timedelta(minutes=5)


def _refused(request: Request, status: int, counter: str, said: Said, who: str | None) -> JSONResponse:
    counters.inc(counter)
    log.warning("camera push refused (%s) from %r at %s: %s", counter, who,
                request.client.host if request.client else "?", said)
    # the camera is no account: ?lang=, Accept-Language, the deployment's default (reader_gettext's order)
    return JSONResponse({"detail": str(said), "message": said.say(reader_gettext(request))}, status_code=status)


def _camera(request: Request, engine: Engine) -> tuple[dict | None, str | None]:
    room, code = request.headers.get("x-room-id"), request.headers.get("x-camera-id")
    secret = request.headers.get("x-camera-secret")
    who = f"{room}/{code}"
    if not room or not code or not secret or len(room) > 40 or len(code) > 40 or len(secret) > 200:
        return None, who
    with engine.connect() as conn:
        return cam_store.authenticate(conn, room, code, secret), who


_NO_CAMERA = N_("A camera sends its room, its id and its secret (X-Room-Id, X-Camera-Id, X-Camera-Secret), as "
                "registered.")


@router.post("/snapshots", status_code=201, summary="A station-room camera pushes a snapshot (on a door event)")
async def snapshot(request: Request, engine: Engine = Depends(get_engine)):
    camera, who = _camera(request, engine)
    if camera is None:
        return _refused(request, 401, "om_camera_unauthenticated", Said(_NO_CAMERA), who)
    st: OmSettings = getattr(request.app.state.settings, "om", None) or OmSettings()
    now = datetime.now(timezone.utc)
    try:
        at = snapshot_time(request.query_params.get("time", ""), now, FUTURE_SLACK)
    except Malformed as e:
        return _refused(request, 422, "om_camera_malformed", e, who)
    limit = st.cameras.max_snapshot_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _refused(request, 413, "om_camera_too_large",
                        Said(N_("The picture has %(size)s bytes, more than the %(limit)s accepted."),
                             size=int(declared), limit=limit), who)
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            return _refused(request, 413, "om_camera_too_large",
                            Said(N_("The picture has %(size)s bytes, more than the %(limit)s accepted."),
                                 size=f"> {limit}", limit=limit), who)
    try:
        row, new = cam_store.store_snapshot(
            engine, cam_store.picture_store(request.app.state.settings), camera, at, data, max_bytes=limit,
            link=timedelta(minutes=st.cameras.link_minutes), received_at=now)
    except PictureError as e:
        return _refused(request, 422, "om_camera_malformed", e, who)
    return JSONResponse({"stored": new, "snapshot": row["id"], "door_event": row["door_event_id"],
                         "picture": row["picture"]}, status_code=201 if new else 200)


@router.post("/heartbeat", summary="A station-room camera says it is alive")
def heartbeat(request: Request, engine: Engine = Depends(get_engine)):
    camera, who = _camera(request, engine)
    if camera is None:
        return _refused(request, 401, "om_camera_unauthenticated", Said(_NO_CAMERA), who)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        cam_store.seen(conn, camera["id"], now)
    return {"camera": camera["code"], "seen": now.isoformat()}
