"""``POST /api/v1/om/work-orders/{order_id}/photos``: photos taken on site uploaded to a work order by an app
(multipart, field ``photos``, one or several files), the same as the phone page's form (:mod:`.web.orders`):
checked (JPEG or PNG by the bytes, at most ``om.photos.max_bytes`` each, ``om.photos.max_files`` at once, the order
on site or done before its review), stored all or none in the core's picture store, linked to the order
(:mod:`.store.photos`). Who: ``marks.file`` within the scope of the order's point (404 outside it, as unknown).

Answers 201 ``{"order_id", "stored", "already", "photos": [{"sha256", "content_type", "size", "url"}]}``
(``url``: the scoped route serving the photo); refusals ``{"detail": English, "message": the reader's language}``:
422 a bad file or too many, 409 an order not on site, 404 unknown or unseen.

This router comes before :mod:`.api`'s in the manifest: its ``POST /work-orders/{order_id}/{action}`` would take
``photos`` for an action otherwise.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from ecosentry.api.deps import get_engine
from ecosentry.auth.deps import requires
from ecosentry.auth.principal import Principal
from ecosentry.web.i18n import reader_gettext
from ecosentry.said import N_, Said
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store import photos as photo_store
from ecosentry.subsystems.om.store import workorders as store

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/om", tags=["om"])


def _refuse(request: Request, principal: Principal, status: int, said: Said) -> JSONResponse:
    return JSONResponse({"detail": str(said), "message": said.say(reader_gettext(request, principal))},
                        status_code=status)


@router.post("/work-orders/{order_id}/photos", status_code=201,
             summary="Upload photos taken on site to a work order (multipart, field photos; all or none)")
async def upload_photos(order_id: int, request: Request, photos: list[UploadFile] = File(default=[]),
                        engine: Engine = Depends(get_engine), principal: Principal = Depends(requires("marks.file"))):
    settings = request.app.state.settings
    limits = (getattr(settings, "om", None) or OmSettings()).photos
    try:
        order = store.get_order(engine, order_id)
    except store.OrderNotFound:
        order = None
    if order is None or not principal.sees_point(order["point_id"]):
        return _refuse(request, principal, 404, store.OrderNotFound(N_("no work order with id %(id)s"), id=order_id))
    files = [(f.filename, await f.read(limits.max_bytes + 1)) for f in photos if f.filename]
    try:
        done = photo_store.add_photos(engine, photo_store.photo_store(settings), order_id, files,
                                      actor=principal.username, at=datetime.now(timezone.utc), limits=limits)
    except store.OrderNotFound as e:
        return _refuse(request, principal, 404, e)
    except photo_store.PhotoRefused as e:
        return _refuse(request, principal, 409 if isinstance(e, photo_store.NotOnSite) else 422, e)
    return {"order_id": order_id, "stored": done["stored"], "already": done["already"],
            "photos": [{"sha256": p["sha256"], "content_type": p["content_type"], "size": p["size"],
                        "url": f"/om/orders/{order_id}/photos/{p['sha256']}"} for p in done["photos"]]}
