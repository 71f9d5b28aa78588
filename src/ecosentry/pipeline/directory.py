"""An in-memory view of the registry's points, refreshed from the database when it may be stale."""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine

from ecosentry.store.registry import PointInfo, load_point_directory

log = logging.getLogger(__name__)


class PointDirectory:
    """MN → point lookups for gateways and workers.

    An unknown MN triggers a reload (at most every ``min_reload_s`` seconds), so a point registered
    while the service runs is accepted without a restart.
    """

    def __init__(self, engine: Engine, min_reload_s: float = 5.0) -> None:
        self.engine = engine
        self.min_reload_s = min_reload_s
        self._by_mn: dict[str, PointInfo] = {}
        self._by_id: dict[int, PointInfo] = {}
        self._loaded_at = 0.0
        self.reload()

    def reload(self) -> None:
        by_mn = load_point_directory(self.engine)
        self._by_mn = by_mn
        self._by_id = {p.point_id: p for p in by_mn.values()}
        self._loaded_at = time.monotonic()

    def by_mn(self, mn: str | None) -> PointInfo | None:
        if mn is None:
            return None
        p = self._by_mn.get(mn)
        if p is None and time.monotonic() - self._loaded_at > self.min_reload_s:
            try:
                self.reload()
            except Exception:  # the database may be down: keep serving the points we know
                log.exception("point directory reload failed")
                self._loaded_at = time.monotonic()
            p = self._by_mn.get(mn)
        return p

    def by_id(self, point_id: int) -> PointInfo | None:
        return self._by_id.get(point_id)

    def __len__(self) -> int:
        return len(self._by_mn)
