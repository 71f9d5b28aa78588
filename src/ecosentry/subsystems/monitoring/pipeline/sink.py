"""The monitoring subsystem's sink of ``observations`` envelopes: raw archive and readings into the database,
then the touched hours, days and months recomputed (with the automatic 通讯中断 marks) on the worker's flush."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from sqlalchemy import Engine

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.gaps import sync_gap_marks_for_hours
from ecosentry.subsystems.monitoring.pipeline.hourly import HourKey, hours_touched, recompute_hours
from ecosentry.subsystems.monitoring.pipeline.periods import (
    days_depending_on, days_of_hours, recompute_days, recompute_months)
from ecosentry.subsystems.monitoring.store.ingest import set_aside, write_envelopes


class ObservationSink:
    """Stores ``observations`` envelopes; keeps the hours they touched until :meth:`flush`."""

    def __init__(self, engine: Engine, directory: PointDirectory, *, auto_gap_marks: bool = True) -> None:
        self.engine = engine
        self.directory = directory
        self.auto_gap_marks = auto_gap_marks
        self.dirty_hours: set[HourKey] = set()

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory: PointDirectory) -> ObservationSink:
        return cls(engine, directory, auto_gap_marks=settings.monitoring.auto_gap_marks)

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        return self._result(write_envelopes(self.engine, spool_id, list(items)))

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        return self._result(set_aside(self.engine, spool_id, seq, envelope, exc))

    @staticmethod
    def _result(r) -> SinkResult:
        return SinkResult(frames=r.frames, records_offered=r.observations_offered, isolated=r.isolated,
                          touched=r.touched_minutes or [])

    def after_commit(self, result: SinkResult) -> None:
        self.dirty_hours |= hours_touched(result.touched, self.directory)

    def flush(self) -> int:
        """Recompute the touched hours, then their days and months; returns the hours written. On an error
        the hours are kept for the next flush and the error is raised."""
        keys, self.dirty_hours = self.dirty_hours, set()
        if not keys:
            return 0
        try:
            if self.auto_gap_marks:
                keys = keys | sync_gap_marks_for_hours(self.engine, keys, datetime.now(timezone.utc))
            n = recompute_hours(self.engine, keys, self.directory)
            days = days_of_hours(keys, self.directory)
            # a finished day's hours changed: the later days whose substitute values read them are done again
            days |= days_depending_on(self.engine, days, self.directory, datetime.now(timezone.utc))
            months = recompute_days(self.engine, days, self.directory)
            recompute_months(self.engine, months, self.directory)
        except Exception:
            self.dirty_hours |= keys
            raise
        return n
