"""The fleet file: regions, parks, enterprises, outlets, points, limits and accounts (YAML or CSV), imported
idempotently in one transaction (docs/registry.md).

It sits above :mod:`ecosentry.store` and :mod:`ecosentry.auth`: an account's password is hashed and its role
checked by auth (:mod:`ecosentry.auth.passwords`, :data:`ecosentry.auth.principal.ROLES`), and auth reads the
registry through the store, so the importer cannot live in the store (issue 12 item 5, layers point downwards).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import Connection, Engine, delete, select, tuple_
from sqlalchemy.exc import IntegrityError

from ecosentry.auth.passwords import PasswordError, check_strength, hash_password
from ecosentry.auth.principal import ROLES
from ecosentry.installed import each
from ecosentry.said import Said
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for, upsert
from ecosentry.yamltext import safe_load


class RegistryError(Said):
    """A fleet file that cannot be imported; the message names the row or key at fault (a catalogue msgid,
    :class:`ecosentry.said.Said`: ``str`` is English, :meth:`~ecosentry.said.Said.say` the reader's language)."""


def _at(msgid: str, **params: Any) -> Said:
    """Where in the fleet a problem is ("outlet X of Y"), said in the reader's language inside an error."""
    return Said(msgid, **params)


# ---------------------------------------------------------------------------------------- import

def load_fleet_file(path: Path) -> dict:
    """Read a fleet from YAML (nested, see docs/registry.md) or CSV (one row per point-factor)."""
    path = Path(path)
    try:
        return _load_fleet_file(path)
    except yaml.YAMLError as exc:
        raise RegistryError("%(path)s: not valid YAML: %(error)s", path=str(path),
                            error=str(exc).replace("\n", " ")) from None
    except UnicodeDecodeError as exc:
        raise RegistryError("%(path)s: not UTF-8 text (%(reason)s at byte %(byte)s)", path=str(path),
                            reason=exc.reason, byte=exc.start) from None
    except csv.Error as exc:
        raise RegistryError("%(path)s: not valid CSV: %(error)s", path=str(path), error=str(exc)) from None


def _load_fleet_file(path: Path) -> dict:
    if path.suffix.lower() in (".yaml", ".yml"):
        data = safe_load(path.read_text(encoding="utf-8-sig")) or {}
        if not isinstance(data, dict):
            raise RegistryError("%(path)s: the top level must be a mapping with regions/enterprises/users",
                                path=str(path))
        return data
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = {(name or "").strip() for name in reader.fieldnames or ()}
            if not header - {""}:
                raise RegistryError("%(path)s: an empty CSV file (its first line names the columns)", path=str(path))
            missing = sorted(CSV_REQUIRED - header)
            if missing:   # a file of something else: said at once, not as "nothing imported"
                raise RegistryError("%(path)s: the CSV header lacks the columns %(columns)s", path=str(path),
                                    columns=", ".join(missing))
            return fleet_from_csv_rows(list(reader))
    raise RegistryError("%(path)s: unknown fleet format (use .yaml, .yml or .csv)", path=str(path))


CSV_COLUMNS = (
    "region_code", "region_name", "credit_code", "enterprise_name", "industry", "outlet_code", "outlet_name",
    "medium", "ref_o2", "duct_area", "mn", "password", "st", "point_name", "tz", "min_interval", "factor",
    "range_low", "range_high", "detection_limit", "limit_hour", "limit_day", "limit_lower", "limit_from", "standard",
    "connected_at", "decommissioned_at",
)


#: The columns every row of a CSV fleet fills in.
CSV_REQUIRED = frozenset({"region_code", "credit_code", "enterprise_name", "outlet_code", "medium", "mn", "password",
                          "st", "factor"})


def fleet_from_csv_rows(rows: list[dict[str, str]]) -> dict:
    """Fold flat CSV rows (one per point-factor) into the nested fleet structure."""
    required = CSV_REQUIRED
    regions: dict[str, dict] = {}
    ents: dict[str, dict] = {}
    for i, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        missing = sorted(c for c in required if not row.get(c))
        if missing:
            raise RegistryError("CSV line %(line)s: missing %(columns)s", line=i, columns=", ".join(missing))
        min_interval = _csv_int(row.get("min_interval"), i, "min_interval")  # checked on every row
        limit_from = _csv_date(row.get("limit_from"), i)
        # a CSV row knows a region's code and maybe its name, not its place in the tree: give only that,
        # so a re-import does not overwrite level and parent of a region imported from YAML
        region = regions.setdefault(row["region_code"], {"code": row["region_code"]})
        if row.get("region_name"):
            region["name"] = row["region_name"]
        ent = ents.setdefault(row["credit_code"], {
            "credit_code": row["credit_code"], "name": row["enterprise_name"], "industry": row.get("industry"),
            "region": row["region_code"], "outlets": []})
        outlet = next((o for o in ent["outlets"] if o["code"] == row["outlet_code"]), None)
        if outlet is None:
            outlet = {"code": row["outlet_code"], "name": row.get("outlet_name") or row["outlet_code"],
                      "medium": row["medium"], "ref_o2": _num(row.get("ref_o2"), i),
                      "duct_area": _num(row.get("duct_area"), i), "points": []}
            ent["outlets"].append(outlet)
        point = next((p for p in outlet["points"] if p["mn"] == row["mn"]), None)
        if point is None:
            point = {"mn": row["mn"], "password": row["password"], "st": row["st"],
                     "name": row.get("point_name") or row["mn"], "tz": row.get("tz") or None,
                     "min_interval": min_interval,
                     **{k: row[k] for k in ("connected_at", "decommissioned_at") if row.get(k)},
                     "factors": []}
            outlet["points"].append(point)
        limits = []
        for kind in ("hour", "day"):
            upper = _num(row.get(f"limit_{kind}"), i)
            if upper is not None:
                limits.append({"kind": kind, "upper": upper, "lower": _num(row.get("limit_lower"), i),
                               "valid_from": limit_from or "2000-01-01",
                               "standard": row.get("standard") or None})
        factor = next((f for f in point["factors"] if f["code"] == row["factor"]), None)
        if factor is not None:  # another row of the same point-factor: more limits (a limit history)
            factor["limits"].extend(limits)
            continue
        factor = {"code": row["factor"], "range": [_num(row.get("range_low"), i), _num(row.get("range_high"), i)],
                  "limits": limits}
        if "detection_limit" in row:  # a file without the column keeps the stored detection limits
            factor["detection_limit"] = _num(row["detection_limit"], i)
        point["factors"].append(factor)
    return {"regions": list(regions.values()), "enterprises": list(ents.values())}


def _csv_int(v: str | None, line: int, column: str) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except ValueError:
        raise RegistryError("CSV line %(line)s: %(column)s %(value)r is not a whole number", line=line, column=column,
                            value=v) from None


def _csv_date(v: str | None, line: int) -> str | None:
    if v in (None, ""):
        return None
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise RegistryError("CSV line %(line)s: limit_from %(value)r is not a date (YYYY-MM-DD)", line=line,
                            value=v) from None


def _num(v: str | None, line: int) -> float | None:
    if v in (None, ""):
        return None
    try:
        return float(v)
    except ValueError:
        raise RegistryError("CSV line %(line)s: %(value)r is not a number", line=line, value=v) from None


@dataclass(repr=False)
class ImportSummary:
    regions: int = 0
    enterprises: int = 0
    outlets: int = 0
    points: int = 0
    point_factors: int = 0
    limits: int = 0
    users: int = 0
    parks: int = 0
    #: What the subsystems' ``registry_import`` functions stored, by their names (shown when not empty).
    subsystems: dict[str, int] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        core = ", ".join(f"{k}={getattr(self, k)}" for k in ("regions", "enterprises", "outlets", "points",
                                                            "point_factors", "limits", "users", "parks"))
        more = "".join(f", {k}={v}" for k, v in self.subsystems.items())
        return f"ImportSummary({core}{more})"


def import_fleet(engine: Engine, fleet: dict[str, Any], *, default_tz: str = "Asia/Shanghai",
                 actor: str | None = "fleet-import") -> ImportSummary:
    """Create or update everything in ``fleet`` in one transaction (keys: region code, credit code,
    enterprise + outlet code, MN, point + factor). Limits of an imported point-factor are replaced.
    A change of a point's ``lenient_length`` is written to the audit log as ``actor``."""
    try:
        return _import_fleet(engine, fleet, default_tz, actor)
    except IntegrityError as exc:
        raise RegistryError("the fleet breaks a registry constraint (a unique key repeated, or a reference "
                            "to something not in the file or database): %(error)s", error=str(exc.orig)) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, RegistryError):
            raise
        raise RegistryError("fleet structure not understood (%(error)s); see docs/registry.md",
                            error=f"{type(exc).__name__}: {exc}") from None


def _import_fleet(engine: Engine, fleet: dict[str, Any], default_tz: str, actor: str | None) -> ImportSummary:
    summary = ImportSummary()
    with engine.begin() as conn:
        known_factors = set(conn.scalars(select(s.factors.c.code)))
        for r in _sorted_regions(fleet.get("regions") or []):
            _require(r, ("code",), _at("region"))
            # on conflict update only what the file gives (a CSV row gives no level or parent)
            given = [c for c, k in (("name", "name"), ("level", "level"), ("parent_code", "parent"),
                                    ("country", "country")) if k in r and (k != "name" or r[k])]
            upsert(conn, s.regions, [{"code": str(r["code"]), "name": r.get("name") or str(r["code"]),
                                      "level": r.get("level") or "county",
                                      "parent_code": str(r["parent"]) if r.get("parent") else None,
                                      "country": r.get("country") or "CN"}],
                   ["code"], given)
            summary.regions += 1
        for pk in fleet.get("parks") or []:
            _require(pk, ("code", "name", "region"), _at("park"))
            upsert(conn, s.parks, [{"code": str(pk["code"]), "name": pk["name"], "region_code": str(pk["region"])}],
                   ["code"], ["name", "region_code"])
            summary.parks += 1
        _import_sources(conn, fleet, default_tz, actor, known_factors, summary)
        for u in fleet.get("users") or []:
            _import_user(conn, u)
            summary.users += 1
        for sub, store_part in each("registry_import"):
            try:
                summary.subsystems.update(store_part(conn, fleet, actor) or {})
            except ValueError as exc:  # the subsystem's own words, not "structure not understood"
                said = exc if isinstance(exc, Said) else str(exc)
                raise RegistryError("%(subsystem)s: %(error)s", subsystem=Said(sub.title), error=said) from None
    return summary


@dataclass
class _Sources:
    """The enterprises, outlets, points, point-factors and limits of a fleet, checked, keyed and deduplicated (a
    key given twice: the later wins, as when the rows were written one by one), ready to be written in bulk."""

    enterprises: dict[str, dict] = field(default_factory=dict)              # credit code → values
    outlets: dict[tuple[str, str], dict] = field(default_factory=dict)      # (credit code, outlet code) → values
    points: dict[str, tuple[tuple[str, str], dict]] = field(default_factory=dict)  # MN → (outlet key, values)
    factors: dict[tuple[str, str], dict] = field(default_factory=dict)      # (MN, factor) → values
    limits: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (MN, factor) → limit rows


def _read_sources(fleet: dict[str, Any], default_tz: str, known_factors: set[str], known_regions: set[str],
                  summary: ImportSummary) -> _Sources:
    """Check every enterprise, outlet, point, factor and limit of the file, in the file's order (the first fault
    found is the one said), without touching the database."""
    out = _Sources()
    for e in fleet.get("enterprises") or []:
        _require(e, ("credit_code", "name", "region"), _at("enterprise"))
        if str(e["region"]) not in known_regions:
            raise RegistryError("enterprise %(enterprise)s: region %(region)r is neither in the file's "
                                "regions nor in the database", enterprise=e["name"], region=e["region"])
        out.enterprises[str(e["credit_code"])] = {
            "name": e["name"], "industry": e.get("industry"), "region_code": str(e["region"]),
            "address": e.get("address"), "lon": _float(e, "lon", _at("enterprise %(name)s", name=e["name"])),
            "lat": _float(e, "lat", _at("enterprise %(name)s", name=e["name"])),
            "park_code": str(e["park"]) if e.get("park") else None,
            "published": bool(e.get("published", False))}
        summary.enterprises += 1
        for o in e.get("outlets") or []:
            _require(o, ("code", "name", "medium"), _at("outlet of %(enterprise)s", enterprise=e["name"]))
            if o["medium"] not in ("gas", "water", "ambient"):
                raise RegistryError("outlet %(outlet)s of %(enterprise)s: medium must be gas, water or ambient",
                                    outlet=o["code"], enterprise=e["name"])
            where = _at("outlet %(outlet)s of %(enterprise)s", outlet=o["code"], enterprise=e["name"])
            outlet_key = (str(e["credit_code"]), str(o["code"]))
            out.outlets[outlet_key] = {
                "name": o["name"], "medium": o["medium"],
                "lon": _float(o, "lon", where) if "lon" in o else _float(e, "lon", where),
                "lat": _float(o, "lat", where) if "lat" in o else _float(e, "lat", where),
                "ref_o2": _float(o, "ref_o2", where), "duct_area": _float(o, "duct_area", where),
                "height": _float(o, "height", where)}
            summary.outlets += 1
            for p in o.get("points") or []:
                _read_point(p, o, e, outlet_key, default_tz, known_factors, out, summary)
    return out


def _read_point(p: dict, o: dict, e: dict, outlet_key: tuple[str, str], default_tz: str, known_factors: set[str],
                out: _Sources, summary: ImportSummary) -> None:
    _require(p, ("mn", "password", "st"), _at("point of outlet %(outlet)s", outlet=o["code"]))
    mn = str(p["mn"])
    extra = {"lenient_length": _bool(p, "lenient_length", _at("point %(mn)s", mn=mn))} \
        if "lenient_length" in p else {}
    point_tz = p.get("tz") or default_tz
    # 联网 / 撤销 times: only when the file gives them, so a re-import without them keeps them
    extra |= {k: _instant(p[k], point_tz, _at("point %(mn)s, %(field)s", mn=mn, field=k))
              for k in ("connected_at", "decommissioned_at") if k in p}
    out.points[mn] = (outlet_key, {
        **extra, "password": str(p["password"]), "st": str(p["st"]), "name": p.get("name") or o["name"],
        "tz": point_tz, "region_code": str(p.get("region") or e["region"]),
        "min_interval": _int(p, "min_interval", _at("point %(mn)s", mn=mn)) or (1 if o["medium"] == "gas" else 10),
        "rtd_interval": _int(p, "rtd_interval", _at("point %(mn)s", mn=mn)) or 30,
        "active": bool(p.get("active", True))})
    summary.points += 1
    codes_seen: set[str] = set()
    for f in p.get("factors") or []:
        if isinstance(f, dict):
            _require(f, ("code",), _at("factor of point %(mn)s", mn=mn))
        code = str(f["code"]) if isinstance(f, dict) else str(f)
        if code not in known_factors:
            raise RegistryError("point %(mn)s: unknown factor code %(code)r", mn=mn, code=code)
        if code in codes_seen:  # the second entry would silently replace the first's limits
            raise RegistryError("point %(mn)s: factor %(code)s is listed twice", mn=mn, code=code)
        codes_seen.add(code)
        f = f if isinstance(f, dict) else {"code": code}
        where = _at("point %(mn)s, factor %(code)s", mn=mn, code=code)
        rng = f.get("range") or [None, None]
        if not isinstance(rng, (list, tuple)) or len(rng) != 2:
            raise RegistryError("%(where)s: range must be [low, high], not %(value)r", where=where, value=rng)
        rng = [_float({"range": v}, "range", where) for v in rng]
        out.factors[(mn, code)] = {"range_low": rng[0], "range_high": rng[1], "assessed": bool(f.get("assessed", True)),
                                   **_detection_limit(f, rng[1], where)}
        summary.point_factors += 1
        limits = []
        for lim in f.get("limits") or []:
            lim = _resolve_seed_limit(lim, code, _at("%(where)s, limit", where=where))
            limits.append({
                "kind": lim.get("kind", "hour"), "upper": _float(lim, "upper", _at("%(where)s, limit", where=where)),
                "lower": _float(lim, "lower", _at("%(where)s, limit", where=where)),
                "valid_from": _date(lim.get("valid_from") or "2000-01-01",
                                    _at("%(where)s, limit valid_from", where=where)),
                "valid_to": _date(lim["valid_to"], _at("%(where)s, limit valid_to", where=where))
                if lim.get("valid_to") else None,
                "standard": lim.get("standard"), "season": _season(lim, where)})
        out.limits[(mn, code)] = limits
        summary.limits += len(limits)


#: Rows per statement when the registry is written in bulk.
_CHUNK = 1_000


def _import_sources(conn: Connection, fleet: dict[str, Any], default_tz: str, actor: str | None,
                    known_factors: set[str], summary: ImportSummary) -> None:
    """The enterprises, outlets, points, their factors and limits: checked first, then written a table at a time,
    a thousand rows a statement (a province's registry in seconds, not one statement per row and field)."""
    known_regions = set(conn.scalars(select(s.regions.c.code)))
    src = _read_sources(fleet, default_tz, known_factors, known_regions, summary)
    ent_ids = _upsert_ids(conn, s.enterprises, ["credit_code"],
                          [{"credit_code": k, **v} for k, v in src.enterprises.items()])
    out_ids = _upsert_ids(conn, s.outlets, ["enterprise_id", "code"],
                          [{"enterprise_id": ent_ids[(ck,)], "code": oc, **v} for (ck, oc), v in src.outlets.items()])
    mns = list(src.points)
    lenient_before = {}
    for i in range(0, len(mns), _CHUNK):
        lenient_before |= {r.mn: bool(r.lenient_length) for r in conn.execute(
            select(s.points.c.mn, s.points.c.lenient_length).where(s.points.c.mn.in_(mns[i:i + _CHUNK])))}
    point_ids = _upsert_ids(conn, s.points, ["mn"], [
        {"mn": mn, "outlet_id": out_ids[(ent_ids[(ok[0],)], ok[1])], **v} for mn, (ok, v) in src.points.items()])
    for mn, (_ok, v) in src.points.items():
        old = lenient_before.get(mn, False)
        if "lenient_length" in v and v["lenient_length"] != old:
            audit.record(conn, actor, "update" if mn in lenient_before else "create", "point", point_ids[(mn,)],
                         {"mn": mn, "lenient_length": old}, {"mn": mn, "lenient_length": v["lenient_length"]})
    # rows with and without a detection limit apart: a file that does not give it keeps the stored one
    factor_rows: dict[tuple[str, ...], list[dict]] = {}
    for (mn, code), v in src.factors.items():
        factor_rows.setdefault(tuple(v), []).append({"point_id": point_ids[(mn,)], "factor_code": code, **v})
    for cols, group in factor_rows.items():
        for i in range(0, len(group), _CHUNK):
            upsert(conn, s.point_factors, group[i:i + _CHUNK], ["point_id", "factor_code"], list(cols))
    # the limits of an imported point-factor are replaced (none given: it has none any more)
    pairs = [(point_ids[(mn,)], code) for mn, code in src.limits]
    for i in range(0, len(pairs), _CHUNK):
        conn.execute(delete(s.limits).where(tuple_(s.limits.c.point_id, s.limits.c.factor_code)
                                            .in_(pairs[i:i + _CHUNK])))
    limit_rows = [{"point_id": point_ids[(mn,)], "factor_code": code, **lim}
                  for (mn, code), lims in src.limits.items() for lim in lims]
    for i in range(0, len(limit_rows), _CHUNK):
        conn.execute(s.limits.insert(), limit_rows[i:i + _CHUNK])


def _upsert_ids(conn: Connection, table: s.Table, keys: list[str], rows: list[dict]) -> dict[tuple, int]:
    """Insert the rows, or update every given column of those whose ``keys`` exist; the ids by key values.

    Rows are written a chunk at a time, those giving the same columns together (a column the file leaves out is
    kept as it is in the database)."""
    ids: dict[tuple, int] = {}
    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r), []).append(r)
    for cols, group in groups.items():
        stmt = insert_for(conn, table)
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in cols
                                                                     if c not in keys})
        stmt = stmt.returning(table.c.id, *(table.c[k] for k in keys))
        for i in range(0, len(group), _CHUNK):
            for row in conn.execute(stmt, group[i:i + _CHUNK]):
                ids[tuple(row[1:])] = row[0]
    return ids


def _import_user(conn: Connection, u: dict) -> int:
    """Create or update one account (key: ``username``). See docs/registry.md, "users".

    ``password`` is hashed here (Argon2id) and set only when the account has no password yet, so a
    re-import does not undo a password changed since. ``enterprise`` is a credit code, ``park`` a park code,
    ``points`` a list of MNs (the points an O&M account maintains, replaced on every import).
    """
    _require(u, ("username", "role"), _at("user"))
    name = str(u["username"])
    if u["role"] not in ROLES:
        raise RegistryError("user %(user)s: role must be one of %(roles)s, not %(role)r", user=name,
                            roles=", ".join(ROLES), role=u["role"])
    values: dict[str, Any] = {"display_name": u.get("display_name"), "role": u["role"],
                              "region_code": str(u["region"]) if u.get("region") else None,
                              "organisation": u.get("organisation"), "locale": u.get("locale")}
    if values["locale"] not in (None, "zh", "vi", "en"):
        raise RegistryError("user %(user)s: locale must be zh, vi or en, not %(locale)r", user=name,
                            locale=values["locale"])
    if u.get("enterprise"):
        ent = conn.execute(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == str(u["enterprise"]))).scalar()
        if ent is None:
            raise RegistryError("user %(user)s: no enterprise with credit code %(code)r", user=name,
                                code=u["enterprise"])
        values["enterprise_id"] = ent
    else:
        values["enterprise_id"] = None
    values["park_code"] = str(u["park"]) if u.get("park") else None
    if "active" in u:
        values["active"] = bool(u["active"])
    user_id = _upsert_get_id(conn, s.users, {"username": name}, values)
    if u.get("password") not in (None, ""):
        try:
            check_strength(str(u["password"]))
        except PasswordError as exc:
            raise RegistryError("user %(user)s: %(error)s", user=name, error=exc) from None
        has = conn.execute(select(s.users.c.password_hash).where(s.users.c.id == user_id)).scalar()
        if not has:
            conn.execute(s.users.update().where(s.users.c.id == user_id)
                         .values(password_hash=hash_password(str(u["password"]))))
    if "points" in u:
        mns = [str(m) for m in u.get("points") or []]
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(mns))).all()) if mns \
            else {}
        missing = [m for m in mns if m not in ids]
        if missing:
            raise RegistryError("user %(user)s: no point with MN %(mns)s", user=name, mns=", ".join(missing))
        conn.execute(delete(s.point_maintainers).where(s.point_maintainers.c.user_id == user_id))
        for pid in sorted(set(ids.values())):
            conn.execute(s.point_maintainers.insert().values(user_id=user_id, point_id=pid))
    return user_id


def _sorted_regions(regions: list[dict]) -> list[dict]:
    """Parents before children, so the foreign key holds whatever order the file uses."""
    by_code = {str(r["code"]): r for r in regions}
    done: list[dict] = []
    seen: set[str] = set()

    def visit(code: str, depth: int = 0) -> None:
        if code in seen or code not in by_code or depth > 10:
            return
        parent = by_code[code].get("parent")
        if parent:
            visit(str(parent), depth + 1)
        seen.add(code)
        done.append(by_code[code])

    for code in by_code:
        visit(code)
    return done


def _require(d: dict, keys: tuple[str, ...], what: Said) -> None:
    missing = [k for k in keys if d.get(k) in (None, "")]
    if missing:
        raise RegistryError("%(what)s: missing %(keys)s in %(record)s", what=what, keys=", ".join(missing),
                            record=f"{d!r:.200}")


def _date(v: Any, what: Said) -> date:
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise RegistryError("%(what)s: %(value)r is not a date (YYYY-MM-DD)", what=what, value=v) from None


def _instant(v: Any, tz: str, what: Said) -> datetime | None:
    """A registry time (联网 / 撤销): a date is the local midnight of the point, a time without offset is the
    point's local time; empty → None. Returned in UTC."""
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        t = v
    elif isinstance(v, date):
        t = datetime(v.year, v.month, v.day)
    else:
        try:
            t = datetime.fromisoformat(str(v).strip())
        except ValueError:
            raise RegistryError("%(what)s: %(value)r is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
                                what=what, value=v) from None
    if t.tzinfo is None:
        try:
            t = t.replace(tzinfo=ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise RegistryError("%(what)s: unknown time zone %(tz)r", what=what, tz=tz) from None
    return t.astimezone(timezone.utc)


def _detection_limit(f: dict, range_high: float | None, where: Said) -> dict[str, float | None]:
    """``{"detection_limit": value}`` when the factor entry gives the key (``None``: cleared), else ``{}`` (a
    re-import without it keeps the stored value). The analyser's method detection limit, in the factor's unit:
    above 0 and, with a range, below its upper bound (a limit at or over the top of the range is a typo or a
    wrong unit)."""
    if "detection_limit" not in f:
        return {}
    dl = _float(f, "detection_limit", where)
    if dl is not None and not dl > 0:
        raise RegistryError("%(where)s: detection_limit %(value)s must be above 0", where=where, value=f"{dl:g}")
    if dl is not None and range_high is not None and not dl < range_high:
        raise RegistryError("%(where)s: detection_limit %(value)s must be below the range's upper bound %(high)s",
                            where=where, value=f"{dl:g}", high=f"{range_high:g}")
    return {"detection_limit": dl}


def _season(lim: dict, what: Said) -> str | None:
    season = lim.get("season") or None
    if season not in (None, "summer", "winter"):
        raise RegistryError("%(what)s, limit: season must be summer or winter, not %(season)r", what=what,
                            season=season)
    return season


def _float(d: dict, key: str, what: Said) -> float | None:
    """``d[key]`` as a number (None when absent or empty). The database would otherwise store text in a
    number column (SQLite) or fail with a driver error (PostgreSQL)."""
    v = d.get(key)
    if v is None or v == "":
        return None
    try:
        if isinstance(v, bool):
            raise ValueError
        return float(v)
    except (TypeError, ValueError):
        raise RegistryError("%(what)s: %(key)s %(value)r is not a number", what=what, key=key, value=v) from None


def _bool(d: dict, key: str, what: Said) -> bool:
    v = d.get(key)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, str)) and str(v).strip().lower() in ("0", "1", "true", "false", "yes", "no", ""):
        return str(v).strip().lower() in ("1", "true", "yes")
    raise RegistryError("%(what)s: %(key)s must be true or false, not %(value)r", what=what, key=key, value=v)


def _int(d: dict, key: str, what: Said) -> int | None:
    v = d.get(key)
    if v is None or v == "":
        return None
    try:
        if isinstance(v, bool) or float(v) != int(float(v)):
            raise ValueError
        return int(float(v))
    except (TypeError, ValueError, OverflowError):
        raise RegistryError("%(what)s: %(key)s %(value)r is not a whole number", what=what, key=key,
                            value=v) from None


def _upsert_get_id(conn: Connection, table: s.Table, key: dict, values: dict) -> int:
    where = [table.c[k] == v for k, v in key.items()]
    existing = conn.execute(select(table.c.id).where(*where)).scalar()
    if existing is None:
        return conn.execute(table.insert().values(**key, **values)).inserted_primary_key[0]
    conn.execute(table.update().where(*where).values(**values))
    return existing


def _resolve_seed_limit(lim: dict, factor: str, where: Said) -> dict:
    """A limit given as ``{seed: {standard, table, source, condition}}`` → the seeded row's bounds.

    The seed table (the installed subsystems' ``limit_seed``: the monitoring subsystem's
    ``rules/cn/limits_seed.yaml``, reference notes §4.3) is searched for the rows of this
    factor whose ``standard``, ``table``, ``source`` and ``condition`` equal the given ones (``table`` and
    ``condition`` may be left out: then the row must have none, or be the only candidate), and ``kind``
    when given. Exactly one row must match; otherwise the error lists the candidates. The limit's own
    ``valid_from``, ``valid_to`` and ``season`` are kept.
    """
    if not isinstance(lim, dict) or "seed" not in lim:
        return lim
    key = lim["seed"]
    if not isinstance(key, dict) or not key.get("standard") or not key.get("source"):
        raise RegistryError("%(where)s: seed must name at least standard and source, e.g. "
                            "{standard: GB 13223-2011, table: '1', source: coal boiler}", where=where)
    seeded = [r for _, load in each("limit_seed") for r in load()]
    rows = [r for r in seeded if r.factor == factor and r.standard == str(key["standard"])
            and r.source == str(key["source"]) and (lim.get("kind") is None or r.kind == lim["kind"])]
    if "table" in key:
        rows = [r for r in rows if r.table == (None if key["table"] is None else str(key["table"]))]
    if "condition" in key:
        rows = [r for r in rows if r.condition == key["condition"]]
    elif len(rows) > 1:
        rows = [r for r in rows if r.condition is None] or rows
    if len(rows) != 1:
        candidates = "; ".join(f"table {r.table} {r.source} [{r.condition or 'always'}] {r.kind} {r.upper}"
                               for r in rows) or "none"
        raise RegistryError("%(where)s: seed %(seed)s matches %(count)s rows for factor %(factor)s "
                            "(candidates: %(candidates)s); name table and condition", where=where, seed=key,
                            count=len(rows), factor=factor, candidates=candidates)
    row = rows[0]
    label = f"{row.standard} 表{row.table} {row.source}" if row.table else f"{row.standard} {row.source}"
    if row.condition:
        label += f" ({row.condition})"
    return {**{k: v for k, v in lim.items() if k != "seed"}, "kind": row.kind, "upper": row.upper,
            "lower": row.lower, "standard": lim.get("standard") or label[:100]}
