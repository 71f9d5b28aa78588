"""Writes of the heavy-pollution weather alerts (重污染天气预警, table ``pollution_alerts``): issue, correct, change
level, lift (解除); each checked, and audited in ``audit_log`` (entity ``pollution_alert``) in the same
transaction.

**A level change is a new alert, not an edit.** A city's emergency plan (重污染天气应急预案) answers a worsening
or improving forecast with a new notice: "upgrade the yellow alert to orange from 20:00" carries its own
document number (文号) and its own effective time, and the emergency measures that apply (each enterprise's
stop/limit list, the vehicle gates' allowed emission stages) are those *of the level*. So
:func:`change_level` ends the running alert at the change time and issues the next one for the same region from
that minute, with the new notice's number. Each row keeps one level for its whole period: "which level was in
force at 21:00?" is answered by the rows themselves, and a compliance finding that refers to an alert id keeps
meaning what it meant when it was made (an edit in place would turn yesterday's yellow hours orange). The two
rows are linked in the audit log (``continued_by`` / ``continues``); the whole episode (预警过程) is the run of
alerts of one region that follow each other without a gap (:func:`ecosentry.store.queries.pollution_alerts.episode`).

:func:`correct` fixes what was entered (authority, number, note, planned end; level and start only while the
alert has not begun) and :func:`lift` ends it early. Times are aware datetimes, stored in UTC.

Scope: the caller passes the regions the acting user may issue for (a regulator's subtree; ``None`` = everywhere,
an administrator); this module does not know about roles. Refusals are :class:`AlertError` (a
:class:`~ecosentry.said.Said`: a translated sentence naming the field).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from ecosentry.said import Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import LEVELS, alert, level_rank

__all__ = ["AlertError", "AlertNotFound", "AlertConflict", "ENTITY", "MAX_NOTE", "issue", "correct", "change_level",
           "lift"]

#: ``audit_log.entity`` of the alerts' rows.
ENTITY = "pollution_alert"
#: Longest note kept (the column is TEXT; a notice's gist, not the notice).
MAX_NOTE = 2000
_a = s.pollution_alerts
#: Column lengths (checked before writing, so PostgreSQL never sees an over-long value).
_LENGTHS = {"issued_by": _a.c.issued_by.type.length, "document": _a.c.document.type.length,
            "entered_by": _a.c.entered_by.type.length, "note": MAX_NOTE}
#: Fields :func:`correct` may change on an alert that has begun.
_CORRECTABLE = ("ends_at", "issued_by", "document", "note")


class AlertError(Said):
    """A refused value; ``field`` names the input. The message is a catalogue msgid with ``params``
    (:class:`~ecosentry.said.Said`), said in the reader's language."""

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.field = field


class AlertNotFound(AlertError):
    """No such alert (or, for the caller, none in the user's scope)."""


class AlertConflict(AlertError):
    """The alert's state does not allow it (already ended, overlapping another of the same region)."""


# --------------------------------------------------------------------------- checks (no database)


def _utc(t: datetime | None, field: str) -> datetime | None:
    if t is None:
        return None
    if not isinstance(t, datetime) or t.tzinfo is None:
        raise AlertError("a date and time with its time zone is needed", field)
    return t.astimezone(timezone.utc)


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    text = None if value is None else str(value).strip()
    if not text:
        if required:
            raise AlertError("this field is required", field)
        return None
    limit = _LENGTHS[field]
    if len(text) > limit:
        raise AlertError("at most %(limit)d characters (%(length)d given)", field, limit=limit, length=len(text))
    return text


def _level(value: Any) -> str:
    if value not in LEVELS:
        raise AlertError("unknown alert level %(value)r; the levels are yellow, orange and red", "level",
                         value=str(value)[:40])
    return str(value)


def _period(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise AlertError("the end (%(end)s) must be after the start (%(start)s)", "ends_at", start=start, end=end)


# --------------------------------------------------------------------------- checks (database)


def _region(conn: Connection, code: Any, scope: Collection[str] | None) -> str:
    code = (str(code).strip() if code is not None else "")
    if not code:
        raise AlertError("this field is required", "region_code")
    q = select(s.regions.c.code).where(s.regions.c.code == code[:12])
    if conn.dialect.name == "postgresql":  # two issuers of one region at once: the overlap check runs one by one
        q = q.with_for_update()
    exists = conn.execute(q).scalar()
    if exists is None or len(code) > 12:
        raise AlertError("no region with the code %(code)s", "region_code", code=code[:40])
    if scope is not None and code not in scope:
        raise AlertError("region %(code)s is outside your area; you may issue alerts for your own region and the "
                         "regions below it", "region_code", code=code)
    return code


def _overlapping(conn: Connection, region: str, start: datetime, end: datetime | None,
                 exclude: int | None = None) -> dict | None:
    """Another alert of the same region whose period meets [start, end)."""
    actual_end = func.coalesce(_a.c.lifted_at, _a.c.ends_at)
    q = select(_a).where(_a.c.region_code == region,
                         or_(actual_end.is_(None), actual_end > start))
    if end is not None:
        q = q.where(_a.c.starts_at < end)
    # a lifted alert whose lift came before its start (cancelled) never was in force
    q = q.where(or_(_a.c.lifted_at.is_(None), _a.c.lifted_at > _a.c.starts_at))
    if exclude is not None:
        q = q.where(_a.c.id != exclude)
    row = conn.execute(q.order_by(_a.c.starts_at).limit(1)).mappings().first()
    return dict(row) if row else None


def _no_overlap(conn: Connection, region: str, start: datetime, end: datetime | None,
                exclude: int | None = None) -> None:
    other = _overlapping(conn, region, start, end, exclude)
    if other is not None:
        raise AlertConflict("alert %(id)d of the same region already covers this period (from %(start)s); change "
                            "its level or its end instead of issuing another", "starts_at", id=other["id"],
                            start=other["starts_at"])


def _get(conn: Connection, alert_id: int, scope: Collection[str] | None, *, lock: bool = True) -> dict:
    q = select(_a).where(_a.c.id == alert_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().first()
    if row is None:
        raise AlertNotFound("no alert with the number %(id)d", id=alert_id)
    row = dict(row)
    if scope is not None and row["region_code"] not in scope:
        raise AlertNotFound("no alert with the number %(id)d", id=alert_id)
    return row


def _end(row: dict) -> datetime | None:
    """When the alert ends (lifted, else planned), ``None`` while open-ended."""
    return row["lifted_at"] or row["ends_at"]


def _running_or_scheduled(row: dict, at: datetime) -> None:
    end = _end(row)
    if end is not None and end <= at:
        raise AlertConflict("alert %(id)d has already ended (%(end)s)", id=row["id"], end=end)


# --------------------------------------------------------------------------- writes


def issue(engine: Engine, *, region_code: str, level: str, starts_at: datetime, ends_at: datetime | None = None,
          issued_by: str, document: str | None = None, note: str | None = None, actor: str,
          scope: Collection[str] | None = None) -> int:
    """Record an alert issued for ``region_code`` (its subtree too) and return its id.

    Parameters
    ----------
    starts_at, ends_at : datetime
        When the emergency measures apply; ``ends_at`` ``None`` = until lifted.
    issued_by : str
        The issuing authority (应急指挥部办公室), up to 200 characters.
    document : str, optional
        The notice's number (文号), up to 100 characters.
    scope : collection of str, optional
        Regions the actor may issue for (``None``: every region).
    """
    with engine.begin() as conn:
        return _insert(conn, region_code=region_code, level=level, starts_at=starts_at, ends_at=ends_at,
                       issued_by=issued_by, document=document, note=note, actor=actor, scope=scope)


def _insert(conn: Connection, *, region_code, level, starts_at, ends_at, issued_by, document, note, actor, scope,
            continues: int | None = None) -> int:
    start = _utc(starts_at, "starts_at")
    if start is None:
        raise AlertError("this field is required", "starts_at")
    end = _utc(ends_at, "ends_at")
    values = dict(level=_level(level), starts_at=start, ends_at=end,
                  issued_by=_text(issued_by, "issued_by", required=True), document=_text(document, "document"),
                  note=_text(note, "note"), entered_by=_text(actor, "entered_by", required=True),
                  entered_at=datetime.now(timezone.utc))
    _period(start, end)
    values["region_code"] = _region(conn, region_code, scope)
    _no_overlap(conn, values["region_code"], start, end)
    new_id = int(conn.execute(insert(_a).values(**values)).inserted_primary_key[0])
    after = {"id": new_id, **values}
    if continues is not None:
        after["continues"] = continues
    audit.record(conn, actor, "create", ENTITY, new_id, None, after)
    return new_id


def correct(engine: Engine, alert_id: int, changes: dict[str, Any], *, actor: str,
            scope: Collection[str] | None = None, now: datetime | None = None) -> dict:
    """Correct what was entered: ``ends_at`` (planned end; ``None`` = until lifted), ``issued_by``,
    ``document``, ``note``; ``level`` and ``starts_at`` too while the alert has not begun (afterwards a level
    change is :func:`change_level`). Returns the alert as saved."""
    now = _utc(now, "now") or datetime.now(timezone.utc)
    allowed = {"ends_at", "issued_by", "document", "note", "level", "starts_at"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise AlertError("%(name)s cannot be changed", unknown[0], name=unknown[0])
    with engine.begin() as conn:
        row = _get(conn, alert_id, scope)
        _running_or_scheduled(row, now)
        begun = row["starts_at"] <= now
        for name in ("level", "starts_at"):
            if begun and name in changes and changes[name] != row[name]:
                if name == "level":
                    raise AlertConflict("alert %(id)d has begun; a new level takes effect as a change of level "
                                        "(a new notice), not as a correction", "level", id=alert_id)
                raise AlertConflict("alert %(id)d has begun; its start cannot be moved", "starts_at", id=alert_id)
        values: dict[str, Any] = {}
        if "level" in changes:
            values["level"] = _level(changes["level"])
        if "starts_at" in changes:
            values["starts_at"] = _utc(changes["starts_at"], "starts_at")
            if values["starts_at"] is None:
                raise AlertError("this field is required", "starts_at")
        if "ends_at" in changes:
            values["ends_at"] = _utc(changes["ends_at"], "ends_at")
        if "issued_by" in changes:
            values["issued_by"] = _text(changes["issued_by"], "issued_by", required=True)
        for name in ("document", "note"):
            if name in changes:
                values[name] = _text(changes[name], name)
        start, end = values.get("starts_at", row["starts_at"]), values.get("ends_at", row["ends_at"])
        _period(start, end)
        if begun and "ends_at" in values and end is not None and end < now:
            raise AlertError("the planned end (%(end)s) is already past; lift the alert to end it now", "ends_at",
                             end=end)
        _no_overlap(conn, row["region_code"], start, end, exclude=alert_id)
        values = {k: v for k, v in values.items() if v != row[k]}
        if not values:
            return row
        conn.execute(update(_a).where(_a.c.id == alert_id).values(**values))
        after = {**row, **values}
        audit.record(conn, actor, "update", ENTITY, alert_id, row, after)
        return after


def change_level(engine: Engine, alert_id: int, *, level: str, at: datetime | None = None, actor: str,
                 document: str | None = None, issued_by: str | None = None, ends_at: datetime | None | str = "keep",
                 note: str | None = None, scope: Collection[str] | None = None) -> int:
    """Upgrade or downgrade a running alert from ``at`` (default now): the running alert ends at ``at`` and the
    next one, of ``level``, begins then (see the module doc for why). ``document`` is the new notice's number;
    ``issued_by`` defaults to the running alert's authority; ``ends_at`` to its planned end ("keep").
    Returns the id of the new alert."""
    at = _utc(at, "at") or datetime.now(timezone.utc).replace(second=0, microsecond=0)
    new_level = _level(level)
    with engine.begin() as conn:
        row = _get(conn, alert_id, scope)
        if row["starts_at"] >= at:
            raise AlertConflict("alert %(id)d has not begun at %(at)s; correct its level instead", "level",
                                id=alert_id, at=at)
        _running_or_scheduled(row, at)
        if new_level == row["level"]:
            raise AlertError("alert %(id)d is already at this level", "level", id=alert_id)
        end = row["ends_at"] if ends_at == "keep" else _utc(ends_at, "ends_at")  # type: ignore[arg-type]
        _period(at, end)
        conn.execute(update(_a).where(_a.c.id == alert_id).values(ends_at=at))
        new_id = _insert(conn, region_code=row["region_code"], level=new_level, starts_at=at, ends_at=end,
                         issued_by=issued_by if issued_by is not None and str(issued_by).strip() else row["issued_by"],
                         document=document, note=note, actor=actor, scope=scope, continues=alert_id)
        action = "upgrade" if level_rank(new_level) > level_rank(row["level"]) else "downgrade"
        audit.record(conn, actor, action, ENTITY, alert_id, row, {**row, "ends_at": at, "continued_by": new_id})
        return new_id


def lift(engine: Engine, alert_id: int, *, at: datetime | None = None, actor: str, note: str | None = None,
         scope: Collection[str] | None = None, now: datetime | None = None) -> dict:
    """Lift (解除) the alert at ``at`` (default now; not in the future: a later end is a planned end, set by
    :func:`correct`). A scheduled alert lifted before it begins is cancelled: it never was in force.
    ``note`` (the lifting notice's number or reason) is appended to the alert's note."""
    now = _utc(now, "now") or datetime.now(timezone.utc)
    at = _utc(at, "at") or now
    if at > now:
        raise AlertError("a lift takes effect when it is announced (%(at)s is in the future); set the planned end "
                         "instead", "at", at=at)
    with engine.begin() as conn:
        row = _get(conn, alert_id, scope)
        if row["lifted_at"] is not None:
            raise AlertConflict("alert %(id)d was already lifted (%(end)s)", id=alert_id, end=row["lifted_at"])
        _running_or_scheduled(row, at)
        if at < row["starts_at"] and row["starts_at"] <= now:
            raise AlertError("the lift (%(at)s) is before the alert's start (%(start)s)", "at", at=at,
                             start=row["starts_at"])
        values: dict[str, Any] = {"lifted_at": at, "lifted_by": _text(actor, "entered_by", required=True)}
        extra = _text(note, "note")
        if extra:
            values["note"] = _text(f"{row['note']}\n{extra}" if row["note"] else extra, "note")
        conn.execute(update(_a).where(_a.c.id == alert_id).values(**values))
        after = {**row, **values}
        audit.record(conn, actor, "lift", ENTITY, alert_id, row, after)
        return after


def get(engine: Engine, alert_id: int) -> dict | None:
    """The alert, or ``None`` (a convenience over the read model for callers holding an engine)."""
    with engine.connect() as conn:
        return alert(conn, alert_id)

