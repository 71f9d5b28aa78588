"""The chemical-park registry of a fleet file, stored: the registry import's part for the park subsystem
(``Subsystem.registry_import``; ``ecosentry registry import fleet.yaml``), inside the import's transaction, after
the core's regions, parks and enterprises.

Shape (a top-level ``park:`` key, a list of parks, each keyed by the code of a core park of the file's
``parks:`` or of the database)::

    park:
      - code: JSHG                              # parks.code
        origin: {lon: 120.52, lat: 31.95}       # the local frame's origin (optional)
        tz: Asia/Shanghai
        notify_radius_m: 1500                   # enterprises with a source this close to a warning station
        boundary: [[0, 0], [3000, 0], [3000, 2500], [0, 2500]]       # metres east, north (or [lon, lat] pairs
                                                                     # with ``boundary_lonlat: true``)
        sources:
          - {id: S01, enterprise: 91320582MA1PARK001, x: 820, y: 1400, height: 15, substances: [Cl2, HCl]}
        stations:
          - {id: B01, tier: boundary, enterprise: 91320582MA1PARK001, x: 900, y: 1350, mn: PARKB01...,
             password: "123456", factors: [Cl2, HCl]}
          - {id: M01, tier: met, x: 1500, y: 1200, mn: PARKM01..., password: "123456",
             factors: [a01007, a01008]}
        receptors:
          - {id: R01, name: 实验小学, kind: school, x: 3600, y: 1800}

A position is ``x``/``y`` in metres east/north of the origin, or ``lon``/``lat`` (turned into metres with the
origin, equirectangular: good to a few metres across a park). ``tier`` is ``boundary`` (enterprise boundary,
厂界), ``edge`` (park edge, 园区边界), ``receptor`` (sensitive receptor, 敏感点) or ``met``; ``factors`` are
substance codes of the table (``Cl2``) or their HJ 212 codes (``a21022``), met codes for a met station
(:mod:`..factors`).

**Re-import** is idempotent: a park's site row, and its sources, stations and receptors by their ``id``, are
upserted; what the file no longer lists is kept (readings and warnings refer to stations). Every error names the
park, the item and the field, in the reader's language (:class:`ParkRegistryError`), and refuses the whole
import.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Table, select

from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.factors import met_quantity, pollutant

__all__ = ["ParkRegistryError", "import_park", "to_local"]

#: Mean Earth radius (IUGG) [m].
EARTH_RADIUS_M = 6_371_008.8
TIERS = ("boundary", "edge", "receptor", "met")
RECEPTOR_KINDS = ("school", "village", "hospital", "residential", "other")
_PARK_KEYS = ("code", "origin", "tz", "notify_radius_m", "boundary", "boundary_lonlat", "sources", "stations",
              "receptors")
_KEYS = {"source": ("id", "enterprise", "name", "x", "y", "lon", "lat", "height", "substances"),
         "station": ("id", "name", "tier", "enterprise", "x", "y", "lon", "lat", "height", "factors", "instruments",
                     "mn", "password", "active"),
         "receptor": ("id", "name", "kind", "x", "y", "lon", "lat", "population")}
#: The place of an error in the park's own keys.
PARK = Said(N_("the park entry"))
PLACES = {"source": N_("source %(id)s"), "station": N_("station %(id)s"), "receptor": N_("receptor %(id)s")}


class ParkRegistryError(Said):
    """A park entry that cannot be stored: the park, the item, the field and the problem, each said in the reader's
    language (nested :class:`Said`)."""

    def __init__(self, park: str, place: Said | str, field_: str, problem: str, **params: Any) -> None:
        super().__init__(N_("park %(park)s, %(place)s, %(field)s: %(problem)s"), park=park, place=place,
                         field=field_, problem=Said(problem, **params))


def to_local(lon: float, lat: float, origin_lon: float, origin_lat: float) -> tuple[float, float]:
    """Metres east and north of the origin (equirectangular projection on the mean Earth radius)."""
    x = math.radians(lon - origin_lon) * EARTH_RADIUS_M * math.cos(math.radians(origin_lat))
    y = math.radians(lat - origin_lat) * EARTH_RADIUS_M
    return x, y


class _Park:
    """Reads and checks one park's entries, and makes its errors."""

    def __init__(self, code: str, origin: tuple[float, float] | None) -> None:
        self.code, self.origin = code, origin

    def fail(self, place: Said | str, field_: str, problem: str, **params: Any) -> ParkRegistryError:
        return ParkRegistryError(self.code, place, field_, problem, **params)

    def text(self, item: dict, place: Said, key: str, *, required: bool = True, limit: int = 200) -> str | None:
        v = item.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise self.fail(place, key, N_("missing"))
            return None
        if isinstance(v, (dict, list)):
            raise self.fail(place, key, N_("must be a text, not %(type)s"), type=type(v).__name__)
        t = str(v).strip()
        if len(t) > limit:
            raise self.fail(place, key, N_("%(length)s characters, at most %(limit)s"), length=len(t), limit=limit)
        return t

    def number(self, item: dict, place: Said | str, key: str, *, required: bool = False,
               minimum: float | None = None) -> float | None:
        v = item.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise self.fail(place, key, N_("missing"))
            return None
        try:
            if isinstance(v, bool):
                raise ValueError
            x = float(v)
        except (TypeError, ValueError):
            raise self.fail(place, key, N_("%(value)s is not a number"), value=repr(v)) from None
        if not math.isfinite(x):
            raise self.fail(place, key, N_("%(value)s is not a finite number"), value=repr(v))
        if minimum is not None and x < minimum:
            raise self.fail(place, key, N_("must be at least %(minimum)s, not %(value)s"), minimum=f"{minimum:g}",
                            value=repr(v))
        return x

    def position(self, item: dict, place: Said) -> tuple[float, float]:
        if item.get("x") is not None or item.get("y") is not None:
            return self.number(item, place, "x", required=True), self.number(item, place, "y", required=True)
        if item.get("lon") is None and item.get("lat") is None:
            raise self.fail(place, "x", N_("missing: give x and y (metres from the park's origin) or lon and lat"))
        lon, lat = self.number(item, place, "lon", required=True), self.number(item, place, "lat", required=True)
        if self.origin is None:
            raise self.fail(place, "lon", N_("a position in lon/lat needs the park's origin"))
        return to_local(lon, lat, *self.origin)

    def codes(self, item: dict, place: Said, key: str, *, met: bool) -> list[str]:
        v = item.get(key)
        if not isinstance(v, list) or not v:
            raise self.fail(place, key, N_("must be a non-empty list of factor codes"))
        out = []
        for c in v:
            code = str(c).strip()
            known = pollutant(code) or (met_quantity(code) if met else None)
            if known is None:
                raise self.fail(place, key, N_("%(code)s is not a factor a park station reads (see docs/park.md)"),
                                code=repr(code))
            out.append(code if met and met_quantity(code) else pollutant(code))
        return out

    def keys(self, item: Any, place: Said | str, kind: str) -> dict:
        if not isinstance(item, dict):
            raise self.fail(place, kind, N_("must be a mapping"))
        allowed = _KEYS.get(kind, _PARK_KEYS)
        unknown = sorted(str(k) for k in item if k not in allowed)
        if unknown:
            raise self.fail(place, unknown[0], N_("unknown key (known: %(known)s)"), known=", ".join(allowed))
        return item


def import_park(conn: Connection, fleet: dict, actor: str | None) -> dict[str, int]:  # noqa: ARG001
    """Store the fleet's ``park`` key (see the module's docstring); returns the counts that are not zero."""
    parks = fleet.get("park")
    if parks is None:
        return {}
    if not isinstance(parks, list):
        raise ParkRegistryError("-", PARK, "park", N_("must be a list of parks"))
    counts = dict.fromkeys(("park_sites", "park_sources", "park_stations", "park_receptors"), 0)
    for i, entry in enumerate(parks):
        code = str(entry.get("code") or "").strip() if isinstance(entry, dict) else ""
        if not code:
            raise ParkRegistryError(f"#{i + 1}", PARK, "code", N_("missing"))
        _import_one(conn, entry, code, counts)
    return {k: v for k, v in counts.items() if v}


def _import_one(conn: Connection, entry: dict, code: str, counts: dict[str, int]) -> None:
    chk = _Park(code, None)
    chk.keys(entry, PARK, "park")
    if conn.execute(select(s.parks.c.code).where(s.parks.c.code == code)).first() is None:
        raise chk.fail(PARK, "code", N_("no park with this code in the file's parks or the database"))
    origin = entry.get("origin")
    if origin is not None:
        if not isinstance(origin, dict):
            raise chk.fail(PARK, "origin", N_("must be a mapping {lon, lat}"))
        lon = chk.number(origin, PARK, "lon", required=True)
        lat = chk.number(origin, PARK, "lat", required=True)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise chk.fail(PARK, "origin", N_("%(value)s is not a longitude and latitude"), value=f"{lon}, {lat}")
        chk.origin = (lon, lat)
    boundary = _boundary(chk, entry)
    radius = chk.number(entry, PARK, "notify_radius_m", minimum=0)
    tz = chk.text(entry, PARK, "tz", required=False, limit=40) or "Asia/Shanghai"
    _upsert(conn, ps.park_sites, ["park_code"], [{
        "park_code": code, "origin_lon": chk.origin[0] if chk.origin else None,
        "origin_lat": chk.origin[1] if chk.origin else None, "boundary": boundary, "tz": tz,
        "notify_radius_m": radius}])
    counts["park_sites"] += 1
    enterprises = _enterprises(conn, chk, entry)
    rows = []
    for i, item in enumerate(_list(chk, entry, "sources")):
        place = _place(chk, "source", item, i)
        chk.keys(item, place, "source")
        x, y = chk.position(item, place)
        rows.append({"park_code": code, "code": chk.text(item, place, "id", limit=40),
                     "enterprise_id": enterprises[chk.text(item, place, "enterprise", limit=18)],
                     "name": chk.text(item, place, "name", required=False), "x": x, "y": y,
                     "height": chk.number(item, place, "height", minimum=0) or 0.0,
                     "substances": sorted(set(chk.codes(item, place, "substances", met=False)))})
    counts["park_sources"] += _upsert(conn, ps.park_sources, ["park_code", "code"], rows)
    rows = []
    mns: dict[str, str] = {}
    for i, item in enumerate(_list(chk, entry, "stations")):
        place = _place(chk, "station", item, i)
        chk.keys(item, place, "station")
        tier = chk.text(item, place, "tier", limit=10)
        if tier not in TIERS:
            raise chk.fail(place, "tier", N_("must be one of %(known)s, not %(value)s"), known=", ".join(TIERS),
                           value=repr(tier))
        x, y = chk.position(item, place)
        ent = chk.text(item, place, "enterprise", required=False, limit=18)
        mn = chk.text(item, place, "mn", limit=24)
        if mn in mns:
            raise chk.fail(place, "mn", N_("MN %(mn)s already belongs to station %(other)s"), mn=mn,
                           other=f"{code}/{mns[mn]}")
        mns[mn] = str(item.get("id"))
        taken = conn.execute(select(ps.park_stations.c.park_code, ps.park_stations.c.code)
                             .where(ps.park_stations.c.mn == mn)).first()
        if taken is not None and (taken.park_code, taken.code) != (code, item.get("id")):
            raise chk.fail(place, "mn", N_("MN %(mn)s already belongs to station %(other)s"), mn=mn,
                           other=f"{taken.park_code}/{taken.code}")
        rows.append({"park_code": code, "code": chk.text(item, place, "id", limit=40),
                     "name": chk.text(item, place, "name", required=False), "tier": tier,
                     "enterprise_id": enterprises[ent] if ent else None, "x": x, "y": y,
                     "height": chk.number(item, place, "height", minimum=0) or 3.0,
                     "factors": chk.codes(item, place, "factors", met=tier == "met"),
                     "instruments": item.get("instruments"), "mn": mn,
                     "password": chk.text(item, place, "password", required=False, limit=64),
                     "active": bool(item.get("active", True))})
    counts["park_stations"] += _upsert(conn, ps.park_stations, ["park_code", "code"], rows)
    rows = []
    for i, item in enumerate(_list(chk, entry, "receptors")):
        place = _place(chk, "receptor", item, i)
        chk.keys(item, place, "receptor")
        kind = chk.text(item, place, "kind", required=False, limit=20) or "other"
        if kind not in RECEPTOR_KINDS:
            raise chk.fail(place, "kind", N_("must be one of %(known)s, not %(value)s"),
                           known=", ".join(RECEPTOR_KINDS), value=repr(kind))
        x, y = chk.position(item, place)
        population = chk.number(item, place, "population", minimum=0)
        rows.append({"park_code": code, "code": chk.text(item, place, "id", limit=40),
                     "name": chk.text(item, place, "name"), "kind": kind, "x": x, "y": y,
                     "population": int(population) if population is not None else None})
    counts["park_receptors"] += _upsert(conn, ps.park_receptors, ["park_code", "code"], rows)


def _place(chk: _Park, kind: str, item: Any, i: int) -> Said:
    ident = item.get("id") if isinstance(item, dict) else None
    shown = str(ident).strip()[:40] if ident not in (None, "") and not isinstance(ident, (dict, list)) else f"#{i + 1}"
    return Said(PLACES[kind], id=shown)


def _list(chk: _Park, entry: dict, key: str) -> list:
    v = entry.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise chk.fail(PARK, key, N_("must be a list"))
    return v


def _boundary(chk: _Park, entry: dict) -> list[list[float]] | None:
    v = entry.get("boundary")
    if v is None:
        return None
    if not isinstance(v, list) or len(v) < 3:
        raise chk.fail(PARK, "boundary", N_("must be a list of at least 3 points"))
    out = []
    for p in v:
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise chk.fail(PARK, "boundary", N_("%(value)s is not a point [x, y]"), value=repr(p)[:40])
        a = chk.number({"v": p[0]}, PARK, "v", required=True)
        b = chk.number({"v": p[1]}, PARK, "v", required=True)
        if entry.get("boundary_lonlat"):
            if chk.origin is None:
                raise chk.fail(PARK, "boundary", N_("a position in lon/lat needs the park's origin"))
            a, b = to_local(a, b, *chk.origin)
        out.append([round(a, 2), round(b, 2)])
    return out


def _enterprises(conn: Connection, chk: _Park, entry: dict) -> dict[str, int]:
    """Credit code → enterprise id of every enterprise the entry names (they must be of this park)."""
    wanted = {str(i.get("enterprise")).strip() for key in ("sources", "stations") for i in _list(chk, entry, key)
              if isinstance(i, dict) and i.get("enterprise")}
    e = s.enterprises.c
    found = {r.credit_code: (r.id, r.park_code) for r in conn.execute(
        select(e.credit_code, e.id, e.park_code).where(e.credit_code.in_(sorted(wanted))))} if wanted else {}
    for key, kind in (("sources", "source"), ("stations", "station")):
        for i, item in enumerate(_list(chk, entry, key)):
            if not isinstance(item, dict) or not item.get("enterprise"):
                continue
            credit = str(item["enterprise"]).strip()
            if credit not in found:
                raise chk.fail(_place(chk, kind, item, i), "enterprise",
                               N_("no enterprise with credit code %(enterprise)s in the file or the database"),
                               enterprise=repr(credit))
            if found[credit][1] != chk.code:
                raise chk.fail(_place(chk, kind, item, i), "enterprise",
                               N_("enterprise %(enterprise)s is not in this park (its park: %(other)s)"),
                               enterprise=credit, other=found[credit][1] or "-")
    return {k: v[0] for k, v in found.items()}


def _upsert(conn: Connection, table: Table, keys: list[str], rows: list[dict]) -> int:
    if not rows:
        return 0
    seen: set = set()
    for r in rows:
        k = tuple(r[c] for c in keys)
        if k in seen:
            raise ParkRegistryError(str(r.get("park_code")), PARK, "id", N_("%(id)s is listed twice"),
                                    id=repr(k[-1]))
        seen.add(k)
    stmt = insert_for(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=keys,
                                      set_={c: stmt.excluded[c] for c in rows[0] if c not in keys})
    conn.execute(stmt, rows)
    return len(rows)


