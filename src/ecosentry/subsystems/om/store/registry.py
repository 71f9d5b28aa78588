"""The O&M registry of a fleet file, stored: the registry import's part for the O&M subsystem
(``Subsystem.registry_import``; ``ecosentry registry import fleet.yaml``), inside the import's transaction,
after the core's regions, enterprises, points and accounts.

Shape (a top-level ``om:`` key)::

    om:
      organisations:
        - id: ORG-HB01                              # the organisation's code (key of a re-import)
          name: 河北清源环境运维有限公司
          credit_code: 91130100MA0OMEXAM1
          filing: {status: filed, date: 2026-01-05}  # 备案: filed | pending | revoked | none
          qualifications: [{name: 污染源在线监测运营资质, number: HB-2026-001, valid_to: 2028-12-31}]
          staff:
            - {id: S01, name: 张工, user: om_zhang, commitment_signed: 2026-01-10,
               certificates: [{name: 运维上岗证, number: CERT-01, valid_to: 2027-06-30}]}
          contracts:
            - {id: C2026-01, enterprise: 91130100MA0EXAMPL1, points: [MN...], from: 2026-01-01, to: 2026-12-31}
      rooms:
        - id: ROOM-01
          name: 1号站房
          enterprise: 91130100MA0EXAMPL1
          points: [MN...]
          door: {id: DOOR-01, secret: "the controller's secret"}
          cameras: [{id: CAM1, rtsp: "rtsp://10.0.0.5/stream1", secret: "the camera's push secret"},
                    {id: CAM2, gb28181: "34020000001320000001"}]
      parameters:                                   # registered (备案) instrument parameters
        - {point: MN..., factor: a21026, name: i13001, value: 500}   # factor "*": the whole point's

Enterprises are named by credit code and points by MN: both must be in the file's core part or the database.
A door controller's secret is stored **only as a hash** (Argon2id, :mod:`ecosentry.auth.passwords`); a
re-import with the same secret keeps the stored hash.

**Re-import** is idempotent: organisations and rooms are upserted by code, staff and contracts by organisation +
code, cameras by room + code; a contract's and a room's points are complete lists in the file and replaced.
Organisations, staff, contracts, rooms and cameras a re-imported file no longer lists are kept (work orders and
door events refer to them).

Every error is an :class:`OmRegistryError` (a ``ValueError`` said in the reader's language) naming the place:
the organisation, staff member, contract, room or camera, and the field; the core refuses the whole import.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from ecosentry.auth.passwords import hash_password, verify_password
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.store.parameters import set_registered

__all__ = ["import_om", "OmRegistryError", "FILING_STATUSES"]

FILING_STATUSES = ("filed", "pending", "revoked", "none")


class OmRegistryError(Said):
    """An ``om:`` key of a fleet file that cannot be imported; ``where`` names the place (said too)."""


def _place(msgid: str, **params: Any) -> Said:
    return Said(msgid, **params)


def _fail(where: Said, msgid: str, **params: Any) -> OmRegistryError:
    return OmRegistryError(N_("%(where)s: %(problem)s"), where=where, problem=Said(msgid, **params))


def _mapping(value: Any, where: Said) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, N_("must be a mapping of keys and values"))
    return value


def _list(block: dict, key: str, where: Said) -> list:
    value = block.get(key) or []
    if not isinstance(value, list):
        raise _fail(where, N_("%(field)s must be a list"), field=key)
    return value


def _text(block: dict, key: str, where: Said, *, required: bool = True, size: int = 200) -> str | None:
    value = block.get(key)
    if value is None or str(value).strip() == "":
        if required:
            raise _fail(where, N_("%(field)s is missing"), field=key)
        return None
    text = str(value).strip()
    if len(text) > size:
        raise _fail(where, N_("%(field)s is longer than %(size)s characters"), field=key, size=size)
    return text


def _date(block: dict, key: str, where: Said) -> date | None:
    value = block.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, N_("%(field)s must be a date (YYYY-MM-DD), not %(value)s"), field=key,
                    value=repr(value)) from None


def _documents(block: dict, key: str, where: Said) -> list[dict] | None:
    """Qualifications and certificates: a list of ``{name, number, valid_to}`` (a plain name allowed)."""
    if key not in block:
        return None
    out = []
    for item in _list(block, key, where):
        item = {"name": item} if isinstance(item, str) else _mapping(item, where)
        name = _text(item, "name", where)
        valid_to = _date(item, "valid_to", where)
        out.append({"name": name, "number": _text(item, "number", where, required=False),
                    "valid_to": valid_to.isoformat() if valid_to else None})
    return out


def _upsert_id(conn: Connection, table: Table, key: dict, values: dict) -> int:
    """Update the row with ``key`` (only the values given) or insert it; its id."""
    clause = [table.c[k] == v for k, v in key.items()]
    row = conn.execute(select(table.c.id).where(*clause)).first()
    if row is None:
        return conn.execute(table.insert().values(**key, **values).returning(table.c.id)).scalar_one()
    if values:
        conn.execute(update(table).where(table.c.id == row.id).values(**values))
    return row.id


def _enterprise_id(conn: Connection, credit_code: str, where: Said) -> int:
    eid = conn.execute(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == credit_code)).scalar()
    if eid is None:
        raise _fail(where, N_("enterprise %(code)s is neither in the file nor in the database"), code=credit_code)
    return eid


def _point_ids(conn: Connection, block: dict, where: Said) -> list[int]:
    out = []
    for mn in _list(block, "points", where):
        pid = conn.execute(select(s.points.c.id).where(s.points.c.mn == str(mn))).scalar()
        if pid is None:
            raise _fail(where, N_("point %(mn)s is neither in the file nor in the database"), mn=str(mn))
        if pid not in out:
            out.append(pid)
    return out


def _codes_once(items: list, where_of, seen: set[str], key: str = "id") -> None:
    for i, item in enumerate(items):
        code = str(item.get(key)) if isinstance(item, dict) else None
        if code in seen:
            raise _fail(where_of(code, i), N_("%(id)s is listed twice"), id=code)
        if code is not None:
            seen.add(code)


def _import_organisation(conn: Connection, o: dict, counts: dict[str, int]) -> None:
    where = _place(N_("organisation %(org)s"), org=str(o.get("id") or o.get("name") or "?"))
    code = _text(o, "id", where, size=40)
    filing = o.get("filing") or {}
    filing = {"status": filing} if isinstance(filing, str) else _mapping(filing, where)
    status = str(filing.get("status") or "filed")
    if status not in FILING_STATUSES:
        raise _fail(where, N_("filing status must be one of %(allowed)s, not %(value)s"),
                    allowed=", ".join(FILING_STATUSES), value=repr(status))
    values = {"name": _text(o, "name", where), "credit_code": _text(o, "credit_code", where, required=False, size=18),
              "filing_status": status, "filed_on": _date(filing, "date", where)}
    quals = _documents(o, "qualifications", where)
    if quals is not None:
        values["qualifications"] = quals
    org_id = _upsert_id(conn, os_.om_organisations, {"code": code}, values)
    counts["om_organisations"] += 1
    staff = _list(o, "staff", where)
    _codes_once(staff, lambda c, i: _place(N_("staff member %(staff)s of organisation %(org)s"), staff=c, org=code),
                set())
    for st in staff:
        w = _place(N_("staff member %(staff)s of organisation %(org)s"), staff=str(st.get("id") if isinstance(
            st, dict) else st), org=code)
        st = _mapping(st, w)
        username = _text(st, "user", w, required=False, size=100)
        if username and conn.execute(select(s.users.c.id).where(s.users.c.username == username)).first() is None:
            raise _fail(w, N_("account %(user)s is neither in the file nor in the database"), user=username)
        sv = {"name": _text(st, "name", w, size=100), "username": username,
              "commitment_signed_on": _date(st, "commitment_signed", w), "active": bool(st.get("active", True))}
        certs = _documents(st, "certificates", w)
        if certs is not None:
            sv["certificates"] = certs
        _upsert_id(conn, os_.om_staff, {"organisation_id": org_id, "code": _text(st, "id", w, size=40)}, sv)
        counts["om_staff"] += 1
    contracts = _list(o, "contracts", where)
    _codes_once(contracts, lambda c, i: _place(N_("contract %(contract)s of organisation %(org)s"), contract=c,
                                               org=code), set())
    for c in contracts:
        w = _place(N_("contract %(contract)s of organisation %(org)s"), contract=str(
            c.get("id") if isinstance(c, dict) else c), org=code)
        c = _mapping(c, w)
        start, end = _date(c, "from", w), _date(c, "to", w)
        if start is None:
            raise _fail(w, N_("%(field)s is missing"), field="from")
        if end is not None and end < start:
            raise _fail(w, N_("the contract ends (%(end)s) before it starts (%(start)s)"), end=end.isoformat(),
                        start=start.isoformat())
        ent = _enterprise_id(conn, _text(c, "enterprise", w, size=18), w)
        points = _point_ids(conn, c, w)
        cid = _upsert_id(conn, os_.om_contracts, {"organisation_id": org_id, "code": _text(c, "id", w, size=40)},
                         {"enterprise_id": ent, "valid_from": start, "valid_to": end})
        conn.execute(delete(os_.om_contract_points).where(os_.om_contract_points.c.contract_id == cid))
        if points:
            conn.execute(os_.om_contract_points.insert(), [{"contract_id": cid, "point_id": p} for p in points])
        counts["om_contracts"] += 1


def _import_room(conn: Connection, r: dict, counts: dict[str, int], doors: dict[str, str]) -> None:
    where = _place(N_("station room %(room)s"), room=str(r.get("id") or r.get("name") or "?"))
    code = _text(r, "id", where, size=40)
    values: dict[str, Any] = {"name": _text(r, "name", where)}
    if r.get("enterprise"):
        values["enterprise_id"] = _enterprise_id(conn, str(r["enterprise"]), where)
    points = _point_ids(conn, r, where)
    if "door" in r:
        door = _mapping(r.get("door"), where)
        door_id = _text(door, "id", where, size=64)
        secret = _text(door, "secret", where, size=200)
        if len(secret) < 12:
            raise _fail(where, N_("the door controller's secret must have at least 12 characters"))
        if door_id in doors and doors[door_id] != code:
            raise _fail(where, N_("door controller %(door)s is already the door of station room %(other)s"),
                        door=door_id, other=doors[door_id])
        doors[door_id] = code
        held = conn.execute(select(os_.om_rooms.c.code).where(os_.om_rooms.c.door_id == door_id,
                                                              os_.om_rooms.c.code != code)).scalar()
        if held is not None:
            raise _fail(where, N_("door controller %(door)s is already the door of station room %(other)s"),
                        door=door_id, other=held)
        stored = conn.execute(select(os_.om_rooms.c.door_secret_hash).where(os_.om_rooms.c.code == code)).scalar()
        values["door_id"] = door_id
        values["door_secret_hash"] = stored if stored and verify_password(stored, secret) else hash_password(secret)
    cameras = _list(r, "cameras", where)
    _codes_once(cameras, lambda c, i: _place(N_("camera %(camera)s of station room %(room)s"), camera=c, room=code),
                set())
    room_id = _upsert_id(conn, os_.om_rooms, {"code": code}, values)
    conn.execute(delete(os_.om_room_points).where(os_.om_room_points.c.room_id == room_id))
    if points:
        conn.execute(os_.om_room_points.insert(), [{"room_id": room_id, "point_id": p} for p in points])
    for cam in cameras:
        w = _place(N_("camera %(camera)s of station room %(room)s"), camera=str(
            cam.get("id") if isinstance(cam, dict) else cam), room=code)
        cam = _mapping(cam, w)
        rtsp = _text(cam, "rtsp", w, required=False, size=400)
        gb = _text(cam, "gb28181", w, required=False, size=20)
        if not rtsp and not gb:
            raise _fail(w, N_("a camera needs an RTSP URL (rtsp) or a GB/T 28181 id (gb28181)"))
        if rtsp and not rtsp.lower().startswith(("rtsp://", "rtsps://")):
            raise _fail(w, N_("the RTSP URL must start with rtsp://, not %(value)s"), value=repr(rtsp))
        if gb and not (gb.isdigit() and len(gb) == 20):
            raise _fail(w, N_("a GB/T 28181 id has 20 digits, not %(value)s"), value=repr(gb))
        cam_id = _upsert_id(conn, os_.om_cameras, {"room_id": room_id, "code": _text(cam, "id", w, size=40)},
                            {"rtsp_url": rtsp, "gb28181_id": gb})
        if cam.get("secret") is not None:
            _camera_secret(conn, cam_id, _text(cam, "secret", w, size=200), w)
        counts["om_cameras"] += 1
    counts["om_rooms"] += 1


def _camera_secret(conn: Connection, camera_id: int, secret: str, where: Said) -> None:
    """The camera's (NVR's) push secret, stored as its Argon2id hash (kept when the same secret comes again)."""
    if len(secret) < 12:
        raise _fail(where, N_("the camera's secret must have at least 12 characters"))
    dev = os_.om_camera_devices
    stored = conn.execute(select(dev.c.secret_hash).where(dev.c.camera_id == camera_id)).first()
    if stored is None:
        conn.execute(dev.insert().values(camera_id=camera_id, secret_hash=hash_password(secret)))
    elif not (stored.secret_hash and verify_password(stored.secret_hash, secret)):
        conn.execute(update(dev).where(dev.c.camera_id == camera_id).values(secret_hash=hash_password(secret)))


def _import_parameters(conn: Connection, items: list, counts: dict[str, int]) -> None:
    """Registered instrument parameters: ``{point: MN, factor: code or *, name, value}`` each."""
    for i, item in enumerate(items):
        w = _place(N_("parameter %(n)s"), n=i + 1)
        item = _mapping(item, w)
        mn = _text(item, "point", w, size=24)
        pid = conn.execute(select(s.points.c.id).where(s.points.c.mn == mn)).scalar()
        if pid is None:
            raise _fail(w, N_("point %(mn)s is neither in the file nor in the database"), mn=mn)
        factor = _text(item, "factor", w, required=False, size=16) or "*"
        name = _text(item, "name", w, size=40)
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (
                float("inf"), float("-inf")):
            raise _fail(w, N_("%(field)s must be a number, not %(value)s"), field="value", value=repr(value))
        set_registered(conn, pid, factor, name, float(value))
        counts["om_parameters"] += 1


def import_om(conn: Connection, fleet: dict, actor: str | None) -> dict[str, int]:
    """Store the ``om`` key of a fleet (nothing when it has none); the counts of what was stored."""
    block = fleet.get("om")
    if block is None:
        return {}
    top = _place(N_("the om key"))
    block = _mapping(block, top)
    unknown = sorted(set(block) - {"organisations", "rooms", "parameters"})
    if unknown:
        raise _fail(top, N_("unknown keys %(keys)s (organisations, rooms, parameters)"),
                    keys=", ".join(map(str, unknown)))
    counts = {"om_organisations": 0, "om_staff": 0, "om_contracts": 0, "om_rooms": 0, "om_cameras": 0}
    orgs = _list(block, "organisations", top)
    _codes_once(orgs, lambda c, i: _place(N_("organisation %(org)s"), org=c), set())
    for o in orgs:
        _import_organisation(conn, _mapping(o, _place(N_("organisation %(org)s"), org="?")), counts)
    rooms = _list(block, "rooms", top)
    _codes_once(rooms, lambda c, i: _place(N_("station room %(room)s"), room=c), set())
    doors: dict[str, str] = {}
    for r in rooms:
        _import_room(conn, _mapping(r, _place(N_("station room %(room)s"), room="?")), counts, doors)
    parameters = _list(block, "parameters", top)
    if parameters:
        counts["om_parameters"] = 0
        _import_parameters(conn, parameters, counts)
    return counts
