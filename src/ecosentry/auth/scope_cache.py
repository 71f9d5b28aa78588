"""Resolved principals kept between requests, valid while ``access_version`` holds (issue 19 item 4).

Resolving a regulator's scope reads the region tree, the enterprises and the points of the subtree: five
statements and a connection on every request, a good part of a short API answer's time (``ecosentry bench api``,
docs/benchmarks.md "The scope kept between requests"). A principal does not change unless an account or the
registry does, and every such change raises the one counter ``access_version.version`` in the same transaction
(database triggers on the columns of :data:`ecosentry.store.schema.SCOPE_COLUMNS`, migration 0012). A request
reads the counter (with the API key's row: one statement) and uses the kept principal only when it was resolved
at that same version; otherwise it resolves again. So an administrator's change (a role, a region, an account
disabled, a point added to a region) applies from the next request, in every process that shares the database;
nothing waits for a time-out. A revoked key is refused at once (its row is read on every request).

The principal is read-only (a frozen dataclass), so one object serves many requests. Principals are kept per
engine (two databases never share one, even at the same address: the counter also starts at a random value), at
most :data:`MAX_ENTRIES` per engine (a regulator's holds the ids of its points).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from sqlalchemy import Connection, Engine, select

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s

__all__ = ["MAX_ENTRIES", "version_column", "current_version", "kept", "keep", "forget_all"]

#: Principals kept per engine (least recently used go first).
MAX_ENTRIES = 512

_lock = threading.Lock()
_kept: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple, tuple[int, Principal]]] = weakref.WeakKeyDictionary()


def version_column():
    """``access_version.version`` as a scalar subquery, to read with another statement's row."""
    av = s.access_version
    return select(av.c.version).where(av.c.id == 1).scalar_subquery()


def current_version(conn: Connection) -> int | None:
    """The counter now (``None`` on a database without it: nothing is kept then)."""
    return conn.execute(select(version_column())).scalar()


def kept(engine: Engine, who: tuple, version: int | None) -> Principal | None:
    """The principal kept for ``who`` (user id, auth, key id — or ``("public",)``) if resolved at ``version``."""
    if version is None:
        return None
    with _lock:
        kept_here = _kept.get(engine)
        hit = kept_here.get(who) if kept_here is not None else None
        if hit is None or hit[0] != version:
            return None
        kept_here.move_to_end(who)
        return hit[1]


def keep(engine: Engine, who: tuple, version: int | None, principal: Principal) -> None:
    """Keep ``principal`` as resolved at ``version`` (read before the scope was read, so never newer than it)."""
    if version is None:
        return
    with _lock:
        kept_here = _kept.setdefault(engine, OrderedDict())
        kept_here[who] = (version, principal)
        kept_here.move_to_end(who)
        while len(kept_here) > MAX_ENTRIES:
            kept_here.popitem(last=False)


def forget_all() -> None:
    with _lock:
        _kept.clear()
