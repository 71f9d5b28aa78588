"""The electricity registry: enterprise → production lines and equipment, treatment facilities, meters and
the linkage of treatment to production; pure dataclasses and their loading from YAML or CSV.

Fields (``shared/reference/subsystems.md`` §1.3 "Data each record carries"; issue 15 item 1): per meter its id
(the HJ 212 ``SBxxx`` of a power logger or any id), CT ratio, phases, rated power and optionally its own on/off
thresholds; per equipment its role (``production`` 产污设施, ``treatment`` 治污设施, ``total`` 总表), the kind of
a treatment facility, its production line, its meter, rated and normal power; a treatment facility names the
production equipment it ``serves`` (the linkage) and may set its own grace window.

Every error names the file, the line and the field: :class:`RegistryError` (``str`` is the whole sentence).

YAML::

    enterprises:
      - id: 91141000MA0EXAMPLE      # 统一社会信用代码 or any unique id
        name: Example Coking Co.
        tz: Asia/Shanghai
        industry: coking
        unmetered_kw: 8             # load the total meter sees and no sub-meter does (lighting, offices)
        lines: [{id: L1, name: Coke oven line 1}]
        meters:
          - {id: SB001, ct_ratio: 200/5, phases: 3, rated_kw: 250}
          - {id: SB002, ct_ratio: 100/5, phases: 3, rated_kw: 90, thresholds: {on: 12, off: 6, dwell: 3}}
        equipment:
          - {id: oven1, role: production, line: L1, meter: SB001, rated_kw: 250, normal_kw: 200}
          - {id: dust1, role: treatment, kind: dust_removal, meter: SB002, rated_kw: 90, serves: [oven1],
             grace_minutes: 5}

CSV (issue 15 item 10, ``E.csv``): ``enterprise,equipment,meter,role,serves,rated_kw`` with ``serves``
``;``-separated, and optional columns ``name, kind, line, normal_kw, ct_ratio, phases, on_kw, off_kw, dwell,
grace_minutes, tz, unmetered_kw``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ecosentry.subsystems.power.rules.state import Thresholds

__all__ = ["RegistryError", "TREATMENT_KINDS", "ROLES", "Meter", "Equipment", "Line", "Linkage", "Enterprise",
           "Registry", "load_registry", "load_yaml", "load_csv"]

ROLES = ("production", "treatment", "total")
#: Kinds of treatment facility (issue 15 item 1); ``other`` for the rest.
TREATMENT_KINDS = ("desulfurisation", "denitrification", "dust_removal", "voc_treatment", "wastewater_treatment",
                   "other")


class RegistryError(ValueError):
    """A registry file that cannot be used: the file, the line, the field and what is wrong."""

    def __init__(self, source: str, line: int | None, field_: str | None, problem: str) -> None:
        self.source, self.line, self.field, self.problem = source, line, field_, problem
        where = source + (f" line {line}" if line else "") + (f", {field_}" if field_ else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Meter:
    id: str
    ct_ratio: float = 1.0
    phases: int = 3
    rated_kw: float | None = None
    thresholds: Thresholds | None = None


@dataclass(frozen=True)
class Equipment:
    id: str
    role: str
    meter: str
    name: str = ""
    kind: str | None = None
    line: str | None = None
    rated_kw: float | None = None
    normal_kw: float | None = None
    #: The line of the file it came from (for errors found later), not part of its value.
    source_line: int | None = field(default=None, compare=False, repr=False)

    @property
    def normal_load_kw(self) -> float | None:
        """The normal running load: ``normal_kw``, else the rated power."""
        return self.normal_kw or self.rated_kw


@dataclass(frozen=True)
class Line:
    id: str
    name: str = ""


@dataclass(frozen=True)
class Linkage:
    """A treatment facility and the production equipment it serves, with its grace window (None: the
    setting's)."""

    treatment: str
    serves: tuple[str, ...]
    grace_minutes: int | None = None
    source_line: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Enterprise:
    id: str
    name: str = ""
    tz: str = "Asia/Shanghai"
    industry: str = ""
    unmetered_kw: float = 0.0
    lines: tuple[Line, ...] = ()
    meters: tuple[Meter, ...] = ()
    equipment: tuple[Equipment, ...] = ()
    linkages: tuple[Linkage, ...] = ()

    def equipment_by_id(self) -> dict[str, Equipment]:
        return {e.id: e for e in self.equipment}

    def meter_by_id(self) -> dict[str, Meter]:
        return {m.id: m for m in self.meters}

    @property
    def total(self) -> Equipment | None:
        return next((e for e in self.equipment if e.role == "total"), None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


@dataclass(frozen=True)
class Registry:
    enterprises: tuple[Enterprise, ...] = ()

    def by_id(self) -> dict[str, Enterprise]:
        return {e.id: e for e in self.enterprises}

    def meter_owner(self) -> dict[str, tuple[Enterprise, Equipment]]:
        """Meter id → (enterprise, equipment)."""
        return {eq.meter: (ent, eq) for ent in self.enterprises for eq in ent.equipment}


# ---------------------------------------------------------------------------------------------- checking


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int | None, field_: str | None, problem: str) -> RegistryError:
        return RegistryError(self.source, line, field_, problem)

    def text(self, v: Any, line: int | None, field_: str, required: bool = True) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise self.fail(line, field_, "missing")
            return None
        if isinstance(v, (dict, list)):
            raise self.fail(line, field_, f"must be a text, not {type(v).__name__}")
        return str(v).strip()

    def number(self, v: Any, line: int | None, field_: str, *, positive: bool = False, minimum: float | None = None
               ) -> float | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise self.fail(line, field_, f"{v!r} is not a number") from None
        if x != x or x in (float("inf"), float("-inf")):
            raise self.fail(line, field_, f"{v!r} is not a finite number")
        if positive and x <= 0:
            raise self.fail(line, field_, f"must be positive, not {v!r}")
        if minimum is not None and x < minimum:
            raise self.fail(line, field_, f"must be at least {minimum:g}, not {v!r}")
        return x

    def ct_ratio(self, v: Any, line: int | None) -> float:
        """``200/5`` (primary/secondary amperes) or a number; 1 when absent."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return 1.0
        if isinstance(v, str) and "/" in v:
            a, _, b = v.partition("/")
            p = self.number(a, line, "ct_ratio", positive=True)
            s = self.number(b, line, "ct_ratio", positive=True)
            return float(p / s)  # type: ignore[operator]
        return float(self.number(v, line, "ct_ratio", positive=True))  # type: ignore[arg-type]

    def whole(self, v: Any, line: int | None, field_: str, allowed: tuple[int, ...] | None = None,
              minimum: int | None = None) -> int | None:
        x = self.number(v, line, field_)
        if x is None:
            return None
        if x != int(x):
            raise self.fail(line, field_, f"{v!r} is not a whole number")
        if allowed and int(x) not in allowed:
            raise self.fail(line, field_, f"must be one of {', '.join(map(str, allowed))}, not {v!r}")
        if minimum is not None and x < minimum:
            raise self.fail(line, field_, f"must be at least {minimum}, not {v!r}")
        return int(x)

    def thresholds(self, on: Any, off: Any, dwell: Any, line: int | None, prefix: str) -> Thresholds | None:
        on_v = self.number(on, line, f"{prefix}on", positive=True)
        off_v = self.number(off, line, f"{prefix}off", minimum=0)
        d = self.whole(dwell, line, f"{prefix}dwell", minimum=1)
        if on_v is None:
            if off_v is not None:
                raise self.fail(line, f"{prefix}on", "missing (an off threshold needs an on threshold)")
            return None
        off_v = on_v if off_v is None else off_v
        if off_v > on_v:
            raise self.fail(line, f"{prefix}off", f"{off_v:g} is above the on threshold {on_v:g}")
        return Thresholds(on_v, off_v, d or 3)


def _check_enterprise(ctx: _Ctx, ent: Enterprise, line: int | None) -> None:
    """Cross-references inside one enterprise."""
    try:
        ZoneInfo(ent.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.fail(line, "tz", f"unknown time zone {ent.tz!r}") from None
    meters = ent.meter_by_id()
    seen_meters: dict[str, str] = {}
    equipment = {}
    lines = {ln.id for ln in ent.lines}
    for eq in ent.equipment:
        eline = eq.source_line or line
        if eq.id in equipment:
            raise ctx.fail(eline, "equipment", f"{eq.id!r} is listed twice in enterprise {ent.id!r}")
        equipment[eq.id] = eq
        if meters and eq.meter not in meters:
            raise ctx.fail(eline, "meter", f"{eq.meter!r} is not a meter of enterprise {ent.id!r}")
        if eq.meter in seen_meters:
            raise ctx.fail(eline, "meter", f"{eq.meter!r} already measures {seen_meters[eq.meter]!r}")
        seen_meters[eq.meter] = eq.id
        if eq.line and lines and eq.line not in lines:
            raise ctx.fail(eline, "line", f"{eq.line!r} is not a production line of enterprise {ent.id!r}")
    if sum(e.role == "total" for e in ent.equipment) > 1:
        raise ctx.fail(line, "role", f"enterprise {ent.id!r} has more than one total meter")
    for lk in ent.linkages:
        lline = lk.source_line or line
        for p in lk.serves:
            target = equipment.get(p)
            if target is None:
                raise ctx.fail(lline, "serves", f"{p!r} is not equipment of enterprise {ent.id!r}")
            if target.role != "production":
                raise ctx.fail(lline, "serves", f"{p!r} is {target.role} equipment, not production")


def _equipment(ctx: _Ctx, row: dict, line: int | None, *, csv_row: bool) -> tuple[Equipment, Linkage | None]:
    eid = ctx.text(row.get("id" if not csv_row else "equipment"), line, "equipment" if csv_row else "id")
    role = ctx.text(row.get("role"), line, "role")
    if role not in ROLES:
        raise ctx.fail(line, "role", f"must be production, treatment or total, not {role!r}")
    kind = ctx.text(row.get("kind"), line, "kind", required=False)
    if kind is not None and role != "treatment":
        raise ctx.fail(line, "kind", "only a treatment facility has a kind")
    if kind is not None and kind not in TREATMENT_KINDS:
        raise ctx.fail(line, "kind", f"must be one of {', '.join(TREATMENT_KINDS)}, not {kind!r}")
    serves_raw = row.get("serves")
    if isinstance(serves_raw, str):
        serves = tuple(s.strip() for s in serves_raw.split(";") if s.strip())
    elif isinstance(serves_raw, list):
        serves = tuple(str(s).strip() for s in serves_raw)
    elif serves_raw is None:
        serves = ()
    else:
        raise ctx.fail(line, "serves", "must be a list of equipment ids")
    if serves and role != "treatment":
        raise ctx.fail(line, "serves", "only a treatment facility serves production equipment")
    if role == "treatment" and not serves:
        raise ctx.fail(line, "serves", f"treatment facility {eid!r} serves no production equipment")
    grace = ctx.whole(row.get("grace_minutes"), line, "grace_minutes", minimum=0)
    rated = ctx.number(row.get("rated_kw"), line, "rated_kw", positive=True)
    normal = ctx.number(row.get("normal_kw"), line, "normal_kw", positive=True)
    eq = Equipment(eid, role, ctx.text(row.get("meter"), line, "meter"), ctx.text(row.get("name"), line, "name",
                   required=False) or "", kind or ("other" if role == "treatment" else None),
                   ctx.text(row.get("line"), line, "line", required=False), rated, normal, line)
    return eq, (Linkage(eid, serves, grace, line) if serves else None)


# ---------------------------------------------------------------------------------------------- YAML


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line of every mapping (``__line__``)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    m = loader.construct_mapping(node, deep=True)
    m["__line__"] = node.start_mark.line + 1
    return m


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_yaml(text: str, source: str = "<yaml>") -> Registry:
    ctx = _Ctx(source)
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ctx.fail(mark.line + 1 if mark else None, None, f"not valid YAML ({getattr(exc, 'problem', exc)})"
                       ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("enterprises"), list):
        raise ctx.fail(1, "enterprises", "the file needs a list 'enterprises'")
    out = []
    seen: dict[str, int] = {}
    for item in doc["enterprises"]:
        if not isinstance(item, dict):
            raise ctx.fail(None, "enterprises", "every enterprise must be a mapping")
        line = item.get("__line__")
        eid = ctx.text(item.get("id"), line, "id")
        if eid in seen:
            raise ctx.fail(line, "id", f"enterprise {eid!r} is already defined on line {seen[eid]}")
        seen[eid] = line
        meters = []
        for m in _list(ctx, item, "meters", line):
            ml = m.get("__line__", line)
            th = m.get("thresholds") or {}
            if not isinstance(th, dict):
                raise ctx.fail(ml, "thresholds", "must be a mapping with on, off, dwell")
            # YAML 1.1 reads the bare keys on/off as true/false
            th = {({True: "on", False: "off"}.get(k, k) if isinstance(k, bool) else k): v for k, v in th.items()}
            unknown = set(th) - {"on", "off", "dwell", "__line__"}
            if unknown:
                raise ctx.fail(ml, "thresholds", f"unknown key {sorted(unknown)[0]!r}")
            meters.append(Meter(ctx.text(m.get("id"), ml, "id"), ctx.ct_ratio(m.get("ct_ratio"), ml),
                                ctx.whole(m.get("phases"), ml, "phases", (1, 3)) or 3,
                                ctx.number(m.get("rated_kw"), ml, "rated_kw", positive=True),
                                ctx.thresholds(th.get("on"), th.get("off"), th.get("dwell"), ml, "thresholds.")))
        ids = [m.id for m in meters]
        dup = next((i for i in ids if ids.count(i) > 1), None)
        if dup:
            raise ctx.fail(line, "meters", f"meter {dup!r} is listed twice")
        equipment, links = [], []
        for e in _list(ctx, item, "equipment", line):
            eq, lk = _equipment(ctx, e, e.get("__line__", line), csv_row=False)
            equipment.append(eq)
            if lk:
                links.append(lk)
        lines = tuple(Line(ctx.text(ln.get("id"), ln.get("__line__", line), "id"),  # type: ignore[arg-type]
                           ctx.text(ln.get("name"), ln.get("__line__", line), "name", required=False) or "")
                      for ln in _list(ctx, item, "lines", line))
        ent = Enterprise(eid, ctx.text(item.get("name"), line, "name", required=False) or "",  # type: ignore[arg-type]
                         ctx.text(item.get("tz"), line, "tz", required=False) or "Asia/Shanghai",
                         ctx.text(item.get("industry"), line, "industry", required=False) or "",
                         ctx.number(item.get("unmetered_kw"), line, "unmetered_kw", minimum=0) or 0.0,
                         lines, tuple(meters), tuple(equipment), tuple(links))
        _check_enterprise(ctx, ent, line)
        out.append(ent)
    return Registry(tuple(out))


def _list(ctx: _Ctx, item: dict, key: str, line: int | None) -> list[dict]:
    v = item.get(key) or []
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise ctx.fail(line, key, "must be a list of mappings")
    return v


# ---------------------------------------------------------------------------------------------- CSV

CSV_REQUIRED = ("enterprise", "equipment", "meter", "role", "serves", "rated_kw")
CSV_OPTIONAL = ("name", "kind", "line", "normal_kw", "ct_ratio", "phases", "on_kw", "off_kw", "dwell",
                "grace_minutes", "tz", "unmetered_kw", "industry")


def load_csv(text: str, source: str = "<csv>") -> Registry:
    ctx = _Ctx(source)
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise ctx.fail(1, missing[0], f"missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise ctx.fail(1, unknown[0], f"unknown column {unknown[0]!r}")
    rows: dict[str, list[tuple[int, dict]]] = {}
    for line, raw in enumerate(reader, start=2):
        if None in raw:
            raise ctx.fail(line, None, "more fields than columns")
        row = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
        if not any(row.values()):
            continue
        ent = ctx.text(row.get("enterprise"), line, "enterprise")
        rows.setdefault(ent, []).append((line, row))  # type: ignore[arg-type]
    out = []
    for ent_id, items in rows.items():
        meters, equipment, links = [], [], []
        first_line = items[0][0]
        tz = next((r["tz"] for _, r in items if r.get("tz")), None) or "Asia/Shanghai"
        unmetered = next((ctx.number(r["unmetered_kw"], ln, "unmetered_kw", minimum=0) for ln, r in items
                          if r.get("unmetered_kw")), 0.0)
        industry = next((r["industry"] for _, r in items if r.get("industry")), "")
        for line, row in items:
            eq, lk = _equipment(ctx, row, line, csv_row=True)
            equipment.append(eq)
            if lk:
                links.append(lk)
            meters.append(Meter(eq.meter, ctx.ct_ratio(row.get("ct_ratio"), line),
                                ctx.whole(row.get("phases"), line, "phases", (1, 3)) or 3, eq.rated_kw,
                                ctx.thresholds(row.get("on_kw"), row.get("off_kw"), row.get("dwell"), line, "")))
        ent = Enterprise(ent_id, "", tz, industry, unmetered or 0.0, (), tuple(meters), tuple(equipment),
                         tuple(links))
        _check_enterprise(ctx, ent, first_line)
        out.append(ent)
    return Registry(tuple(out))


def load_registry(path: str | Path) -> Registry:
    """A registry file by its extension: ``.yaml``/``.yml`` or ``.csv``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RegistryError(str(p), None, None, f"cannot be read ({exc.strerror})") from None
    if p.suffix.lower() in (".yaml", ".yml"):
        return load_yaml(text, str(p))
    if p.suffix.lower() == ".csv":
        return load_csv(text, str(p))
    raise RegistryError(str(p), None, None, "must be .yaml, .yml or .csv")
