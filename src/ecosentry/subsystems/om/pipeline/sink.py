"""The O&M sink of HJ 212 instrument frames (record kind :data:`~ecosentry.contracts.envelope.INSTRUMENT_KIND`):
the frames of a registered point's logger under a command code of ``hj212_instrument_cns`` (HJ 212-2017 Table 9:
CN 3019, 3020), routed by the monitoring points' gateway through the core's contract (om never imports
monitoring, monitoring never imports om).

Each frame is archived in the core's ``raw_frames`` (with its point: the logger is a monitoring point's), its CP read
(:func:`..hj212_info.read_cp`): parameter reports stored once (:mod:`..store.parameters`), door events stored as
the station room's, source ``hj212`` (:mod:`..store.doors`), for every room holding the point. A field that cannot
be read is noted on the frame's archive row (``error`` the first problem's code, ``detail`` the notes) and counted
(``om.hj212.<code>``); the other fields are kept. After the batch is committed, the touched points' parameters
and rooms' doors are checked (``flush``): findings stored, alarms raised or cleared.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.sink import SinkResult
from ecosentry.metrics import counters
from ecosentry.pipeline.reading_sink import archive_raw
from ecosentry.store.fit import Fault, fit_envelope, set_aside_form, with_note
from ecosentry.subsystems.om.hj212_info import read_cp
from ecosentry.subsystems.om.schema import om_room_points
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store import doors as door_store
from ecosentry.subsystems.om.store import parameters as param_store

log = logging.getLogger(__name__)

__all__ = ["InstrumentSink"]

#: How many problems a frame's note names.
MAX_NOTES = 5


class InstrumentSink:
    def __init__(self, engine: Engine, settings: OmSettings) -> None:
        self.engine, self.settings = engine, settings
        self._points: set[int] = set()
        self._rooms: set[int] = set()

    @classmethod
    def from_settings(cls, engine: Engine, settings, directory) -> InstrumentSink:  # noqa: ARG003
        return cls(engine, getattr(settings, "om", None) or OmSettings())

    def write(self, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        result = SinkResult(frames=len(items))
        if not items:
            return result
        st = self.settings.hj212
        archived: list[tuple[int, Envelope]] = []
        touched_points, touched_rooms = set(), set()
        with self.engine.begin() as conn:
            for seq, env in items:
                env, fault = fit_envelope(env)
                problems: list[tuple[str, str]] = []
                if env.status == "accepted" and env.point_id is not None:
                    try:
                        frame = read_cp(env.meta.get("cp") or [], str(env.meta.get("tz") or self.settings.timezone),
                                        parameter_prefix=st.parameter_prefix, parameter_names=st.parameter_names,
                                        door_field=st.door_field, door_open=st.door_open_values,
                                        door_close=st.door_close_values)
                    except (TypeError, ValueError, IndexError, KeyError) as exc:   # a CP the gateway did not make
                        frame = None
                        problems.append(("bad_envelope", f"{type(exc).__name__}: {str(exc)[:200]}"))
                    if frame is not None:
                        problems.extend(frame.problems)
                        now = datetime.now(timezone.utc)
                        reports = [r for r in frame.parameters if r.at <= now + timedelta(minutes=5)]
                        doors = [d for d in frame.doors if d.at <= now + timedelta(minutes=5)]
                        if len(reports) < len(frame.parameters) or len(doors) < len(frame.doors):
                            problems.append(("future_time", "a DataTime in the future"))
                        result.records_offered += param_store.record_reports(
                            conn, env.point_id, reports, "hj212", env.received_at)
                        if reports:
                            touched_points.add(env.point_id)
                        if doors:
                            rooms = list(conn.execute(select(om_room_points.c.room_id).where(
                                om_room_points.c.point_id == env.point_id)).scalars())
                            if not rooms:
                                problems.append(("no_room", "door events of a point no station room holds"))
                            for room_id in rooms:
                                for d in doors:
                                    result.records_offered += door_store.insert_event(
                                        conn, room_id, d.at, d.event, "hj212", env.received_at)
                                touched_rooms.add(room_id)
                if problems:
                    for code, _ in problems:
                        counters.inc(f"om.hj212.{code}")
                    notes = [n for _, n in problems[:MAX_NOTES]]
                    if len(problems) > MAX_NOTES:
                        notes.append(f"{len(problems) - MAX_NOTES} more fields with a fault")
                    note = "; ".join(notes)
                    log.warning("instrument frame %s/%s from %s: %s", spool_id, seq, env.mn, note)
                    env = dataclasses.replace(env, error=env.error or problems[0][0],
                                              detail=with_note(env.detail, note))
                    fault = fault or Fault(problems[0][0], note)
                if fault is not None:
                    result.isolated.append((seq, fault))
                archived.append((seq, dataclasses.replace(env, readings=[])))
            archive_raw(conn, spool_id, archived)
        result.touched = [("point", p) for p in touched_points] + [("room", r) for r in touched_rooms]
        return result

    def set_aside(self, spool_id: str, seq: int, envelope: Envelope, exc: BaseException) -> SinkResult:
        safe, fault = set_aside_form(dataclasses.replace(envelope, meta={}), exc)
        with self.engine.begin() as conn:
            archive_raw(conn, spool_id, [(seq, safe)])
        return SinkResult(frames=1, isolated=[(seq, fault)])

    def after_commit(self, result: SinkResult) -> None:
        for what, ident in result.touched:
            (self._points if what == "point" else self._rooms).add(ident)

    def flush(self) -> int:
        """The checks of the points and rooms touched since the last flush."""
        points, self._points = self._points, set()
        rooms, self._rooms = self._rooms, set()
        now = datetime.now(timezone.utc)
        st = self.settings
        zone = ZoneInfo(st.timezone)
        todo = [("point", p) for p in sorted(points)] + [("room", r) for r in sorted(rooms)]
        for i, (what, ident) in enumerate(todo):
            try:
                if what == "point":
                    param_store.check_point(self.engine, ident, now, days=st.hj212.check_days,
                                            settings=st.consistency, zone=zone)
                else:
                    door_store.check_room(self.engine, ident, now, window=timedelta(hours=st.door_window_hours),
                                          settings=st.consistency, zone=zone)
            except Exception:   # the worker logs it and calls again: what is not checked yet stays noted
                for w, n in todo[i:]:
                    (self._points if w == "point" else self._rooms).add(n)
                raise
        return len(todo)
