"""The gates registry of a fleet file, stored: the registry import's part for the gates subsystem
(``Subsystem.registry_import``; ``ecosentry registry import fleet.yaml``), inside the import's transaction,
after the core's regions and enterprises. Shape (a top-level ``gates:`` key)::

    gates:
      enterprises:
        - credit_code: 91141000MA0EXAMPLE      # an enterprise of the file's core part or of the database
          grade: B                             # leading | A | B | B- | C | D (绩效分级)
          small_volume_exempt: false
          gates:
            - {code: G1, name: 东门, barrier: true, side: false,
               cameras: [{code: CAM1, kind: plate}, {code: CAM2, kind: video}],
               devices: [{code: GD-0001, token: "a long random secret"}]}
          loading_places:
            - {code: L1, name: 原料库, cameras: [{code: CAM3, kind: video}]}
          vehicles:
            - {plate: 晋A12345, plate_colour: yellow, vin: LZZ1CLVB5KA123456, engine_no: E123, vehicle_type: 重型半挂牵引车,
               fuel: diesel, emission_stage: 国五, registration_date: 2019-05-01, owner: 临汾运输公司,
               in_plant: false, list_picture: <sha256>, licence_picture: <sha256>}
          machinery:
            - {registration_code: 14100012345, production_date: 2018-03-01, emission_stage: x,
               machine_code: XCMG-ZL50, engine_no: E9, machine_type: 装载机, fuel: diesel}

A device's ``token`` is stored only as its sha256 (``token_hash:`` may be given instead); pictures are sha256
references to pictures already in the picture store. **Re-import** is idempotent: every item is upserted by its
code (gate, loading place, camera, vehicle by plate, machine by registration code, device by code); items a
file no longer lists are kept. Every error is a :class:`..errors.GatesInputError` naming the enterprise, the
item and the field, said in the reader's language; the core refuses the whole import with it.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

from ecosentry.said import N_
from ecosentry.store import schema as s
from ecosentry.store.upsert import upsert
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.gateways.directory import token_hash
from ecosentry.subsystems.gates.rules.decision import parse_grade
from ecosentry.subsystems.gates.rules.plate import colour_of, normalise_plate
from ecosentry.subsystems.gates.rules.stages import parse_fuel, parse_stage
from ecosentry.subsystems.gates.rules.vin import normalise_vin

__all__ = ["import_gates", "import_register_csv", "import_machinery_csv", "REGISTER_COLUMNS", "MACHINERY_COLUMNS"]

#: The vehicle register CSV: the offline check's ``R.csv`` columns and, optional, ``engine_no, vehicle_type, owner,
#: in_plant, list_picture, licence_picture``.
REGISTER_COLUMNS = ("plate", "plate_colour", "vin", "emission_stage", "fuel", "registration_date")
#: The non-road machinery register CSV (2020 guide table 5): these columns and, optional, ``production_date,
#: machine_code, engine_no, machine_type, fuel, nameplate_picture, label_picture``.
MACHINERY_COLUMNS = ("registration_code", "emission_stage")
_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"", "0", "false", "no", "n", "否"}

_SHA = re.compile(r"[0-9a-f]{64}")
CAMERA_KINDS = ("plate", "video")
MIN_TOKEN = 16


class _Ctx:
    """Where the values come from: a place in a fleet file, or a file's line (``source``, ``line``)."""

    def __init__(self, source: str = "") -> None:
        self.place: tuple[tuple[str, str], ...] = ()
        self.source, self.line = source, None

    def fail(self, field_: str | None, msgid: str, **params) -> GatesInputError:
        return GatesInputError(self.source, field_, msgid, place=self.place, line=self.line, **params)

    def text(self, d: dict, key: str, limit: int, *, required: bool = False) -> str | None:
        v = d.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise self.fail(key, N_("is required"))
            return None
        if isinstance(v, (dict, list, bool)):
            raise self.fail(key, N_("must be text"))
        t = str(v).strip()
        if len(t) > limit:
            raise self.fail(key, N_("is longer than %(limit)s characters"), limit=limit)
        return t

    def flag(self, d: dict, key: str) -> bool:
        v = d.get(key, False)
        if not isinstance(v, bool):
            raise self.fail(key, N_("must be true or false"))
        return v

    def items(self, d: dict, key: str) -> list[dict]:
        v = d.get(key) or []
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise self.fail(key, N_("must be a list of mappings"))
        return v

    def day(self, d: dict, key: str) -> str | None:
        t = self.text(d, key, 10)
        if t is None:
            return None
        try:
            return date.fromisoformat(t).isoformat()
        except ValueError:
            raise self.fail(key, N_("%(value)s is not a date (YYYY-MM-DD)"), value=repr(t)) from None

    def picture(self, d: dict, key: str) -> str | None:
        t = self.text(d, key, 64)
        if t is not None and not _SHA.fullmatch(t):
            raise self.fail(key, N_("must be the sha256 (64 hexadecimal digits) of a stored picture"))
        return t

    def stage(self, d: dict, key: str, allowed: str) -> str | None:
        t = self.text(d, key, 20)
        if t is None:
            return None
        code = parse_stage(t)
        if code is None or code not in allowed:
            raise self.fail(key, N_("%(value)s is not an emission stage (0–6, d electric)"), value=repr(t))
        return code


def import_gates(conn: Connection, fleet: dict, actor: str | None) -> dict[str, int]:  # noqa: ARG001
    """Store the fleet's ``gates:`` key; the counts of what was stored (empty when the key is absent)."""
    block = fleet.get("gates")
    if block is None:
        return {}
    ctx = _Ctx()
    if not isinstance(block, dict):
        raise ctx.fail("gates", N_("must be a mapping with enterprises"))
    counts = {"gates": 0, "gate devices": 0, "vehicles": 0, "machinery": 0}
    seen_ents: set[str] = set()
    seen_devices: set[str] = set()
    for e in ctx.items(block, "enterprises"):
        ctx.place = ()
        code = ctx.text(e, "credit_code", 18, required=True)
        ctx.place = (("enterprise", code),)
        if code in seen_ents:
            raise ctx.fail("credit_code", N_("the enterprise is listed twice"))
        seen_ents.add(code)
        ent_id = conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == code))
        if ent_id is None:
            raise ctx.fail("credit_code", N_("no such enterprise (neither in the file nor in the database)"))
        grade = parse_grade(ctx.text(e, "grade", 8, required=True))
        if grade is None:
            raise ctx.fail("grade", N_("must be one of leading, A, B, B-, C, D"))
        upsert(conn, gs.gates_enterprises, [{"enterprise_id": ent_id, "grade": grade,
                                             "small_volume_exempt": ctx.flag(e, "small_volume_exempt"),
                                             "tz": ctx.text(e, "tz", 40) or "Asia/Shanghai"}],
               ["enterprise_id"], ["grade", "small_volume_exempt", "tz"])
        base = ctx.place
        for g in ctx.items(e, "gates"):
            ctx.place = base
            gcode = ctx.text(g, "code", 40, required=True)
            ctx.place = base + (("gate", gcode),)
            gate_id = _upsert_id(conn, gs.gates_gates, {"enterprise_id": ent_id, "code": gcode},
                                 {"name": ctx.text(g, "name", 200) or gcode, "barrier": ctx.flag(g, "barrier"),
                                  "side": ctx.flag(g, "side")})
            counts["gates"] += 1
            _cameras(conn, ctx, g, ent_id, gate_id=gate_id)
            gplace = ctx.place
            for dv in ctx.items(g, "devices"):
                ctx.place = gplace
                dcode = ctx.text(dv, "code", 40, required=True)
                ctx.place = gplace + (("device", dcode),)
                if dcode in seen_devices:
                    raise ctx.fail("code", N_("the gate device is listed twice"))
                seen_devices.add(dcode)
                _device(conn, ctx, dv, dcode, gate_id)
                counts["gate devices"] += 1
        for lp in ctx.items(e, "loading_places"):
            ctx.place = base
            lcode = ctx.text(lp, "code", 40, required=True)
            ctx.place = base + (("loading_place", lcode),)
            place_id = _upsert_id(conn, gs.gates_loading_places, {"enterprise_id": ent_id, "code": lcode},
                                  {"name": ctx.text(lp, "name", 200) or lcode})
            _cameras(conn, ctx, lp, ent_id, loading_place_id=place_id)
        plates: set[str] = set()
        for v in ctx.items(e, "vehicles"):
            ctx.place = base
            plate = normalise_plate(ctx.text(v, "plate", 20, required=True))
            ctx.place = base + (("vehicle", plate),)
            if len(plate) > 16:
                raise ctx.fail("plate", N_("is longer than %(limit)s characters"), limit=16)
            if plate in plates:
                raise ctx.fail("plate", N_("the vehicle is listed twice"))
            plates.add(plate)
            _upsert_id(conn, gs.gates_vehicles, {"enterprise_id": ent_id, "plate": plate}, _vehicle(ctx, v))
            counts["vehicles"] += 1
        codes: set[str] = set()
        for m in ctx.items(e, "machinery"):
            ctx.place = base
            rcode = ctx.text(m, "registration_code", 32, required=True)
            ctx.place = base + (("machine", rcode),)
            if rcode in codes:
                raise ctx.fail("registration_code", N_("the machine is listed twice"))
            codes.add(rcode)
            _upsert_id(conn, gs.gates_machinery, {"enterprise_id": ent_id, "registration_code": rcode},
                       _machine(ctx, m))
            counts["machinery"] += 1
    return counts


def _fuel(ctx: _Ctx, d: dict) -> str | None:
    t = ctx.text(d, "fuel", 20)
    if t is None:
        return None
    fuel = parse_fuel(t)
    if fuel is None:
        raise ctx.fail("fuel", N_("%(value)s is not a fuel (diesel, gasoline, natural_gas, electric, hybrid, "
                                  "hydrogen, other)"), value=repr(t))
    return fuel


def _vehicle(ctx: _Ctx, v: dict) -> dict:
    colour = None
    if ctx.text(v, "plate_colour", 20):
        colour = colour_of(ctx.text(v, "plate_colour", 20))
        if colour is None:
            raise ctx.fail("plate_colour", N_("%(value)s is not a plate colour"), value=repr(v["plate_colour"]))
    vin = normalise_vin(ctx.text(v, "vin", 40)) or None
    if vin is not None and len(vin) != 17:
        raise ctx.fail("vin", N_("a VIN has 17 characters, not %(n)s"), n=len(vin))
    return {"plate_colour": colour, "vin": vin, "engine_no": ctx.text(v, "engine_no", 32),
            "vehicle_type": ctx.text(v, "vehicle_type", 40), "fuel": _fuel(ctx, v),
            "emission_stage": ctx.stage(v, "emission_stage", "0123456d"),
            "registration_date": ctx.day(v, "registration_date"), "owner": ctx.text(v, "owner", 100),
            "in_plant": ctx.flag(v, "in_plant"), "list_picture": ctx.picture(v, "list_picture"),
            "licence_picture": ctx.picture(v, "licence_picture")}


def _cameras(conn: Connection, ctx: _Ctx, holder: dict, ent_id: int, *, gate_id: int | None = None,
             loading_place_id: int | None = None) -> None:
    base = ctx.place
    for c in ctx.items(holder, "cameras"):
        ctx.place = base
        code = ctx.text(c, "code", 40, required=True)
        ctx.place = base + (("camera", code),)
        kind = ctx.text(c, "kind", 12) or "plate"
        if kind not in CAMERA_KINDS:
            raise ctx.fail("kind", N_("must be plate or video"))
        _upsert_id(conn, gs.gates_cameras, {"enterprise_id": ent_id, "code": code},
                   {"kind": kind, "gate_id": gate_id, "loading_place_id": loading_place_id,
                    "reference_picture": ctx.picture(c, "reference_picture")})
    ctx.place = base


def _device(conn: Connection, ctx: _Ctx, dv: dict, code: str, gate_id: int) -> None:
    token = dv.get("token")
    hashed = ctx.text(dv, "token_hash", 64)
    if token is not None:
        if not isinstance(token, str) or len(token) < MIN_TOKEN:
            raise ctx.fail("token", N_("must be text of at least %(n)s characters"), n=MIN_TOKEN)
        hashed = token_hash(token)
    elif hashed is None or not _SHA.fullmatch(hashed):
        raise ctx.fail("token", N_("a gate device needs its token (or token_hash, its sha256)"))
    other = conn.scalar(select(gs.gates_devices.c.code).where(gs.gates_devices.c.token_hash == hashed,
                                                              gs.gates_devices.c.code != code))
    if other is not None:
        raise ctx.fail("token", N_("the token is already gate device %(other)s's"), other=other)
    active = dv.get("active", True)
    if not isinstance(active, bool):
        raise ctx.fail("active", N_("must be true or false"))
    _upsert_id(conn, gs.gates_devices, {"code": code}, {"gate_id": gate_id, "token_hash": hashed, "active": active})


def _upsert_id(conn: Connection, table, key: dict, values: dict) -> int:
    """Insert or update the row with ``key``; its id."""
    cols = table.c
    where = [cols[k] == v for k, v in key.items()]
    found = conn.scalar(select(cols.id).where(*where))
    if found is None:
        return int(conn.execute(table.insert().values(**key, **values)).inserted_primary_key[0])
    conn.execute(table.update().where(cols.id == found).values(**values))
    return int(found)


def _read_csv(ctx: _Ctx, path, required: tuple[str, ...], take) -> int:
    """Read a register CSV: every row checked by ``take(row)`` (a :class:`GatesInputError` naming the file, line
    and field refuses the whole file); blank lines skipped; how many rows were taken."""
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ctx.fail(None, N_("cannot be read (%(reason)s)"), reason=exc.strerror) from None
    n = 0
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                ctx.line = 1
                raise ctx.fail(missing[0], N_("missing column(s) %(columns)s"), columns=", ".join(missing))
            for line, raw in enumerate(reader, start=2):
                ctx.line = line
                if None in raw:
                    raise ctx.fail(None, N_("more values than columns"))
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                take(row)
                n += 1
        except UnicodeDecodeError:
            ctx.line = None
            raise ctx.fail(None, N_("is not UTF-8 text")) from None
        except csv.Error as exc:
            raise ctx.fail(None, N_("is not CSV (%(reason)s)"), reason=str(exc)) from None
    ctx.line = None
    return n


def _enterprise_id(conn: Connection, ctx: _Ctx, credit_code: str) -> int:
    ent_id = conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == credit_code))
    if ent_id is None:
        raise ctx.fail("--enterprise", N_("%(value)s is no enterprise's credit code"), value=repr(credit_code))
    return int(ent_id)


def import_register_csv(engine, path, credit_code: str) -> tuple[int, int]:
    """Import an enterprise's vehicle register from CSV: every row checked first (a bad one refuses the file with
    its line and field, nothing stored), then upserted by plate in one transaction; (rows, new vehicles)."""
    path = Path(path)
    ctx = _Ctx(path.name)
    rows: list[tuple[str, dict]] = []
    seen: set[str] = set()

    def take(row: dict) -> None:
        flag = row.get("in_plant", "").lower()
        if flag not in _TRUE | _FALSE:
            raise ctx.fail("in_plant", N_("must be true or false"))
        row["in_plant"] = flag in _TRUE
        plate = normalise_plate(ctx.text(row, "plate", 20, required=True))
        if len(plate) > 16:
            raise ctx.fail("plate", N_("is longer than %(limit)s characters"), limit=16)
        if plate in seen:
            raise ctx.fail("plate", N_("the vehicle is listed twice"))
        seen.add(plate)
        rows.append((plate, _vehicle(ctx, row)))

    _read_csv(ctx, path, REGISTER_COLUMNS, take)
    with engine.begin() as conn:
        ent_id = _enterprise_id(conn, ctx, credit_code)
        v = gs.gates_vehicles.c
        known = set(conn.scalars(select(v.plate).where(v.enterprise_id == ent_id)))
        for plate, values in rows:
            _upsert_id(conn, gs.gates_vehicles, {"enterprise_id": ent_id, "plate": plate}, values)
    return len(rows), len({p for p, _ in rows} - known)


def _machine(ctx: _Ctx, m: dict) -> dict:
    """A machine's fields (2020 guide table 5), checked; the fleet file's and the CSV's alike."""
    return {"production_date": ctx.day(m, "production_date"),
            "emission_stage": ctx.stage(m, "emission_stage", "0123456dx"),
            "machine_code": ctx.text(m, "machine_code", 64), "engine_no": ctx.text(m, "engine_no", 32),
            "machine_type": ctx.text(m, "machine_type", 40), "fuel": _fuel(ctx, m),
            "nameplate_picture": ctx.picture(m, "nameplate_picture"), "label_picture": ctx.picture(m, "label_picture")}


def import_machinery_csv(engine, path, credit_code: str) -> tuple[int, int]:
    """Import an enterprise's non-road mobile machinery register from CSV (2020 guide table 5): columns
    :data:`MACHINERY_COLUMNS` and, optional, ``production_date, machine_code, engine_no, machine_type, fuel,
    nameplate_picture, label_picture``. Every row checked first (a bad one refuses the whole file with its line and
    field, in the reader's language, nothing stored), then upserted by registration code in one transaction (a
    re-import adds nothing); (rows, new machines)."""
    path = Path(path)
    ctx = _Ctx(path.name)
    rows: list[tuple[str, dict]] = []
    seen: set[str] = set()

    def take(row: dict) -> None:
        code = ctx.text(row, "registration_code", 32, required=True)
        if code in seen:
            raise ctx.fail("registration_code", N_("the machine is listed twice"))
        seen.add(code)
        if not row.get("emission_stage"):
            raise ctx.fail("emission_stage", N_("is required"))
        rows.append((code, _machine(ctx, row)))

    _read_csv(ctx, path, MACHINERY_COLUMNS, take)
    with engine.begin() as conn:
        ent_id = _enterprise_id(conn, ctx, credit_code)
        m = gs.gates_machinery.c
        known = set(conn.scalars(select(m.registration_code).where(m.enterprise_id == ent_id)))
        for code, values in rows:
            _upsert_id(conn, gs.gates_machinery, {"enterprise_id": ent_id, "registration_code": code}, values)
    return len(rows), len({c for c, _ in rows} - known)
