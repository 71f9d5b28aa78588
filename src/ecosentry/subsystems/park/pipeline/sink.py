"""The sink of ``park-readings`` envelopes (:class:`ecosentry.contracts.sink.Sink`): every envelope's raw bytes in
the core's archive (``raw_frames``), every pollutant reading of a known station in ``park_readings``, every met
quantity in ``park_met_readings``, the station's ``last_seen_at``.

Contract (the gateways' side): ``point_id`` is ``park_stations.id``; each reading's ``factor`` is a code of
:mod:`..factors` (HJ 212 ``a21022`` or the substance's ``Cl2``; met ``a01007`` …), ``kind`` ``rtd`` or ``min``,
``start`` the time (UTC, whole seconds kept).

The archive row has transport ``park-<transport>`` and no ``point_id`` (that column is a monitoring point's id;
a station's frames are found by their ``mn``, unique in ``park_stations``).

**Raw is immutable**: a reading is stored once per (station, factor, time), as first received; a re-sent or
replayed one changes nothing (the spool is at-least-once).

No reading hurts another: a reading of an unknown station, with a code that is no pollutant or met quantity of the
park, a pollutant the station is not registered for, or a value that is not a finite, non-negative number, is not
stored; it is counted (the worker's ``ingest.isolated.<code>``) and its frame archived with the reason
(``raw_frames.error``/``detail``; ``quarantined`` when nothing of it was usable). A record the database still
refuses is archived by :meth:`ParkReadingSink.set_aside`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.contracts.sink import SinkResult
from ecosentry.pipeline.reading_sink import ArchivingSink, archive_raw, settle
from ecosentry.pipeline.reading_sink import archive_form as core_archive_form
from ecosentry.store.fit import fit_envelope
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.factors import met_quantity, pollutant

__all__ = ["ParkReadingSink", "ARCHIVE_PREFIX", "archive_form", "UNKNOWN_STATION", "UNKNOWN_FACTOR",
           "NOT_REGISTERED", "BAD_VALUE"]

UNKNOWN_STATION = "unknown_station"
UNKNOWN_FACTOR = "unknown_factor"
NOT_REGISTERED = "factor_not_registered"
BAD_VALUE = "bad_value"
KINDS = ("rtd", "min")
ARCHIVE_PREFIX = "park-"


@dataclasses.dataclass(slots=True)
class _Station:
    id: int
    met: bool
    factors: frozenset[str]


class ParkReadingSink(ArchivingSink):
    """Stores ``park-readings`` envelopes (the warning job follows ``park_readings.received_at`` on its own)."""

    archive_prefix = ARCHIVE_PREFIX

    def write_in(self, conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        return write_in(conn, spool_id, items)


def write_in(conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
    """:meth:`ParkReadingSink.write` inside the caller's transaction."""
    result = SinkResult(frames=len(items))
    stations = _stations(conn, {env.point_id for _, env in items if isinstance(env.point_id, int)})
    archived: list[tuple[int, Envelope]] = []
    pollutants: dict[tuple, dict] = {}
    met: dict[tuple, dict] = {}
    seen: dict[int, datetime] = {}
    for seq, original in items:
        env, fault = fit_envelope(archive_form(original))
        problems: list[tuple[str, str]] = []
        kept = 0
        if env.status == "accepted":
            station = stations.get(original.point_id) if isinstance(original.point_id, int) else None
            if station is None:
                problems = [(UNKNOWN_STATION, f"station {original.point_id!r} (MN {str(original.mn or '')[:24]!r}) "
                                              f"is not a park station")] * max(1, len(original.readings))
            else:
                for r in original.readings:
                    problem = _place(r, station, original.received_at, pollutants, met)
                    if problem is None:
                        kept += 1
                    else:
                        problems.append(problem)
                if kept:
                    prev = seen.get(station.id)
                    seen[station.id] = original.received_at if prev is None else max(prev, original.received_at)
        settle(seq, env, fault, problems, len(original.readings), kept, result, archived)
    archive_raw(conn, spool_id, archived)
    result.records_offered = len(pollutants) + len(met)
    if pollutants:
        conn.execute(insert_for(conn, ps.park_readings).on_conflict_do_nothing(
            index_elements=["station_id", "factor", "at"]), [pollutants[k] for k in sorted(pollutants)])
    if met:
        conn.execute(insert_for(conn, ps.park_met_readings).on_conflict_do_nothing(
            index_elements=["station_id", "quantity", "at"]), [met[k] for k in sorted(met)])
    st = ps.park_stations
    for station_id, at in sorted(seen.items()):
        conn.execute(update(st).where(st.c.id == station_id, (st.c.last_seen_at.is_(None)) | (st.c.last_seen_at < at))
                     .values(last_seen_at=at))
    return result


def _place(r: Reading, station: _Station, received_at: datetime, pollutants: dict, met: dict
           ) -> tuple[str, str] | None:
    """Put one reading in ``pollutants`` or ``met`` (first of a key in the batch wins), or say why not."""
    code = str(r.factor)[:40]
    if r.kind not in KINDS:
        return UNKNOWN_FACTOR, f"reading {code!r}: data kind {str(r.kind)[:12]!r} is not rtd or min"
    try:
        value = float(r.value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not isinstance(r.start, datetime) or r.start.tzinfo is None:
        return BAD_VALUE, f"reading {code!r}: no UTC time"
    at = r.start.replace(microsecond=0)
    quantity = met_quantity(code)
    if quantity is not None and (station.met or pollutant(code) is None):
        if not math.isfinite(value):
            return BAD_VALUE, f"reading {code!r}: value {str(r.value)[:40]!r} is not a finite number"
        met.setdefault((station.id, quantity, at), {"station_id": station.id, "quantity": quantity, "at": at,
                                                    "value": value, "received_at": received_at})
        return None
    substance = pollutant(code)
    if substance is None:
        return UNKNOWN_FACTOR, f"reading {code!r}: no pollutant or met quantity of the park (docs/park.md)"
    if substance not in station.factors:
        return NOT_REGISTERED, f"reading {code!r}: the station is not registered for {substance}"
    if not math.isfinite(value) or value < 0:
        return BAD_VALUE, f"reading {code!r}: value {str(r.value)[:40]!r} is not a finite number ≥ 0"
    pollutants.setdefault((station.id, substance, at), {
        "station_id": station.id, "factor": substance, "at": at, "value": value,
        "flag": (str(r.flag)[:4] if r.flag is not None else None), "received_at": received_at})
    return None


def archive_form(env: Envelope) -> Envelope:
    """The header a park frame is archived with: transport ``park-<transport>``, no ``point_id``."""
    return core_archive_form(env, ARCHIVE_PREFIX)


def _stations(conn: Connection, ids: set[int]) -> dict[int, _Station]:
    ids_ = sorted(i for i in ids if abs(i) < 2**31)
    if not ids_:
        return {}
    st = ps.park_stations.c
    rows = conn.execute(select(st.id, st.tier, st.factors).where(st.id.in_(bindparam("ids", expanding=True))),
                        {"ids": ids_}).all()
    return {r.id: _Station(r.id, r.tier == "met", frozenset(r.factors or ())) for r in rows}
