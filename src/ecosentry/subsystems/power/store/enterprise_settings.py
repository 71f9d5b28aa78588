"""An enterprise's power settings (``power_enterprises``): the unmetered load and the declared operating
schedule, written by the fleet import (:mod:`.registry`) and by the registry page (:func:`save_enterprise_settings`),
each change audited (entity ``power_enterprise``, the enterprise's id, before and after).

* ``unmetered_kw`` — the load the total meter sees and no sub-meter does (lighting, offices, a compressor): the
  zero-all-phases rule (``PWR-ZERO-ALL-PHASES``, §1.4 rule 5) subtracts it before it says the line draws power
  a silent meter should have seen. 0 to 100,000 kW [ours: a bound far above any plant's auxiliary load].
* ``schedule`` — ``day`` (default), ``continuous`` (连续生产), ``three_shift`` (三班制) or ``night`` (错峰生产):
  what the utility-meter analytics judge the night/day ratio against (:mod:`..rules.utility`).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, insert, select, update

from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.registry_edit import RegistryEditError
from ecosentry.subsystems.power.rules.utility import SCHEDULES
from ecosentry.subsystems.power.schema import power_enterprises

__all__ = ["MAX_UNMETERED_KW", "ENTITY", "store_enterprise_settings", "save_enterprise_settings"]

MAX_UNMETERED_KW = 100_000.0
ENTITY = "power_enterprise"
_ACTOR_MAX = 64


def store_enterprise_settings(conn: Connection, enterprise_id: int, values: dict, actor: str | None,
                              now: datetime) -> bool:
    """Upsert the given settings (checked values) in the caller's transaction and audit the change; False (and
    nothing written) when they are what is stored."""
    t = power_enterprises
    row = conn.execute(select(t).where(t.c.enterprise_id == enterprise_id)).mappings().first()
    before = dict(row) if row is not None else None
    if before is not None and all(before.get(k) == v for k, v in values.items()):
        return False
    stamp = {"updated_by": (actor or "")[:_ACTOR_MAX] or None, "updated_at": now}
    if before is None:
        conn.execute(insert(t).values(enterprise_id=enterprise_id, **values, **stamp))
    else:
        conn.execute(update(t).where(t.c.enterprise_id == enterprise_id).values(**values, **stamp))
    after = dict(conn.execute(select(t).where(t.c.enterprise_id == enterprise_id)).mappings().one())
    audit.record(conn, actor, "create" if before is None else "update", ENTITY, enterprise_id, before, after)
    return True


def save_enterprise_settings(engine: Engine, enterprise_id: int, values: dict, actor: str,
                             at: datetime | None = None) -> bool:
    """The registry page's form (``unmetered_kw``, ``schedule`` as typed); refused with
    :class:`RegistryEditError` beside its field: not a number, negative or above :data:`MAX_UNMETERED_KW`, an
    unknown schedule, an unknown enterprise."""
    text = str(values.get("unmetered_kw") or "").strip()[:40] or "0"
    try:
        kw = float(text)
    except ValueError:
        raise RegistryEditError("%(text)r is not a number", "unmetered_kw", text=text) from None
    if not math.isfinite(kw) or kw < 0:
        raise RegistryEditError("must be at least %(n)s", "unmetered_kw", n=0)
    if kw > MAX_UNMETERED_KW:
        raise RegistryEditError("must be at most %(n)s", "unmetered_kw", n=f"{MAX_UNMETERED_KW:g}")
    schedule = str(values.get("schedule") or "day").strip()[:40]
    if schedule not in SCHEDULES:
        raise RegistryEditError("%(text)r is not one of %(choices)s", "schedule", text=schedule,
                                choices=", ".join(SCHEDULES))
    with engine.begin() as conn:
        if conn.execute(select(s.enterprises.c.id).where(s.enterprises.c.id == enterprise_id)).first() is None:
            raise RegistryEditError("there is nothing with the key %(key)s", "unmetered_kw", key=enterprise_id)
        return store_enterprise_settings(conn, enterprise_id, {"unmetered_kw": kw, "schedule": schedule}, actor,
                                         (at or datetime.now(timezone.utc)))
