"""Alarms in the database: raise (or update), clear by data, acknowledge, assign, comment, clear by hand, link.

One non-cleared alarm per (originator, type) — ``(source_type, source_id, type)`` — is guaranteed by the
partial unique index ``ux_alarms_open`` (``WHERE state != 'cleared'``); :func:`raise_alarm` is a single
``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` against it, so concurrent raises of the same condition
count occurrences on one row instead of duplicating it (SQLite and PostgreSQL alike). A cleared alarm
leaves the index, so the condition recurring raises a new alarm.

Lifecycle: ``active`` → ``acknowledged`` → ``cleared`` (``active`` → ``cleared`` too). Every change of
state, assignee, comment or link is kept as an ``alarm_events`` row and written to the ``audit_log`` in the
same transaction. A plain repeat occurrence only updates the counters and the latest explanation and
evidence (no event: the pipeline may repeat a condition every minute); one that raises the severity is an
``updated`` event and notifies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, case, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from ecosentry.alarms.catalogue import ALARM_TYPES, ORIGINATOR_KINDS, SEVERITIES, severity_rank
from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree
from ecosentry.store.upsert import insert_for

__all__ = [
    "AlarmError", "AlarmNotFound", "AlarmConflict", "AlarmChange", "STATES", "LINK_KINDS", "DATA_ACTOR",
    "SYSTEM_ACTOR", "raise_alarm", "clear_by_data", "acknowledge", "assign", "add_comment", "clear", "add_link",
    "get_alarm", "alarm_detail", "list_alarms", "open_alarms", "record_event", "claim_tick",
]

STATES = ("active", "acknowledged", "cleared")
LINK_KINDS = ("mark", "work_order")
#: Actor of changes made by the data (raise, clear by data) and by the escalation clock.
DATA_ACTOR = "data"
SYSTEM_ACTOR = "system"

a = s.alarms
ev = s.alarm_events

#: The list's refusal of a filter value it does not know (a msgid per filter: the API says it in the reader's
#: language, :mod:`ecosentry.web.errors`).
UNKNOWN_FILTER = {"state": N_("unknown state %(values)s; use %(allowed)s"),
                  "severity": N_("unknown severity %(values)s; use %(allowed)s")}


class AlarmError(Said):
    """An alarm operation was refused; the message says why (a catalogue msgid, shown in the reader's
    language: :class:`ecosentry.said.Said`)."""


class AlarmNotFound(AlarmError):
    """The alarm does not exist."""


class AlarmConflict(AlarmError):
    """The operation does not fit the alarm's state (acknowledging a cleared alarm …)."""


@dataclass(frozen=True)
class AlarmChange:
    """What :func:`raise_alarm` did.

    Attributes
    ----------
    kind : {"raised", "updated"}
        A new alarm, or one more occurrence of an open one.
    notify : bool
        Whether recipients should be told (new alarm, or the severity rose).
    event_id : int or None
        The ``alarm_events`` row written (``None`` for a quiet update).
    previous_severity : str or None
        Severity before this occurrence (updates only).
    """

    kind: str
    notify: bool
    event_id: int | None = None
    previous_severity: str | None = None


# --------------------------------------------------------------------------- helpers

def _aware(t: datetime, name: str) -> datetime:
    if not isinstance(t, datetime) or t.tzinfo is None:
        raise AlarmError(N_("%(name)s must be a timezone-aware datetime"), name=name)
    return t.astimezone(timezone.utc)


def _now(at: datetime | None) -> datetime:
    return datetime.now(timezone.utc) if at is None else _aware(at, "at")


def _rank(col):
    """SQL severity rank (info 1, warning 2, critical 3), the same order as :func:`severity_rank`."""
    return case(*((col == sev, severity_rank(sev)) for sev in SEVERITIES[1:]), else_=1)


def _out(row: Any) -> dict:
    alarm = dict(row)
    codes = alarm.get("factor_codes")
    alarm["factor_codes"] = [c for c in codes.split(",") if c] if codes else None
    return alarm


def _load(conn: Connection, alarm_id: int, *, lock: bool = False) -> dict:
    q = select(a).where(a.c.id == alarm_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    if row is None:
        raise AlarmNotFound("no alarm with id %(id)s", id=alarm_id)
    return _out(row)


def record_event(conn: Connection, alarm_id: int, kind: str, at: datetime, actor: str | None,
                 comment: str | None = None, detail: dict | None = None) -> int:
    """Write one ``alarm_events`` row and return its id."""
    res = conn.execute(insert(ev).values(alarm_id=alarm_id, at=at, actor=actor, kind=kind, comment=comment,
                                         detail=audit.jsonable(detail)))
    return int(res.inserted_primary_key[0])


def _check_raise(type: str, source_type: str, severity: str | None) -> str:
    if type not in ALARM_TYPES:
        raise AlarmError(N_("unknown alarm type %(type)r; known types: %(known)s"), type=type,
                         known=", ".join(sorted(ALARM_TYPES)))
    if source_type not in ORIGINATOR_KINDS:
        raise AlarmError(N_("unknown originator kind %(kind)r; known kinds: %(known)s"), kind=source_type,
                         known=", ".join(sorted(ORIGINATOR_KINDS)))
    severity = severity or ALARM_TYPES[type].severity
    if severity not in SEVERITIES:
        raise AlarmError(N_("severity must be one of %(choices)s, not %(value)r"), choices=", ".join(SEVERITIES),
                         value=severity)
    return severity


def _codes(factor_codes: Iterable[str] | None) -> str | None:
    if factor_codes is None:
        return None
    joined = ",".join(sorted({c.strip() for c in factor_codes if c and c.strip()}))
    if len(joined) > 400:
        raise AlarmError("too many factor codes for one alarm")
    return joined or None


# --------------------------------------------------------------------------- raise and clear by data

def raise_alarm(engine: Engine, *, type: str, source_type: str, source_id: Any, severity: str | None, title: str,
                explanation: str | None, evidence: Any, point_id: int | None = None,
                enterprise_id: int | None = None, region_code: str | None = None,
                factor_codes: Iterable[str] | None = None, at: datetime) -> tuple[dict, AlarmChange]:
    """Raise an alarm, or count one more occurrence of the open alarm of this originator and type.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement (plus, for a new alarm or a severity rise,
    its event and audit rows in the same transaction). ``region_code`` and ``enterprise_id`` default to
    those of the point (or the enterprise's region), looked up inside that statement.

    Parameters
    ----------
    type : str
        Alarm type code (``ALM-...``, :mod:`ecosentry.alarms.catalogue`).
    source_type, source_id
        The originator: kind (``point``, ``enterprise``, ``gate`` …) and its id.
    severity : str or None
        ``info``, ``warning`` or ``critical``; ``None`` = the type's default. On an update the severity
        only rises.
    title, explanation, evidence
        One line; a sentence; JSON-serialisable values and settings that triggered it (latest kept).
    at : datetime
        When the condition was detected (timezone-aware); the escalation schedule counts from the first.

    Returns
    -------
    (dict, AlarmChange)
        The alarm row after the change, and what happened.
    """
    severity = _check_raise(type, source_type, severity)
    at = _aware(at, "at")
    title = (title or ALARM_TYPES[type].summary)[:200]
    p, e = s.points, s.enterprises
    point_enterprise = (select(s.outlets.c.enterprise_id).join(p, p.c.outlet_id == s.outlets.c.id)
                        .where(p.c.id == point_id).scalar_subquery())
    point_region = select(p.c.region_code).where(p.c.id == point_id).scalar_subquery()
    with engine.begin() as conn:
        ent = enterprise_id if enterprise_id is not None else (point_enterprise if point_id is not None else None)
        if region_code is not None:
            region = region_code
        else:
            ent_region = (select(e.c.region_code).where(e.c.id == enterprise_id).scalar_subquery()
                          if enterprise_id is not None else None)
            region = func.coalesce(point_region, ent_region) if point_id is not None else ent_region
        stmt = insert_for(conn, a).values(
            type=type, source_type=source_type, source_id=str(source_id), state="active", severity=severity,
            title=title, explanation=explanation, evidence=audit.jsonable(evidence), point_id=point_id,
            enterprise_id=ent, region_code=region, factor_codes=_codes(factor_codes), occurrences=1, first_at=at,
            last_at=at, escalation_level=0, repeats=0)
        x = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[a.c.source_type, a.c.source_id, a.c.type],
            # a literal, not a bound parameter: both databases must see that it implies the index predicate
            index_where=a.c.state != literal_column("'cleared'"),
            set_={
                "occurrences": a.c.occurrences + 1,
                "last_at": case((x.last_at > a.c.last_at, x.last_at), else_=a.c.last_at),
                "previous_severity": a.c.severity,
                "severity": case((_rank(x.severity) > _rank(a.c.severity), x.severity), else_=a.c.severity),
                "title": x.title, "explanation": x.explanation, "evidence": x.evidence,
                "factor_codes": func.coalesce(x.factor_codes, a.c.factor_codes),
            }).returning(*a.c)
        try:
            alarm = _out(conn.execute(stmt).mappings().one())
        except IntegrityError as exc:
            raise AlarmError(N_("alarm refers to an unknown point, enterprise or region: %(error)s"),
                             error=str(exc.orig)) from None
        if alarm["occurrences"] == 1:
            event_id = record_event(conn, alarm["id"], "raised", at, DATA_ACTOR, alarm["explanation"],
                                    {"severity": severity, "evidence": alarm["evidence"]})
            audit.record(conn, DATA_ACTOR, "raise", "alarm", alarm["id"], None, alarm)
            return alarm, AlarmChange("raised", True, event_id)
        previous = alarm["previous_severity"]
        if severity_rank(alarm["severity"]) > severity_rank(previous):
            event_id = record_event(conn, alarm["id"], "updated", at, DATA_ACTOR, alarm["explanation"],
                                    {"severity": [previous, alarm["severity"]], "evidence": alarm["evidence"]})
            audit.record(conn, DATA_ACTOR, "severity_rise", "alarm", alarm["id"], {"severity": previous},
                         {"severity": alarm["severity"], "occurrences": alarm["occurrences"]})
            return alarm, AlarmChange("updated", True, event_id, previous)
        return alarm, AlarmChange("updated", False, None, previous)


def clear_by_data(engine: Engine, *, type: str, source_type: str, source_id: Any, at: datetime,
                  explanation: str | None = None) -> dict | None:
    """Clear the open alarm of this originator and type because the data show the condition ended.

    One ``UPDATE … RETURNING`` when there is nothing to clear (the usual case). Returns the cleared alarm,
    or ``None`` when none was open.
    """
    at = _aware(at, "at")
    with engine.begin() as conn:
        row = conn.execute(
            update(a).where(a.c.source_type == source_type, a.c.source_id == str(source_id), a.c.type == type,
                            a.c.state != "cleared")
            .values(state="cleared", cleared_at=at, cleared_by=DATA_ACTOR,
                    clear_reason=explanation or "the condition ended in the data")
            .returning(*a.c)).mappings().first()
        if row is None:
            return None
        alarm = _out(row)
        record_event(conn, alarm["id"], "cleared", at, DATA_ACTOR, alarm["clear_reason"])
        audit.record(conn, DATA_ACTOR, "clear", "alarm", alarm["id"], {"state": "open"}, alarm)
        return alarm


# --------------------------------------------------------------------------- lifecycle by hand

def _change(engine: Engine, alarm_id: int, actor: str | None, kind: str, at: datetime | None, decide,
            comment: str | None = None, detail: dict | None = None) -> tuple[dict, int]:
    """Load (locked), let ``decide(alarm)`` return the column changes or raise, write, event, audit."""
    at = _now(at)
    with engine.begin() as conn:
        before = _load(conn, alarm_id, lock=True)
        values = decide(before, at)
        if values:
            conn.execute(update(a).where(a.c.id == alarm_id).values(**values))
        after = _load(conn, alarm_id)
        event_id = record_event(conn, alarm_id, kind, at, actor, comment, detail)
        audit.record(conn, actor, kind, "alarm", alarm_id, before, after)
        return after, event_id


def _not_cleared(alarm: dict, doing: str) -> None:
    if alarm["state"] == "cleared":
        raise AlarmConflict("alarm %(id)s is cleared (since %(since)s); it cannot be changed any more",
                            id=alarm["id"], since=alarm["cleared_at"])


def acknowledge(engine: Engine, alarm_id: int, actor: str | None, comment: str | None = None,
                at: datetime | None = None) -> tuple[dict, int]:
    """Acknowledge an active alarm (stops escalation and repeats); returns (alarm, event id)."""

    def decide(alarm: dict, t: datetime) -> dict:
        _not_cleared(alarm, "acknowledge")
        if alarm["state"] == "acknowledged":
            raise AlarmConflict("alarm %(id)s was already acknowledged by %(who)s at %(at)s", id=alarm_id,
                                who=alarm["acknowledged_by"], at=alarm["acknowledged_at"])
        return {"state": "acknowledged", "acknowledged_at": t, "acknowledged_by": actor}

    return _change(engine, alarm_id, actor, "acknowledged", at, decide, comment)


def assign(engine: Engine, alarm_id: int, assignee: str | None, actor: str | None,
           at: datetime | None = None) -> tuple[dict, int]:
    """Set (or, with ``None``, remove) the person responsible for an open alarm."""
    assignee = (assignee or "").strip()[:64] or None

    def decide(alarm: dict, _t: datetime) -> dict:
        _not_cleared(alarm, "assign")
        return {"assignee": assignee}

    return _change(engine, alarm_id, actor, "assigned", at, decide, detail={"assignee": assignee})


def add_comment(engine: Engine, alarm_id: int, text: str, actor: str | None,
                at: datetime | None = None) -> tuple[dict, int]:
    """Add a comment (any state, cleared alarms too); returns (alarm, event id)."""
    text = (text or "").strip()
    if not text:
        raise AlarmError("the comment is empty")
    return _change(engine, alarm_id, actor, "commented", at, lambda _a, _t: {}, text)


def clear(engine: Engine, alarm_id: int, reason: str, actor: str | None,
          at: datetime | None = None) -> tuple[dict, int]:
    """Clear an open alarm by hand; a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise AlarmError("clearing an alarm by hand needs a reason")

    def decide(alarm: dict, t: datetime) -> dict:
        _not_cleared(alarm, "clear")
        return {"state": "cleared", "cleared_at": t, "cleared_by": actor, "clear_reason": reason}

    return _change(engine, alarm_id, actor, "cleared", at, decide, reason)


def add_link(engine: Engine, alarm_id: int, kind: str, target_id: Any, actor: str | None,
             at: datetime | None = None) -> dict:
    """Link the alarm to a mark (must exist) or a work order (id kept as given); returns the link."""
    if kind not in LINK_KINDS:
        raise AlarmError(N_("link kind must be one of %(choices)s, not %(value)r"), choices=", ".join(LINK_KINDS),
                         value=kind)
    target = str(target_id).strip()[:64]
    if not target:
        raise AlarmError("the link needs a target id")
    at = _now(at)
    with engine.begin() as conn:
        _load(conn, alarm_id)
        if kind == "mark":
            if not target.isdigit() or conn.execute(
                    select(s.marks.c.id).where(s.marks.c.id == int(target))).first() is None:
                raise AlarmError("no mark with id %(id)s", id=target)
        exists = conn.execute(select(s.alarm_links.c.id).where(
            s.alarm_links.c.alarm_id == alarm_id, s.alarm_links.c.kind == kind,
            s.alarm_links.c.target_id == target)).first()
        if exists is not None:
            raise AlarmConflict("alarm %(id)s is already linked to %(target)s", id=alarm_id, target=target)
        res = conn.execute(insert(s.alarm_links).values(alarm_id=alarm_id, kind=kind, target_id=target,
                                                        created_by=actor, created_at=at))
        link = {"id": int(res.inserted_primary_key[0]), "alarm_id": alarm_id, "kind": kind, "target_id": target,
                "created_by": actor, "created_at": at}
        record_event(conn, alarm_id, "linked", at, actor, None, {"kind": kind, "target_id": target})
        audit.record(conn, actor, "link", "alarm", alarm_id, None, link)
        return link


# --------------------------------------------------------------------------- reading

def get_alarm(engine: Engine, alarm_id: int) -> dict:
    """One alarm (:class:`AlarmNotFound` if absent)."""
    with engine.connect() as conn:
        return _load(conn, alarm_id)


def alarm_detail(engine: Engine, alarm_id: int) -> dict:
    """The alarm with its events (oldest first), links and deliveries."""
    lk, dl = s.alarm_links, s.alarm_deliveries
    with engine.connect() as conn:
        alarm = _load(conn, alarm_id)
        alarm["events"] = [dict(r) for r in conn.execute(
            select(ev).where(ev.c.alarm_id == alarm_id).order_by(ev.c.id)).mappings()]
        alarm["links"] = [dict(r) for r in conn.execute(
            select(lk).where(lk.c.alarm_id == alarm_id).order_by(lk.c.id)).mappings()]
        alarm["deliveries"] = [dict(r) for r in conn.execute(
            select(dl).where(dl.c.alarm_id == alarm_id).order_by(dl.c.id)).mappings()]
    return alarm


def list_alarms(engine: Engine, *, states: Sequence[str] | None = None, types: Sequence[str] | None = None,
                severities: Sequence[str] | None = None, region_code: str | None = None,
                point_id: int | None = None, enterprise_id: int | None = None, since: datetime | None = None,
                where: Sequence[Any] = (), offset: int = 0, limit: int = 100) -> tuple[list[dict], int]:
    """Alarms matching every given filter, newest ``last_at`` first, and the total count.

    ``where``: further conditions on ``alarms`` (the caller's scope, :func:`ecosentry.auth.guards.alarm_clause`).

    ``region_code`` selects the region and everything below it; ``since`` keeps alarms whose last
    occurrence is at or after it.
    """
    for name, given, allowed in (("state", states, STATES), ("severity", severities, SEVERITIES)):
        bad = sorted(set(given or ()) - set(allowed))
        if bad:
            raise AlarmError(UNKNOWN_FILTER[name], values=", ".join(bad), allowed=", ".join(allowed))
    conds = list(where)
    with engine.connect() as conn:
        if states:
            conds.append(a.c.state.in_(list(states)))
        if types:
            conds.append(a.c.type.in_(list(types)))
        if severities:
            conds.append(a.c.severity.in_(list(severities)))
        if region_code is not None:
            conds.append(a.c.region_code.in_(region_subtree(conn, region_code)))
        if point_id is not None:
            conds.append(a.c.point_id == point_id)
        if enterprise_id is not None:
            conds.append(a.c.enterprise_id == enterprise_id)
        if since is not None:
            conds.append(a.c.last_at >= _aware(since, "since"))
        total = conn.execute(select(func.count()).select_from(a).where(*conds)).scalar_one()
        rows = conn.execute(select(a).where(*conds).order_by(a.c.last_at.desc(), a.c.id.desc())
                            .offset(offset).limit(limit)).mappings()
        return [_out(r) for r in rows], int(total)


def open_alarms(engine: Engine, *, state: str = "active") -> list[dict]:
    """Alarms in ``state`` (default: active, i.e. unacknowledged), oldest first (for the escalation tick)."""
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(select(a).where(a.c.state == state).order_by(a.c.id)).mappings()]


def claim_tick(engine: Engine, alarm: dict, *, escalation_level: int | None, repeats: int | None,
               at: datetime) -> dict[str, int] | None:
    """Record a due escalation and/or repeat, if nobody else did it first.

    A conditional ``UPDATE`` (still active, same level and repeat count as read) makes concurrent ticks
    safe: only the one that wins sends. Returns ``{"escalated": event id, "repeat": event id}`` (the kinds
    taken) or ``None`` when another tick, an acknowledgement or a clear came first.
    """
    values: dict[str, int] = {}
    if escalation_level is not None:
        values["escalation_level"] = escalation_level
    if repeats is not None:
        values["repeats"] = repeats
    if not values:
        return None
    at = _aware(at, "at")
    with engine.begin() as conn:
        res = conn.execute(update(a).where(
            a.c.id == alarm["id"], a.c.state == "active", a.c.escalation_level == alarm["escalation_level"],
            a.c.repeats == alarm["repeats"]).values(**values))
        if res.rowcount != 1:
            return None
        events: dict[str, int] = {}
        if escalation_level is not None:
            events["escalated"] = record_event(conn, alarm["id"], "escalated", at, SYSTEM_ACTOR, None, {
                "from_level": alarm["escalation_level"], "to_level": escalation_level})
            audit.record(conn, SYSTEM_ACTOR, "escalate", "alarm", alarm["id"],
                         {"escalation_level": alarm["escalation_level"]}, {"escalation_level": escalation_level})
        if repeats is not None:
            events["repeat"] = record_event(conn, alarm["id"], "repeat", at, SYSTEM_ACTOR, None, {"repeat": repeats})
            audit.record(conn, SYSTEM_ACTOR, "repeat", "alarm", alarm["id"], {"repeats": alarm["repeats"]},
                         {"repeats": repeats})
        return events
