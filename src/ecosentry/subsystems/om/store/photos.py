"""Photos taken on site, linked to their work order (issue 18 items 2 and 7): the bytes in the core's picture store
(:mod:`ecosentry.store.pictures`, content-addressed files), one ``om_work_order_photos`` row per order and picture.

An upload is checked whole before anything is written: every file must be a JPEG or PNG (by its bytes, not its
name) no larger than ``om.photos.max_bytes``, at most ``om.photos.max_files`` of them, and the order must be at
the station: **on site**, or **done** before the review (:data:`PHOTO_STATES`, ours). One bad file refuses the
upload with a sentence naming the file and the reason, in the reader's language; nothing is stored, and the
refusal is logged and counted once (``/api/v1/stats``: ``om_photo_refused``). The same picture sent twice to one
order is stored once (the store is content-addressed and the row unique on order and sha256).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from ecosentry.metrics import counters
from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store.pictures import FilePictureStore, PictureError, PictureStore, check_picture
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.rules.workorders import STATE_WORDS
from ecosentry.subsystems.om.schema import om_work_order_photos as ph
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.settings import PhotoSettings
from ecosentry.subsystems.om.store.workorders import OrderNotFound

__all__ = ["PHOTO_STATES", "PhotoRefused", "NotOnSite", "photo_store", "add_photos"]

log = logging.getLogger(__name__)

#: The states in which an order takes photos: the engineer is at the station (on site), or has just finished and
#: adds what the phone could not send at once (done, before the review) [ours].
PHOTO_STATES = ("on_site", "done")
#: Longest file name kept (the column's width).
_NAME_MAX = 200


class PhotoRefused(Said):
    """An upload that stores nothing: no file, too many, a file that is not a photo, or an order not on site."""


class NotOnSite(PhotoRefused):
    """The order is not in a state that takes photos (:data:`PHOTO_STATES`)."""


def photo_store(settings) -> PictureStore:
    """The deployment's picture store of O&M photos: ``om.photos.directory``, else ``<data_dir>/om/pictures``."""
    section = getattr(settings, "om", None)
    folder = section.photos.directory if section is not None else ""
    return FilePictureStore(Path(folder) if folder else Path(settings.data_dir) / "om" / "pictures")


def _checked(files: Sequence[tuple[str | None, bytes]], limits: PhotoSettings) -> list[tuple[str | None, bytes, str]]:
    if not files:
        raise PhotoRefused(N_("Choose at least one photo."))
    if len(files) > limits.max_files:
        raise PhotoRefused(N_("%(count)s photos at once is too many: send at most %(max)s."), count=len(files),
                           max=limits.max_files)
    out = []
    for n, (name, data) in enumerate(files, start=1):
        try:
            kind = check_picture(data, limits.max_bytes)
        except PictureError as e:
            raise PhotoRefused(N_("%(file)s: %(reason)s Nothing was stored."), file=name or f"#{n}", reason=e) from None
        out.append((name, data, kind))
    return out


def add_photos(engine: Engine, pictures: PictureStore, order_id: int, files: Sequence[tuple[str | None, bytes]], *,
               actor: str | None, at: datetime, limits: PhotoSettings) -> dict:
    """Store the photos (all or none) and link them to the order; ``{"stored", "already", "photos"}``.
    :class:`PhotoRefused` (counted and logged once) or :class:`OrderNotFound`; nothing written either way."""
    try:
        checked = _checked(files, limits)
        with engine.begin() as conn:
            q = select(wo.c.state).where(wo.c.id == order_id)
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            state = conn.execute(q).scalar()
            if state is None:
                raise OrderNotFound(N_("no work order with id %(id)s"), id=order_id)
            if state not in PHOTO_STATES:
                raise NotOnSite(N_("Photos are taken on site: a work order that is %(state)s takes none (it does "
                                      "when on site, and when done until it is reviewed)."),
                                   state=Said(STATE_WORDS[state]))
            out, stored = [], 0
            for name, data, kind in checked:
                sha = pictures.put(data)   # content-addressed: the same photo again writes nothing new
                row = {"order_id": order_id, "sha256": sha, "content_type": kind, "size": len(data),
                       "filename": (name or "")[:_NAME_MAX] or None, "state": state, "uploaded_by": actor,
                       "uploaded_at": at}
                new = conn.execute(insert_for(conn, ph).values(**row).on_conflict_do_nothing(
                    index_elements=[ph.c.order_id, ph.c.sha256]).returning(ph.c.id)).first()
                stored += new is not None
                out.append({"sha256": sha, "content_type": kind, "size": len(data), "new": new is not None})
            if stored:
                audit.record(conn, actor, "photo", "om_work_order", order_id, None,
                             {"photos": [p["sha256"] for p in out if p["new"]], "state": state})
    except PhotoRefused as e:
        counters.inc("om_photo_refused")
        log.warning("photos refused for work order %s from %s: %s", order_id, actor, e)
        raise
    return {"stored": stored, "already": len(out) - stored, "photos": out}
