"""The sink of ``power-readings`` envelopes (:class:`ecosentry.contracts.sink.Sink`): every envelope's raw bytes
in the core's archive (``raw_frames``), every reading of a known meter in ``power_readings``, the device's
``last_seen_at``, and the enterprises whose readings changed for the live rules engine.

Contract (the gateways' side, ``docs/power.md``): ``point_id`` is ``power_devices.id``, each reading's ``factor``
is ``"<channel>-<quantity>"`` (``SB1-P``), ``channel`` being ``power_meters.channel`` of that device, ``kind``
``min`` (a minute's value) or ``rtd`` (a real-time sample), ``start`` the minute (UTC).

The archive row of a power frame has transport ``power-<transport>`` and no ``point_id`` (:func:`archive_form`:
the monitoring subsystem reads ``raw_frames`` by point and transport).

Idempotent (the spool is at-least-once): the archive row is unique on (spool, sequence), a reading on (meter,
quantity, minute). A minute value (``min``) replaces a real-time sample of the same minute and is itself
replaced by a later minute value (a logger's correction); a real-time sample never replaces what is stored.
A replay writes the same values again.

No reading hurts another: a reading of an unknown device, channel or quantity, or with a value that is not a
finite number, is not stored; it is counted (the worker's ``ingest.isolated.<code>``) and its frame is
archived with the reason (``raw_frames.error``/``detail``; ``quarantined`` when nothing of it was usable). A
record the database still refuses is found by the worker and archived by :meth:`PowerReadingSink.set_aside`.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, select, update

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.contracts.sink import SinkResult
from ecosentry.pipeline.reading_sink import ArchivingSink, archive_raw, settle
from ecosentry.pipeline.reading_sink import archive_form as core_archive_form
from ecosentry.store.fit import clean_text, fit_envelope, fit_field
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.power import schema as ps

__all__ = ["PowerReadingSink", "ARCHIVE_PREFIX", "archive_form", "QUANTITIES", "QUANTITY_ORDER", "UNKNOWN_DEVICE", "UNKNOWN_CHANNEL", "UNKNOWN_QUANTITY", "BAD_VALUE",
           "split_factor"]

#: What a power reading may measure: P kW, E kWh (register), I/Ia/Ib/Ic A, U/Ua/Ub/Uc V, PF, RS run state.
QUANTITY_ORDER = ("P", "E", "I", "Ia", "Ib", "Ic", "U", "Ua", "Ub", "Uc", "PF", "RS")
QUANTITIES = frozenset(QUANTITY_ORDER)
KINDS = ("min", "rtd")
#: Fault codes of readings not stored (stable: counted as ``ingest.isolated.<code>``).
UNKNOWN_DEVICE = "unknown_device"
UNKNOWN_CHANNEL = "unknown_channel"
UNKNOWN_QUANTITY = "unknown_quantity"
BAD_VALUE = "bad_value"
#: Prefix of the archived transport of a power frame (``power-hj212-tcp``, ``power-mqtt``, ``power-csv``).
ARCHIVE_PREFIX = "power-"
FLAG_LIMIT = ps.power_readings.c.flag.type.length


def split_factor(factor: str) -> tuple[str, str]:
    """``"SB1-P"`` → ``("SB1", "P")``; a channel may itself hold ``-`` (an MQTT meter id), the quantity not."""
    channel, _, quantity = str(factor).rpartition("-")
    return channel, quantity


@dataclasses.dataclass(slots=True)
class _Row:
    meter_id: int
    quantity: str
    at: datetime
    value: float
    flag: str | None
    received_at: datetime
    minute_value: bool


class PowerReadingSink(ArchivingSink):
    """Stores ``power-readings`` envelopes; notes the enterprises they touched for :meth:`touched_enterprises`."""

    archive_prefix = ARCHIVE_PREFIX

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._lock = threading.Lock()
        #: enterprise id → the earliest minute stored for it since the last :meth:`touched_enterprises`
        self._touched: dict[int, datetime] = {}

    # ------------------------------------------------------------------------------------------- the contract

    def write_in(self, conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
        return write_in(conn, spool_id, items)

    def after_commit(self, result: SinkResult) -> None:
        """Note the enterprises (and their earliest minute) whose readings the batch stored."""
        if not result.touched:
            return
        with self._lock:
            for enterprise_id, minute in result.touched:
                seen = self._touched.get(enterprise_id)
                if seen is None or minute < seen:
                    self._touched[enterprise_id] = minute

    # ------------------------------------------------------------------------------------- for the rules engine

    def touched_enterprises(self, *, with_minutes: bool = False) -> set[int] | dict[int, datetime]:
        """The enterprises (``enterprises.id``) with readings stored since the last call, and forget them: a
        set, or with ``with_minutes`` a mapping to the earliest minute (UTC) stored for each (late data)."""
        with self._lock:
            touched, self._touched = self._touched, {}
        return touched if with_minutes else set(touched)


# ------------------------------------------------------------------------------------------------ the writes


def write_in(conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> SinkResult:
    """:meth:`PowerReadingSink.write` inside the caller's transaction."""
    result = SinkResult(frames=len(items))
    meters = _meters(conn, {env.point_id for _, env in items if isinstance(env.point_id, int)})
    archived: list[tuple[int, Envelope]] = []
    rows: list[_Row] = []
    seen: dict[int, datetime] = {}
    touched: dict[int, datetime] = {}
    for seq, original in items:
        # the header fitted to the archive's columns (an over-long MN quarantines the frame)
        env, fault = fit_envelope(archive_form(original))
        kept, problems = ([], []) if env.status != "accepted" else _readings(original, meters)
        for row, enterprise_id in kept:
            rows.append(row)
            if enterprise_id not in touched or row.at < touched[enterprise_id]:
                touched[enterprise_id] = row.at
        if env.status == "accepted" and original.point_id in meters and isinstance(env.received_at, datetime):
            prev = seen.get(original.point_id)  # type: ignore[arg-type]
            seen[original.point_id] = env.received_at if prev is None else max(prev, env.received_at)  # type: ignore
        settle(seq, env, fault, problems, len(original.readings), len(kept), result, archived)
    archive_raw(conn, spool_id, archived)
    result.records_offered = len(rows)
    _store_readings(conn, rows)
    _mark_seen(conn, seen)
    result.touched = sorted(touched.items())
    return result


def archive_form(env: Envelope) -> Envelope:
    """The header a power frame is archived with in the core's ``raw_frames``: transport ``power-<transport>``
    and no ``point_id``. That table's ``point_id`` is a monitoring point's id and the monitoring subsystem reads
    the archive by point and transport (forwarding ``hj212-tcp`` frames to upper platforms, evidence packs,
    logger faults): a power device's id or an ``hj212-tcp`` power frame there would pass for a point's. A
    device's frames are found by their ``mn`` (``power_devices.mn`` is unique)."""
    return core_archive_form(env, ARCHIVE_PREFIX)


def _meters(conn: Connection, device_ids: set[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """Device id → channel → (meter id, enterprise id), for the devices of the batch."""
    if not device_ids:
        return {}
    m_, d_ = ps.power_meters, ps.power_devices
    ids = sorted(d for d in device_ids if abs(d) < 2**31)
    if not ids:
        return {}
    out: dict[int, dict[str, tuple[int, int]]] = {
        d: {} for d in conn.scalars(select(d_.c.id).where(d_.c.id.in_(bindparam("ids", expanding=True))),
                                    {"ids": ids})}
    for device_id, channel, meter_id, enterprise_id in conn.execute(
            select(m_.c.device_id, m_.c.channel, m_.c.id, m_.c.enterprise_id)
            .where(m_.c.device_id.in_(bindparam("ids", expanding=True)), m_.c.channel.is_not(None)),
            {"ids": ids}):
        out[device_id][channel] = (meter_id, enterprise_id)
    return out


def _readings(env: Envelope, meters: dict[int, dict[str, tuple[int, int]]]
              ) -> tuple[list[tuple[_Row, int]], list[tuple[str, str]]]:
    """The envelope's readings as rows of known meters, and (fault code, note) of each reading left out."""
    channels = meters.get(env.point_id) if isinstance(env.point_id, int) else None
    if channels is None:
        return [], [(UNKNOWN_DEVICE, f"device {env.point_id!r} (MN {str(env.mn or '')[:24]!r}) is not a power "
                                     f"device")] * max(1, len(env.readings))
    kept: list[tuple[_Row, int]] = []
    problems: list[tuple[str, str]] = []
    cut: list[tuple[str, str]] = []
    for r in env.readings:
        problem, row = _reading(r, channels, env.received_at)
        if row is None:
            problems.append(problem)  # type: ignore[arg-type]
            continue
        kept.append(row)
        if problem is not None:  # stored with its flag cut to the column
            cut.append(problem)
    return kept, problems + cut


def _reading(r: Reading, channels: dict[str, tuple[int, int]], received_at: datetime):
    factor = str(r.factor)
    channel, quantity = split_factor(factor)
    shown = factor[:40]
    if quantity not in QUANTITIES or not channel:
        return (UNKNOWN_QUANTITY, f"reading {shown!r}: quantity {quantity[:12]!r} is not one of "
                                  f"{', '.join(QUANTITY_ORDER)}"), None
    if r.kind not in KINDS:
        return (UNKNOWN_QUANTITY, f"reading {shown!r}: data kind {str(r.kind)[:12]!r} is not min or rtd"), None
    meter = channels.get(channel)
    if meter is None:
        return (UNKNOWN_CHANNEL, f"reading {shown!r}: channel {channel[:40]!r} is no meter of the device"), None
    try:
        value = float(r.value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        return (BAD_VALUE, f"reading {shown!r}: value {str(r.value)[:40]!r} is not a finite number"), None
    start = r.start
    if not isinstance(start, datetime) or start.tzinfo is None:
        return (BAD_VALUE, f"reading {shown!r}: no UTC time"), None
    flag, flag_fault = (r.flag, None) if r.flag is None or (type(r.flag) is str and len(r.flag) <= FLAG_LIMIT
                                                             and r.flag.isascii() and "\x00" not in r.flag) \
        else fit_field(r.flag, FLAG_LIMIT)
    cut = None if flag_fault is None else (flag_fault, f"reading {shown!r}: flag {clean_text(r.flag)[:20]!r} "
                                                       f"stored as {flag!r}")
    return cut, (_Row(meter[0], quantity, start.replace(second=0, microsecond=0), value, flag, received_at,
                       r.kind == "min"), meter[1])


def _store_readings(conn: Connection, rows: list[_Row]) -> None:
    """Upsert the readings: minute values replace (the last one of the batch wins), real-time samples only fill
    a minute that has nothing yet; one row per key and statement (PostgreSQL refuses a key twice)."""
    minute: dict[tuple, _Row] = {}
    sample: dict[tuple, _Row] = {}
    for r in rows:
        key = (r.meter_id, r.quantity, r.at)
        if r.minute_value:
            minute[key] = r
        else:
            sample.setdefault(key, r)
    sample = {k: r for k, r in sample.items() if k not in minute}
    if conn.dialect.name == "postgresql" and COPY_FROM <= len(minute) + len(sample):
        _copy_readings_pg(conn, [*minute.values(), *sample.values()])
        return
    t = ps.power_readings
    if minute:
        stmt = insert_for(conn, t)
        stmt = stmt.on_conflict_do_update(index_elements=["meter_id", "quantity", "at"],
                                          set_={c: stmt.excluded[c] for c in ("value", "flag", "received_at")})
        conn.execute(stmt, [_values(r) for _, r in sorted(minute.items(), key=lambda kv: kv[0])])
    if sample:
        stmt = insert_for(conn, t).on_conflict_do_nothing(index_elements=["meter_id", "quantity", "at"])
        conn.execute(stmt, [_values(r) for _, r in sorted(sample.items(), key=lambda kv: kv[0])])


#: From this many readings a PostgreSQL batch goes by binary ``COPY`` into a staging table, then one
#: ``INSERT … SELECT … ON CONFLICT`` per kind (measured: docs/power.md "Ingest").
COPY_FROM = 200
_PG_COLS = ("meter_id", "quantity", "at", "value", "flag", "received_at")
_PG_TYPES = ("int4", "varchar", "timestamptz", "float8", "varchar", "timestamptz", "bool")


def _copy_readings_pg(conn: Connection, rows: list[_Row]) -> None:
    cols = ", ".join(f'"{c}"' for c in _PG_COLS)
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS stage_power_readings "
                         "(LIKE power_readings INCLUDING DEFAULTS, minute_value boolean) ON COMMIT DELETE ROWS")
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY stage_power_readings ({cols}, minute_value) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_PG_TYPES)
            for r in rows:
                copy.write_row((r.meter_id, r.quantity, r.at, r.value, r.flag, r.received_at, r.minute_value))
        cur.execute(f"INSERT INTO power_readings ({cols}) SELECT {cols} FROM stage_power_readings "
                    "WHERE minute_value ON CONFLICT (meter_id, quantity, at) DO UPDATE SET value = EXCLUDED.value, "
                    "flag = EXCLUDED.flag, received_at = EXCLUDED.received_at")
        cur.execute(f"INSERT INTO power_readings ({cols}) SELECT {cols} FROM stage_power_readings "
                    "WHERE NOT minute_value ON CONFLICT (meter_id, quantity, at) DO NOTHING")


def _values(r: _Row) -> dict:
    return {"meter_id": r.meter_id, "quantity": r.quantity, "at": r.at, "value": r.value, "flag": r.flag,
            "received_at": r.received_at}


def _mark_seen(conn: Connection, seen: dict[int, datetime]) -> None:
    """``power_devices.last_seen_at``: the latest reception with a stored reading (never moved back)."""
    d_ = ps.power_devices
    for device_id, at in sorted(seen.items()):
        conn.execute(update(d_).where(d_.c.id == device_id,
                                      (d_.c.last_seen_at.is_(None)) | (d_.c.last_seen_at < at))
                     .values(last_seen_at=at))
