"""The emission-reduction list edited on its page (``/power/enterprises/{id}/measures``): add, change or remove
one measure (a level, a production unit, stop or limit to N % of the baseline, a note), checked as the fleet
import checks it (:func:`..registry.check_enterprise`: production equipment of the enterprise, never a safety
load, one measure per unit and level, a limit needs its share 0 ≤ N < 100, a stop none) and audited (entity
``power_measure``, before and after) in the same transaction.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, insert, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store.registry_edit import RegistryEditError
from ecosentry.subsystems.power.registry import LEVELS, MEASURES
from ecosentry.subsystems.power.schema import power_equipment, power_measures

__all__ = ["ENTITY", "NOTE_MAX", "save_measure", "delete_measure"]

ENTITY = "power_measure"
NOTE_MAX = 2000
_ACTOR_MAX = 64


def _choice(values: dict, name: str, allowed: tuple[str, ...]) -> str:
    v = str(values.get(name) or "").strip()[:40]
    if v not in allowed:
        raise RegistryEditError(N_("must be one of %(allowed)s, not %(value)s"), name, allowed=", ".join(allowed),
                                value=repr(v))
    return v


def _checked(values: dict) -> dict:
    level = _choice(values, "level", LEVELS)
    measure = _choice(values, "measure", MEASURES)
    text = str(values.get("limit_pct") or "").strip()[:40]
    pct = None
    if text:
        try:
            pct = float(text)
        except ValueError:
            raise RegistryEditError(N_("%(value)s is not a number"), "limit_pct", value=repr(text)) from None
        if not math.isfinite(pct):
            raise RegistryEditError(N_("%(value)s is not a finite number"), "limit_pct", value=repr(text))
    if measure == "limit" and pct is None:
        raise RegistryEditError(N_("missing (a limit needs the share of the baseline it allows)"), "limit_pct")
    if measure == "limit" and not 0 <= pct < 100:  # type: ignore[operator]
        raise RegistryEditError(N_("must be from 0 to below 100, not %(value)s"), "limit_pct", value=f"{pct:g}")
    if measure == "stop" and pct is not None:
        raise RegistryEditError(N_("a stop allows nothing: no limit_pct"), "limit_pct")
    note = str(values.get("note") or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise RegistryEditError(N_("%(length)s characters, at most %(limit)s"), "note", length=len(note),
                                limit=NOTE_MAX)
    try:
        equipment_id = int(str(values.get("equipment_id") or "").strip()[:18])
    except ValueError:
        raise RegistryEditError(N_("missing"), "equipment_id") from None
    if not 0 < equipment_id < 2 ** 31:  # the column is an INTEGER (PostgreSQL refuses more)
        raise RegistryEditError(N_("there is nothing with the key %(key)s"), "equipment_id", key=equipment_id)
    return {"level": level, "measure": measure, "limit_pct": pct, "note": note, "equipment_id": equipment_id}


def save_measure(engine: Engine, enterprise_id: int, measure_id: int | None, values: dict, actor: str,
                 at: datetime | None = None) -> int:
    """Add (``measure_id`` None; the unit's measure at that level when it has one is changed) or change one
    measure; its id. Refused with :class:`RegistryEditError` beside
    its field, nothing written."""
    row = _checked(values)
    m, q = power_measures, power_equipment
    now = at or datetime.now(timezone.utc)
    with engine.begin() as conn:
        unit = conn.execute(select(q.c.code, q.c.role, q.c.safety_load).where(
            q.c.id == row["equipment_id"], q.c.enterprise_id == enterprise_id)).first()
        if unit is None or unit.role != "production":
            raise RegistryEditError(N_("%(equipment)s is not production equipment of enterprise %(enterprise)s"),
                                    "equipment_id", equipment=repr(unit.code if unit else row["equipment_id"]),
                                    enterprise=repr(enterprise_id))
        if unit.safety_load:
            raise RegistryEditError(N_("%(equipment)s is a declared safety load (保安用电), which no measure may "
                                       "name"), "equipment_id", equipment=repr(unit.code))
        before = None
        if measure_id is None:  # the unit's measure at this level, if it has one, is changed (one per level)
            measure_id = conn.execute(select(m.c.id).where(m.c.enterprise_id == enterprise_id,
                                                           m.c.level == row["level"],
                                                           m.c.equipment_id == row["equipment_id"])).scalar()
            adding = measure_id is None
        else:
            adding = False
        if measure_id is not None:
            found = conn.execute(select(m).where(m.c.id == measure_id, m.c.enterprise_id == enterprise_id)
                                 ).mappings().first()
            if found is None:
                raise RegistryEditError(N_("there is nothing with the key %(key)s"), None, key=measure_id)
            before = dict(found)
        twin = conn.execute(select(m.c.id).where(m.c.enterprise_id == enterprise_id, m.c.level == row["level"],
                                                 m.c.equipment_id == row["equipment_id"],
                                                 m.c.id != (measure_id or 0))).first()
        if twin is not None:
            raise RegistryEditError(N_("%(equipment)s has two measures at level %(level)s"), "level",
                                    equipment=repr(unit.code), level=row["level"])
        stamp = {"updated_by": (actor or "")[:_ACTOR_MAX] or None, "updated_at": now}
        if adding:
            measure_id = int(conn.execute(insert(m).values(enterprise_id=enterprise_id, **row, **stamp))
                             .inserted_primary_key[0])
        else:
            conn.execute(update(m).where(m.c.id == measure_id).values(**row, **stamp))
        after = dict(conn.execute(select(m).where(m.c.id == measure_id)).mappings().one())
        audit.record(conn, actor, "create" if before is None else "update", ENTITY, measure_id, before, after)
        return measure_id


def delete_measure(engine: Engine, enterprise_id: int, measure_id: int, actor: str) -> bool:
    """Remove one measure of the enterprise (audited); False when there is none with this id."""
    m = power_measures
    with engine.begin() as conn:
        found = conn.execute(select(m).where(m.c.id == measure_id, m.c.enterprise_id == enterprise_id)
                             ).mappings().first()
        if found is None:
            return False
        conn.execute(delete(m).where(m.c.id == measure_id))
        audit.record(conn, actor, "delete", ENTITY, measure_id, dict(found), None)
        return True
