"""An in-memory view of the registry's points, refreshed from the database when it may be stale.

Two ways to look up an MN:

* :meth:`PointDirectory.by_mn` (threads, workers, CLI): on a miss it reloads from the database at once and
  may wait for it;
* :meth:`PointDirectory.peek` (the HJ 212 gateway's event loop): answers from the snapshot only and never
  waits; a miss asks for a refresh in a background thread. A hung database (a connection that neither
  answers nor fails) then holds that one thread, not every logger's replies.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from ecosentry.metrics import counters
from ecosentry.store.registry import PointInfo, load_point_directory

log = logging.getLogger(__name__)


class PointDirectory:
    """MN → point lookups for gateways and workers.

    An unknown MN triggers a reload (at most every ``min_reload_s`` seconds), so a point registered
    while the service runs is accepted without a restart.

    Parameters
    ----------
    engine : Engine
        The registry's database.
    min_reload_s : float
        Least time between two reloads caused by misses. [s]
    loader : callable, optional
        Returns the MN → PointInfo map; defaults to reading the registry from ``engine``.
    """

    def __init__(self, engine: Engine | None, min_reload_s: float = 5.0,
                 loader: Callable[[], dict[str, PointInfo]] | None = None) -> None:
        self.engine = engine
        self.min_reload_s = min_reload_s
        self._loader = loader or (lambda: load_point_directory(self.engine))
        self._by_mn: dict[str, PointInfo] = {}
        self._by_id: dict[int, PointInfo] = {}
        self._loaded_at = 0.0
        self._refreshing = threading.Lock()  # held by the one background refresh under way
        self.reload()

    def reload(self) -> None:
        by_mn = self._loader()
        # one assignment each: a reader in another thread sees the old map or the new one, never half
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

    def peek(self, mn: str | None) -> PointInfo | None:
        """Look ``mn`` up in the current snapshot without ever waiting on the database.

        A miss starts a background refresh (at most one at a time, at most every ``min_reload_s``); the
        caller gets ``None`` now, and the next lookup after the refresh sees the new point.
        """
        if mn is None:
            return None
        p = self._by_mn.get(mn)
        if p is None and time.monotonic() - self._loaded_at > self.min_reload_s:
            self.refresh_in_background()
        return p

    def refresh_in_background(self) -> bool:
        """Start a reload in a daemon thread unless one is under way; return whether one was started."""
        if not self._refreshing.acquire(blocking=False):
            return False
        self._loaded_at = time.monotonic()  # no second request while this one runs or right after it
        threading.Thread(target=self._refresh, name="point-directory-refresh", daemon=True).start()
        return True

    def _refresh(self) -> None:
        try:
            self.reload()
            counters.inc("directory.refreshes")
        except Exception:
            counters.inc("directory.refresh_failures")
            log.exception("point directory refresh failed; serving the points known")
        finally:
            self._loaded_at = time.monotonic()
            self._refreshing.release()

    @property
    def refreshing(self) -> bool:
        """A background refresh is under way."""
        return self._refreshing.locked()

    def by_id(self, point_id: int) -> PointInfo | None:
        return self._by_id.get(point_id)

    def __len__(self) -> int:
        return len(self._by_mn)
