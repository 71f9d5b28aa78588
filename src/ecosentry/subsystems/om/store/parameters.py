"""Instrument parameters: the registered (备案) values (fleet key ``om: parameters``), the values loggers report
over HJ 212 (CN 3020, :mod:`..pipeline.sink`), and the check of a point's reports against its registered values
(``OM-PARAM-CHANGE-NO-ORDER``, :func:`..rules.consistency.parameter_changes`): each run of reports unlike the
registered value that began with no work order at work is a stored finding (``om_findings``) and raises
``ALM-OM-PARAM-CHANGE`` (``<point id>:<factor>:<parameter>``) while the latest report still differs; the alarm is
cleared once the reports agree again (the registered value restored, or re-registered after the order).

``om_parameters`` keeps one row per point, factor and parameter: the registered value and the latest report;
``om_parameter_reports`` keeps every report (one row per point, factor, parameter and DataTime: a logger that sends
again stores nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, or_, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.alarms import PARAM_CHANGE
from ecosentry.subsystems.om.hj212_info import ParameterReport
from ecosentry.subsystems.om.rules.consistency import (ConsistencySettings, RegisteredParameter, ReportedParameter,
                                                       parameter_changes)
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.schema import om_findings as fd
from ecosentry.subsystems.om.schema import om_parameter_reports as pr
from ecosentry.subsystems.om.schema import om_parameters as pm
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.store.workorders import as_rule_order

__all__ = ["record_reports", "set_registered", "check_point", "store_findings", "subject_of"]

CODE = "OM-PARAM-CHANGE-NO-ORDER"


def subject_of(point_id: int, factor: str, name: str) -> str:
    return f"{point_id}:{factor}:{name}"


def record_reports(conn: Connection, point_id: int, reports: Sequence[ParameterReport], source: str,
                   received_at: datetime) -> int:
    """Store the reports (each once) and keep the latest in ``om_parameters``; how many were new."""
    new = 0
    for r in reports:
        stmt = insert_for(conn, pr).values(point_id=point_id, factor_code=r.factor, name=r.name, value=r.value,
                                           at=r.at, source=source, received_at=received_at)
        got = conn.execute(stmt.on_conflict_do_nothing(
            index_elements=[pr.c.point_id, pr.c.factor_code, pr.c.name, pr.c.at]).returning(pr.c.id)).first()
        if got is None:
            continue
        new += 1
        key = (pm.c.point_id == point_id, pm.c.factor_code == r.factor, pm.c.name == r.name)
        row = conn.execute(select(pm.c.id, pm.c.reported_at).where(*key)).first()
        if row is None:
            conn.execute(pm.insert().values(point_id=point_id, factor_code=r.factor, name=r.name, reported_value=r.value,
                                            reported_at=r.at, source=source))
        elif row.reported_at is None or row.reported_at <= r.at:
            conn.execute(update(pm).where(pm.c.id == row.id).values(reported_value=r.value, reported_at=r.at,
                                                                     source=source))
    return new


def set_registered(conn: Connection, point_id: int, factor: str, name: str, value: float) -> None:
    """The registered (备案) value of a parameter (the fleet's ``om: parameters``)."""
    key = (pm.c.point_id == point_id, pm.c.factor_code == factor, pm.c.name == name)
    row = conn.execute(select(pm.c.id).where(*key)).first()
    if row is None:
        conn.execute(pm.insert().values(point_id=point_id, factor_code=factor, name=name, registered_value=value))
    else:
        conn.execute(update(pm).where(pm.c.id == row.id).values(registered_value=value))


def store_findings(conn: Connection, findings: Sequence[Finding], point_id: int | None, subject: Callable,
                   now: datetime) -> int:
    """Upsert findings (key: code, subject, start); a run that grew keeps its row with the new end and evidence."""
    n = 0
    for f in findings:
        values = {"point_id": point_id, "end": f.end, "msgid": f.msgid, "params": f.params, "evidence": f.evidence,
                  "found_at": now}
        stmt = insert_for(conn, fd).values(code=f.code, subject=subject(f), start=f.start, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=[fd.c.code, fd.c.subject, fd.c.start],
                                                set_=values))
        n += 1
    return n


def check_point(engine: Engine, point_id: int, now: datetime, *, days: float, settings: ConsistencySettings,
                zone: ZoneInfo, raise_alarm: Callable | None = None) -> list[Finding]:
    """Run ``OM-PARAM-CHANGE-NO-ORDER`` over the point's reports of the last ``days``: findings stored, the alarm
    of each parameter raised while its latest report differs without an order, cleared once it agrees."""
    since = now - timedelta(days=days)
    margin = timedelta(hours=settings.order_margin_hours)
    key = str(point_id)
    with engine.connect() as conn:
        mn = conn.execute(select(s.points.c.mn).where(s.points.c.id == point_id)).scalar() or key
        registered = [RegisteredParameter(key, r.factor_code, r.name, r.registered_value) for r in conn.execute(
            select(pm.c.factor_code, pm.c.name, pm.c.registered_value).where(
                pm.c.point_id == point_id, pm.c.registered_value.is_not(None)))]
        reports = [ReportedParameter(key, r.factor_code, r.name, r.at, r.value) for r in conn.execute(
            select(pr.c.factor_code, pr.c.name, pr.c.at, pr.c.value).where(
                pr.c.point_id == point_id, pr.c.at >= since, pr.c.at <= now).order_by(pr.c.at))]
        orders = [as_rule_order(r) for r in conn.execute(select(wo).where(
            wo.c.point_id == point_id, wo.c.created_at <= now + margin,
            or_(wo.c.done_at.is_(None), wo.c.done_at >= since - margin))).mappings()]
    findings = parameter_changes(registered, reports, orders, now, settings, zone)
    # the sentence names the point by its MN, not the database id
    findings = [Finding(f.code, mn, f.start, f.end, f.msgid, {**f.params, "point": mn}, f.evidence) for f in findings]

    def subject(f: Finding) -> str:
        return subject_of(point_id, f.evidence["factor"], f.evidence["parameter"])

    with engine.begin() as conn:
        store_findings(conn, findings, point_id, subject, now)
    latest: dict[str, ReportedParameter] = {}
    for r in reports:
        latest[subject_of(point_id, r.factor, r.name)] = r
    open_subjects = {subject(f) for f in findings if latest.get(subject(f)) is not None
                     and f.end >= latest[subject(f)].time.astimezone(zone)}
    by_subject = {subject(f): f for f in findings}
    reg = {subject_of(point_id, r.factor, r.name): r.value for r in registered}
    for subj, last in latest.items():
        if subj in open_subjects:
            f = by_subject[subj]
            kwargs = dict(type=PARAM_CHANGE, source_type="point", source_id=subj, severity=None, title="",
                          explanation=f.explanation, point_id=point_id, at=now,
                          evidence={**f.evidence, "sentence": {"msgid": f.msgid, "params": f.params}})
            (raise_alarm or (lambda **k: alarm_store.raise_alarm(engine, **k)))(**kwargs)
        elif subj in reg and abs(last.value - reg[subj]) <= settings.parameter_tolerance * (abs(reg[subj]) or 1.0):
            alarm_store.clear_by_data(engine, type=PARAM_CHANGE, source_type="point", source_id=subj, at=now,
                                      explanation="the reported parameter agrees with its registered value again")
    return findings
