"""Versioned, audited thresholds of the meters (issue 15 item 3: "every threshold change versioned and
audited").

Every change is a new row of ``power_thresholds`` (``version`` = the meter's highest + 1; nothing is ever
updated or deleted) and, in the same transaction, an ``audit_log`` row (:mod:`ecosentry.store.audit`,
entity ``power_threshold``, id = the meter's id) with the version in force before and the new one.

* :func:`set_thresholds`: a person sets on/off/dwell with a reason (source ``set``);
* :func:`record_learned`: the engine records what the learning (:mod:`..rules.learned`) found, with its
  explanation, only when it differs from the version in force, and never over a person's setting (a version
  of source ``set`` or ``registry`` in force stays until a person changes it).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, func, insert, select

from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.subsystems.power.queries.thresholds import in_force
from ecosentry.subsystems.power.rules.learned import LearnedThreshold
from ecosentry.subsystems.power.schema import power_meters, power_thresholds

__all__ = ["ThresholdError", "set_thresholds", "record_learned", "PERSON_SOURCES", "REASON_MAX", "ACTOR_MAX"]

t = power_thresholds
#: Sources a learned threshold never replaces.
PERSON_SOURCES = ("set", "registry")
REASON_MAX = 2000
ACTOR_MAX = 64
#: A learned threshold within this relative difference of the one in force is the same (no new version).
SAME_WITHIN = 0.02
ENTITY = "power_threshold"


class ThresholdError(Said):
    """A threshold change refused; the message says why (a msgid, said in the reader's language)."""


_NOT_A_NUMBER = {"on": N_("the on threshold must be a number of kW, not %(value)s"),
                 "off": N_("the off threshold must be a number of kW, not %(value)s")}
_OUT_OF_RANGE = {"on": N_("the on threshold must be above 0 and at most 10,000,000 kW, not %(value)s"),
                 "off": N_("the off threshold must be from 0 to 10,000,000 kW, not %(value)s")}


def _number(value, which: str, *, positive: bool) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ThresholdError(_NOT_A_NUMBER[which], value=str(value)[:40]) from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0) or x > 1e7:
        raise ThresholdError(_OUT_OF_RANGE[which], value=str(value)[:40])
    return x


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 6:
        return int(value.strip())
    return None


def _next_version(conn: Connection, meter_id: int) -> int:
    return int(conn.execute(select(func.coalesce(func.max(t.c.version), 0)).where(t.c.meter_id == meter_id))
               .scalar_one()) + 1


def _insert(conn: Connection, meter_id: int, values: dict, actor: str | None, action: str, at: datetime) -> dict:
    before = in_force(conn, [meter_id], at).get(meter_id)
    row = {"meter_id": meter_id, "version": _next_version(conn, meter_id), **values}
    row["id"] = conn.execute(insert(t).values(**row)).inserted_primary_key[0]
    audit.record(conn, actor, action, ENTITY, meter_id, before, row)
    return row


def set_thresholds(engine: Engine, meter_id: int, *, on_kw, off_kw, dwell, actor: str, reason: str,
                   dwell_off=2, valid_from: datetime | None = None, at: datetime | None = None) -> dict:
    """A person sets a meter's thresholds: a new version (source ``set``) and its audit row; returns the row.

    ``valid_from`` (default now) may be earlier than now: a correction of how past minutes are judged from then on
    (the engine re-judges only its window). Refused (:class:`ThresholdError`): an unknown meter, a missing
    actor or reason, on ≤ 0, off > on, a dwell (start ``dwell``, stop ``dwell_off``) outside 1–60 samples,
    text over the column limits."""
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    valid_from = (valid_from or at).astimezone(timezone.utc)
    actor = (actor or "").strip()
    reason = (reason or "").strip()
    if not actor:
        raise ThresholdError(N_("a threshold change needs the person who makes it"))
    if len(actor) > ACTOR_MAX:
        raise ThresholdError(N_("the user name is longer than %(n)s characters"), n=ACTOR_MAX)
    if not reason:
        raise ThresholdError(N_("a threshold change needs a reason"))
    if len(reason) > REASON_MAX:
        raise ThresholdError(N_("the reason is longer than %(n)s characters"), n=REASON_MAX)
    on = _number(on_kw, "on", positive=True)
    off = _number(off_kw, "off", positive=False)
    if off > on:
        raise ThresholdError(N_("the off threshold (%(off)s kW) is above the on threshold (%(on)s kW)"),
                             off=f"{off:g}", on=f"{on:g}")
    d = _whole(dwell)
    if d is None or not 1 <= d <= 60:
        raise ThresholdError(N_("the dwell must be a whole number of samples from 1 to 60, not %(value)s"),
                             value=dwell)
    d_off = _whole(dwell_off)
    if d_off is None or not 1 <= d_off <= 60:
        raise ThresholdError(N_("the dwell must be a whole number of samples from 1 to 60, not %(value)s"),
                             value=dwell_off)
    with engine.begin() as conn:
        if conn.execute(select(power_meters.c.id).where(power_meters.c.id == meter_id)).first() is None:
            raise ThresholdError(N_("no meter with id %(id)s"), id=meter_id)
        return _insert(conn, meter_id, {"on_kw": on, "off_kw": off, "dwell": d, "dwell_off": d_off, "source": "set",
                                        "valid_from": valid_from, "set_by": actor, "set_at": at, "reason": reason,
                                        "explanation": None}, actor, "set", at)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_WITHIN * max(abs(a), abs(b), 1e-9)


def record_learned(conn: Connection, meter_id: int, learned: LearnedThreshold, at: datetime, *,
                   actor: str = "engine") -> dict | None:
    """Record a learned threshold as a new version (source ``learned``, its explanation), in the caller's
    transaction; ``None`` (nothing written) when nothing was learned, when a person's version is in force, or
    when the version in force is the same (within 2 %)."""
    th = learned.thresholds
    if th is None:
        return None
    current = in_force(conn, [meter_id], at).get(meter_id)
    if current is not None:
        if current["source"] in PERSON_SOURCES:
            return None
        if _same(current["on_kw"], th.on) and _same(current["off_kw"], th.off) and current["dwell"] == th.dwell \
                and current.get("dwell_off") == th.stop_dwell:
            return None
    explanation = {k: v for k, v in learned.as_dict().items()} | {"dwell": th.dwell, "dwell_off": th.stop_dwell}
    return _insert(conn, meter_id, {"on_kw": float(th.on), "off_kw": float(th.off), "dwell": int(th.dwell),
                                    "dwell_off": int(th.stop_dwell),
                                    "source": "learned", "valid_from": at, "set_by": actor, "set_at": at,
                                    "reason": learned.reason[:REASON_MAX], "explanation": audit.jsonable(explanation)},
                   actor, "learn", at)
