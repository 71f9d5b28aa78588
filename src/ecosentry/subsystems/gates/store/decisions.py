"""The guard's override of a gate decision (§7 item 19 "log decision, reason and operator override"): a new
``gates_decisions`` row of kind ``override`` beside the rule's (never an update), made by
:func:`..rules.decision.override` from the decision in force (the latest override, else the rule's), and an audit
entry. And the guard's completion of a ledger row whose stage the register lacked (``stage_unknown``, §3.3: the
stage read on the 随车清单 / 行驶证): the row gets the stage (audited) and its passage's decision is made again by
the rule with that stage, at the level and grade of the passage, as a ``gates_decisions`` row of kind
``complete``."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.rules.decision import Decision, GradeRules, Vehicle, decide, override
from ecosentry.subsystems.gates.rules.stages import parse_fuel, parse_stage

__all__ = ["override_decision", "complete_stage", "GUARD_ROLES", "KNOWN_STAGE", "passage_enterprise", "ledger_enterprise"]

KNOWN_STAGE = N_("the stage of this ledger row is known already")
#: Who acts at the gate: the enterprise's own accounts (its guard) and an administrator.
GUARD_ROLES = ("enterprise", "admin")


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


def passage_enterprise(conn: Connection, passage_id: int) -> int | None:
    return conn.scalar(select(gs.gates_passages.c.enterprise_id).where(gs.gates_passages.c.id == passage_id))


def ledger_enterprise(conn: Connection, row_id: int) -> int | None:
    return conn.scalar(select(gs.gates_ledger.c.enterprise_id).where(gs.gates_ledger.c.id == row_id))


def complete_stage(engine: Engine, row_id: int, *, stage: str, fuel: str | None, operator: str,
                   rules: GradeRules) -> dict:
    """Complete the ``stage_unknown`` ledger row ``row_id`` with the stage the guard read (and the fuel, if given);
    its passage's decision made again. Returns ``{"row_id", "stage", "decision": {...} | None}``; a row whose stage
    is known, or a stage or fuel that is none, is a :class:`GatesInputError`."""
    code = parse_stage(stage or "")
    if code is None or code == "x":
        raise GatesInputError("", "emission_stage", N_("%(text)r is no emission stage (0–6, d, 国四 …)"),
                              text=stage or "")
    fuel_code = None
    if fuel:
        fuel_code = parse_fuel(fuel)
        if fuel_code is None:
            raise GatesInputError("", "fuel", N_("%(text)r is no fuel (diesel, gasoline, natural_gas, electric, "
                                                 "hybrid, hydrogen, other)"), text=fuel)
    lg, d = gs.gates_ledger.c, gs.gates_decisions.c
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        row = conn.execute(select(gs.gates_ledger).where(lg.id == row_id)).first()
        if row is None:
            raise GatesInputError("", "row_id", N_("ledger row %(id)s does not exist"), id=row_id)
        if not row.stage_unknown:
            raise GatesInputError("", "emission_stage", KNOWN_STAGE)
        after = {"emission_stage": code, "stage_unknown": False, **({"fuel": fuel_code} if fuel_code else {})}
        conn.execute(update(gs.gates_ledger).where(lg.id == row_id).values(**after))
        audit.record(conn, operator, "complete", "gate_ledger", row_id,
                     {"emission_stage": row.emission_stage, "stage_unknown": True, "fuel": row.fuel}, after)
        out: dict = {"row_id": row_id, "stage": code, "decision": None}
        if row.passage_id is None:
            return out
        rule_row = conn.execute(select(gs.gates_decisions).where(d.passage_id == row.passage_id, d.kind == "rule")
                                ).first()
        grade = (rule_row.grade if rule_row is not None and rule_row.grade else None) or conn.scalar(
            select(gs.gates_enterprises.c.grade).where(gs.gates_enterprises.c.enterprise_id == row.enterprise_id))
        level = rule_row.level if rule_row is not None else None
        plate = row.plate
        decision = decide(plate, Vehicle(plate, row.plate_colour, row.vin or "", code, fuel_code or row.fuel),
                          grade or "D", level, rules)
        values = {"passage_id": row.passage_id, "kind": "complete", "allowed": decision.allowed,
                  "reason": decision.reason, "stage": decision.stage, "level": level, "grade": grade,
                  "params": decision.params, "operator": operator[:64], "note": None, "decided_at": now}
        new_id = int(conn.execute(gs.gates_decisions.insert().values(**values)).inserted_primary_key[0])
        out["decision"] = {"id": new_id, "allowed": decision.allowed, "reason": decision.reason,
                           "msgid": decision.msgid, "params": decision.params, "stage": decision.stage}
    return out
