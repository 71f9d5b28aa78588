"""The Vietnamese connection register in the database: facility entries (district, industrial zone, Decree 08
category, dates) and the stations' installation dates entered by the officer. Every change is audited.

The register is filled two ways: the registry import (a fleet file's ``vn_register`` key on an enterprise and
``installed_on`` on a point, see docs/registry.md and :func:`import_register`), and the officer's forms on the
register page. Rules: :mod:`ecosentry.subsystems.monitoring.rules.vn.register`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, select

from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.upsert import upsert
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.rules.vn.register import category

__all__ = ["RegisterError", "set_facility", "set_installed", "import_register", "FACILITY_FIELDS"]

f_, st_ = ms.vn_register_facilities, ms.vn_register_stations
#: What a facility entry holds (besides who changed it when).
FACILITY_FIELDS = ("district", "industrial_zone", "category", "obliged_from", "deadline")


class RegisterError(Said):
    """A register entry that cannot be stored (unknown category, bad date, text too long); says which (a catalogue
    msgid with named parameters, :class:`ecosentry.said.Said`: the register page says it in the reader's
    language). ``what`` parameters are :func:`_where` Saids too."""


#: Where a refused value is (the facility or station and the field).
FACILITY = N_("facility %(id)s")
FACILITY_FIELD = N_("facility %(id)s, %(field)s")
STATION_FIELD = N_("station %(id)s, %(field)s")
IN_PLACE = N_("%(what)s: %(problem)s")


def _where(msgid: str, **params: Any) -> Said:
    return Said(msgid, **params)


def _day(v: Any, what: Said) -> date | None:
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip())
    except ValueError:
        raise RegisterError(N_("%(what)s: %(value)r is not a date (YYYY-MM-DD)"), what=what, value=v) from None


def _text(v: Any, limit: int, what: Said) -> str | None:
    if v is None:
        return None
    text = str(v).strip()
    if len(text) > limit:
        raise RegisterError(N_("%(what)s: longer than %(limit)s characters"), what=what, limit=limit)
    return text or None


def _facility_values(entry: dict, enterprise_id: int) -> dict:
    code = str(entry.get("category") or "").strip()
    try:
        category(code)
    except ValueError as exc:
        raise RegisterError(IN_PLACE, what=_where(FACILITY, id=enterprise_id), problem=exc) from None

    def at(field: str) -> Said:
        return _where(FACILITY_FIELD, id=enterprise_id, field=field)

    return {"district": _text(entry.get("district"), 100, at("district")),
            "industrial_zone": _text(entry.get("industrial_zone"), 150, at("industrial_zone")),
            "category": code, "obliged_from": _day(entry.get("obliged_from"), at("obliged_from")),
            "deadline": _day(entry.get("deadline"), at("deadline"))}


def _facility_row(conn: Connection, enterprise_id: int) -> dict | None:
    r = conn.execute(select(f_).where(f_.c.enterprise_id == enterprise_id)).mappings().first()
    return {k: r[k] for k in FACILITY_FIELDS} if r else None


def set_facility_in(conn: Connection, enterprise_id: int, entry: dict, actor: str | None) -> bool:
    """Create or replace the register entry of a facility inside the caller's transaction; audited when it
    changes. Returns whether it changed."""
    values = _facility_values(entry, enterprise_id)
    before = _facility_row(conn, enterprise_id)
    if before == values:
        return False
    upsert(conn, f_, [{"enterprise_id": enterprise_id, **values, "updated_at": datetime.now(timezone.utc),
                       "updated_by": actor}],
           ["enterprise_id"], [*FACILITY_FIELDS, "updated_at", "updated_by"])
    audit.record(conn, actor, "update" if before else "create", "vn_register_facility", enterprise_id, before, values)
    return True


def set_facility(engine: Engine, enterprise_id: int, entry: dict, actor: str | None) -> bool:
    """:func:`set_facility_in` in its own transaction; :class:`RegisterError` for an unknown facility."""
    with engine.begin() as conn:
        if conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.id == enterprise_id)) is None:
            raise RegisterError(N_("no facility %(id)s"), id=enterprise_id)
        return set_facility_in(conn, enterprise_id, entry, actor)


def set_installed_in(conn: Connection, point_id: int, installed_on: Any, actor: str | None,
                     note: str | None = None) -> bool:
    """Record the day a station was installed (``None`` clears it), audited; returns whether it changed."""
    day = _day(installed_on, _where(STATION_FIELD, id=point_id, field="installed_on"))
    note = _text(note, 2000, _where(STATION_FIELD, id=point_id, field="note"))
    r = conn.execute(select(st_.c.installed_on, st_.c.note).where(st_.c.point_id == point_id)).first()
    before = {"installed_on": r.installed_on, "note": r.note} if r else None
    after = {"installed_on": day, "note": note}
    if before == after or (before is None and day is None and note is None):
        return False
    upsert(conn, st_, [{"point_id": point_id, **after, "updated_at": datetime.now(timezone.utc),
                        "updated_by": actor}], ["point_id"], ["installed_on", "note", "updated_at", "updated_by"])
    audit.record(conn, actor, "update" if before else "create", "vn_register_station", point_id, before, after)
    return True


def set_installed(engine: Engine, point_id: int, installed_on: Any, actor: str | None,
                  note: str | None = None) -> bool:
    """:func:`set_installed_in` in its own transaction; :class:`RegisterError` for an unknown station."""
    with engine.begin() as conn:
        if conn.scalar(select(s.points.c.id).where(s.points.c.id == point_id)) is None:
            raise RegisterError(N_("no station %(id)s"), id=point_id)
        return set_installed_in(conn, point_id, installed_on, actor, note)


def import_register(conn: Connection, fleet: dict, actor: str | None) -> dict[str, int]:
    """The registry import's part for the register (called inside its transaction, after the core rows).

    An enterprise may carry ``vn_register: {category, district, industrial_zone, obliged_from, deadline}`` and
    a point ``installed_on: YYYY-MM-DD``; entries without them are left as they are. Returns the counts that
    are not zero.
    """
    n_fac = n_st = 0
    for e in fleet.get("enterprises") or []:
        entry = e.get("vn_register")
        if entry:
            if not isinstance(entry, dict):
                raise RegisterError(N_("enterprise %(name)s: vn_register must be a mapping"), name=e.get("name"))
            eid = conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == e["credit_code"]))
            try:
                set_facility_in(conn, eid, entry, actor)
            except RegisterError as exc:
                raise RegisterError(N_("enterprise %(name)s: %(problem)s"), name=e.get("name"), problem=exc) from None
            n_fac += 1
        for o in e.get("outlets") or []:
            for p in o.get("points") or []:
                if "installed_on" in p:
                    pid = conn.scalar(select(s.points.c.id).where(s.points.c.mn == str(p["mn"])))
                    set_installed_in(conn, pid, p["installed_on"], actor)
                    n_st += 1
    return {k: v for k, v in (("vn_register_facilities", n_fac), ("vn_register_stations", n_st)) if v}
