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
from ecosentry.store.upsert import upsert

__all__ = ["LOG_COLUMNS", "MappingRow", "record_files", "record_files_in", "archived_seqs", "previous_accepted", "accepted_file_times",
           "stations_with_files", "load_mappings", "set_mapping", "delete_mapping", "factor_units"]

f_ = ms.vn_files
m_ = ms.vn_parameter_map

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

    The canonical value is ``raw × scale + offset`` in the factor's catalogue unit.
    """

    point_id: int
    raw_name: str
    raw_unit: str
    name_key: str
    unit_key: str
    factor_code: str
    scale: float = 1.0
    offset: float = 0.0


def load_mappings(engine: Engine) -> dict[int, list[MappingRow]]:
    """Every station rule, by point id."""
    out: dict[int, list[MappingRow]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(m_).order_by(m_.c.point_id, m_.c.id)).mappings():
            out.setdefault(r["point_id"], []).append(MappingRow(
                r["point_id"], r["raw_name"], r["raw_unit"], r["name_key"], r["unit_key"], r["factor_code"],
                r["scale"], r["offset"]))
    return out


def set_mapping(engine: Engine, row: MappingRow) -> None:
    """Create or replace the rule of ``(point, name_key, unit_key)``."""
    with engine.begin() as conn:
        upsert(conn, m_, [{"point_id": row.point_id, "raw_name": row.raw_name, "raw_unit": row.raw_unit,
                           "name_key": row.name_key, "unit_key": row.unit_key, "factor_code": row.factor_code,
                           "scale": row.scale, "offset": row.offset}],
               ["point_id", "name_key", "unit_key"], ["raw_name", "raw_unit", "factor_code", "scale", "offset"])


def delete_mapping(engine: Engine, point_id: int, name_key: str, unit_key: str = "") -> bool:
    """Remove one station rule; returns whether it existed."""
    with engine.begin() as conn:
        res = conn.execute(delete(m_).where(and_(m_.c.point_id == point_id, m_.c.name_key == name_key,
                                                 m_.c.unit_key == unit_key)))
        return res.rowcount > 0


def factor_units(engine: Engine) -> dict[str, str | None]:
    """Factor code → catalogue unit (``None`` = dimensionless), from the seeded factor catalogue."""
    with engine.connect() as conn:
        return dict(conn.execute(select(s.factors.c.code, s.factors.c.unit)).all())
