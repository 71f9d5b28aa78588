"""Vietnamese station files in the database: the file log (``vn_files``) and the parameter mapping table.

The file log keeps one row per file received (FTP or folder), whatever became of it: accepted, duplicate,
rejected or quarantined, with its timeliness (Circular 10/2021/TT-BTNMT Art. 39: at the latest 5 minutes after
the result; reference notes §7.2) and the lines that did not become readings. The mapping table translates a
station's free-text parameter names and units to canonical HJ 212 factor codes (subsystems.md §7 req. 34).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, delete, select

from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.store.fit import fit_field, text_limits
from ecosentry.store import audit
from ecosentry.store.upsert import insert_for, upsert

__all__ = ["LOG_COLUMNS", "MappingRow", "record_files", "record_files_in", "archived_seqs", "previous_accepted", "accepted_file_times",
           "stations_with_files", "load_mappings", "set_mapping", "delete_mapping", "factor_units", "MAPPING_FIELDS",
           "MappingTooLong", "check_lengths", "get_mapping", "mapping_version", "point_standards",
           "MAPPABLE_REASONS", "record_unmapped_in"]

f_ = ms.vn_files
m_ = ms.vn_parameter_map
u_ = ms.vn_unmapped

#: Columns a log row may carry (everything but the id).
LOG_COLUMNS = tuple(c.name for c in f_.columns if c.name != "id")
#: Text columns of the file log and their lengths: a station key or name too long is cut, never refused (a
#: refused row would make the sink set the whole file aside, see vn/sink.py).
LOG_TEXT_LIMITS = text_limits(f_)


def record_files(engine: Engine, rows: Sequence[dict]) -> int:
    """Insert file-log rows (keys from :data:`LOG_COLUMNS`); returns how many were written."""
    if not rows:
        return 0
    with engine.begin() as conn:
        return record_files_in(conn, rows)


def record_files_in(conn: Connection, rows: Sequence[dict]) -> int:
    """:func:`record_files` inside the caller's transaction (the sink writes the log with the observations)."""
    if not rows:
        return 0
    clean = [{k: fit_field(r.get(k), LOG_TEXT_LIMITS[k])[0] if k in LOG_TEXT_LIMITS else r.get(k)
              for k in LOG_COLUMNS} for r in rows]
    conn.execute(f_.insert(), clean)
    return len(clean)


def archived_seqs(conn: Connection, spool: str, seqs: Iterable[int]) -> set[int]:
    """The spool records among ``seqs`` already in the raw archive: a station file's record gets its
    ``raw_frames`` row in the transaction that writes its file-log row, so these were processed before (a
    replay after a crash between that commit and the spool cursor). Read on the unique (spool, spool_seq)."""
    wanted = list(seqs)
    if not wanted:
        return set()
    r = s.raw_frames
    return set(conn.scalars(select(r.c.spool_seq).where(r.c.spool == spool, r.c.spool_seq.in_(wanted))))


def previous_accepted(conn: Connection, station: str, file_name: str) -> str | None:
    """SHA-256 of the file of this name the station had accepted before, or ``None``.

    A file is identified by its station and name (the name carries the measurement time, reference notes §7.2).
    """
    return conn.execute(
        select(f_.c.sha256).where(f_.c.station == station, f_.c.file_name == file_name,
                                  f_.c.status == "accepted").order_by(f_.c.id).limit(1)).scalar()


def accepted_file_times(engine: Engine, point_ids: Iterable[int], start: datetime,
                        end: datetime) -> dict[int, list[datetime]]:
    """File times (UTC) of the accepted files of each point with ``start <= file_time < end``."""
    ids = list(point_ids)
    out: dict[int, list[datetime]] = {pid: [] for pid in ids}
    if not ids:
        return out
    with engine.connect() as conn:
        rows = conn.execute(select(f_.c.point_id, f_.c.file_time).where(
            f_.c.point_id.in_(ids), f_.c.status == "accepted", f_.c.file_time >= start, f_.c.file_time < end))
        for pid, t in rows:
            out[pid].append(t)
    return out


def stations_with_files(engine: Engine) -> dict[int, datetime]:
    """Points that have sent at least one accepted file: point id → time of their first accepted file (UTC).

    These are the stations on the file-transmission path, watched for missing files.
    """
    from sqlalchemy import func

    with engine.connect() as conn:
        rows = conn.execute(select(f_.c.point_id, func.min(f_.c.received_at)).where(
            f_.c.point_id.is_not(None), f_.c.status == "accepted").group_by(f_.c.point_id))
        return {pid: t for pid, t in rows}


# --------------------------------------------------------------------------- parameter mapping

@dataclass(frozen=True)
class MappingRow:
    """One station's rule: ``raw_name`` (and ``raw_unit``; empty = any unit) → ``factor_code``.

    The canonical value is ``raw × scale + offset`` in the factor's catalogue unit, then ``conversion``
    (``vn/mapping.py`` ``CONVERSIONS``; ``ignore`` with no factor: the line is deliberately not a factor).
    """

    point_id: int
    raw_name: str
    raw_unit: str
    name_key: str
    unit_key: str
    factor_code: str | None
    scale: float = 1.0
    offset: float = 0.0
    conversion: str | None = None
    note: str | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in MAPPING_FIELDS}


MAPPING_FIELDS = ("point_id", "raw_name", "raw_unit", "name_key", "unit_key", "factor_code", "scale", "offset",
                  "conversion", "note", "changed_at", "changed_by")
#: Text columns of the mapping and their lengths: a value longer than its column is refused (MappingTooLong).
MAPPING_TEXT_LIMITS = text_limits(m_)


class MappingTooLong(ValueError):
    """A name, unit or note longer than its column (say so; never a database error)."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        self.field, self.length, self.limit = field, length, limit
        super().__init__(f"{field} has {length} characters; at most {limit} are kept")


def _row(r) -> MappingRow:
    return MappingRow(**{k: r[k] for k in MAPPING_FIELDS})


def load_mappings(engine: Engine) -> dict[int, list[MappingRow]]:
    """Every station rule, by point id."""
    out: dict[int, list[MappingRow]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(m_).order_by(m_.c.point_id, m_.c.id)).mappings():
            out.setdefault(r["point_id"], []).append(_row(r))
    return out


def mapping_version(engine: Engine) -> tuple:
    """What changes whenever a rule is added, edited or removed: (count, greatest id, last edit time)."""
    from sqlalchemy import func

    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count(), func.max(m_.c.id), func.max(m_.c.changed_at))).one())


def check_lengths(row: MappingRow) -> None:
    """Raise :class:`MappingTooLong` for a text longer than its column."""
    for k in ("raw_name", "raw_unit", "name_key", "unit_key", "note", "changed_by", "conversion", "factor_code"):
        v, limit = getattr(row, k), MAPPING_TEXT_LIMITS.get(k)
        if v is not None and limit is not None and len(v) > limit:
            raise MappingTooLong(k, len(v), limit)


def get_mapping(conn: Connection, point_id: int, name_key: str, unit_key: str) -> MappingRow | None:
    r = conn.execute(select(m_).where(m_.c.point_id == point_id, m_.c.name_key == name_key,
                                      m_.c.unit_key == unit_key)).mappings().first()
    return None if r is None else _row(r)


def set_mapping(engine: Engine, row: MappingRow, *, actor: str | None = None) -> MappingRow | None:
    """Create or replace the rule of ``(point, name_key, unit_key)``; with ``actor`` the change is written to
    the audit log (entity ``point``, action ``vn_map_parameter``) in the same transaction. Returns the rule
    it replaced, if any. Raises :class:`MappingTooLong` before touching the database."""
    check_lengths(row)
    with engine.begin() as conn:
        before = get_mapping(conn, row.point_id, row.name_key, row.unit_key)
        values = row.as_dict()
        upsert(conn, m_, [values], ["point_id", "name_key", "unit_key"],
               [k for k in MAPPING_FIELDS if k not in ("point_id", "name_key", "unit_key")])
        if actor is not None:
            audit.record(conn, actor, "vn_map_parameter", "point", row.point_id,
                         before.as_dict() if before else None, values)
        return before


def delete_mapping(engine: Engine, point_id: int, name_key: str, unit_key: str = "", *,
                   actor: str | None = None) -> bool:
    """Remove one station rule (audited with ``actor``); returns whether it existed."""
    with engine.begin() as conn:
        before = get_mapping(conn, point_id, name_key, unit_key)
        res = conn.execute(delete(m_).where(and_(m_.c.point_id == point_id, m_.c.name_key == name_key,
                                                 m_.c.unit_key == unit_key)))
        if before is not None and actor is not None:
            audit.record(conn, actor, "vn_unmap_parameter", "point", point_id, before.as_dict(), None)
        return res.rowcount > 0


def point_standards(engine: Engine) -> dict[int, str]:
    """Point id → the ``standard`` text of one of its limits that names a QCVN (``QCVN 19:2009/BTNMT …``)."""
    lim = s.limits
    out: dict[int, str] = {}
    with engine.connect() as conn:
        for pid, std in conn.execute(select(lim.c.point_id, lim.c.standard).where(
                lim.c.standard.like("QCVN%")).order_by(lim.c.point_id, lim.c.valid_from.desc())):
            out.setdefault(pid, std)
    return out


# --------------------------------------------------------------------------- unmapped names and units

#: Reasons of a left-out line that the officer can do something about on the mapping page.
MAPPABLE_REASONS = ("unknown_parameter", "unit", "no_conditions")
UNMAPPED_TEXT_LIMITS = text_limits(u_)


def record_unmapped_in(conn: Connection, point_id: int, received_at: datetime, file_name: str,
                       left_out: Iterable[dict]) -> int:
    """Count the lines of one file that did not become a factor, per (name, unit): one row per station, name
    and unit, its count incremented (PostgreSQL and SQLite ``ON CONFLICT``). ``left_out`` items carry
    ``parameter``, ``unit``, ``reason``, ``name_key``, ``unit_key`` (and ``value``). Names and units longer
    than the columns are cut (the file keeps the whole line)."""
    counts: dict[tuple[str, str], dict] = {}
    for u in left_out:
        if u.get("reason") not in MAPPABLE_REASONS:
            continue
        raw_name, raw_unit = str(u.get("parameter") or ""), str(u.get("unit") or "")
        key = (fit_field(u["name_key"], UNMAPPED_TEXT_LIMITS["name_key"])[0],
               fit_field(u["unit_key"], UNMAPPED_TEXT_LIMITS["unit_key"])[0])
        row = counts.setdefault(key, {
            "point_id": point_id, "name_key": key[0], "unit_key": key[1],
            "raw_name": fit_field(raw_name, UNMAPPED_TEXT_LIMITS["raw_name"])[0],
            "raw_unit": fit_field(raw_unit, UNMAPPED_TEXT_LIMITS["raw_unit"])[0],
            "reason": u["reason"], "n_lines": 0, "first_seen": received_at, "last_seen": received_at,
            "last_file": fit_field(file_name, UNMAPPED_TEXT_LIMITS["last_file"])[0], "last_value": u.get("value")})
        row["n_lines"] += 1
    if not counts:
        return 0
    stmt = insert_for(conn, u_)
    stmt = stmt.on_conflict_do_update(
        index_elements=["point_id", "name_key", "unit_key"],
        set_={"n_lines": u_.c.n_lines + stmt.excluded.n_lines, "last_seen": stmt.excluded.last_seen,
              "raw_name": stmt.excluded.raw_name, "raw_unit": stmt.excluded.raw_unit,
              "reason": stmt.excluded.reason, "last_file": stmt.excluded.last_file,
              "last_value": stmt.excluded.last_value})
    conn.execute(stmt, list(counts.values()))
    return len(counts)


def factor_units(engine: Engine) -> dict[str, str | None]:
    """Factor code → catalogue unit (``None`` = dimensionless), from the seeded factor catalogue."""
    with engine.connect() as conn:
        return dict(conn.execute(select(s.factors.c.code, s.factors.c.unit)).all())
