"""The supervision (督办) of alarms in the database: the steps of :mod:`ecosentry.alarms.disposal` written with
their time, actor and party, evidence files, the overdue claim of the escalation tick, and reading a case.

One case per alarm (``alarm_disposals``, unique ``alarm_id``); every step is an ``alarm_disposal_steps`` row,
an ``alarm_events`` row (the alarm's history shows it) and an ``audit_log`` row, written in one transaction
with the state change. The state change is a conditional ``UPDATE … WHERE state = <the state read>``: two
people taking a step at once cannot both succeed (the second gets :class:`DisposalConflict`), on SQLite and
PostgreSQL alike. A push also acknowledges an active alarm (the regulator has seen it: escalation stops); the
closing clears an alarm not yet cleared, with the conclusion as the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ecosentry.alarms.disposal import (MAX_FILES, Deadlines, DisposalConflict, DisposalError, check_evidence,
                                       check_text, due_after, feedback_due, party_of, transition)
from ecosentry.alarms.store import AlarmNotFound, record_event
from ecosentry.store import audit
from ecosentry.store import schema as s

__all__ = ["EVENT_OF_STEP", "take_step", "case", "evidence_file", "overdue_cases", "claim_overdue"]

d, st, fl, a = s.alarm_disposals, s.alarm_disposal_steps, s.alarm_disposal_files, s.alarms

#: The ``alarm_events`` kind each step writes (the alarm's history).
EVENT_OF_STEP = {"push": "pushed", "handle": "handled", "feedback": "feedback", "accept": "accepted",
                 "return": "returned", "close": "closed"}
#: The text each step takes, whether it is required, and the column it goes to.
_TEXT_OF_STEP = {"push": ("request", True), "handle": ("comment", False), "feedback": ("comment", False),
                 "accept": ("comment", False), "return": ("reason", True), "close": ("summary", True)}


def _aware(t: datetime | None) -> datetime:
    if t is None:
        return datetime.now(timezone.utc)
    if t.tzinfo is None:
        raise DisposalError("times must carry a time zone")
    return t.astimezone(timezone.utc)


def _alarm(conn: Connection, alarm_id: int) -> dict:
    row = conn.execute(select(a).where(a.c.id == alarm_id)).mappings().first()
    if row is None:
        raise AlarmNotFound("no alarm with id %(id)s", id=alarm_id)
    return dict(row)


def _case_row(conn: Connection, alarm_id: int, lock: bool = False) -> dict | None:
    q = select(d).where(d.c.alarm_id == alarm_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def take_step(engine: Engine, alarm_id: int, step: str, *, actor: str, role: str, deadlines: Deadlines,
              text: str | None = None, cause: str | None = None, measures: str | None = None,
              due: datetime | None = None, files: Sequence[tuple[str | None, bytes]] = (),
              max_file_bytes: int = 20_000_000, at: datetime | None = None) -> dict:
    """Take one step of the supervision of an alarm and return the case after it (:func:`case`).

    Parameters
    ----------
    step : {"push", "handle", "feedback", "accept", "return", "close"}
    actor, role : str
        The user name and account role (``regulator``, ``enterprise`` or ``admin``) of the person acting.
    text : str or None
        The request (push, required), a comment (handle, feedback, accept), the reason (return, required)
        or the conclusion (close, required).
    cause, measures : str or None
        The feedback's cause and measures taken (both required for a feedback).
    due : datetime or None
        Push only: the feedback deadline asked (default by the alarm's severity, :class:`Deadlines`).
    files : sequence of (file name, bytes)
        Feedback only: evidence files (checked by :func:`ecosentry.alarms.disposal.check_evidence`).

    Raises :class:`DisposalError` (bad text, file, deadline), :class:`DisposalConflict` (the step does not fit
    the state), :class:`DisposalForbidden` (the other party's step) or :class:`AlarmNotFound`.
    """
    at = _aware(at)
    actor = (actor or "")[:64]
    party = party_of(role, step)
    name, required = _TEXT_OF_STEP.get(step, ("comment", False))
    text = check_text(name, text, required=required)
    if step == "feedback":
        cause = check_text("cause", cause, required=True)
        measures = check_text("measures", measures, required=True)
        if len(files) > MAX_FILES:
            raise DisposalError("at most %(n)d evidence files per feedback", n=MAX_FILES)
        checked = [(*check_evidence(fname, bytes(data or b""), max_file_bytes), bytes(data)) for fname, data in files]
    else:
        cause = measures = None
        checked = []
        if files:
            raise DisposalError("evidence files go with the feedback")
    if due is not None and step != "push":
        raise DisposalError("only a push sets a feedback deadline")
    with engine.begin() as conn:
        alarm = _alarm(conn, alarm_id)
        before = _case_row(conn, alarm_id, lock=True)
        state = before["state"] if before else None
        target = transition(state, step, party)
        if step == "push":
            fb_due = feedback_due(alarm["severity"], at, deadlines, _aware(due) if due is not None else None)
            owed_due = due_after(target, alarm["severity"], at, deadlines, fb_due)
            try:
                case_id = int(conn.execute(insert(d).values(
                    alarm_id=alarm_id, state=target, request=text, pushed_by=actor, pushed_at=at,
                    feedback_due_at=fb_due, owed_by="enterprise", due_at=owed_due, since=at, rounds=0))
                    .inserted_primary_key[0])
            except IntegrityError:
                raise DisposalConflict("the alarm is already under supervision") from None
            if alarm["state"] == "active":  # the regulator has seen it: escalation and repeats stop
                conn.execute(update(a).where(a.c.id == alarm_id, a.c.state == "active")
                             .values(state="acknowledged", acknowledged_at=at, acknowledged_by=actor))
                record_event(conn, alarm_id, "acknowledged", at, actor, None, {"by": "supervision"})
        else:
            case_id = before["id"]
            owed_due = due_after(target, alarm["severity"], at, deadlines, before["feedback_due_at"])
            values: dict[str, Any] = {
                "state": target, "since": at, "due_at": owed_due, "overdue_notified_at": None,
                "owed_by": {"pushed": "enterprise", "handling": "enterprise", "returned": "enterprise",
                            "feedback": "regulator", "verified": "regulator"}.get(target)}
            if step == "feedback":
                values["rounds"] = before["rounds"] + 1
            if step == "close":
                values.update(closed_at=at, closed_by=actor)
            res = conn.execute(update(d).where(d.c.id == case_id, d.c.state == state).values(**values))
            if res.rowcount != 1:
                raise DisposalConflict("someone else changed the supervision at the same time; look again")
            if step == "close" and alarm["state"] != "cleared":
                conn.execute(update(a).where(a.c.id == alarm_id, a.c.state != "cleared")
                             .values(state="cleared", cleared_at=at, cleared_by=actor, clear_reason=text))
                record_event(conn, alarm_id, "cleared", at, actor, text, {"by": "supervision"})
        step_id = int(conn.execute(insert(st).values(
            disposal_id=case_id, step=step, at=at, actor=actor, party=party, from_state=state, to_state=target,
            text=text, cause=cause, measures=measures, due_at=owed_due)).inserted_primary_key[0])
        for fname, ctype, data in checked:
            conn.execute(insert(fl).values(step_id=step_id, filename=fname, content_type=ctype, size=len(data),
                                           sha256=hashlib.sha256(data).hexdigest(), data=data,
                                           uploaded_by=actor, uploaded_at=at))
        record_event(conn, alarm_id, EVENT_OF_STEP[step], at, actor, text,
                     {"step": step, "from": state, "to": target, "due_at": owed_due, "files": len(checked)})
        after = _read_case(conn, alarm_id)
        audit.record(conn, actor, f"disposal_{step}", "alarm", alarm_id, before, {
            k: v for k, v in after.items() if k != "steps"} | {"step": after["steps"][-1]})
        return after


def _read_case(conn: Connection, alarm_id: int) -> dict | None:
    row = _case_row(conn, alarm_id)
    if row is None:
        return None
    steps = [dict(r) for r in conn.execute(select(st).where(st.c.disposal_id == row["id"]).order_by(st.c.id))
             .mappings()]
    files: dict[int, list[dict]] = {}
    if steps:
        cols = [c for c in fl.c if c.name != "data"]
        for f in conn.execute(select(*cols).where(fl.c.step_id.in_([x["id"] for x in steps]))
                              .order_by(fl.c.id)).mappings():
            files.setdefault(int(f["step_id"]), []).append(dict(f))
    for x in steps:
        x["files"] = files.get(int(x["id"]), [])
    return {**row, "steps": steps}


def case(engine: Engine, alarm_id: int) -> dict | None:
    """The supervision case of an alarm with its steps (oldest first) and their files' metadata; ``None``
    when the alarm was never pushed (:class:`AlarmNotFound` when there is no such alarm)."""
    with engine.connect() as conn:
        _alarm(conn, alarm_id)
        return _read_case(conn, alarm_id)


def evidence_file(engine: Engine, alarm_id: int, file_id: int) -> dict:
    """One evidence file of the alarm's case, with its bytes; :class:`AlarmNotFound` when it is not one."""
    with engine.connect() as conn:
        row = conn.execute(select(fl).join(st, fl.c.step_id == st.c.id).join(d, st.c.disposal_id == d.c.id)
                           .where(fl.c.id == file_id, d.c.alarm_id == alarm_id)).mappings().first()
    if row is None:
        raise AlarmNotFound("alarm %(id)s has no evidence file %(file)s", id=alarm_id, file=file_id)
    return dict(row)


def overdue_cases(engine: Engine, now: datetime) -> list[dict]:
    """Open cases whose owed step is past its deadline at ``now`` and whose level above was not told yet,
    each with its alarm (``alarm``), oldest deadline first."""
    now = _aware(now)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(d).where(
            d.c.state != "closed", d.c.due_at.is_not(None), d.c.due_at < now, d.c.overdue_notified_at.is_(None))
            .order_by(d.c.due_at, d.c.id)).mappings()]
        for r in rows:
            r["alarm"] = _alarm(conn, r["alarm_id"])
    return rows


def claim_overdue(engine: Engine, overdue: dict, at: datetime) -> int | None:
    """Mark the owed step of ``overdue`` (a row of :func:`overdue_cases`) as notified, if nobody did it or
    took the step first; returns the ``overdue`` alarm event id, or ``None``."""
    at = _aware(at)
    with engine.begin() as conn:
        res = conn.execute(update(d).where(d.c.id == overdue["id"], d.c.state == overdue["state"],
                                           d.c.since == overdue["since"], d.c.overdue_notified_at.is_(None))
                           .values(overdue_notified_at=at))
        if res.rowcount != 1:
            return None
        detail = {"state": overdue["state"], "owed_by": overdue["owed_by"], "due_at": overdue["due_at"]}
        event_id = record_event(conn, overdue["alarm_id"], "overdue", at, "system", None, detail)
        audit.record(conn, "system", "disposal_overdue", "alarm", overdue["alarm_id"], None, detail)
        return event_id
