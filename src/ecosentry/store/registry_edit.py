"""Registry edits one row at a time (the administration pages): create and update regions, enterprises,
outlets, points, factors and limits, each checked and audited; read and check the user form.

:func:`ecosentry.fleet.import_fleet` loads whole fleets; this module is its single-row companion.
Every field is declared once (:data:`ENTITIES`: kind, required, length, choices, reference); :func:`create`
and :func:`update` convert the form's strings, check types, references, unique keys and the rules between
fields (a limit needs a bound, a regulator needs a region …) and raise :class:`RegistryEditError` naming the
field and saying what is wrong. Each change writes an ``audit_log`` row with the row before and after in the
same transaction (passwords are masked: the audit shows that they changed, not what they are).

Users are declared here too, so their form is read and checked the same way (:func:`read_form`), but
accounts are written by :mod:`ecosentry.auth.accounts` (passwords, lock-out, O&M points); only
:func:`reset_lockout`, which that module has no function for, is here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, Table, func, insert, or_, select
from sqlalchemy import update as sql_update

from ecosentry.said import N_, Said
from ecosentry.store import audit
from ecosentry.store import schema as s

__all__ = ["RegistryEditError", "Field", "Entity", "ENTITIES", "get_row", "list_rows", "read_form", "create",
           "update", "reset_lockout", "maintained_points"]

#: The account roles; the same tuple as ``ecosentry.auth.principal.ROLES`` (the store may not import auth;
#: a test checks that they agree).
ROLES = ("admin", "regulator", "enterprise", "om", "park", "public")
MASK = "***"


#: The refusal of a row that is not there (the entity's name and the key).
NO_ROW = N_("there is no %(entity)s %(key)s")
#: A missing row and a key that is no number, per table: said with the table's own word in every language.
NO_ROW_OF = {"region": N_("there is no region %(key)s"), "enterprise": N_("there is no enterprise %(key)s"),
             "outlet": N_("there is no outlet %(key)s"), "point": N_("there is no monitoring point %(key)s"),
             "point_factor": N_("there is no factor row %(key)s of a point"),
             "factor": N_("there is no factor %(key)s"), "limit": N_("there is no limit %(key)s"),
             "user": N_("there is no user %(key)s")}
NOT_A_NUMBER_OF = N_("the id %(key)r is not a number")


class RegistryEditError(Said):
    """A value cannot be saved; ``field`` names the input (``None``: the row as a whole). The message is a
    catalogue msgid with ``params`` (:class:`ecosentry.said.Said`), said in the reader's language."""

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One editable column.

    Attributes
    ----------
    name : str
        Column name (also the form input name).
    kind : {"text", "int", "float", "bool", "date", "datetime", "choice", "ref", "mn_list"}
        How the form string is read (``datetime``: ``YYYY-MM-DD[THH:MM]``, the row's local time unless it
        has an offset; stored in UTC). ``ref`` must name an existing row of ``ref``; ``mn_list`` (users only)
        is the list of MNs an O&M account maintains.
    required : bool
    max_len : int or None
    choices : tuple of str
        Allowed values of a ``choice`` field ("" allowed when not required).
    ref : str or None
        Entity name a ``ref`` field points to.
    low, high : float or None
        Bounds of a number (inclusive).
    unique : bool
        No other row may have the same value.
    create_only : bool
        Given when the row is created, shown but not changed afterwards (keys).
    secret : bool
        Masked in the audit log.
    """

    name: str
    kind: str = "text"
    required: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    ref: str | None = None
    low: float | None = None
    high: float | None = None
    unique: bool = False
    create_only: bool = False
    secret: bool = False


@dataclass(frozen=True)
class Entity:
    """An editable registry table: its key, its fields, the columns a list shows, and cross-field checks."""

    name: str
    table: Table
    key: str
    fields: tuple[Field, ...]
    list_columns: tuple[str, ...]
    search: tuple[str, ...]
    check: Callable[[Connection, dict, dict | None], None] | None = None
    composite_unique: tuple[str, ...] = ()
    key_given: bool = False
    #: The refusal of a row whose ``composite_unique`` columns another row already has (a msgid).
    composite_taken: str = N_("this code is already used within the same enterprise")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# --------------------------------------------------------------------------- cross-field checks

def _check_region(conn: Connection, v: dict, before: dict | None) -> None:
    code = v.get("code") or (before or {}).get("code")
    parent = v.get("parent_code")
    seen = {code}
    while parent:
        if parent in seen:
            raise RegistryEditError("region %(code)s cannot be a parent here: the tree would loop", "parent_code",
                                    code=parent)
        seen.add(parent)
        parent = conn.execute(select(s.regions.c.parent_code).where(s.regions.c.code == parent)).scalar()


#: 18 digits or capital letters (GB 32100). The standard's alphabet (no I, O, S, V, Z) and check digit are
#: not enforced: registries imported from older systems carry codes that break them, and an edit of another
#: field must not be refused for that.
_CREDIT = re.compile(r"^[0-9A-Z]{18}$")


def _check_enterprise(conn: Connection, v: dict, before: dict | None) -> None:
    if not _CREDIT.match(v["credit_code"]):
        raise RegistryEditError("the unified social credit code has 18 characters, digits and capital letters "
                                "(GB 32100)", "credit_code")


def _check_point(conn: Connection, v: dict, before: dict | None) -> None:
    if not v["st"].isdigit():
        raise RegistryEditError("the system code ST is a number such as 31 (flue gas) or 32 (wastewater)", "st")
    try:
        ZoneInfo(v["tz"])
    except (ZoneInfoNotFoundError, ValueError):
        raise RegistryEditError("unknown time zone %(tz)r (use an IANA name such as Asia/Shanghai)", "tz",
                                tz=v["tz"]) from None


def _check_limit(conn: Connection, v: dict, before: dict | None) -> None:
    if v["upper"] is None and v["lower"] is None:
        raise RegistryEditError("give an upper or a lower limit (or both)", "upper")
    if v["upper"] is not None and v["lower"] is not None and v["lower"] > v["upper"]:
        raise RegistryEditError("the lower limit is above the upper limit", "lower")
    if v["valid_to"] is not None and v["valid_to"] < v["valid_from"]:
        raise RegistryEditError("the limit ends before it starts", "valid_to")
    pf = s.point_factors
    if conn.execute(select(pf.c.id).where(pf.c.point_id == v["point_id"],
                                          pf.c.factor_code == v["factor_code"])).first() is None:
        raise RegistryEditError("factor %(factor)s is not monitored at point %(point)s", "factor_code",
                                factor=v["factor_code"], point=v["point_id"])


def _check_point_factor(conn: Connection, v: dict, before: dict | None) -> None:
    if v["range_low"] is not None and v["range_high"] is not None and v["range_low"] >= v["range_high"]:
        raise RegistryEditError("the range's low end must be below its high end", "range_low")
    if (v["detection_limit"] is not None and v["range_high"] is not None
            and v["detection_limit"] >= v["range_high"]):
        raise RegistryEditError("the detection limit must be below the range's high end", "detection_limit")


def _check_user(conn: Connection, v: dict, before: dict | None) -> None:
    needs = {"regulator": "region_code", "enterprise": "enterprise_id", "park": "park_code"}
    key = needs.get(v["role"])
    if key and v.get(key) in (None, ""):
        raise RegistryEditError("this account needs its scope: fill in this field", key)
    if v["role"] == "om" and not v.get("maintained_points"):
        raise RegistryEditError("an O&M account needs the MNs of the points it maintains", "maintained_points")


# --------------------------------------------------------------------------- the editable tables

F = Field
ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("region", s.regions, "code", (
        F("code", required=True, max_len=12, unique=True, create_only=True),
        F("name", required=True, max_len=100),
        F("parent_code", "ref", ref="region"),
        F("level", "choice", required=True, choices=("country", "province", "city", "county")),
        F("country", "choice", required=True, choices=("CN", "VN")),
    ), ("code", "name", "level", "parent_code"), ("code", "name"), _check_region, key_given=True),
    Entity("enterprise", s.enterprises, "id", (
        F("credit_code", required=True, max_len=18, unique=True),
        F("name", required=True, max_len=200),
        F("industry", max_len=100),
        F("region_code", "ref", required=True, ref="region"),
        F("park_code", "ref", ref="park"),
        F("address", max_len=300),
        F("lon", "float", low=-180, high=180),
        F("lat", "float", low=-90, high=90),
        F("published", "bool"),
    ), ("id", "name", "credit_code", "region_code", "park_code", "published"), ("name", "credit_code"),
        _check_enterprise),
    Entity("outlet", s.outlets, "id", (
        F("enterprise_id", "ref", required=True, ref="enterprise"),
        F("code", required=True, max_len=40),
        F("name", required=True, max_len=200),
        F("medium", "choice", required=True, choices=("gas", "water", "ambient")),
        F("lon", "float", low=-180, high=180),
        F("lat", "float", low=-90, high=90),
        F("ref_o2", "float", low=0, high=21),
        F("duct_area", "float", low=0),
        F("height", "float", low=0),
    ), ("id", "enterprise_id", "code", "name", "medium"), ("code", "name"),
        composite_unique=("enterprise_id", "code")),
    Entity("point", s.points, "id", (
        F("outlet_id", "ref", required=True, ref="outlet"),
        F("mn", required=True, max_len=24, unique=True),
        F("password", required=True, max_len=64, secret=True),
        F("st", required=True, max_len=4),
        F("name", required=True, max_len=200),
        F("tz", required=True, max_len=40),
        F("region_code", "ref", required=True, ref="region"),
        F("min_interval", "int", required=True, low=1, high=1440),
        F("rtd_interval", "int", required=True, low=1, high=86400),
        F("active", "bool"),
        F("lenient_length", "bool"),
        F("connected_at", "datetime"),
        F("decommissioned_at", "datetime"),
    ), ("id", "mn", "name", "outlet_id", "region_code", "active"), ("mn", "name"), _check_point),
    Entity("factor", s.factors, "code", (
        F("code", required=True, max_len=12, unique=True, create_only=True),
        F("old_code", max_len=12),
        F("name_zh", required=True, max_len=100),
        F("name_en", required=True, max_len=100),
        F("unit", max_len=20),
        F("cou_unit", max_len=20),
        F("medium", "choice", required=True, choices=("gas", "water", "ambient", "any")),
        F("category", "choice", required=True, choices=("pollutant", "parameter", "flow")),
    ), ("code", "name_zh", "name_en", "unit", "medium", "category"), ("code", "name_zh", "name_en"),
        key_given=True),
    Entity("limit", s.limits, "id", (
        F("point_id", "ref", required=True, ref="point"),
        F("factor_code", "ref", required=True, ref="factor"),
        F("kind", "choice", required=True, choices=("hour", "day")),
        F("upper", "float"),
        F("lower", "float"),
        F("valid_from", "date", required=True),
        F("valid_to", "date"),
        F("season", "choice", choices=("summer", "winter")),
        F("standard", max_len=100),
    ), ("id", "point_id", "factor_code", "kind", "upper", "lower", "valid_from", "valid_to", "season"),
        ("factor_code", "standard"), _check_limit),
    # the factors a point measures, with its analyser's range and the method's detection limit (the detectors read
    # it: DET-AT-DETECTION-LIMIT) and whether its hours count in the transmission rates (考核)
    Entity("point_factor", s.point_factors, "id", (
        F("point_id", "ref", required=True, ref="point"),
        F("factor_code", "ref", required=True, ref="factor"),
        F("range_low", "float"),
        F("range_high", "float"),
        F("detection_limit", "float", low=0),
        F("assessed", "bool"),
    ), ("id", "point_id", "factor_code", "range_low", "range_high", "detection_limit", "assessed"), ("factor_code",),
        _check_point_factor, composite_unique=("point_id", "factor_code"),
        composite_taken=N_("this factor is already monitored at this point: edit its row")),
    Entity("user", s.users, "id", (
        F("username", required=True, max_len=64, unique=True, create_only=True),
        F("display_name", max_len=100),
        F("role", "choice", required=True, choices=ROLES),
        F("region_code", "ref", ref="region"),
        F("enterprise_id", "ref", ref="enterprise"),
        F("park_code", "ref", ref="park"),
        F("maintained_points", "mn_list"),
        F("organisation", max_len=200),
        F("locale", "choice", choices=("zh", "vi", "en")),
        F("active", "bool"),
    ), ("id", "username", "display_name", "role", "region_code", "enterprise_id", "active"),
        ("username", "display_name", "organisation"), _check_user),
)}

#: Where a ``ref`` field points: table, key column, label columns.
REFS: dict[str, tuple[Table, str]] = {
    "region": (s.regions, "code"), "enterprise": (s.enterprises, "id"), "outlet": (s.outlets, "id"),
    "point": (s.points, "id"), "factor": (s.factors, "code"), "park": (s.parks, "code"),
}


# --------------------------------------------------------------------------- reading

def _entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise RegistryEditError(N_("unknown registry table %(name)r; known: %(known)s"), name=name,
                                known=", ".join(ENTITIES)) from None


def _key_value(entity: Entity, key: Any) -> Any:
    if entity.key_given:
        return str(key)
    try:
        return int(key)
    except (TypeError, ValueError):
        raise RegistryEditError(NOT_A_NUMBER_OF, key=key) from None


def maintained_points(conn: Connection, user_id: int) -> list[str]:
    """MNs of the points an O&M account maintains (its scope), sorted."""
    pm, p = s.point_maintainers, s.points
    return sorted(conn.execute(select(p.c.mn).join(pm, pm.c.point_id == p.c.id)
                               .where(pm.c.user_id == user_id)).scalars())


def _load(conn: Connection, entity: Entity, key: Any) -> dict | None:
    t = entity.table
    row = conn.execute(select(t).where(t.c[entity.key] == key)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    if entity.name == "user":
        out.pop("password_hash", None)
        out["maintained_points"] = maintained_points(conn, out["id"])
    return out


def get_row(engine: Engine, entity: str, key: Any) -> dict | None:
    """One row as a dict (users without the password hash, with ``maintained_points``), or ``None``."""
    e = _entity(entity)
    with engine.connect() as conn:
        return _load(conn, e, _key_value(e, key))


def list_rows(engine: Engine, entity: str, *, search: str | None = None, offset: int = 0,
              limit: int = 50, sort: str | None = None, desc: bool = False) -> tuple[list[dict], int]:
    """Rows of a registry table (the list columns), ordered by ``sort`` (one of the list columns; else the
    key), then the key, optionally searched, and the total."""
    e = _entity(entity)
    t = e.table
    conds = []
    if search:
        like = f"%{search.strip()}%"
        conds.append(or_(*(func.lower(t.c[c]).like(like.lower()) for c in e.search)))
    cols = [t.c[c] for c in e.list_columns]
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(t).where(*conds)).scalar_one()
        order = [t.c[e.key]]
        if sort in e.list_columns and sort != e.key:
            order.insert(0, t.c[sort].desc() if desc else t.c[sort].asc())
        elif desc:
            order = [t.c[e.key].desc()]
        rows = conn.execute(select(*cols).where(*conds).order_by(*order).offset(offset).limit(limit)).mappings()
        return [dict(r) for r in rows], int(total)


# --------------------------------------------------------------------------- converting and checking

def _convert(f: Field, raw: Any) -> Any:
    text = "" if raw is None else str(raw).strip()
    if f.kind == "bool":
        return text.lower() in ("1", "true", "on", "yes")
    if f.kind == "mn_list":
        return sorted({m for m in re.split(r"[\s,;]+", text) if m})
    if text == "":
        if f.required:
            raise RegistryEditError("this field is required", f.name)
        return None
    if f.max_len is not None and len(text) > f.max_len:
        raise RegistryEditError("at most %(n)d characters", f.name, n=f.max_len)
    if f.kind in ("int", "float"):
        try:
            value: Any = int(text) if f.kind == "int" else float(text)
        except ValueError:
            raise RegistryEditError("%(text)r is not a whole number" if f.kind == "int" else "%(text)r is not a number",
                                    f.name, text=text) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise RegistryEditError("%(text)r is not a finite number", f.name, text=text)
        if f.low is not None and value < f.low:
            raise RegistryEditError("must be at least %(n)s", f.name, n=f"{f.low:g}")
        if f.high is not None and value > f.high:
            raise RegistryEditError("must be at most %(n)s", f.name, n=f"{f.high:g}")
        return value
    if f.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise RegistryEditError("%(value)s is not a date (YYYY-MM-DD)", f.name, value=text) from None
    if f.kind == "datetime":
        try:
            return datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise RegistryEditError("%(value)r is not a date and time (YYYY-MM-DD HH:MM)", f.name,
                                    value=text) from None
    if f.kind == "choice" and text not in f.choices:
        raise RegistryEditError("%(text)r is not one of %(choices)s", f.name, text=text, choices=", ".join(f.choices))
    if f.kind == "ref" and REFS[f.ref][1] == "id":
        try:
            return int(text)
        except ValueError:
            raise RegistryEditError("%(text)r is not a number", f.name, text=text) from None
    return text


def _values(conn: Connection, e: Entity, raw: Mapping[str, Any], before: dict | None) -> dict:
    values: dict[str, Any] = {}
    for f in e.fields:
        if f.create_only and before is not None:
            continue
        values[f.name] = _convert(f, raw.get(f.name))
    for f in e.fields:
        v = values.get(f.name)
        if f.kind == "mn_list":
            values[f.name] = _mns_to_points(conn, v or [])
        if f.kind == "ref" and v is not None:
            table, col = REFS[f.ref]
            if conn.execute(select(table.c[col]).where(table.c[col] == v)).first() is None:
                raise RegistryEditError("there is nothing with the key %(key)s", f.name, key=v)
        if f.unique and v is not None:
            t = e.table
            q = select(t.c[e.key]).where(t.c[f.name] == v)
            if before is not None:
                q = q.where(t.c[e.key] != before[e.key])
            if conn.execute(q).first() is not None:
                raise RegistryEditError("%(value)s is already used by another row", f.name, value=v)
    if e.composite_unique:
        t = e.table
        q = select(t.c[e.key]).where(*(t.c[c] == values[c] for c in e.composite_unique))
        if before is not None:
            q = q.where(t.c[e.key] != before[e.key])
        if conn.execute(q).first() is not None:
            raise RegistryEditError(e.composite_taken, e.composite_unique[-1])
    if e.check is not None:
        e.check(conn, values if before is None else {**before, **values}, before)
    for f in e.fields:  # a local time of the row (its tz, checked above) → UTC
        v = values.get(f.name)
        if f.kind == "datetime" and v is not None:
            if v.tzinfo is None:
                v = v.replace(tzinfo=ZoneInfo(values.get("tz") or (before or {}).get("tz") or "Asia/Shanghai"))
            values[f.name] = v.astimezone(timezone.utc)
    return values


def _mns_to_points(conn: Connection, mns: list[str]) -> list[int]:
    found = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(mns))).all())
    unknown = [m for m in mns if m not in found]
    if unknown:
        raise RegistryEditError("no point with MN %(mns)s", "maintained_points", mns=", ".join(unknown))
    return sorted(found.values())


def _masked(e: Entity, row: dict | None, other: dict | None = None) -> dict | None:
    """The row for the audit log: secrets replaced by a mask that still shows whether they changed."""
    if row is None:
        return None
    out = dict(row)
    for f in e.fields:
        if f.secret and f.name in out:
            changed = other is not None and other.get(f.name) != row.get(f.name)
            out[f.name] = MASK + (" (changed)" if changed else "")
    return out


def _write(conn: Connection, e: Entity, values: dict, before: dict | None, actor: str | None) -> Any:
    t = e.table
    if before is None:
        res = conn.execute(insert(t).values(**values))
        key = values[e.key] if e.key_given else int(res.inserted_primary_key[0])
    else:
        key = before[e.key]
        conn.execute(sql_update(t).where(t.c[e.key] == key).values(**values))
    after = _load(conn, e, key)
    audit.record(conn, actor, "create" if before is None else "update", e.name, key,
                 _masked(e, before), _masked(e, after, before))
    return key


def read_form(engine: Engine, entity: str, raw: Mapping[str, Any], key: Any = None) -> dict:
    """The form's strings as checked, typed values (``key`` given: of that existing row, whose create-only
    fields are left out). A ``mn_list`` field comes back as the point ids. :class:`RegistryEditError`."""
    e = _entity(entity)
    with engine.connect() as conn:
        before = None
        if key is not None:
            before = _load(conn, e, _key_value(e, key))
            if before is None:
                raise RegistryEditError(NO_ROW_OF.get(e.name, NO_ROW), entity=e.name, key=key)
        return _values(conn, e, raw, before)


def _writable(e: Entity) -> Entity:
    if e.name == "user":
        raise RegistryEditError("accounts are written by ecosentry.auth.accounts (passwords, lock-out, scope)")
    return e


def create(engine: Engine, entity: str, raw: Mapping[str, Any], actor: str | None) -> Any:
    """Create one row from form values (strings); returns its key. :class:`RegistryEditError` if refused."""
    e = _writable(_entity(entity))
    with engine.begin() as conn:
        values = _values(conn, e, raw, None)
        return _write(conn, e, values, None, actor)


def update(engine: Engine, entity: str, key: Any, raw: Mapping[str, Any], actor: str | None) -> dict:
    """Change one row from form values (every field of the form; create-only fields are kept); returns it."""
    e = _writable(_entity(entity))
    with engine.begin() as conn:
        before = _load(conn, e, _key_value(e, key))
        if before is None:
            raise RegistryEditError(NO_ROW_OF.get(e.name, NO_ROW), entity=e.name, key=key)
        values = _values(conn, e, raw, before)
        _write(conn, e, values, before, actor)
        return _load(conn, e, before[e.key])


def reset_lockout(engine: Engine, user_id: int, actor: str | None) -> dict:
    """Unlock an account locked after failed logins (failed count to 0, lock removed); returns the user."""
    e = ENTITIES["user"]
    with engine.begin() as conn:
        before = _load(conn, e, int(user_id))
        if before is None:
            raise RegistryEditError(N_("there is no user %(id)s"), id=user_id)
        conn.execute(sql_update(s.users).where(s.users.c.id == before["id"]).values(failed_logins=0, locked_until=None))
        after = _load(conn, e, before["id"])
        audit.record(conn, actor, "reset_lockout", "user", before["id"],
                     {"failed_logins": before["failed_logins"], "locked_until": before["locked_until"]},
                     {"failed_logins": 0, "locked_until": None, "at": datetime.now(timezone.utc)})
        return after
