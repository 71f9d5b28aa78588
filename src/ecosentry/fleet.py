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
from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from ecosentry.auth.passwords import PasswordError, check_strength, hash_password
from ecosentry.auth.principal import ROLES
from ecosentry.installed import each
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.upsert import upsert


class RegistryError(ValueError):
    """A fleet file that cannot be imported; the message names the row or key at fault."""


# ---------------------------------------------------------------------------------------- import

def load_fleet_file(path: Path) -> dict:
    """Read a fleet from YAML (nested, see docs/registry.md) or CSV (one row per point-factor)."""
    path = Path(path)
    try:
        return _load_fleet_file(path)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise RegistryError(f"{path}: not valid CSV: {exc}") from None


def _load_fleet_file(path: Path) -> dict:
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        if not isinstance(data, dict):
            raise RegistryError(f"{path}: the top level must be a mapping with regions/enterprises/users")
        return data
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            return fleet_from_csv_rows(list(csv.DictReader(f)))
    raise RegistryError(f"{path}: unknown fleet format (use .yaml, .yml or .csv)")


CSV_COLUMNS = (
    "region_code", "region_name", "credit_code", "enterprise_name", "industry", "outlet_code", "outlet_name",
    "medium", "ref_o2", "duct_area", "mn", "password", "st", "point_name", "tz", "min_interval", "factor",
    "range_low", "range_high", "limit_hour", "limit_day", "limit_lower", "limit_from", "standard",
    "connected_at", "decommissioned_at",
)


def fleet_from_csv_rows(rows: list[dict[str, str]]) -> dict:
    """Fold flat CSV rows (one per point-factor) into the nested fleet structure."""
    required = {"region_code", "credit_code", "enterprise_name", "outlet_code", "medium", "mn", "password",
                "st", "factor"}
    regions: dict[str, dict] = {}
    ents: dict[str, dict] = {}
    for i, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        missing = sorted(c for c in required if not row.get(c))
        if missing:
            raise RegistryError(f"CSV line {i}: missing {', '.join(missing)}")
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
        point["factors"].append({"code": row["factor"],
                                 "range": [_num(row.get("range_low"), i), _num(row.get("range_high"), i)],
                                 "limits": limits})
    return {"regions": list(regions.values()), "enterprises": list(ents.values())}


def _csv_int(v: str | None, line: int, column: str) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except ValueError:
        raise RegistryError(f"CSV line {line}: {column} {v!r} is not a whole number") from None


def _csv_date(v: str | None, line: int) -> str | None:
    if v in (None, ""):
        return None
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise RegistryError(f"CSV line {line}: limit_from {v!r} is not a date (YYYY-MM-DD)") from None


def _num(v: str | None, line: int) -> float | None:
    if v in (None, ""):
        return None
    try:
        return float(v)
    except ValueError:
        raise RegistryError(f"CSV line {line}: {v!r} is not a number") from None


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
        raise RegistryError(f"the fleet breaks a registry constraint (a unique key repeated, or a reference "
                            f"to something not in the file or database): {exc.orig}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, RegistryError):
            raise
        raise RegistryError(f"fleet structure not understood ({type(exc).__name__}: {exc}); "
                            "see docs/registry.md") from None


def _import_fleet(engine: Engine, fleet: dict[str, Any], default_tz: str, actor: str | None) -> ImportSummary:
    summary = ImportSummary()
    with engine.begin() as conn:
        known_factors = set(conn.scalars(select(s.factors.c.code)))
        for r in _sorted_regions(fleet.get("regions") or []):
            _require(r, ("code",), "region")
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
            _require(pk, ("code", "name", "region"), "park")
            upsert(conn, s.parks, [{"code": str(pk["code"]), "name": pk["name"], "region_code": str(pk["region"])}],
                   ["code"], ["name", "region_code"])
            summary.parks += 1
        for e in fleet.get("enterprises") or []:
            _require(e, ("credit_code", "name", "region"), "enterprise")
            if conn.execute(select(s.regions.c.code).where(s.regions.c.code == str(e["region"]))).first() is None:
                raise RegistryError(f"enterprise {e['name']}: region {e['region']!r} is neither in the file's "
                                    "regions nor in the database")
            ent_id = _upsert_get_id(conn, s.enterprises, {"credit_code": e["credit_code"]}, {
                "name": e["name"], "industry": e.get("industry"), "region_code": str(e["region"]),
                "address": e.get("address"), "lon": _float(e, "lon", f"enterprise {e['name']}"),
                "lat": _float(e, "lat", f"enterprise {e['name']}"),
                "park_code": str(e["park"]) if e.get("park") else None,
                "published": bool(e.get("published", False))})
            summary.enterprises += 1
            for o in e.get("outlets") or []:
                _require(o, ("code", "name", "medium"), f"outlet of {e['name']}")
                if o["medium"] not in ("gas", "water", "ambient"):
                    raise RegistryError(f"outlet {o['code']} of {e['name']}: medium must be gas, water or ambient")
                where = f"outlet {o['code']} of {e['name']}"
                out_id = _upsert_get_id(conn, s.outlets, {"enterprise_id": ent_id, "code": o["code"]}, {
                    "name": o["name"], "medium": o["medium"],
                    "lon": _float(o, "lon", where) if "lon" in o else _float(e, "lon", where),
                    "lat": _float(o, "lat", where) if "lat" in o else _float(e, "lat", where),
                    "ref_o2": _float(o, "ref_o2", where), "duct_area": _float(o, "duct_area", where),
                    "height": _float(o, "height", where)})
                summary.outlets += 1
                for p in o.get("points") or []:
                    _require(p, ("mn", "password", "st"), f"point of outlet {o['code']}")
                    lenient_before = conn.execute(select(s.points.c.id, s.points.c.lenient_length)
                                                  .where(s.points.c.mn == str(p["mn"]))).first()
                    extra = {"lenient_length": _bool(p, "lenient_length", f"point {p['mn']}")} \
                        if "lenient_length" in p else {}
                    point_tz = p.get("tz") or default_tz
                    # 联网 / 撤销 times: only when the file gives them, so a re-import without them keeps them
                    extra |= {k: _instant(p[k], point_tz, f"point {p['mn']}, {k}")
                              for k in ("connected_at", "decommissioned_at") if k in p}
                    pid = _upsert_get_id(conn, s.points, {"mn": str(p["mn"])}, {**extra,
                        "outlet_id": out_id, "password": str(p["password"]), "st": str(p["st"]),
                        "name": p.get("name") or o["name"], "tz": point_tz,
                        "region_code": str(p.get("region") or e["region"]),
                        "min_interval": _int(p, "min_interval", f"point {p['mn']}")
                        or (1 if o["medium"] == "gas" else 10),
                        "rtd_interval": _int(p, "rtd_interval", f"point {p['mn']}") or 30,
                        "active": bool(p.get("active", True))})
                    summary.points += 1
                    old = bool(lenient_before.lenient_length) if lenient_before is not None else False
                    if "lenient_length" in extra and extra["lenient_length"] != old:
                        audit.record(conn, actor, "update" if lenient_before is not None else "create", "point", pid,
                                     {"mn": str(p["mn"]), "lenient_length": old},
                                     {"mn": str(p["mn"]), "lenient_length": extra["lenient_length"]})
                    codes_seen: set[str] = set()
                    for f in p.get("factors") or []:
                        if isinstance(f, dict):
                            _require(f, ("code",), f"factor of point {p['mn']}")
                        code = str(f["code"]) if isinstance(f, dict) else str(f)
                        if code not in known_factors:
                            raise RegistryError(f"point {p['mn']}: unknown factor code {code!r}")
                        if code in codes_seen:  # the second entry would silently replace the first's limits
                            raise RegistryError(f"point {p['mn']}: factor {code} is listed twice")
                        codes_seen.add(code)
                        f = f if isinstance(f, dict) else {"code": code}
                        where = f"point {p['mn']}, factor {code}"
                        rng = f.get("range") or [None, None]
                        if not isinstance(rng, (list, tuple)) or len(rng) != 2:
                            raise RegistryError(f"{where}: range must be [low, high], not {rng!r}")
                        rng = [_float({"range": v}, "range", where) for v in rng]
                        upsert(conn, s.point_factors, [{"point_id": pid, "factor_code": code,
                                                        "range_low": rng[0], "range_high": rng[1],
                                                        "assessed": bool(f.get("assessed", True))}],
                               ["point_id", "factor_code"], ["range_low", "range_high", "assessed"])
                        summary.point_factors += 1
                        conn.execute(delete(s.limits).where(s.limits.c.point_id == pid,
                                                            s.limits.c.factor_code == code))
                        for lim in f.get("limits") or []:
                            lim = _resolve_seed_limit(lim, code, f"{where}, limit")
                            conn.execute(s.limits.insert().values(
                                point_id=pid, factor_code=code, kind=lim.get("kind", "hour"),
                                upper=_float(lim, "upper", f"{where}, limit"),
                                lower=_float(lim, "lower", f"{where}, limit"),
                                valid_from=_date(lim.get("valid_from") or "2000-01-01", f"{where}, limit valid_from"),
                                valid_to=_date(lim["valid_to"], f"{where}, limit valid_to") if lim.get("valid_to")
                                else None,
                                standard=lim.get("standard"), season=_season(lim, where)))
                            summary.limits += 1
        for u in fleet.get("users") or []:
            _import_user(conn, u)
            summary.users += 1
        for sub, store_part in each("registry_import"):
            try:
                summary.subsystems.update(store_part(conn, fleet, actor) or {})
            except ValueError as exc:  # the subsystem's own words, not "structure not understood"
                raise RegistryError(f"{sub.name}: {exc}") from None
    return summary


def _import_user(conn: Connection, u: dict) -> int:
    """Create or update one account (key: ``username``). See docs/registry.md, "users".

    ``password`` is hashed here (Argon2id) and set only when the account has no password yet, so a
    re-import does not undo a password changed since. ``enterprise`` is a credit code, ``park`` a park code,
    ``points`` a list of MNs (the points an O&M account maintains, replaced on every import).
    """
    _require(u, ("username", "role"), "user")
    name = str(u["username"])
    if u["role"] not in ROLES:
        raise RegistryError(f"user {name}: role must be one of {', '.join(ROLES)}, not {u['role']!r}")
    values: dict[str, Any] = {"display_name": u.get("display_name"), "role": u["role"],
                              "region_code": str(u["region"]) if u.get("region") else None,
                              "organisation": u.get("organisation"), "locale": u.get("locale")}
    if values["locale"] not in (None, "zh", "vi", "en"):
        raise RegistryError(f"user {name}: locale must be zh, vi or en, not {values['locale']!r}")
    if u.get("enterprise"):
        ent = conn.execute(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == str(u["enterprise"]))).scalar()
        if ent is None:
            raise RegistryError(f"user {name}: no enterprise with credit code {u['enterprise']!r}")
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
            raise RegistryError(f"user {name}: {exc}") from None
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
            raise RegistryError(f"user {name}: no point with MN {', '.join(missing)}")
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


def _require(d: dict, keys: tuple[str, ...], what: str) -> None:
    missing = [k for k in keys if d.get(k) in (None, "")]
    if missing:
        raise RegistryError(f"{what}: missing {', '.join(missing)} in {d!r:.200}")


def _date(v: Any, what: str = "date") -> date:
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise RegistryError(f"{what}: {v!r} is not a date (YYYY-MM-DD)") from None


def _instant(v: Any, tz: str, what: str) -> datetime | None:
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
            raise RegistryError(f"{what}: {v!r} is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if t.tzinfo is None:
        try:
            t = t.replace(tzinfo=ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise RegistryError(f"{what}: unknown time zone {tz!r}") from None
    return t.astimezone(timezone.utc)


def _season(lim: dict, what: str) -> str | None:
    season = lim.get("season") or None
    if season not in (None, "summer", "winter"):
        raise RegistryError(f"{what}, limit: season must be summer or winter, not {season!r}")
    return season


def _float(d: dict, key: str, what: str) -> float | None:
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
        raise RegistryError(f"{what}: {key} {v!r} is not a number") from None


def _bool(d: dict, key: str, what: str) -> bool:
    v = d.get(key)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, str)) and str(v).strip().lower() in ("0", "1", "true", "false", "yes", "no", ""):
        return str(v).strip().lower() in ("1", "true", "yes")
    raise RegistryError(f"{what}: {key} must be true or false, not {v!r}")


def _int(d: dict, key: str, what: str) -> int | None:
    v = d.get(key)
    if v is None or v == "":
        return None
    try:
        if isinstance(v, bool) or float(v) != int(float(v)):
            raise ValueError
        return int(float(v))
    except (TypeError, ValueError, OverflowError):
        raise RegistryError(f"{what}: {key} {v!r} is not a whole number") from None


def _upsert_get_id(conn: Connection, table: s.Table, key: dict, values: dict) -> int:
    where = [table.c[k] == v for k, v in key.items()]
    existing = conn.execute(select(table.c.id).where(*where)).scalar()
    if existing is None:
        return conn.execute(table.insert().values(**key, **values)).inserted_primary_key[0]
    conn.execute(table.update().where(*where).values(**values))
    return existing


def _resolve_seed_limit(lim: dict, factor: str, where: str) -> dict:
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
        raise RegistryError(f"{where}: seed must name at least standard and source, e.g. "
                            "{standard: GB 13223-2011, table: '1', source: coal boiler}")
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
        raise RegistryError(f"{where}: seed {key} matches {len(rows)} rows for factor {factor} "
                            f"(candidates: {candidates}); name table and condition")
    row = rows[0]
    label = f"{row.standard} 表{row.table} {row.source}" if row.table else f"{row.standard} {row.source}"
    if row.condition:
        label += f" ({row.condition})"
    return {**{k: v for k, v in lim.items() if k != "seed"}, "kind": row.kind, "upper": row.upper,
            "lower": row.lower, "standard": lim.get("standard") or label[:100]}
