"""The electricity registry of a fleet file, stored: the registry import's part for the power subsystem
(``Subsystem.registry_import``; ``ecosentry registry import fleet.yaml``), inside the import's transaction,
after the core's regions and enterprises.

Shape (a top-level ``power:`` key; the items are those of the power registry file, :mod:`..registry`, checked
by the same parser, with the enterprise keyed by the credit code of a core enterprise)::

    power:
      devices:
        - {mn: PWR4101000001, transport: hj212, password: "123456", tz: Asia/Shanghai}
        - {mn: mqtt-coking-01, transport: mqtt, password: "device secret", enterprise: 91141000MA0EXAMPLE}
      enterprises:
        - credit_code: 91141000MA0EXAMPLE          # an enterprise of the file's core part or of the database
          unmetered_kw: 8                          # the load no sub-meter sees (lighting, offices) [kW]
          schedule: continuous                     # day | continuous | three_shift | night
          lines: [{id: L1, name: Coke oven line 1}]
          meters:
            - {id: SB001, device: PWR4101000001, channel: SB1, meter_no: "2023-0001", ct_ratio: 200/5,
               phases: 3, rated_kw: 250}
            - {id: SB002, device: PWR4101000001, channel: SB2, ct_ratio: 40, rated_kw: 90,
               thresholds: {on: 12, off: 6, dwell: 3}}
          equipment:
            - {id: oven1, name: Coke oven 1, role: production, line: L1, meter: SB001, rated_kw: 250, normal_kw: 200}
            - {id: dust1, role: treatment, kind: dust_removal, meter: SB002, serves: [oven1], grace_minutes: 5}
            - {id: lights, role: production, meter: SB003, safety_load: true}
          measures:
            - {level: orange, equipment: oven1, measure: limit, limit_pct: 50}
            - {level: red, equipment: oven1, measure: stop}

* **devices**: ``mn`` (HJ 212 MN of a power logger, or the MQTT client id / user name), ``transport``
  ``hj212`` (default), ``mqtt`` or ``csv`` (readings only from files: ``ecosentry power import-readings``;
  no password), ``password``, ``tz``, ``active``, ``enterprise`` (credit code; by default
  the enterprise whose meters name the device; a device serves one enterprise). The password of an ``hj212``
  device is its HJ 212 access password ``PW``, stored as the gateway needs it; that of an ``mqtt`` device is
  stored **only as a hash** (``mqtt_secret_hash``, Mosquitto's PBKDF2-SHA512 ``$7$`` format,
  :mod:`..credentials`), from which the broker's password file is written. A re-import with the same password
  keeps the stored hash (the hash is salted: hashing again would change it for nothing).
* **meters**: ``device`` (an MN of ``devices`` or of the database) and ``channel`` (how the device names the
  meter in what it sends: ``SB1``, an MQTT meter id; ≤ 16 characters); ``thresholds`` becomes a
  ``power_thresholds`` row with source ``registry`` (version 1 for a new meter; a new version when the file's
  values change, never when a person or the learning set others since and the file did not change).
* **unmetered_kw**, **schedule**: the enterprise's power settings (``power_enterprises``, audited as
  ``power_enterprise``): the load the total meter sees and no sub-meter does (``PWR-ZERO-ALL-PHASES``) and the
  declared operating schedule (the utility-meter analytics). Only the keys the file gives are written: a file
  without them keeps what the registry page set.
* **measures**: the enterprise's emission-reduction list (§1.5): from alert ``level`` (yellow, orange, red)
  on, ``stop`` a production unit or ``limit`` it to ``limit_pct`` % of its baseline; a safety load may not be
  named.

**Re-import** is idempotent: everything is upserted by its code (device by MN, line/meter/equipment by
enterprise + code). **Removed items**: devices, lines, meters and equipment that a re-imported file no longer
lists are **kept as they are** (readings, thresholds and findings refer to them; a device is retired with
``active: false``, the rest on the registry pages); an enterprise's **linkage and measures** are complete lists
in the file and are **replaced** (what the file no longer lists is deleted), for the enterprises the file lists.
A meter's channel or an equipment's meter given to another item in the file moves to it (the previous holder
loses it).

Every error is a :class:`..registry.RegistryError` (a ``ValueError``, said in the reader's language) naming the
enterprise or device, the item and the field; the core refuses the whole import with it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.credentials import mosquitto_hash, mosquitto_verify
from ecosentry.subsystems.power.store.enterprise_settings import store_enterprise_settings
from ecosentry.subsystems.power.registry import (FLEET_ENTERPRISE_KEYS, Checker, Device, Enterprise,
                                                 parse_device, parse_enterprise)

__all__ = ["import_power", "parse_power"]

#: The place of the ``power`` key itself in an error.
_SOURCE = ""


def parse_power(block: Any) -> tuple[list[Device], list[Enterprise]]:
    """The ``power`` key of a fleet file, checked (no database): its devices and enterprises."""
    ctx = Checker(_SOURCE, lines=False)
    if not isinstance(block, dict):
        raise ctx.fail(None, "power", N_("must be a mapping with devices and enterprises"))
    ctx.keys(block, None, ("devices", "enterprises"))
    devices: list[Device] = []
    seen: set[str] = set()
    for i, d in enumerate(ctx.items(block, "devices", None)):
        at = ctx.at(d, (), "device", d.get("mn"), i)
        dev = parse_device(ctx, d, at)
        if dev.mn in seen:
            raise ctx.fail(at, "mn", N_("device %(device)s is listed twice"), device=repr(dev.mn))
        seen.add(dev.mn)
        devices.append(dev)
    enterprises: list[Enterprise] = []
    codes: set[str] = set()
    for i, e in enumerate(ctx.items(block, "enterprises", None)):
        at = ctx.at(e, (), "enterprise", e.get("credit_code"), i)
        ent = parse_enterprise(ctx, e, at, key="credit_code", keys=FLEET_ENTERPRISE_KEYS)
        if ent.id in codes:
            raise ctx.fail(at, "credit_code", N_("enterprise %(enterprise)s is listed twice"),
                           enterprise=repr(ent.id))
        codes.add(ent.id)
        enterprises.append(ent)
    channels: dict[tuple[str, str], tuple[str, str]] = {}
    for ent in enterprises:
        for m in ent.meters:
            if m.device:
                held = channels.setdefault((m.device, m.channel or ""), (ent.id, m.id))
                if held != (ent.id, m.id):
                    raise ctx.fail((("enterprise", ent.id), ("meter", m.id)), "channel",
                                   N_("channel %(channel)s of device %(device)s is already meter %(meter)s"),
                                   channel=repr(m.channel), device=repr(m.device), meter=repr(f"{held[0]}/{held[1]}"))
    return devices, enterprises


def import_power(conn: Connection, fleet: dict, actor: str | None) -> dict[str, int]:
    """Store the fleet's ``power`` key (see the module's docstring); returns the counts that are not zero."""
    if "power" not in fleet or fleet["power"] is None:
        return {}
    devices, enterprises = parse_power(fleet["power"])
    ctx = Checker(_SOURCE, lines=False)
    now = datetime.now(timezone.utc)
    counts = dict.fromkeys(("power_devices", "power_enterprises", "power_lines", "power_meters", "power_equipment",
                            "power_linkage", "power_measures", "power_thresholds"), 0)
    ent_ids = _enterprise_ids(conn, ctx, devices, enterprises)
    device_ids = _store_devices(conn, ctx, devices, enterprises, ent_ids)
    counts["power_devices"] = len(devices)
    raw = {str(e.get("credit_code")): e for e in (fleet["power"].get("enterprises") or []) if isinstance(e, dict)}
    for ent in enterprises:
        _store_enterprise(conn, ctx, ent, ent_ids[ent.id], device_ids, actor, now, counts)
        given = {k: v for k, v in (("unmetered_kw", ent.unmetered_kw), ("schedule", ent.schedule))
                 if k in raw.get(ent.id, {})}
        if given:
            store_enterprise_settings(conn, ent_ids[ent.id], given, actor, now)
        counts["power_enterprises"] += 1
    return {k: v for k, v in counts.items() if v}


def _enterprise_ids(conn: Connection, ctx: Checker, devices: list[Device], enterprises: list[Enterprise]
                    ) -> dict[str, int]:
    wanted = {e.id for e in enterprises} | {d.enterprise for d in devices if d.enterprise}
    found = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)
                              .where(s.enterprises.c.credit_code.in_(sorted(wanted)))).all()) if wanted else {}
    for ent in enterprises:
        if ent.id not in found:
            raise ctx.fail((("enterprise", ent.id),), "credit_code",
                           N_("no enterprise with this credit code in the file or the database"))
    for d in devices:
        if d.enterprise and d.enterprise not in found:
            raise ctx.fail((("device", d.mn),), "enterprise",
                           N_("no enterprise with credit code %(enterprise)s in the file or the database"),
                           enterprise=repr(d.enterprise))
    return found


def _store_devices(conn: Connection, ctx: Checker, devices: list[Device], enterprises: list[Enterprise],
                   ent_ids: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Upsert the file's devices; returns MN → (device id, enterprise id) for every device the meters name."""
    users: dict[str, set[str]] = {}
    for ent in enterprises:
        for m in ent.meters:
            if m.device:
                users.setdefault(m.device, set()).add(ent.id)
    d_ = ps.power_devices
    out: dict[str, tuple[int, int]] = {}
    for dev in devices:
        owners = users.get(dev.mn, set())
        if dev.enterprise is None and len(owners) > 1:
            raise ctx.fail((("device", dev.mn),), "enterprise",
                           N_("meters of several enterprises name this device (%(enterprises)s): a device serves "
                              "one enterprise"), enterprises=", ".join(sorted(owners)))
        before = conn.execute(select(d_.c.id, d_.c.enterprise_id, d_.c.mqtt_secret_hash)
                              .where(d_.c.mn == dev.mn)).first()
        owner = dev.enterprise or next(iter(owners), None)
        if owner is None and before is None:
            raise ctx.fail((("device", dev.mn),), "enterprise",
                           N_("missing (no meter names this device: say whose it is)"))
        stray = owners - {owner}
        if owner is not None and stray:
            raise ctx.fail((("enterprise", sorted(stray)[0]),), "meters",
                           N_("device %(device)s belongs to enterprise %(owner)s"), device=repr(dev.mn),
                           owner=repr(owner))
        # a device the file names without meters or enterprise stays with its enterprise
        owner_id = ent_ids[owner] if owner is not None else before.enterprise_id
        if dev.transport == "mqtt" and dev.password is not None:
            kept = before.mqtt_secret_hash if before is not None else None
            secret = kept if kept and mosquitto_verify(dev.password, kept) else mosquitto_hash(dev.password)
            password = None
        else:
            secret, password = None, dev.password
        values = {"enterprise_id": owner_id, "password": password, "mqtt_secret_hash": secret,
                  "transport": dev.transport, "tz": dev.tz, "active": dev.active}
        out[dev.mn] = (_upsert_id(conn, d_, {"mn": dev.mn}, values), owner_id)
    # meters may name devices imported before
    others = sorted(set(users) - set(out))
    if others:
        for mn, did, eid in conn.execute(select(d_.c.mn, d_.c.id, d_.c.enterprise_id).where(d_.c.mn.in_(others))):
            out[mn] = (did, eid)
    return out


def _store_enterprise(conn: Connection, ctx: Checker, ent: Enterprise, eid: int,
                      device_ids: dict[str, tuple[int, int]], actor: str | None, now: datetime,
                      counts: dict[str, int]) -> None:
    place = (("enterprise", ent.id),)
    lines = _Coded(conn, ps.power_lines, eid)
    for ln in ent.lines:
        lines.put(ln.id, {"name": ln.name or ln.id})
    counts["power_lines"] += len(ent.lines)
    m_ = ps.power_meters
    meters = _Coded(conn, m_, eid)
    named = sorted({device_ids[m.device][0] for m in ent.meters if m.device in device_ids})
    # who holds each channel of the devices this enterprise's meters name: a channel moves to the file's meter
    channels = _Holders(conn, m_, ("device_id", "channel"), m_.c.device_id.in_(named) if named else None)
    for m in ent.meters:
        device_id = None
        if m.device:
            got = device_ids.get(m.device)
            if got is None:
                raise ctx.fail((*place, ("meter", m.id)), "device",
                               N_("%(device)s is neither a device of the file nor of the database"),
                               device=repr(m.device))
            device_id, owner = got
            if owner != eid:
                raise ctx.fail((*place, ("meter", m.id)), "device",
                               N_("device %(device)s belongs to another enterprise"), device=repr(m.device))
            channels.take((device_id, m.channel), eid, m.id, meters)
        before = dict(meters.rows.get(m.id) or {}) or None  # a copy: put() updates the row in place
        meter_id = meters.put(m.id, {"device_id": device_id, "channel": m.channel if device_id else None,
                                     "meter_no": m.meter_no, "ct_ratio": m.ct_ratio, "phases": m.phases,
                                     "rated_kw": m.rated_kw})
        channels.moved(before, (device_id, m.channel if device_id else None), meter_id, eid, m.id)
        if m.thresholds is not None:
            counts["power_thresholds"] += _registry_threshold(conn, meter_id, m.thresholds, actor, now)
    counts["power_meters"] += len(ent.meters)
    e_ = ps.power_equipment
    equipment = _Coded(conn, e_, eid)
    meter_ids = [r["id"] for r in meters.rows.values()]
    holders = _Holders(conn, e_, ("meter_id",), e_.c.meter_id.in_(meter_ids) if meter_ids else None)
    eq_ids: dict[str, int] = {}
    for eq in ent.equipment:
        meter = meters.rows.get(eq.meter)
        if meter is None:
            raise ctx.fail((*place, ("equipment", eq.id)), "meter",
                           N_("%(meter)s is not a meter of enterprise %(enterprise)s"), meter=repr(eq.meter),
                           enterprise=repr(ent.id))
        line_id = None
        if eq.line:
            line = lines.rows.get(eq.line)
            if line is None:
                raise ctx.fail((*place, ("equipment", eq.id)), "line",
                               N_("%(line)s is not a production line of enterprise %(enterprise)s"),
                               line=repr(eq.line), enterprise=repr(ent.id))
            line_id = line["id"]
        holders.take((meter["id"],), eid, eq.id, equipment)
        before = dict(equipment.rows.get(eq.id) or {}) or None
        eq_ids[eq.id] = equipment.put(eq.id, {
            "name": eq.name or eq.id, "role": eq.role, "kind": eq.kind, "line_id": line_id, "meter_id": meter["id"],
            "rated_kw": eq.rated_kw, "normal_kw": eq.normal_kw, "safety_load": eq.safety_load})
        holders.moved(before, (meter["id"],), eq_ids[eq.id], eid, eq.id)
    counts["power_equipment"] += len(eq_ids)
    counts["power_linkage"] += _replace_linkage(conn, ent, eid, eq_ids)
    counts["power_measures"] += _replace_measures(conn, ent, eid, eq_ids, actor, now)


class _Coded:
    """The rows of one enterprise in a table keyed by (enterprise, code), read once; :meth:`put` inserts or
    updates a row only when something differs (an unchanged re-import writes nothing)."""

    def __init__(self, conn: Connection, table: Table, enterprise_id: int) -> None:
        self.conn, self.table, self.enterprise_id = conn, table, enterprise_id
        self.rows = {r["code"]: dict(r) for r in conn.execute(
            select(table).where(table.c.enterprise_id == enterprise_id)).mappings()}

    def put(self, code: str, values: dict) -> int:
        row = self.rows.get(code)
        if row is None:
            new_id = int(self.conn.execute(self.table.insert().values(enterprise_id=self.enterprise_id, code=code,
                                                                      **values)).inserted_primary_key[0])
            self.rows[code] = {"id": new_id, "enterprise_id": self.enterprise_id, "code": code, **values}
            return new_id
        if any(row.get(k) != v for k, v in values.items()):
            self.conn.execute(update(self.table).where(self.table.c.id == row["id"]).values(**values))
            row.update(values)
        return int(row["id"])

    def forget(self, row_id: int, values: dict) -> None:
        """A row of this enterprise changed by someone else (a holder cleared)."""
        for row in self.rows.values():
            if row["id"] == row_id:
                row.update(values)


class _Holders:
    """Who holds a unique value (a device's channel, a meter): read once; :meth:`take` clears it from another
    holder before the file's item gets it."""

    def __init__(self, conn: Connection, table: Table, columns: tuple[str, ...], where) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self.by_value: dict[tuple, tuple[int, int, str]] = {}
        if where is not None:
            for r in conn.execute(select(table.c.id, table.c.enterprise_id, table.c.code,
                                         *[table.c[c] for c in columns]).where(where)):
                value = tuple(getattr(r, c) for c in columns)
                if None not in value:
                    self.by_value[value] = (r.id, r.enterprise_id, r.code)

    def take(self, value: tuple, enterprise_id: int, code: str, mine: _Coded) -> None:
        held = self.by_value.get(value)
        if held is None or held[1:] == (enterprise_id, code):
            return
        cleared = dict.fromkeys(self.columns)
        self.conn.execute(update(self.table).where(self.table.c.id == held[0]).values(**cleared))
        mine.forget(held[0], cleared)
        del self.by_value[value]

    def moved(self, before: dict | None, value: tuple, row_id: int, enterprise_id: int, code: str) -> None:
        if before is not None:
            old = tuple(before.get(c) for c in self.columns)
            if self.by_value.get(old, (None,))[0] == row_id:
                del self.by_value[old]
        if None not in value:
            self.by_value[value] = (row_id, enterprise_id, code)


def _replace_linkage(conn: Connection, ent: Enterprise, eid: int, eq_ids: dict[str, int]) -> int:
    """The enterprise's linkage becomes the file's: rows it no longer lists are deleted, the others upserted
    (a re-import of the same file changes nothing)."""
    l_, e_ = ps.power_linkage, ps.power_equipment
    wanted = {(eq_ids[lk.treatment], eq_ids[p]): lk.grace_minutes for lk in ent.linkages for p in lk.serves}
    mine = select(e_.c.id).where(e_.c.enterprise_id == eid).scalar_subquery()
    have = {(r.treatment_id, r.production_id): r.grace_minutes
            for r in conn.execute(select(l_).where(l_.c.treatment_id.in_(mine)))}
    for t, p in set(have) - set(wanted):
        conn.execute(delete(l_).where(l_.c.treatment_id == t, l_.c.production_id == p))
    for (t, p), grace in wanted.items():
        if (t, p) not in have:
            conn.execute(l_.insert().values(treatment_id=t, production_id=p, grace_minutes=grace))
        elif have[(t, p)] != grace:
            conn.execute(update(l_).where(l_.c.treatment_id == t, l_.c.production_id == p)
                         .values(grace_minutes=grace))
    return len(wanted)


def _replace_measures(conn: Connection, ent: Enterprise, eid: int, eq_ids: dict[str, int], actor: str | None,
                      now: datetime) -> int:
    """The enterprise's emission-reduction list becomes the file's (same rule as the linkage); a changed or
    new entry carries who and when."""
    m_ = ps.power_measures
    have = {(r.level, r.equipment_id): r for r in conn.execute(select(m_).where(m_.c.enterprise_id == eid))}
    wanted = {(ms.level, eq_ids[ms.equipment]): ms for ms in ent.measures}
    for key in set(have) - set(wanted):
        conn.execute(delete(m_).where(m_.c.id == have[key].id))
    for key, ms in wanted.items():
        values = {"measure": ms.measure, "limit_pct": ms.limit_pct, "note": ms.note}
        row = have.get(key)
        if row is None:
            conn.execute(m_.insert().values(enterprise_id=eid, level=key[0], equipment_id=key[1], **values,
                                            updated_by=actor, updated_at=now))
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(m_).where(m_.c.id == row.id).values(**values, updated_by=actor, updated_at=now))
    return len(wanted)


def _registry_threshold(conn: Connection, meter_id: int, th, actor: str | None, now: datetime) -> int:
    """A new ``power_thresholds`` version (source ``registry``) when the file's thresholds differ from the last
    ones the registry set for the meter; audited. Returns 1 when one was written."""
    t_ = ps.power_thresholds
    last = conn.execute(select(t_.c.on_kw, t_.c.off_kw, t_.c.dwell, t_.c.dwell_off)
                        .where(t_.c.meter_id == meter_id, t_.c.source == "registry")
                        .order_by(t_.c.version.desc()).limit(1)).first()
    after = {"on_kw": th.on, "off_kw": th.off, "dwell": th.dwell, "dwell_off": th.stop_dwell}
    if last is not None and (last.on_kw, last.off_kw, last.dwell, last.dwell_off) == (th.on, th.off, th.dwell,
                                                                             th.stop_dwell):
        return 0
    version = (conn.scalar(select(t_.c.version).where(t_.c.meter_id == meter_id)
                           .order_by(t_.c.version.desc()).limit(1)) or 0) + 1
    conn.execute(t_.insert().values(meter_id=meter_id, version=version, **after, source="registry",
                                    valid_from=now, set_by=actor, set_at=now, reason="registry import"))
    audit.record(conn, actor, "create", "power_threshold", meter_id,
                 dict(last._mapping) if last is not None else None, {**after, "version": version,
                                                                      "source": "registry"})
    return 1


def _upsert_id(conn: Connection, table: Table, keys: dict, values: dict) -> int:
    """Insert or update the row with these key values; its id. Updates only when something differs."""
    cond = [table.c[k] == v for k, v in keys.items()]
    row = conn.execute(select(table).where(*cond)).first()
    if row is None:
        return int(conn.execute(table.insert().values(**keys, **values)).inserted_primary_key[0])
    if any(getattr(row, k) != v for k, v in values.items()):
        conn.execute(update(table).where(table.c.id == row.id).values(**values))
    return int(row.id)

