"""Minute observations of many points and hours read in one go into numpy arrays (the bulk recompute's input).

PostgreSQL: one statement per point whose result holds a row per factor, each column the factor's minutes
packed by the server into fixed-width big-endian numbers (NULLs become NaN plus a bit in a mask, the flag a
number its text is decoded from), that :func:`numpy.frombuffer` reads without a Python loop. Other
databases (SQLite): one ordinary SELECT.

Rows come back sorted by (point, factor, start); the factor is an index into :attr:`MinuteBlock.factors`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.pool import NullPool

from ecosentry.store import schema as s

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC. [µs]
PG_EPOCH_US = 946_684_800_000_000

#: Bits of :attr:`MinuteBlock.nulls`: which of the nullable numbers was NULL in the database.
NULL_VALUE, NULL_ZS, NULL_MIN, NULL_MAX, NULL_COU = 1, 2, 4, 8, 16

_NUMBERS = ("value", "zs_value", "min", "max", "cou")
_COLUMNS = ("point", "fidx", "start_us", "value", "zs_value", "min", "max", "cou", "nulls", "plain", "received_us")


@dataclass
class MinuteBlock:
    """The minute records (kind ``min``) of some points, factors and hours.

    Attributes
    ----------
    factors : list of str
        Factor codes; ``fidx`` indexes it.
    point, fidx : ndarray of int64
    start_us, received_us : ndarray of int64
        Interval start and receive time, microseconds since 1970-01-01 UTC. [µs]
    value, zs_value, min, max, cou : ndarray of float64
        NaN where NULL (see ``nulls``) or NaN in the database.
    nulls : ndarray of int64
        ``NULL_*`` bits.
    plain : ndarray of bool
        The flag is absent, empty or ``N``.
    flags : dict
        (point, factor code, start_us) → flag as stored, for the rows that are not ``plain``.
    """

    factors: list[str]
    point: np.ndarray
    fidx: np.ndarray
    start_us: np.ndarray
    value: np.ndarray
    zs_value: np.ndarray
    min: np.ndarray
    max: np.ndarray
    cou: np.ndarray
    nulls: np.ndarray
    plain: np.ndarray
    received_us: np.ndarray
    flags: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.point.size)

    def take(self, order: np.ndarray) -> MinuteBlock:
        return MinuteBlock(self.factors, *(getattr(self, n)[order] for n in _COLUMNS), flags=self.flags)


def us_of(t: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime (exact integer arithmetic). [µs]"""
    d = t - UNIX_EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def read_minutes(conn: Connection, factors_of_point: Mapping[int, Sequence[str]], lo: datetime,
                 hi: datetime) -> MinuteBlock:
    """The minute records of each point's factors with ``lo <= start < hi``, sorted by (point, factor, start)."""
    factors = sorted({f for fs in factors_of_point.values() for f in fs})
    points = sorted(factors_of_point)
    if not points or not factors:
        return _empty(factors)
    if conn.dialect.name == "postgresql":
        block = _read_pg(conn, points, factors, lo, hi)
    else:
        block = _read_generic(conn, points, factors, lo, hi)
    return _sorted_block(block, factors_of_point, lo, hi)


def read_minutes_parallel(engine: Engine, factors_of_point: Mapping[int, Sequence[str]], lo: datetime,
                          hi: datetime, pool: Executor | None = None, streams: int = 2) -> MinuteBlock:
    """As :func:`read_minutes`; on PostgreSQL with a ``pool`` of processes (:func:`reader_pool`), in
    ``streams`` statement streams at once over shares of the points, each in a process of its own.

    Each server process then packs its own points, so the server side of the read (most of its cost) uses
    as many cores; the arrays come back pickled. Other databases, or no pool: one read here (a thread of the
    caller reads as well: the server sends a few rows per point, so the thread holds the GIL briefly)."""
    points = sorted(factors_of_point)
    factors = sorted({f for fs in factors_of_point.values() for f in fs})
    if pool is None or engine.dialect.name != "postgresql" or len(points) <= 1 or not factors:
        with engine.connect() as conn:
            return read_minutes(conn, factors_of_point, lo, hi)
    shares: list[list[int]] = [[] for _ in range(max(1, min(streams, len(points))))]
    load = [0] * len(shares)
    for p in sorted(points, key=lambda p: -len(factors_of_point[p])):  # balanced by factors per point
        i = load.index(min(load))
        shares[i].append(p)
        load[i] += len(factors_of_point[p])
    url = engine.url.render_as_string(hide_password=False)
    futures = [pool.submit(read_share, url, sorted(share), factors, lo, hi) for share in shares if share]
    return _sorted_block(_concat(factors, [f.result() for f in futures]), factors_of_point, lo, hi)


def reader_pool(streams: int) -> Executor:
    """Processes for :func:`read_minutes_parallel` (started by spawning: a forked child would share this
    process's database connections)."""
    return ProcessPoolExecutor(streams, mp_context=multiprocessing.get_context("spawn"))


@lru_cache(maxsize=4)
def _reader_engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def read_share(url: str, points: list[int], factors: list[str], lo: datetime, hi: datetime) -> MinuteBlock:
    """One share of :func:`read_minutes_parallel`, in a reader process: the minutes of ``points``, unsorted."""
    with _reader_engine(url).connect() as conn:
        return _read_pg(conn, points, factors, lo, hi)


def _concat(factors: list[str], parts: list[MinuteBlock]) -> MinuteBlock:
    flags: dict = {}
    for b in parts:
        flags.update(b.flags)
    return MinuteBlock(factors, *(np.concatenate([getattr(b, n) for b in parts]) for n in _COLUMNS), flags=flags)


#: A (point, factor, start) key fits one int64 when the window is shorter than 2**START_BITS µs (50 days).
START_BITS = 42


def _sorted_block(block: MinuteBlock, factors_of_point: Mapping[int, Sequence[str]], lo: datetime,
                  hi: datetime) -> MinuteBlock:
    """The rows of the points' own factors, sorted by (point, factor, start); the block itself when they
    already are (rows that come back in the order they were stored in are not copied again)."""
    factors, points = block.factors, sorted(factors_of_point)
    n = len(block)
    if n == 0:
        return block
    # a factor sent by one point of the group but not registered or sent by this one is not its business
    wanted = np.zeros((max(points) + 1, len(factors)), dtype=bool)
    index = {f: i for i, f in enumerate(factors)}
    for p, fs in factors_of_point.items():
        wanted[p, [index[f] for f in fs]] = True
    keep = wanted[block.point, block.fidx]
    lo_us, hi_us = us_of(lo), us_of(hi)
    if hi_us - lo_us < 1 << START_BITS and len(points) * len(factors) < 1 << (62 - START_BITS):
        rank = np.zeros(max(points) + 1, dtype=np.int64)
        rank[points] = np.arange(len(points))
        key = ((rank[block.point] * len(factors) + block.fidx) << START_BITS) | (block.start_us - lo_us)
        order = np.argsort(key, kind="stable")  # a merge of runs: near linear on rows stored in order
    else:
        order = np.lexsort((block.start_us, block.fidx, block.point))
    if keep.all():
        if np.array_equal(order, np.arange(n)):
            return block
    else:
        order = order[keep[order]]
    return block.take(order)


def _empty(factors: list[str]) -> MinuteBlock:
    i, f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return MinuteBlock(factors, i, i, i, f, f, f, f, f, i, np.zeros(0, dtype=bool), i)


#: Points read by one statement: the server holds their minutes while it packs them (≈ 16 MB a point-month of
#: four 1-minute factors); one statement per point cost the server ~10 % more CPU (a plan and scan each).
POINTS_PER_READ = 4
#: One row per point and factor: its minutes as columns of fixed-width big-endian numbers, each the
#: concatenation of the values' binary send form (NULLs become NaN and a bit above the flag code).
_PG_SERIES = (
    "SELECT point_id::int4, factor_code::text, "
    "string_agg(timestamptz_send(period_start), ''), "
    + ", ".join(f"string_agg(float8send(coalesce(\"{c}\", 'NaN'::float8)), '')" for c in _NUMBERS) + ", "
    "string_agg(int8send({flag} | ((" + " | ".join(f'(("{c}" IS NULL)::int4 << {i})' for i, c in enumerate(_NUMBERS))
    + ")::int8 << {nulls_shift})), ''), string_agg(timestamptz_send(received_at), '') "
    "FROM observations WHERE kind = 'min' AND point_id = ANY({points}) "
    "AND period_start >= {lo} AND period_start < {hi} GROUP BY point_id, factor_code")
#: Big-endian types of the series' columns after the point and factor: start, the numbers, flag code with the
#: NULL bits above it (one column less to pack: each costs the server ~50 ns a minute), received.
_PG_SERIES_TYPES = (">i8",) + (">f8",) * len(_NUMBERS) + (">i8", ">i8")


def _read_pg(conn: Connection, points: list[int], factors: list[str], lo: datetime, hi: datetime) -> MinuteBlock:
    """One statement per :data:`POINTS_PER_READ` points, one result row per point and factor whose columns are
    the minutes' values packed by the server (``string_agg`` of their binary send form): a few rows cross the
    wire instead of one message per minute, and :func:`numpy.frombuffer` reads each column without a Python
    loop. The server's aggregation memory is that of the statement's points' minutes (≈ 100 bytes a minute).

    Each statement goes through libpq's ``PQexecParams`` (``psycopg.pq``, psycopg's documented low-level
    interface) with a binary result: one C call that waits without the GIL, where a cursor's Python loop
    would take the GIL for every network read of the ~10 MB a point's month is. The statement is planned
    each time (never prepared: a generic plan expects a few hundred rows and scans the index row by row; the
    month of some points is a bitmap scan that visits each page once)."""
    from psycopg import errors, pq, sql

    raw = conn.connection.driver_connection
    pgconn = raw.pgconn
    template = sql.SQL(_PG_SERIES_SQL)
    index = {f: i for i, f in enumerate(factors)}
    sizes: list[int] = []
    point_of: list[int] = []
    fidx_of: list[int] = []
    columns: list[list[np.ndarray]] = [[] for _ in _PG_SERIES_TYPES]
    for k in range(0, len(points), POINTS_PER_READ):
        some = points[k:k + POINTS_PER_READ]
        query = template.format(points=sql.Literal(some), lo=sql.Literal(lo), hi=sql.Literal(hi)).as_bytes(raw)
        result = pgconn.exec_params(query, [], result_format=pq.Format.BINARY)
        if result.status != pq.ExecStatus.TUPLES_OK:
            raise errors.DatabaseError(f"reading the minutes of points {some} failed: {result.error_message!r}")
        # every factor of the points is read and those not asked for are dropped here (the server's test of each
        # minute's factor cost ~10 % of the read): the bulk recompute asks for every factor the points
        # registered or sent in the range, so only an hour's overhang past the range is read for nothing
        rows = sorted((int.from_bytes(result.get_value(i, 0), "big"), index[result.get_value(i, 1).decode()], i)
                      for i in range(result.ntuples) if result.get_value(i, 1).decode() in index)
        for p, fidx, i in rows:
            arrays = [np.frombuffer(result.get_value(i, j + 2), dtype=t) for j, t in enumerate(_PG_SERIES_TYPES)]
            n = arrays[0].size
            if any(a.size != n for a in arrays):
                raise ValueError("minute columns of unequal length from the server")
            sizes.append(n)
            point_of.append(p)
            fidx_of.append(fidx)
            for col, a in zip(columns, arrays):
                col.append(a)
        result.clear()
    if not sizes:
        return _empty(factors)
    start, *numbers, coded, received = (np.concatenate(c).astype(t.replace(">", "<"))
                                        for c, t in zip(columns, _PG_SERIES_TYPES))
    nulls, flag_code = coded >> _NULLS_SHIFT, coded & ((1 << _NULLS_SHIFT) - 1)
    plain = (flag_code == _FLAG_NULL) | (flag_code == 0) | (flag_code == _FLAG_N)
    block = MinuteBlock(factors, np.repeat(np.array(point_of, dtype=np.int64), sizes),
                        np.repeat(np.array(fidx_of, dtype=np.int64), sizes), start + PG_EPOCH_US,
                        *numbers, nulls, plain, received + PG_EPOCH_US)
    for i in np.flatnonzero(~plain).tolist():
        block.flags[(int(block.point[i]), factors[int(block.fidx[i])], int(block.start_us[i]))] = \
            _flag_of(int(flag_code[i]))
    return block


#: The flag (varchar(2)) as one fixed-width number: length << 42 | first code point << 21 | second
#: (length 3 = NULL), so that the packed columns keep one width and the flag text comes back exactly.
_FLAG_CODE = ("(CASE WHEN flag IS NULL THEN 3::int8 << 42 ELSE (length(flag)::int8 << 42) "
              "| (coalesce(ascii(substr(flag, 1, 1)), 0)::int8 << 21) | coalesce(ascii(substr(flag, 2, 1)), 0)::int8 "
              "END)")
_FLAG_NULL = 3 << 42
_FLAG_N = (1 << 42) | (ord("N") << 21)
#: The NULL bits sit above the flag code (which uses bits 0–43).
_NULLS_SHIFT = 45
_PG_SERIES_SQL = _PG_SERIES.replace("{flag}", _FLAG_CODE).replace("{nulls_shift}", str(_NULLS_SHIFT))


def _flag_of(code: int) -> str | None:
    length = code >> 42
    if length == 3:
        return None
    return (chr((code >> 21) & 0x1FFFFF) + chr(code & 0x1FFFFF))[:length]


def _read_generic(conn: Connection, points: list[int], factors: list[str], lo: datetime,
                  hi: datetime) -> MinuteBlock:
    o = s.observations
    rows = conn.execute(select(o.c.point_id, o.c.factor_code, o.c.period_start, o.c.value, o.c.zs_value, o.c.min,
                               o.c.max, o.c.cou, o.c.flag, o.c.received_at).where(
        o.c.kind == "min", o.c.point_id.in_(points), o.c.factor_code.in_(factors), o.c.period_start >= lo,
        o.c.period_start < hi)).all()
    index = {f: i for i, f in enumerate(factors)}
    nan = float("nan")

    def num(i: int) -> np.ndarray:
        return np.array([nan if r[i] is None else r[i] for r in rows], dtype=np.float64)

    nulls = np.zeros(len(rows), dtype=np.int64)
    for bit, i in zip((NULL_VALUE, NULL_ZS, NULL_MIN, NULL_MAX, NULL_COU), range(3, 8)):
        nulls |= np.array([r[i] is None for r in rows], dtype=bool) * bit
    plain = np.array([r.flag is None or r.flag in ("N", "") for r in rows], dtype=bool)
    block = MinuteBlock(
        factors, np.array([r.point_id for r in rows], dtype=np.int64),
        np.array([index[r.factor_code] for r in rows], dtype=np.int64),
        np.array([us_of(r.period_start) for r in rows], dtype=np.int64),
        num(3), num(4), num(5), num(6), num(7), nulls, plain,
        np.array([us_of(r.received_at) for r in rows], dtype=np.int64))
    block.flags = {(r.point_id, r.factor_code, us_of(r.period_start)): r.flag for r, p in zip(rows, plain) if not p}
    return block
