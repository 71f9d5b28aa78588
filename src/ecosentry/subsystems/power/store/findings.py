"""What the engine writes to ``power_findings``: the stored findings of an enterprise it reconciles with, and the
rows it inserts, updates and closes (:mod:`..rules.reconcile`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, or_, select, update

from ecosentry.store import audit
from ecosentry.subsystems.power.rules.reconcile import Action, finding_key, utc
from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.schema import power_findings

__all__ = ["stored_findings", "open_since", "apply", "set_alarm"]

f_ = power_findings


def stored_findings(conn: Connection, enterprise_id: int, since: datetime) -> list[dict]:
    """The enterprise's findings that are open or end at/after ``since`` (what an evaluation may touch)."""
    return [dict(r) for r in conn.execute(select(f_).where(
        f_.c.enterprise_id == enterprise_id, or_(f_.c.end_at.is_(None), f_.c.end_at >= since))
        .order_by(f_.c.start_at)).mappings()]


def open_since(conn: Connection, enterprise_id: int) -> datetime | None:
    """The start of the enterprise's oldest open finding."""
    return conn.execute(select(func.min(f_.c.start_at)).where(f_.c.enterprise_id == enterprise_id,
                                                              f_.c.end_at.is_(None))).scalar()


def _values(f: Finding, end: datetime | None, now: datetime, severity: str) -> dict:
    return {"severity": severity, "end_at": end, "params": audit.jsonable({"msgid": f.msgid, **f.params}),
            "evidence": audit.jsonable(f.evidence), "updated_at": now}


def apply(conn: Connection, enterprise_id: int, actions: list[Action], now: datetime) -> list[dict]:
    """Write the actions; returns per action the finding row after it (with ``id``), in order."""
    rows = []
    for a in actions:
        if a.kind == "insert":
            f = a.finding
            values = {"enterprise_id": enterprise_id, "code": f.code, "key": finding_key(f),
                      "start_at": f.start, "detected_at": f.detected_at,
                      "alert_id": (f.evidence or {}).get("alert_id"), **_values(f, a.end, now, f.severity)}
            values["id"] = conn.execute(insert(f_).values(**values)).inserted_primary_key[0]
            rows.append(values | {"alarm_id": None})
        elif a.kind == "update":
            f = a.finding
            values = _values(f, a.end, now, f.severity)
            if utc(f.detected_at) < utc(a.row["detected_at"]):
                values["detected_at"] = f.detected_at
            conn.execute(update(f_).where(f_.c.id == a.row["id"]).values(**values))
            rows.append(a.row | values)
        else:
            conn.execute(update(f_).where(f_.c.id == a.row["id"]).values(end_at=a.end, updated_at=now))
            rows.append(a.row | {"end_at": a.end, "updated_at": now})
    return rows


def set_alarm(conn: Connection, finding_id: int, alarm_id: int) -> None:
    conn.execute(update(f_).where(f_.c.id == finding_id).values(alarm_id=alarm_id))
