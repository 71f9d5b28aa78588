"""The monitoring subsystem's sink of ``vn-file`` envelopes: Vietnamese station files judged after the spool.

The FTP gateway and the folder watcher append each received file, unjudged, to the spool
(:mod:`ecosentry.gateways.station_files`); the ingest worker hands them here in batches. For each file, in
spool order: judge it (:mod:`.judge`: station, timeliness, duplicates and conflicts, parsing, parameter
mapping), then in **one transaction** archive its bytes and store its readings by the path HJ 212 frames take
(:func:`ecosentry.subsystems.monitoring.store.ingest.write_envelopes_in`) and write its file-log row
(``vn_files``). Once committed, the counters move and the file is filed with its receipt
(:mod:`.receipts`). The touched hours are recomputed on the worker's flush, as for HJ 212 minute data.

At-least-once spool, idempotent sink: a record whose bytes are already in the raw archive (a replay after a
crash between the commit and the spool cursor) is skipped. A file the sink cannot judge (an error other than
the database's) is rejected ``unprocessable`` with the error, archived and filed in ``rejected/``; a record the
database refuses is found by the worker splitting the batch and set aside (:meth:`VnFileSink.set_aside`):
neither holds up the spool.

Receipts therefore appear once the file is judged and stored (milliseconds after the ``226`` in a running
service, after the database comes back if it was down), no longer at the ``226``. Limits (tag "ours"): a crash
between the commit and the filing leaves that file without its receipt (its data, bytes and file-log row are
stored); a crash between the spool append and the removal of the upload makes the start-up scan spool it again,
and it is then judged a ``duplicate``. Receipts are written by the process that runs the sink, into the folder
named in the envelope: the ingest worker must see the gateway's drop folders (one machine, or a shared folder).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.store import vn as vn_store
from ecosentry.subsystems.monitoring.store.ingest import set_aside as archive_refused
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes_in
from ecosentry.subsystems.monitoring.vn.judge import CN_VN_TXT, detail_of, file_name_of, judge_file
from ecosentry.subsystems.monitoring.vn.mapping import ParameterMapper, name_key, unit_key
from ecosentry.subsystems.monitoring.vn.outcome import Outcome
from ecosentry.subsystems.monitoring.vn.receipts import file_with_receipt

log = logging.getLogger(__name__)

__all__ = ["VnFileSink"]


class VnFileSink:
    """Stores ``vn-file`` envelopes: judged files, their readings, the file log and the receipts.

    Parameters
    ----------
    engine : Engine
    directory : PointDirectory
        Station key (= ``points.mn``) → point; an unknown key reloads it (at most every few seconds).
    settings : VnIntakeSettings
    observations : ObservationSink
        Keeps the hours the readings touched and recomputes them on :meth:`flush`.
    mapper_refresh_s : float
        The parameter mapping is reloaded at most this often. [s]
    """

    def __init__(self, engine: Engine, directory: PointDirectory, settings: VnIntakeSettings,
                 observations: ObservationSink, *, mapper_refresh_s: float = 30.0) -> None:
        self.engine = engine
        self.directory = directory
        self.settings = settings
        self.observations = observations
        self.mapper_refresh_s = mapper_refresh_s
        self._mapper: ParameterMapper | None = None
        self._mapper_at = 0.0
        self._lock = threading.Lock()
        #: The latest outcomes (file name, status, reason ...), for status pages and tests.
        self.outcomes: list[Outcome] = []

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory: PointDirectory) -> VnFileSink:
        return cls(engine, directory, settings.vn, ObservationSink.from_settings(engine, settings, directory))

    # -------------------------------------------------------------- mapping

    def mapper(self) -> ParameterMapper:
        """The parameter mapping: reloaded as soon as ``vn_parameter_map`` changed (the mapping page's edit
        applies to the next file; one small query per batch), and every ``mapper_refresh_s`` anyway (the
        stations' QCVN reference states)."""
        stale = self._mapper is None or time.monotonic() - self._mapper_at > self.mapper_refresh_s
        try:
            if not stale and vn_store.mapping_version(self.engine) != self._mapper.version:
                stale = True
            if stale:
                self._mapper = ParameterMapper.load(self.engine, self.settings)
                self._mapper_at = time.monotonic()
        except Exception:
            counters.inc("vn.mapping_reload_errors")
            log.exception("loading the VN parameter mapping failed; keeping the previous one")
            if self._mapper is None:
                raise  # nothing to judge with: the worker retries the batch
        return self._mapper

    def refresh_mapping(self) -> None:
        """Reload the mapping at the next file (call after editing ``vn_parameter_map``)."""
        self._mapper = None

    # -------------------------------------------------------------- the sink contract

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        """Judge and store a batch in one transaction, then count and file each file with its receipt."""
        mapper = self.mapper()
        with self._lock, self.engine.begin() as conn:
            done = vn_store.archived_seqs(conn, spool_id, [seq for seq, _ in items])
            accepted_here: dict[tuple[str, str], str] = {}

            def previous(station: str, name: str) -> str | None:
                return accepted_here.get((station, name)) or vn_store.previous_accepted(conn, station, name)

            judged: list[tuple[int, Envelope, Outcome, Envelope]] = []
            for seq, env in items:
                if seq in done:
                    counters.inc("vn.files.replayed")
                    continue
                outcome, obs = self._judge(env, mapper, previous)
                outcome.spool, outcome.spool_seq = spool_id, seq
                obs.detail = detail_of(outcome)
                if outcome.status == "accepted" and outcome.station:
                    accepted_here[(outcome.station, outcome.file_name)] = outcome.sha256
                judged.append((seq, env, outcome, obs))
            stored = write_envelopes_in(conn, spool_id, [(seq, obs) for seq, _, _, obs in judged])
            vn_store.record_files_in(conn, [outcome.log_row() for _, _, outcome, _ in judged])
            for _, _, outcome, _ in judged:
                if outcome.status == "accepted" and outcome.point_id is not None and outcome.unmapped:
                    vn_store.record_unmapped_in(conn, outcome.point_id, outcome.received_at, outcome.file_name, [
                        dict(u, name_key=name_key(u["parameter"] or ""), unit_key=unit_key(u["unit"]))
                        for u in outcome.unmapped])
        for _, env, outcome, _ in judged:  # committed: now say so
            self._count(outcome)
            self._file(env, outcome)
        return SinkResult(frames=stored.frames, records_offered=stored.observations_offered,
                          isolated=stored.isolated, touched=stored.touched_minutes or [])

    def _judge(self, env: Envelope, mapper: ParameterMapper, previous) -> tuple[Outcome, Envelope]:
        try:
            return judge_file(env, directory=self.directory, mapper=mapper, previous=previous,
                              settings=self.settings)
        except SQLAlchemyError:
            raise  # the database's error: the worker retries or splits the batch
        except Exception as exc:  # a file we cannot judge must not hold up the others
            counters.inc("vn.files.unprocessable")
            log.exception("VN file %s could not be judged; set aside as rejected", file_name_of(env))
            return _unprocessable(env, exc)

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        """Archive a file whose rows the database refused: its bytes quarantined (``unwritable_record``), a
        file-log row ``rejected``/``unwritable_record``, the file and its receipt in ``rejected/``."""
        outcome, obs = _unprocessable(envelope, exc, reason="unwritable_record")
        outcome.spool, outcome.spool_seq = spool_id, seq
        stored = archive_refused(self.engine, spool_id, seq, obs, exc)
        try:
            vn_store.record_files(self.engine, [outcome.log_row()])
        except SQLAlchemyError:
            log.exception("the file-log row of set-aside spool record %d was refused too; its bytes are archived",
                          seq)
        self._count(outcome)
        self._file(envelope, outcome)
        return SinkResult(frames=stored.frames, isolated=stored.isolated)

    def after_commit(self, result: SinkResult) -> None:
        self.observations.after_commit(result)

    def flush(self) -> int:
        return self.observations.flush()

    # -------------------------------------------------------------- after the commit

    def _count(self, out: Outcome) -> None:
        counters.inc("vn.files")
        counters.inc(f"vn.files.{out.status}")
        if out.reason and out.status != "duplicate":
            counters.inc(f"vn.files.{out.status}.{out.reason}")
        if out.status == "accepted":
            counters.inc("vn.files.late", int(out.late))
            counters.inc("vn.files.backfill", int(out.backfill))
            counters.inc("vn.readings", out.n_readings or 0)
            for u in out.unmapped:
                counters.inc("vn.lines.unmapped")
                counters.inc(f"vn.lines.unmapped.{u['reason']}")
        self.outcomes = (self.outcomes + [out])[-1000:]

    @staticmethod
    def _file(env: Envelope, outcome: Outcome) -> None:
        """File the bytes with the receipt where the file arrived; a failure loses no data (it is stored)."""
        dest = env.meta.get("dest")
        if not dest:
            return
        try:
            file_with_receipt(env.raw, outcome, Path(dest))
        except OSError:
            counters.inc("vn.receipt_errors")
            log.exception("filing %s with its receipt in %s failed; the data are stored", outcome.file_name, dest)


def _unprocessable(env: Envelope, exc: BaseException, reason: str = "unprocessable") -> tuple[Outcome, Envelope]:
    """The outcome and archive form of a file the sink could not judge or store: rejected with the error."""
    raw = env.raw if isinstance(env.raw, bytes) else str(env.raw).encode()
    received = env.received_at if isinstance(env.received_at, datetime) else datetime.now(timezone.utc)
    message = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"[:500]
    out = Outcome(file_name=file_name_of(env), status="rejected", received_at=received,
                  transport=str(env.transport), sha256=hashlib.sha256(raw).hexdigest(), size=len(raw),
                  station=env.meta.get("account"), reason=reason, message=message, peer=env.peer)
    obs = Envelope(transport=str(env.transport), received_at=received, raw=raw, status="rejected",
                   peer=env.peer, mn=env.mn, cn=CN_VN_TXT, error=reason)
    obs.detail = detail_of(out)
    return out, obs
