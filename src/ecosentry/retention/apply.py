"""The retention pass over the database: drop expired monthly partitions, delete the other expired rows in
batches, audit what went (issue 19 item 4).

On PostgreSQL a monthly partition of ``observations`` whose month ended before the cut-off of every kind is
dropped whole (no row by row delete, no vacuum debt); rows of the kinds kept shorter (real-time values) are
deleted from the partitions that stay, a batch of ``batch_rows`` per statement by physical row address, each
batch its own transaction so no lock is held long and an interrupted pass resumes where it stopped. A monthly
partition of ``raw_frames`` whose month ended before the raw data's cut-off (never less than the legal 60 months)
is dropped whole the same way; what is left expired (in its default partition) is deleted in batches. The derived
values and the quarantine are deleted in batches the same way (SQLite by ``rowid``, ``raw_frames`` too). One audit
entry per pass (actor ``retention``, entity ``store``) records the cut-offs, the partitions dropped and the rows
deleted per table and kind; a dry run counts instead and writes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import Connection, Engine, text

from ecosentry.retention.policy import KINDS, Cutoffs, cutoffs
from ecosentry.retention.settings import RetentionSettings
from ecosentry.store import audit
from ecosentry.store.partitions import RAW_TABLE, TABLE, month_start

log = logging.getLogger(__name__)

__all__ = ["RetentionReport", "run_retention", "wanted_months"]

_PARTITION = re.compile(r"^(\w+)_y(\d{4})m(\d{2})$")


@dataclass
class RetentionReport:
    now: datetime
    cutoffs: Cutoffs
    dry_run: bool
    #: Partitions dropped (or that would be), with their estimated rows.
    dropped: dict[str, int] = field(default_factory=dict)
    #: Rows deleted (or that would be) per "table" or "observations:<kind>".
    deleted: dict[str, int] = field(default_factory=dict)


def wanted_months(st: RetentionSettings) -> dict[str, int]:
    return {"rtd": st.rtd_months, "min": st.min_months, "hour": st.hour_months, "day": st.day_months,
            "state": st.state_months, "runtime": st.runtime_months, "derived": st.derived_months,
            "raw": st.raw_months}


def _partitions(conn: Connection, table: str) -> list[tuple[str, date | None]]:
    """The children of ``table`` with the first day of their month (None for the default one)."""
    names = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(t)s", {"t": table}).scalars()
    out = []
    for name in names:
        m = _PARTITION.match(name)
        monthly = m is not None and m.group(1) == table
        out.append((name, date(int(m.group(2)), int(m.group(3)), 1) if monthly else None))
    return sorted(out, key=lambda x: (x[1] is None, x[1] or date.min))


def _batched(engine: Engine, table: str, where: str, params: dict, batch: int, dry_run: bool) -> int:
    """Delete the rows of ``table`` matching ``where`` a batch at a time (or count them when ``dry_run``)."""
    if dry_run:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())
    key = "ctid" if engine.dialect.name == "postgresql" else "rowid"
    if key == "ctid":
        stmt = text(f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {where} "
                    f"LIMIT :batch))")
    else:
        stmt = text(f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT :batch)")
    total = 0
    while True:
        with engine.begin() as conn:
            n = conn.execute(stmt, {**params, "batch": batch}).rowcount
        total += n
        if n < batch:
            return total


def _drop_partitions(engine: Engine, table: str, cutoff: datetime, report: RetentionReport) -> list[str]:
    """Drop the monthly partitions of ``table`` whose month ended at or before ``cutoff`` (wholly expired); the
    names of those that stay (and the default one)."""
    with engine.connect() as conn:
        parts = _partitions(conn, table)
    keep = []
    for name, first in parts:
        if first is not None and datetime.combine(month_start(first, 1), datetime.min.time(),
                                                  timezone.utc) <= cutoff:
            with engine.begin() as conn:
                rows = int(conn.exec_driver_sql("SELECT reltuples::bigint FROM pg_class WHERE relname = %(n)s",
                                                {"n": name}).scalar_one() or 0)
                if not report.dry_run:
                    conn.exec_driver_sql(f"DROP TABLE {name}")
            report.dropped[name] = max(rows, 0)
        else:
            keep.append(name)
    return keep


def run_retention(engine: Engine, now: datetime, settings: RetentionSettings, *, dry_run: bool = False,
                  actor: str = "retention") -> RetentionReport:
    """One pass at ``now``: what the settings (raised to the floors) let go, dropped and deleted; audited."""
    cut = cutoffs(now, wanted_months(settings))
    report = RetentionReport(now, cut, dry_run)
    batch = settings.batch_rows
    pg = engine.dialect.name == "postgresql"
    children = _drop_partitions(engine, TABLE, cut.observations_partition, report) if pg else [TABLE]
    for kind in KINDS:
        n = 0
        for child in children:
            n += _batched(engine, child, "kind = :kind AND period_start < :cutoff",
                          {"kind": kind, "cutoff": cut.by_kind[kind]}, batch, dry_run)
        report.deleted[f"observations:{kind}"] = n
    # a physical row address is unique within one table only: a partitioned table is deleted from child by child
    raw_children = _drop_partitions(engine, RAW_TABLE, cut.by_kind["raw"], report) if pg else [RAW_TABLE]
    report.deleted[RAW_TABLE] = sum(_batched(engine, child, "received_at < :cutoff", {"cutoff": cut.by_kind["raw"]},
                                             batch, dry_run) for child in raw_children)
    for table, column, kind in (("hourly_values", "period_start", "derived"),
                                ("derived_periods", "period_start", "derived"), ("quarantine", "received_at", "raw")):
        report.deleted[table] = _batched(engine, table, f"{column} < :cutoff", {"cutoff": cut.by_kind[kind]},
                                         batch, dry_run)
    if not dry_run:
        with engine.begin() as conn:
            audit.record(conn, actor, "retention", "store", None, None, {
                "now": now.isoformat(), "months": cut.months,
                "cutoffs": {k: v.isoformat() for k, v in cut.by_kind.items()},
                "floors_applied": [str(r) for r in cut.raised],
                "partitions_dropped": report.dropped, "rows_deleted": report.deleted})
    for r in cut.raised:
        log.warning("%s", r)
    log.info("retention at %s%s: partitions %s, rows %s", now.isoformat(), " (dry run)" if dry_run else "",
             report.dropped, report.deleted)
    return report
