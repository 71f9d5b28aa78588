"""How the ingest worker hands the records of one kind to the subsystem that stores them.

The worker reads envelopes from the spool in batches, groups them by :attr:`Envelope.kind` and calls the
kind's sink. A sink writes idempotently (the spool is at-least-once), returns one result per envelope, and
may keep follow-up work (recomputing touched periods) for :meth:`Sink.flush`, which the worker calls on a
schedule and at shutdown. Database reads and business rules belong here, after the spool, never in a gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from ecosentry.contracts.envelope import Envelope


@dataclass(slots=True)
class SinkResult:
    """What a sink did with a batch: counts for the metrics and the records set aside."""

    frames: int = 0
    records_offered: int = 0
    #: (spool sequence, fault) of each record stored other than as received; a fault has a stable ``code``
    #: and a ``note`` for the log (e.g. :class:`ecosentry.store.fit.Fault`).
    isolated: list[tuple[int, Any]] = field(default_factory=list)
    #: Anything the sink wants back in :meth:`Sink.after_commit` (touched periods ...).
    touched: list = field(default_factory=list)


class Sink(Protocol):
    """Stores the envelopes of one record kind."""

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        """Write a batch in one transaction (runs in a worker thread); raise to have it split."""

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        """Archive one record the database refused, with the error, so the spool can move on; the result
        names it in ``isolated``."""

    def after_commit(self, result: SinkResult) -> None:
        """Note follow-up work once the spool cursor has moved past the batch (event loop; no I/O)."""

    def flush(self) -> int:
        """Do the noted follow-up work (worker thread); return how many units were done."""
