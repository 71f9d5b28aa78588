"""Calibration records (zero/span checks) stored, from the API or a CSV file, and the out-of-control (失控)
periods they make: the data of a factor are invalid from a failed check until every kind that failed has passed
again (:func:`..rules.calibration.out_of_control_periods`).

A failed check raises ``ALM-OM-CAL-OUT-OF-CONTROL`` for the point and factor; the passing check that ends the
period clears it (through the core alarms, :mod:`ecosentry.alarms.store`).

**What monitoring sees** (issue 18 item 3): :func:`invalid_periods_of_points` answers the contract's
``Subsystem.invalid_periods`` (many points at once, the out-of-control stretches overlapping a time range); the
monitoring subsystem's hourly validity, days, rates and HJ 75 substitution (cause ``out_of_control``) consult it.
After a filing changed a series' periods, :func:`record_checks` tells the consumers through
``Subsystem.invalid_periods_changed`` (:func:`ecosentry.pipeline.invalid_periods.announce_changes`), so hours
computed before the check was filed are recomputed. :func:`invalid_periods` answers one series (the API).

CSV (``point,factor,time,kind,result,drift_pct`` and optionally ``analyser,reading,reference``; the point by
MN; times ISO 8601, without offset = the point's local time): the whole file is checked first; one bad line
refuses the file with the line and the reason, nothing stored. Re-importing stores nothing twice (key: point,
factor, kind, time).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select, true

from ecosentry.alarms import store as alarm_store
from ecosentry.contracts.subsystem import InvalidPeriod, PeriodChange
from ecosentry.pipeline.invalid_periods import announce_changes
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.alarms import OUT_OF_CONTROL
from ecosentry.subsystems.om.rules.calibration import (CalibrationCheck, CalibrationSettings, OutOfControl,
                                                       out_of_control_periods, verdict)
from ecosentry.subsystems.om.schema import om_calibrations as cal

__all__ = ["CheckIn", "CalibrationRefused", "record_checks", "parse_csv", "invalid_periods", "checks_of",
           "invalid_periods_of_points", "changed_spans"]

KINDS = ("zero", "span")
RESULTS = ("pass", "fail")
CSV_REQUIRED = ("point", "factor", "time", "kind", "result")


class CalibrationRefused(Said):
    """A calibration record that cannot be stored; ``where`` names the line or item."""


@dataclass(frozen=True)
class CheckIn:
    """One check as it comes in (the point by id)."""

    point_id: int
    factor: str
    at: datetime
    kind: str
    result: str
    drift_pct: float | None = None
    analyser: str | None = None
    reading: float | None = None
    reference: float | None = None


def _check(c: CheckIn, where: Said, known: set[tuple[int, str]] | None) -> None:
    if c.kind not in KINDS:
        raise CalibrationRefused(N_("%(where)s: kind must be zero or span, not %(value)s"), where=where,
                                 value=repr(c.kind))
    if c.result not in RESULTS:
        raise CalibrationRefused(N_("%(where)s: result must be pass or fail, not %(value)s"), where=where,
                                 value=repr(c.result))
    if c.at.tzinfo is None:
        raise CalibrationRefused(N_("%(where)s: the time needs an offset"), where=where)
    if known is not None and (c.point_id, c.factor) not in known:
        raise CalibrationRefused(N_("%(where)s: factor %(factor)s is not monitored at this point"), where=where,
                                 factor=c.factor)


def _known(conn: Connection, point_ids: Iterable[int]) -> set[tuple[int, str]]:
    pf = s.point_factors
    return {(p, f) for p, f in conn.execute(select(pf.c.point_id, pf.c.factor_code)
                                            .where(pf.c.point_id.in_(sorted(set(point_ids)))))}


def checks_of(conn: Connection, point_id: int, factor: str | None = None) -> list[CalibrationCheck]:
    q = select(cal.c.point_id, cal.c.factor_code, cal.c.at, cal.c.kind, cal.c.result, cal.c.drift_pct).where(
        cal.c.point_id == point_id)
    if factor is not None:
        q = q.where(cal.c.factor_code == factor)
    return [CalibrationCheck(str(r.point_id), r.factor_code, r.at, r.kind, r.result, r.drift_pct)
            for r in conn.execute(q.order_by(cal.c.at))]


def record_checks(engine: Engine, checks: Sequence[CheckIn], *, source: str, actor: str | None,
                  settings: CalibrationSettings, now: datetime | None = None) -> dict[str, int]:
    """Store the checks (all or none) and raise or clear the out-of-control alarms of the series they touch;
    ``{"stored": n, "already": m, "out_of_control": open periods}``."""
    now = now or datetime.now(timezone.utc)
    stored = 0
    series = sorted({(c.point_id, c.factor) for c in checks})
    with engine.begin() as conn:
        known = _known(conn, (c.point_id for c in checks))
        for i, c in enumerate(checks, start=1):
            _check(c, Said(N_("record %(n)s"), n=i), known)
        before = {k: out_of_control_periods(checks_of(conn, *k), now, settings) for k in series}
        for c in checks:
            row = {"point_id": c.point_id, "factor_code": c.factor, "analyser": c.analyser, "kind": c.kind, "at": c.at,
                   "reading": c.reading, "reference": c.reference, "drift_pct": c.drift_pct, "result": c.result,
                   "verdict": verdict(CalibrationCheck(str(c.point_id), c.factor, c.at, c.kind, c.result,
                                                       c.drift_pct), settings),
                   "source": source, "recorded_by": actor, "recorded_at": now}
            new = conn.execute(insert_for(conn, cal).values(**row).on_conflict_do_nothing(
                index_elements=[cal.c.point_id, cal.c.factor_code, cal.c.kind, cal.c.at]).returning(cal.c.id)).first()
            stored += new is not None
    open_periods = 0
    changes: list[PeriodChange] = []
    for point_id, factor in series:
        with engine.connect() as conn:
            periods = out_of_control_periods(checks_of(conn, point_id, factor), now, settings)
        changes.extend(PeriodChange(point_id, factor, a, b)
                       for a, b in changed_spans(before[(point_id, factor)], periods))
        still = [p for p in periods if not p.closed]
        open_periods += len(still)
        origin = {"type": OUT_OF_CONTROL, "source_type": "point", "source_id": f"{point_id}:{factor}"}
        if still:
            p = still[0]
            alarm_store.raise_alarm(engine, **origin, severity=None, title="", point_id=point_id,
                                    factor_codes=[factor], at=now, explanation=None,
                                    evidence={"factor": factor, "since": p.start.isoformat(), "checks": list(p.checks)})
        else:
            alarm_store.clear_by_data(engine, **origin, at=now,
                                      explanation="a passing check ended the out-of-control period")
    # the data computed before the check was filed (the normal case) are recomputed by their consumers
    announce_changes(engine, changes)
    return {"stored": stored, "already": len(checks) - stored, "out_of_control": open_periods}


def changed_spans(before: Sequence[OutOfControl], after: Sequence[OutOfControl]) -> list[tuple[datetime, datetime]]:
    """The stretches covered by exactly one of the two lists of periods (what a filing changed), merged: a
    passing check where nothing failed changes nothing; a failure filed after the fact changes its period."""
    edges = sorted({t for p in (*before, *after) for t in (p.start, p.end)})

    def inside(periods: Sequence[OutOfControl], a: datetime, b: datetime) -> bool:
        return any(p.start <= a and p.end >= b for p in periods)

    out: list[tuple[datetime, datetime]] = []
    for a, b in zip(edges, edges[1:]):
        if inside(before, a, b) != inside(after, a, b):
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out


def _float(row: dict, key: str, where: Said) -> float | None:
    text = (row.get(key) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise CalibrationRefused(N_("%(where)s: %(field)s must be a number, not %(value)s"), where=where, field=key,
                                 value=repr(text)) from None


def parse_csv(conn: Connection, text: str, default_tz: str) -> list[CheckIn]:
    """The checks of a CSV file (see the module's doc); :class:`CalibrationRefused` naming the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise CalibrationRefused(N_("the CSV lacks the columns %(columns)s"), columns=", ".join(missing))
    points: dict[str, tuple[int, str]] = {}
    out = []
    for n, row in enumerate(reader, start=2):
        where = Said(N_("CSV line %(line)s"), line=n)
        row = {k: (v or "").strip() for k, v in row.items() if k}
        mn = row["point"]
        if mn not in points:
            p = conn.execute(select(s.points.c.id, s.points.c.tz).where(s.points.c.mn == mn)).first()
            if p is None:
                raise CalibrationRefused(N_("%(where)s: no point with MN %(mn)s"), where=where, mn=repr(mn))
            points[mn] = (p.id, p.tz or default_tz)
        pid, tz = points[mn]
        try:
            at = datetime.fromisoformat(row["time"])
        except ValueError:
            raise CalibrationRefused(N_("%(where)s: time must be ISO 8601, not %(value)s"), where=where,
                                     value=repr(row["time"])) from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(tz))
        c = CheckIn(pid, row["factor"], at, row["kind"].lower(), row["result"].lower(),
                    _float(row, "drift_pct", where), row.get("analyser") or None, _float(row, "reading", where),
                    _float(row, "reference", where))
        _check(c, where, None)
        out.append(c)
    return out


def invalid_periods(conn: Connection, point_id: int, factor: str, start: datetime, end: datetime,
                    now: datetime, settings: CalibrationSettings | None = None) -> list[tuple[datetime, datetime]]:
    """The out-of-control stretches of ``factor`` at ``point_id`` overlapping ``[start, end)`` (an open one runs
    to ``now``): the data in them are invalid (HJ 75-2017 §12; issue 18 item 3)."""
    if settings is None:   # the deployment's section ``om`` when the settings have it
        settings = _deployment_settings()
    periods: list[OutOfControl] = out_of_control_periods(checks_of(conn, point_id, factor), now, settings)
    return [(p.start, p.end) for p in periods if p.start < end and p.end > start]



def _deployment_settings() -> CalibrationSettings:
    from ecosentry.settings import get_settings
    section = getattr(get_settings(), "om", None)
    return section.calibration if section is not None else CalibrationSettings()


def invalid_periods_of_points(conn: Connection, point_ids: Sequence[int], start: datetime, end: datetime,
                              now: datetime, settings: CalibrationSettings | None = None) -> list[InvalidPeriod]:
    """The contract's ``Subsystem.invalid_periods``: the out-of-control stretches of every factor of
    ``point_ids`` within ``[start, end)`` (clipped to it; an open one runs to ``now``).

    Cheap on the ingest path (every flush asks for the points it recomputes): the state of each series at
    ``start`` is the verdict of its last zero and its last span check before ``start`` (a kind is failing exactly
    when its last check failed; one index seek each), then the checks within the range are replayed with the
    rule (:func:`out_of_control_periods`). With ``out_of_control_from = last_pass`` a later failure reaches back to
    an earlier pass, so the whole history of the points is replayed instead."""
    settings = settings or _deployment_settings()
    ids = sorted(set(point_ids))
    if not ids or start >= end:
        return []
    cols = (cal.c.point_id, cal.c.factor_code, cal.c.at, cal.c.kind, cal.c.result, cal.c.drift_pct)
    if settings.out_of_control_from == "last_pass":
        checks = [_check_of(r) for r in conn.execute(select(*cols).where(cal.c.point_id.in_(ids)))]
        return _clipped(out_of_control_periods(checks, now, settings), start, end)
    # the state at ``start``: the last zero and span check of every series before it (index seeks of the key;
    # PostgreSQL: one seek a series and kind through LATERAL, SQLite: one a column)
    pf = s.point_factors
    last_cols = (cal.c.at, cal.c.result, cal.c.drift_pct)

    def last(kind: str):
        return (select(*last_cols).where(cal.c.point_id == pf.c.point_id, cal.c.factor_code == pf.c.factor_code,
                                         cal.c.kind == kind, cal.c.at < start)
                .order_by(cal.c.at.desc()).limit(1))

    if conn.dialect.name == "postgresql":
        laterals = [last(k).lateral(f"last_{k}") for k in KINDS]
        source = pf
        for lat in laterals:
            source = source.outerjoin(lat, true())
        q = select(pf.c.point_id, pf.c.factor_code, *(c for lat in laterals for c in lat.c)).select_from(source)
    else:
        q = select(pf.c.point_id, pf.c.factor_code,
                   *(last(k).with_only_columns(c).scalar_subquery() for k in KINDS for c in last_cols))
    checks: list[CalibrationCheck] = []
    failing: set[tuple[str, str]] = set()
    for r in conn.execute(q.where(pf.c.point_id.in_(ids))):
        for i, kind in enumerate(KINDS):
            at, result, drift = r[2 + 3 * i:5 + 3 * i]
            if result is not None:
                c = CalibrationCheck(str(r[0]), r[1], at, kind, result, drift)
                checks.append(c)
                if verdict(c, settings) == "fail":
                    failing.add((c.point, c.factor))
    # the range's checks: an index range each point (ix_om_calibrations_point_at)
    window = [_check_of(r) for r in conn.execute(
        select(*cols).where(cal.c.point_id.in_(ids), cal.c.at >= start, cal.c.at < end))]
    failing |= {(c.point, c.factor) for c in window if verdict(c, settings) == "fail"}
    # only a series failing at ``start`` or within the range can be out of control in it
    replay = [c for c in (*checks, *window) if (c.point, c.factor) in failing]
    return _clipped(out_of_control_periods(replay, now, settings), start, end)


def _check_of(r) -> CalibrationCheck:
    return CalibrationCheck(str(r.point_id), r.factor_code, r.at, r.kind, r.result, r.drift_pct)


def _clipped(periods: Sequence[OutOfControl], start: datetime, end: datetime) -> list[InvalidPeriod]:
    return [InvalidPeriod(int(p.point), p.factor, max(p.start, start), min(p.end, end))
            for p in periods if p.start < end and p.end > start]
