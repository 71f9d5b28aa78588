"""The guard's override of a gate decision (§7 item 19 "log decision, reason and operator override"): a new
``gates_decisions`` row of kind ``override`` beside the rule's (never an update), made by
:func:`..rules.decision.override` from the decision in force (the latest override, else the rule's), and an audit
entry."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, select

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.rules.decision import Decision, override

__all__ = ["override_decision"]


def override_decision(engine: Engine, passage_id: int, *, allowed: bool, operator: str, reason: str) -> int:
    """Record the guard's override of the passage's decision; the new row's id. A passage without a decision, or
    an override without the operator or a reason, is a :class:`GatesInputError`."""
    if not operator.strip() or not reason.strip():
        raise GatesInputError("", "reason", N_("an override needs the operator and a reason"))
    d = gs.gates_decisions.c
    with engine.begin() as conn:
        current = conn.execute(select(gs.gates_decisions).where(d.passage_id == passage_id)
                               .order_by(d.decided_at.desc(), d.id.desc()).limit(1)).first()
        if current is None:
            raise GatesInputError("", "passage_id", N_("passage %(id)s has no gate decision"), id=passage_id)
        before = Decision(current.allowed, current.reason, "", dict(current.params or {}), current.stage)
        after = override(before, allowed, operator, reason[:500])
        now = datetime.now(timezone.utc)
        row = {"passage_id": passage_id, "kind": "override", "allowed": after.allowed, "reason": current.reason,
               "stage": current.stage, "level": current.level, "grade": current.grade,
               "params": {**(current.params or {}), "overridden_from": after.overridden_from},
               "operator": after.operator, "note": after.override_reason, "decided_at": now}
        new_id = int(conn.execute(gs.gates_decisions.insert().values(**row)).inserted_primary_key[0])
        audit.record(conn, after.operator, "override", "gate_decision", passage_id,
                     {"allowed": current.allowed, "reason": current.reason},
                     {"allowed": after.allowed, "note": after.override_reason})
    return new_id
