"""Edits of an enterprise's hourly baseline (``power_baselines``), audited (``ecosentry.store.audit``).

The computed baseline (:func:`..rules.orders.hourly_baseline`: the median of the last 30 normal production days)
is what the rules use until someone edits it; §7 item 6 makes it "editable per enterprise": an enterprise whose
days before the alert were not normal (a maintenance month, a new line) or a regulator who holds the 一厂一策 plan's
capacity figure sets the 24 hourly values, for one alert or standing (every alert). Who, when and why are kept
on the row, and the audit log has the values before and after.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from ecosentry.said import N_, Said
from ecosentry.store.audit import record
from ecosentry.subsystems.power import schema as ps

__all__ = ["BaselineError", "save_baseline", "MAX_HOUR_KWH", "MAX_REASON"]

#: An hour's energy above this is a typing error, not a plant (1 GW for an hour). [kWh]
MAX_HOUR_KWH = 1e6
MAX_REASON = 2000


class BaselineError(Said):
    """An edit that cannot be stored (said in the reader's language)."""


def _values(hours_kwh: list) -> list[float]:
    if len(hours_kwh) != 24:
        raise BaselineError(N_("A baseline needs 24 hourly values, not %(n)s."), n=len(hours_kwh))
    out = []
    for h, v in enumerate(hours_kwh):
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise BaselineError(N_("Hour %(hour)s: %(value)s is not a number."), hour=h, value=str(v)[:40]) from None
        if not math.isfinite(x) or x < 0 or x > MAX_HOUR_KWH:
            raise BaselineError(N_("Hour %(hour)s: the energy must be between 0 and %(max)s kWh."), hour=h,
                                max=f"{MAX_HOUR_KWH:g}")
        out.append(round(x, 3))
    return out


def save_baseline(conn: Connection, enterprise_id: int, hours_kwh: list, *, actor: str, reason: str,
                  alert_id: int | None = None, at: datetime | None = None) -> dict:
    """Store the enterprise's edited baseline (standing when ``alert_id`` is None), replacing the one before;
    returns the row. The caller's transaction holds the change and its audit row together."""
    values = _values(hours_kwh)
    reason = (reason or "").strip()
    if not reason:
        raise BaselineError(N_("Say why the baseline is changed."))
    if len(reason) > MAX_REASON:
        raise BaselineError(N_("The reason is longer than %(max)s characters."), max=MAX_REASON)
    b = ps.power_baselines
    where = (b.c.enterprise_id == enterprise_id) & (b.c.alert_id.is_(None) if alert_id is None
                                                   else b.c.alert_id == alert_id)
    before = conn.execute(select(b).where(where)).mappings().first()
    row = {"enterprise_id": enterprise_id, "alert_id": alert_id, "hours_kwh": values, "edited_by": actor[:64],
           "edited_at": at or datetime.now(timezone.utc), "reason": reason}
    if before is None:
        row["id"] = conn.execute(b.insert().values(**row).returning(b.c.id)).scalar_one()
    else:
        conn.execute(b.update().where(b.c.id == before["id"]).values(**row))
        row["id"] = before["id"]
    record(conn, actor, "edit" if before else "create", "power_baseline", row["id"],
           dict(before) if before else None, row)
    return row
