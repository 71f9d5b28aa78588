"""The skeleton of a subsystem's readings sink (:class:`ecosentry.contracts.sink.Sink`) whose frames are archived in
the core's ``raw_frames`` under a transport of its own (``<subsystem>-<transport>``, no ``point_id``): one batch in
one transaction, a record the database refuses archived alone and quarantined, the archive rows, and the note of
the readings a frame had left out. The subsystem stores its readings (:meth:`ArchivingSink.write_in`).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.store import schema as s
from ecosentry.store.fit import Fault, set_aside_form, with_note
from ecosentry.store.partitions import raw_frame_key
from ecosentry.store.upsert import insert_for

__all__ = ["ArchivingSink", "archive_form", "archive_raw", "settle", "with_problems", "MAX_NOTES"]

#: How many readings' reasons a frame's note names; the rest are counted.
MAX_NOTES = 5


def archive_form(env: Envelope, prefix: str) -> Envelope:
    """The header a subsystem's frame is archived with: transport ``<prefix><transport>``, no ``point_id`` (that
    column is a monitoring point's id)."""
    return dataclasses.replace(env, readings=[], point_id=None, transport=f"{prefix}{env.transport}")


def with_problems(env: Envelope, problems: list[tuple[str, str]], offered: int, kept: int
                  ) -> tuple[Envelope, Fault]:
    """The archive form of a frame with readings left out (or changed), and its fault (the first reason's code);
    ``quarantined`` when none was kept."""
    notes = [note for _, note in problems[:MAX_NOTES]]
    if len(problems) > MAX_NOTES:
        notes.append(f"{len(problems) - MAX_NOTES} more readings with a fault")
    dropped = offered - kept
    if dropped:
        notes.append(f"{dropped} of {offered} readings not stored")
    note = "; ".join(notes)
    code = problems[0][0]
    changes = {"detail": with_note(env.detail, note), "error": code}
    if not kept:
        changes["status"] = "quarantined"
    return dataclasses.replace(env, **changes), Fault(code, note, dropped)


def settle(seq: int, env: Envelope, fault: Fault | None, problems: list[tuple[str, str]], offered: int, kept: int,
           result: SinkResult, archived: list[tuple[int, Envelope]]) -> None:
    """One frame done: its readings' problems noted on the archive form and joined to the header's fault (if
    any), the fault isolated in ``result``, the frame added to ``archived``."""
    if problems:
        env, reading_fault = with_problems(env, problems, offered, kept)
        fault = reading_fault if fault is None else Fault(fault.code, f"{fault.note}; {reading_fault.note}",
                                                          reading_fault.readings_dropped)
    if fault is not None:
        result.isolated.append((seq, fault))
    archived.append((seq, env))


def archive_raw(conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> None:
    """One ``raw_frames`` row per envelope; a replayed one (same spool and sequence) changes nothing."""
    if not items:
        return
    stmt = insert_for(conn, s.raw_frames).on_conflict_do_nothing(index_elements=raw_frame_key(conn))
    conn.execute(stmt, [
        {"spool": spool_id, "spool_seq": seq, "received_at": env.received_at, "transport": env.transport,
         "peer": env.peer, "mn": env.mn, "cn": env.cn, "qn": env.qn, "point_id": env.point_id, "status": env.status,
         "error": env.error, "detail": env.detail, "raw": env.raw} for seq, env in items])


class ArchivingSink(abc.ABC):
    """The sink contract around :meth:`write_in`; a subclass sets ``archive_prefix`` and implements it."""

    archive_prefix = ""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory):  # noqa: ARG003
        """The factory the ingest worker calls (``Subsystem.sinks``); the sink needs no setting and reads what it
        needs from the database (not the core's point directory)."""
        return cls(engine)

    @abc.abstractmethod
    def write_in(self, conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        """One batch inside the caller's transaction."""

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        """One batch in one transaction; safe to repeat (replay)."""
        if not items:
            return SinkResult()
        with self.engine.begin() as conn:
            return self.write_in(conn, spool_id, items)

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        """A record the database refused: its raw bytes archived, quarantined with the error, nothing else."""
        safe, fault = set_aside_form(archive_form(envelope, self.archive_prefix), exc)
        with self.engine.begin() as conn:
            archive_raw(conn, spool_id, [(seq, safe)])
        return SinkResult(frames=1, isolated=[(seq, fault)])

    def after_commit(self, result: SinkResult) -> None:
        """Nothing to note by default."""

    def flush(self) -> int:
        """Nothing to do later by default."""
        return 0
