"""Batched, idempotent writes of received data: raw archive, quarantine, observations, latest values.

Observations are unique on (point, factor, kind, period start): a frame a logger re-sends after a
reconnect changes nothing (the first value received is kept; every copy stays in the raw archive).
PostgreSQL gets the rows by ``COPY`` straight into the table, or, for a batch that holds a row already stored,
into a temporary staging table and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``
(:func:`_copy_observations_pg`); SQLite by ``executemany`` with the same conflict clause.

No single record may stop the others: every text field is fitted to its column first (store/fit.py), so
an over-long MN or factor code is cut and flagged instead of failing the batch; a record the database
still refuses is found by the worker splitting the batch and written by :func:`set_aside` in a form that
cannot fail (its raw bytes, quarantined with the database's error).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, select

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.store import schema as s
from ecosentry.store.fit import QUARANTINE_LIMITS, Fault, fit_envelope, fit_field, set_aside_form
from ecosentry.store.partitions import raw_frame_key
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.monitoring.store.bulk_write import copy_upsert

OBS_COLS = ("point_id", "factor_code", "kind", "period_start", "value", "min", "max", "cou", "flag", "eflag",
            "zs_value", "zs_min", "zs_max", "sample_time", "received_at", "raw_frame_id")
#: PostgreSQL types of OBS_COLS, for binary COPY (no text formatting and parsing of every value).
OBS_PG_TYPES = ("int4", "varchar", "varchar", "timestamptz", "float8", "float8", "float8", "float8", "varchar",
                "varchar", "float8", "float8", "float8", "timestamptz", "timestamptz", "int8")


@dataclass
class WriteResult:
    frames: int = 0
    observations_offered: int = 0
    #: (point, factor, start) of minute data, and of hourly data (a wastewater analyser's cycle is the hour)
    touched_minutes: list[tuple[int, str, datetime]] | None = None
    #: records stored other than as received (spool seq, fault): fields cut, readings left out, set aside
    isolated: list[tuple[int, Fault]] = field(default_factory=list)


def set_aside(engine: Engine, spool_id: str, seq: int, env: Envelope, reason: BaseException) -> WriteResult:
    """Archive a record the database refused (``reason``) in a form that cannot fail: its raw bytes and
    fitted header fields, quarantined as ``unwritable_record`` with the error, no readings. Raises only
    when the database cannot take even that (then the fault is not the record's)."""
    safe, fault = set_aside_form(env, reason)
    result = write_envelopes(engine, spool_id, [(seq, safe)])
    result.isolated = [(seq, fault)]
    return result


def write_envelopes(engine: Engine, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> WriteResult:
    """Write one batch in one transaction. Safe to call again with the same items (replay)."""
    if not items:
        return WriteResult(touched_minutes=[])
    with engine.begin() as conn:
        return write_envelopes_in(conn, spool_id, items)


def write_envelopes_in(conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> WriteResult:
    """:func:`write_envelopes` inside the caller's transaction (a sink that writes more rows of the same
    records in the same transaction: the Vietnamese file log)."""
    result = WriteResult(touched_minutes=[])
    if not items:
        return result
    fitted: list[tuple[int, Envelope]] = []
    partly: set[int] = set()  # accepted frames with readings left out
    for seq, env in items:
        env, fault = fit_envelope(env)
        fitted.append((seq, env))
        if fault is not None:
            result.isolated.append((seq, fault))
            if fault.readings_dropped and env.status == "accepted":
                partly.add(seq)
    items = fitted
    ids = _archive_raw(conn, spool_id, items)
    # quarantined frames, and accepted frames with readings left out (their other readings are stored)
    quarantined = [
        {"raw_frame_id": ids[seq], "received_at": env.received_at,
         "peer": fit_field(env.peer, QUARANTINE_LIMITS["peer"])[0],
         "mn": fit_field(env.mn, QUARANTINE_LIMITS["mn"])[0],
         "reason": fit_field(env.error or "unknown", QUARANTINE_LIMITS["reason"])[0], "raw": env.raw}
        for seq, env in items if env.status == "quarantined" or seq in partly
    ]
    if quarantined:
        # one quarantine row per raw frame, also on replay
        existing = set(conn.scalars(
            select(s.quarantine.c.raw_frame_id).where(s.quarantine.c.raw_frame_id.in_(
                bindparam("ids", expanding=True))),
            {"ids": [q["raw_frame_id"] for q in quarantined]}))
        quarantined = [q for q in quarantined if q["raw_frame_id"] not in existing]
        if quarantined:
            conn.execute(s.quarantine.insert(), quarantined)
    rows: list[tuple] = []
    for seq, env in items:
        if env.status != "accepted" or env.point_id is None:
            continue
        for r in env.readings:
            rows.append(_obs_row(env, r, ids[seq]))
            if r.kind in ("min", "hour"):
                result.touched_minutes.append((env.point_id, r.factor, r.start))
    result.frames = len(items)
    result.observations_offered = len(rows)
    if rows:
        if conn.dialect.name == "postgresql":
            _copy_observations_pg(conn, rows)  # also updates latest_values from the staging table
        else:
            _insert_observations(conn, rows)
            _update_latest(conn, rows)
    return result


RAW_COLS = ("spool", "spool_seq", "received_at", "transport", "peer", "mn", "cn", "qn", "point_id", "status",
            "error", "detail", "raw")


def _archive_raw(conn: Connection, spool_id: str, items: Sequence[tuple[int, Envelope]]) -> dict[int, int]:
    """Insert the raw frames; return {spool seq: raw_frames.id}, including frames archived before."""
    rows = [(spool_id, seq, env.received_at, env.transport, env.peer, env.mn, env.cn, env.qn, env.point_id,
             env.status, env.error, env.detail, env.raw) for seq, env in items]
    if conn.dialect.name == "postgresql":
        cols = ", ".join(RAW_COLS)
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS stage_raw_frames "
                             "(LIKE raw_frames INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY stage_raw_frames ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            # a replayed frame conflicts on (spool, spool_seq, received_at) (the reception time is in the
            # envelope); the no-op update makes RETURNING give its id
            cur.execute(f"INSERT INTO raw_frames ({cols}) SELECT {cols} FROM stage_raw_frames ORDER BY spool_seq "
                        f"ON CONFLICT ({', '.join(raw_frame_key(conn))}) "
                        "DO UPDATE SET spool_seq = EXCLUDED.spool_seq "
                        "RETURNING id, spool_seq")
            return {seq: rid for rid, seq in cur.fetchall()}
    stmt = insert_for(conn, s.raw_frames)
    stmt = stmt.on_conflict_do_update(index_elements=raw_frame_key(conn),
                                      set_={"spool_seq": stmt.excluded.spool_seq})
    stmt = stmt.returning(s.raw_frames.c.id, s.raw_frames.c.spool_seq)
    result = conn.execute(stmt, [dict(zip(RAW_COLS, r)) for r in rows])
    return {r.spool_seq: r.id for r in result}


def _obs_row(env: Envelope, r: Reading, raw_id: int) -> tuple:
    return (env.point_id, r.factor, r.kind, r.start, r.value, r.min, r.max, r.cou, r.flag, r.eflag,
            r.zs_value, r.zs_min, r.zs_max, r.sample_time, env.received_at, raw_id)


def _insert_observations(conn: Connection, rows: list[tuple]) -> None:
    stmt = insert_for(conn, s.observations).on_conflict_do_nothing(
        index_elements=["point_id", "factor_code", "kind", "period_start"])
    conn.execute(stmt, [dict(zip(OBS_COLS, r)) for r in rows])


def _copy_observations_pg(conn: Connection, rows: list[tuple]) -> None:
    """Observations and latest values on PostgreSQL.

    The usual batch (new data) goes by binary ``COPY`` straight into ``observations`` under a savepoint, and the
    latest value of each point, factor and kind of the batch is upserted from the rows at hand: no staging table,
    no second pass over the rows (issue 19: PostgreSQL's CPU for the rows ~12–19 → ~10 µs a data point on the
    bench's frames). A batch holding a row that is already stored (a replay after a crash, a logger's re-send)
    makes that ``COPY`` fail on the primary key: the savepoint is rolled back and the batch goes through the
    staging table and ``ON CONFLICT DO NOTHING`` (the first value received is kept), as every batch did before.
    """
    from psycopg.errors import UniqueViolation  # PostgreSQL only

    cols = ", ".join(f'"{c}"' for c in OBS_COLS)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT observations_copy")
        try:
            with cur.copy(f"COPY observations ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(OBS_PG_TYPES)
                for r in rows:
                    copy.write_row(r)
        except UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT observations_copy")
        else:
            cur.execute("RELEASE SAVEPOINT observations_copy")
            _upsert_latest_pg(cur, _latest_rows(rows))
            return
    _stage_observations_pg(conn, rows, cols)


def _latest_rows(rows: Iterable[tuple]) -> list[tuple]:
    """Per (point, factor, kind) the observation row of the latest period start (the first of equals), in key
    order (concurrent writers lock the keys in one order)."""
    latest: dict[tuple, tuple] = {}
    for r in rows:
        key = (r[0], r[1], r[2])
        cur = latest.get(key)
        if cur is None or r[3] > cur[3]:
            latest[key] = r
    return [latest[k] for k in sorted(latest)]


_LATEST_SET = ("ON CONFLICT (point_id, factor_code, kind) DO UPDATE SET period_start = EXCLUDED.period_start, "
               "value = EXCLUDED.value, flag = EXCLUDED.flag, zs_value = EXCLUDED.zs_value, "
               "received_at = EXCLUDED.received_at WHERE EXCLUDED.period_start >= latest_values.period_start")
_LATEST_COLS = "point_id, factor_code, kind, period_start, value, flag, zs_value, received_at"


def _upsert_latest_pg(cur, latest: list[tuple]) -> None:
    """Upsert the latest values of observation rows, one statement (the columns as arrays, sent in binary: the
    text form of the arrays cost ~6× the client CPU)."""
    if not latest:
        return
    columns = [[r[i] for r in latest] for i in (0, 1, 2, 3, 4, 8, 10, 14)]
    cur.execute(
        f"INSERT INTO latest_values ({_LATEST_COLS}) SELECT * FROM unnest(%b::int4[], %b::varchar[], %b::varchar[], "
        f"%b::timestamptz[], %b::float8[], %b::varchar[], %b::float8[], %b::timestamptz[]) {_LATEST_SET}", columns)


def _stage_observations_pg(conn: Connection, rows: list[tuple], cols: str) -> None:
    """A batch with rows already stored: through a temporary staging table, ``ON CONFLICT DO NOTHING``."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS stage_observations "
        "(LIKE observations INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY stage_observations ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(OBS_PG_TYPES)
            for r in rows:
                copy.write_row(r)
        cur.execute(
            f"INSERT INTO observations ({cols}) SELECT {cols} FROM stage_observations "
            "ON CONFLICT (point_id, factor_code, kind, period_start) DO NOTHING")
        cur.execute(
            f"INSERT INTO latest_values ({_LATEST_COLS}) SELECT DISTINCT ON (point_id, factor_code, kind) "
            f"{_LATEST_COLS} FROM stage_observations ORDER BY point_id, factor_code, kind, period_start DESC "
            f"{_LATEST_SET}")


def _update_latest(conn: Connection, rows: Iterable[tuple]) -> None:
    stmt = insert_for(conn, s.latest_values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["point_id", "factor_code", "kind"],
        set_={c: stmt.excluded[c] for c in ("period_start", "value", "flag", "zs_value", "received_at")},
        where=stmt.excluded.period_start >= s.latest_values.c.period_start,
    )
    conn.execute(stmt, [
        {"point_id": r[0], "factor_code": r[1], "kind": r[2], "period_start": r[3], "value": r[4],
         "flag": r[8], "zs_value": r[10], "received_at": r[14]}
        for r in _latest_rows(rows)
    ])


def upsert_hourly(conn: Connection, rows: list[dict]) -> None:
    """Store hourly rows (every column, one row per hour key); a stored hour is replaced (binary COPY through a
    staging table when there are many: the worker's flush of a large fleet)."""
    copy_upsert(conn, s.hourly_values, rows, ["point_id", "factor_code", "period_start"])
