"""Single-row edits of the electricity registry (the registry pages): devices, meters, production lines,
equipment and the linkage of treatment to production, each checked and audited.

The checks are the registry file's (:mod:`ecosentry.subsystems.power.registry`): its conversions (CT ratio
``200/5``, phases 1 or 3, positive powers, whole grace minutes, the roles and treatment kinds) and its
cross-references of one enterprise (a meter measures one piece of equipment, one total meter, a treatment
serves production equipment), run on the enterprise as it would be after the change. A refused value raises
:class:`~ecosentry.store.registry_edit.RegistryEditError` naming the field with a sentence said in the
reader's language; column limits and unique keys are checked before the database sees them. Every change
writes an ``audit_log`` row (entity ``power_device``, ``power_meter``, ``power_line``, ``power_equipment``,
``power_linkage``) with the row before and after, in the same transaction (a device's password is masked).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store.registry_edit import RegistryEditError
from ecosentry.subsystems.power.registry import (ROLES, TREATMENT_KINDS, Enterprise, Equipment, Line, Linkage, Meter,
                                                 RegistryError, _check_enterprise, _Ctx)
from ecosentry.subsystems.power.schema import (power_devices, power_equipment, power_linkage, power_lines,
                                               power_meters)

__all__ = ["save_device", "save_meter", "save_line", "save_equipment", "save_linkage", "delete_linkage",
           "TRANSPORTS", "FIELD_RULES"]

TRANSPORTS = ("hj212", "mqtt", "csv")
MASK = "***"

#: What a field must hold, said when the registry's own check refuses its value.
FIELD_RULES = {
    "ct_ratio": N_("The CT ratio is a positive number or primary/secondary amperes, such as 200/5."),
    "phases": N_("A meter has 1 or 3 phases."),
    "rated_kw": N_("The rated power is a positive number of kW."),
    "normal_kw": N_("The normal load is a positive number of kW."),
    "grace_minutes": N_("The grace window is a whole number of minutes, 0 or more."),
    "meter": N_("This meter already measures other equipment of the enterprise."),
    "line": N_("This is not a production line of the enterprise."),
    "serves": N_("A treatment facility serves production equipment only."),
    "role": N_("An enterprise has at most one total meter."),
    "kind": N_("Only a treatment facility has a kind."),
    "equipment": N_("This code is already used by other equipment of the enterprise."),
}
_LIMITS = {"code": 40, "name": 200, "channel": 16, "meter_no": 40, "mn": 24, "password": 64, "tz": 40}


def _said(exc: RegistryError, field: str | None = None) -> RegistryEditError:
    """The registry's refusal as a sentence of :data:`FIELD_RULES` (by the registry's field), shown beside the
    form's input ``field`` (default: the registry's field)."""
    rule = (exc.field or "").split(".")[-1]
    return RegistryEditError(FIELD_RULES.get(rule, N_("%(text)r is not valid here")), field or rule or None,
                             text=exc.problem)


def _text(values: dict, name: str, *, required: bool = False) -> str | None:
    v = (values.get(name) or "").strip()
    if not v:
        if required:
            raise RegistryEditError("this field is required", name)
        return None
    if name in _LIMITS and len(v) > _LIMITS[name]:
        raise RegistryEditError("at most %(n)d characters", name, n=_LIMITS[name])
    return v


def _conv(fn, *args, field: str):
    """A conversion of the registry file's checks (``_Ctx``), its refusal said for the page."""
    try:
        return fn(*args)
    except RegistryError as exc:
        raise _said(exc, field) from None


def _id(values: dict, name: str) -> int | None:
    v = (values.get(name) or "").strip()
    if not v:
        return None
    try:
        return int(v)
    except ValueError:
        raise RegistryEditError("%(text)r is not a whole number", name, text=v) from None


# ------------------------------------------------------------------------------- the enterprise as a model


def _model(conn: Connection, enterprise_id: int, *, equipment: dict | None = None, meter: dict | None = None,
           linkage: tuple[int, list[int], int | None] | None = None, drop_link: tuple[int, int] | None = None
           ) -> Enterprise:
    """The enterprise's registry (:class:`~ecosentry.subsystems.power.registry.Enterprise`, ids as codes) with
    one row replaced or added, for the registry's cross-reference check."""
    ms = {r.id: r for r in conn.execute(select(power_meters).where(power_meters.c.enterprise_id == enterprise_id))}
    eqs = {r.id: dict(r._mapping) for r in conn.execute(select(power_equipment).where(
        power_equipment.c.enterprise_id == enterprise_id))}
    lines = [Line(str(r.id), r.name) for r in conn.execute(select(power_lines).where(
        power_lines.c.enterprise_id == enterprise_id))]
    meters = [Meter(str(m.id), m.ct_ratio, m.phases, m.rated_kw) for m in ms.values()]
    if meter is not None and meter.get("id") is None:
        meters.append(Meter("new", meter["ct_ratio"], meter["phases"], meter["rated_kw"]))
    if equipment is not None:
        eqs[equipment.get("id") or 0] = equipment
    eq_models = [Equipment(str(k), e["role"], str(e["meter_id"]) if e["meter_id"] else f"none-{k}", e["code"],
                           e["kind"], str(e["line_id"]) if e["line_id"] else None, e["rated_kw"], e["normal_kw"])
                 for k, e in eqs.items()]
    pairs: dict[int, dict[int, int | None]] = {}
    for r in conn.execute(select(power_linkage).where(power_linkage.c.treatment_id.in_(list(eqs)))):
        pairs.setdefault(r.treatment_id, {})[r.production_id] = r.grace_minutes
    if linkage is not None:
        t, prods, grace = linkage
        for p in prods:
            pairs.setdefault(t, {})[p] = grace
    if drop_link is not None:
        pairs.get(drop_link[0], {}).pop(drop_link[1], None)
    links = [Linkage(str(t), tuple(str(p) for p in ps)) for t, ps in pairs.items() if ps]
    meters += [Meter(f"none-{k}") for k, e in eqs.items() if not e["meter_id"]]
    return Enterprise(str(enterprise_id), "", "UTC", "", 0.0, tuple(lines), tuple(meters), tuple(eq_models),
                      tuple(links))


def _cross_check(ent: Enterprise) -> None:
    try:
        _check_enterprise(_Ctx("registry"), ent, None)
    except RegistryError as exc:
        raise _said(exc) from None


def _audited(conn: Connection, actor: str, entity: str, table, row_id: int | None, values: dict,
             mask: tuple[str, ...] = ()) -> int:
    """Insert or update one row and write its audit row; the row's id."""
    if row_id is None:
        new_id = int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])
        before = None
    else:
        before = dict(conn.execute(select(table).where(table.c.id == row_id)).mappings().one())
        conn.execute(update(table).where(table.c.id == row_id).values(**values))
        new_id = row_id
    after = dict(conn.execute(select(table).where(table.c.id == new_id)).mappings().one())
    for k in mask:
        for row in (before, after):
            if row is not None and row.get(k):
                row[k] = MASK
    audit.record(conn, actor, "create" if row_id is None else "update", entity, new_id, before, after)
    return new_id


def _own(conn: Connection, table, row_id: int | None, enterprise_id: int, field: str) -> None:
    """``row_id`` is a row of ``table`` of this enterprise (else the field is refused)."""
    if row_id is None:
        return
    got = conn.execute(select(table.c.enterprise_id).where(table.c.id == row_id)).scalar()
    if got != enterprise_id:
        raise RegistryEditError("there is nothing with the key %(key)s", field, key=row_id)


def _unique(conn: Connection, table, enterprise_id: int, row_id: int | None, column: str, value: Any,
            field: str) -> None:
    if value is None:
        return
    q = select(table.c.id).where(table.c[column] == value, table.c.id != (row_id or 0))
    if "enterprise_id" in table.c and column != "mn":
        q = q.where(table.c.enterprise_id == enterprise_id)
    if conn.execute(q).first() is not None:
        if column == "code":
            raise RegistryEditError("this code is already used within the same enterprise", field)
        raise RegistryEditError("%(value)s is already used by another row", field, value=value)


# ------------------------------------------------------------------------------- the tables


def save_device(engine: Engine, enterprise_id: int, row_id: int | None, values: dict, actor: str) -> int:
    """Create or change a data logger / MQTT device (MN, transport, zone, active, HJ 212 password)."""
    mn = _text(values, "mn", required=True)
    transport = _text(values, "transport") or "hj212"
    if transport not in TRANSPORTS:
        raise RegistryEditError("%(text)r is not one of %(choices)s", "transport", text=transport,
                                choices=", ".join(TRANSPORTS))
    tz = _text(values, "tz") or "Asia/Shanghai"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise RegistryEditError("unknown time zone %(tz)r (use an IANA name such as Asia/Shanghai)", "tz",
                                tz=tz) from None
    row = {"enterprise_id": enterprise_id, "mn": mn, "transport": transport, "tz": tz,
           "active": bool(values.get("active"))}
    password = _text(values, "password")
    if password is not None:
        row["password"] = password
    with engine.begin() as conn:
        _own(conn, power_devices, row_id, enterprise_id, "mn")
        _unique(conn, power_devices, enterprise_id, row_id, "mn", mn, "mn")
        return _audited(conn, actor, "power_device", power_devices, row_id, row, mask=("password",))


def save_meter(engine: Engine, enterprise_id: int, row_id: int | None, values: dict, actor: str) -> int:
    """Create or change a meter: code, device and channel, serial number, CT ratio, phases, rated kW."""
    ctx = _Ctx("form")
    code = _text(values, "code", required=True)
    row = {"enterprise_id": enterprise_id, "code": code, "device_id": _id(values, "device_id"),
           "channel": _text(values, "channel"), "meter_no": _text(values, "meter_no"),
           "ct_ratio": _conv(ctx.ct_ratio, values.get("ct_ratio"), None, field="ct_ratio"),
           "phases": _conv(ctx.whole, values.get("phases"), None, "phases", (1, 3), field="phases") or 3,
           "rated_kw": _positive(ctx, values, "rated_kw")}
    if (row["device_id"] is None) != (row["channel"] is None):
        raise RegistryEditError(N_("A meter sending through a device needs both the device and its channel."),
                                "channel" if row["device_id"] else "device_id")
    with engine.begin() as conn:
        _own(conn, power_meters, row_id, enterprise_id, "code")
        _own(conn, power_devices, row["device_id"], enterprise_id, "device_id")
        _unique(conn, power_meters, enterprise_id, row_id, "code", code, "code")
        if row["device_id"] is not None and conn.execute(select(power_meters.c.id).where(
                power_meters.c.device_id == row["device_id"], power_meters.c.channel == row["channel"],
                power_meters.c.id != (row_id or 0))).first() is not None:
            raise RegistryEditError(N_("Another meter already sends as channel %(channel)s of this device."),
                                    "channel", channel=row["channel"])
        _cross_check(_model(conn, enterprise_id, meter={"id": row_id, **row}))
        return _audited(conn, actor, "power_meter", power_meters, row_id, row)


def _positive(ctx: _Ctx, values: dict, name: str) -> float | None:
    return _conv(lambda v: ctx.number(v, None, name, positive=True), values.get(name), field=name)


def save_line(engine: Engine, enterprise_id: int, row_id: int | None, values: dict, actor: str) -> int:
    """Create or rename a production line."""
    row = {"enterprise_id": enterprise_id, "code": _text(values, "code", required=True),
           "name": _text(values, "name", required=True)}
    with engine.begin() as conn:
        _own(conn, power_lines, row_id, enterprise_id, "code")
        _unique(conn, power_lines, enterprise_id, row_id, "code", row["code"], "code")
        return _audited(conn, actor, "power_line", power_lines, row_id, row)


def save_equipment(engine: Engine, enterprise_id: int, row_id: int | None, values: dict, actor: str) -> int:
    """Create or change equipment: code, name, role, treatment kind, line, meter, rated and normal kW, safety
    load (保安用电)."""
    ctx = _Ctx("form")
    role = _text(values, "role", required=True)
    if role not in ROLES:
        raise RegistryEditError("%(text)r is not one of %(choices)s", "role", text=role, choices=", ".join(ROLES))
    kind = _text(values, "kind")
    if kind is not None and kind not in TREATMENT_KINDS:
        raise RegistryEditError("%(text)r is not one of %(choices)s", "kind", text=kind,
                                choices=", ".join(TREATMENT_KINDS))
    if kind is not None and role != "treatment":
        raise RegistryEditError(FIELD_RULES["kind"], "kind")
    row = {"enterprise_id": enterprise_id, "code": _text(values, "code", required=True),
           "name": _text(values, "name", required=True), "role": role,
           "kind": kind or ("other" if role == "treatment" else None), "line_id": _id(values, "line_id"),
           "meter_id": _id(values, "meter_id"), "rated_kw": _positive(ctx, values, "rated_kw"),
           "normal_kw": _positive(ctx, values, "normal_kw"), "safety_load": bool(values.get("safety_load"))}
    with engine.begin() as conn:
        _own(conn, power_equipment, row_id, enterprise_id, "code")
        _own(conn, power_lines, row["line_id"], enterprise_id, "line_id")
        _own(conn, power_meters, row["meter_id"], enterprise_id, "meter_id")
        _unique(conn, power_equipment, enterprise_id, row_id, "code", row["code"], "code")
        if row_id is not None and role != "production" and conn.execute(select(power_linkage).where(
                power_linkage.c.production_id == row_id)).first() is not None:
            raise RegistryEditError(N_("Treatment facilities serve this equipment: it must stay production "
                                       "equipment until the linkage is changed."), "role")
        if row_id is not None and role != "treatment" and conn.execute(select(power_linkage).where(
                power_linkage.c.treatment_id == row_id)).first() is not None:
            raise RegistryEditError(N_("This equipment serves production equipment: it must stay a treatment "
                                       "facility until the linkage is changed."), "role")
        _cross_check(_model(conn, enterprise_id, equipment={"id": row_id, **row}))
        return _audited(conn, actor, "power_equipment", power_equipment, row_id, row)


def save_linkage(engine: Engine, enterprise_id: int, values: dict, actor: str) -> tuple[int, int]:
    """Link a treatment facility to a production unit it serves (or change the pair's grace window)."""
    ctx = _Ctx("form")
    t = _id(values, "treatment_id")
    p = _id(values, "production_id")
    if t is None:
        raise RegistryEditError("this field is required", "treatment_id")
    if p is None:
        raise RegistryEditError("this field is required", "production_id")
    grace = _conv(ctx.whole, values.get("grace_minutes"), None, "grace_minutes", None, 0, field="grace_minutes")
    with engine.begin() as conn:
        _own(conn, power_equipment, t, enterprise_id, "treatment_id")
        _own(conn, power_equipment, p, enterprise_id, "production_id")
        role = conn.execute(select(power_equipment.c.role).where(power_equipment.c.id == t)).scalar()
        if role != "treatment":
            raise RegistryEditError(N_("Only a treatment facility serves production equipment."), "treatment_id")
        try:
            _check_enterprise(_Ctx("registry"), _model(conn, enterprise_id, linkage=(t, [p], grace)), None)
        except RegistryError as exc:
            raise _said(exc, "production_id" if exc.field == "serves" else None) from None
        key = {"treatment_id": t, "production_id": p}
        before = conn.execute(select(power_linkage).where(power_linkage.c.treatment_id == t,
                                                          power_linkage.c.production_id == p)).mappings().first()
        if before is None:
            conn.execute(insert(power_linkage).values(**key, grace_minutes=grace))
        else:
            conn.execute(update(power_linkage).where(power_linkage.c.treatment_id == t,
                                                     power_linkage.c.production_id == p).values(grace_minutes=grace))
        audit.record(conn, actor, "create" if before is None else "update", "power_linkage", f"{t}:{p}",
                     dict(before) if before else None, {**key, "grace_minutes": grace})
    return t, p


def delete_linkage(engine: Engine, enterprise_id: int, treatment_id: int, production_id: int, actor: str) -> bool:
    """Remove one (treatment, production) pair; False when there was none."""
    with engine.begin() as conn:
        _own(conn, power_equipment, treatment_id, enterprise_id, "treatment_id")
        before = conn.execute(select(power_linkage).where(power_linkage.c.treatment_id == treatment_id,
                                                          power_linkage.c.production_id == production_id)
                              ).mappings().first()
        if before is None:
            return False
        conn.execute(delete(power_linkage).where(power_linkage.c.treatment_id == treatment_id,
                                                 power_linkage.c.production_id == production_id))
        audit.record(conn, actor, "delete", "power_linkage", f"{treatment_id}:{production_id}", dict(before), None)
    return True
