"""The sink of ``noise-reading`` envelopes (:class:`ecosentry.contracts.sink.Sink`): each reading judged against
the boundary limit (the rule runs here, after the spool, never in a gateway) and stored, idempotently."""

from __future__ import annotations

from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.store import schema as s
from ecosentry.store.fit import set_aside_form
from ecosentry.store.partitions import raw_frame_key
from ecosentry.store.upsert import upsert
from example_noise.records import reading_of
from example_noise.rules import boundary_limit, exceeds, period_of
from example_noise.schema import noise_readings
from example_noise.settings import NoiseSettings


class NoiseSink:
    def __init__(self, engine: Engine, settings: NoiseSettings) -> None:
        self.engine, self.settings = engine, settings
        self.zone = ZoneInfo(settings.tz)

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory) -> NoiseSink:
        """The factory the worker calls (``Subsystem.sinks``): the ``noise`` section of the settings."""
        return cls(engine, settings.noise)

    def row(self, envelope: Envelope) -> dict:
        meter, measured_at, laeq_db = reading_of(envelope)
        period = period_of(measured_at.astimezone(self.zone))
        return {"meter": meter, "measured_at": measured_at, "laeq_db": laeq_db, "period": period,
                "limit_db": boundary_limit(self.settings.zone_class, period),
                "exceeds": exceeds(laeq_db, self.settings.zone_class, period), "received_at": envelope.received_at}

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        rows = [self.row(env) for _, env in items]
        with self.engine.begin() as conn:  # a replayed reading (same meter and interval) changes nothing
            upsert(conn, noise_readings, rows, keys=("meter", "measured_at"))
        return SinkResult(frames=len(items), records_offered=len(rows))

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        """A reading that cannot be stored goes to the core's raw archive, quarantined with the error (the
        worker logs it)."""
        safe, fault = set_aside_form(envelope, exc)
        with self.engine.begin() as conn:
            upsert(conn, s.raw_frames, [{
                "spool": spool_id, "spool_seq": seq, "received_at": safe.received_at, "transport": safe.transport,
                "peer": safe.peer, "mn": safe.mn, "cn": safe.cn, "qn": safe.qn, "point_id": safe.point_id,
                "status": safe.status, "error": safe.error, "detail": safe.detail, "raw": safe.raw}],
                keys=raw_frame_key(conn))  # the archive's replay key (it holds received_at on PostgreSQL)
        return SinkResult(frames=1, isolated=[(seq, fault)])

    def after_commit(self, result: SinkResult) -> None:
        """Nothing to do later: a reading is complete when stored."""

    def flush(self) -> int:
        return 0
