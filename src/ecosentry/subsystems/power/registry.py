"""The electricity registry: enterprise → production lines and equipment, treatment facilities, meters and
the linkage of treatment to production; pure dataclasses and their loading from YAML or CSV.

Fields (``shared/reference/subsystems.md`` §1.3 "Data each record carries"; issue 15 item 1): per meter its id
(the HJ 212 ``SBxxx`` of a power logger or any id), CT ratio, phases, rated power and optionally its own on/off
thresholds; per equipment its role (``production`` 产污设施, ``treatment`` 治污设施, ``total`` 总表), the kind of
a treatment facility, its production line, its meter, rated and normal power; a treatment facility names the
production equipment it ``serves`` (the linkage) and may set its own grace window. A meter may name the device
that sends it and its ``channel`` there (``device``, ``channel``, ``meter_no``); a unit may be a declared safety
load (``safety_load``, 保安用电); an enterprise may list its emergency ``measures`` (``level``, ``equipment``,
``measure`` stop | limit, ``limit_pct``; §1.5).

One parser for every source: the registry file (here) and the fleet file's ``power:`` key
(:mod:`.store.registry`) use :class:`Checker`, :func:`parse_enterprise`, :func:`parse_device` and
:func:`check_enterprise`; unknown keys are refused, texts are checked against their columns. Every error is a
:class:`RegistryError` naming where (the file and line, or the enterprise and item) and the field; ``str`` is the
English sentence, :meth:`RegistryError.say` says it in zh or vi (``locale/``).

YAML::

    enterprises:
      - id: 91141000MA0EXAMPLE      # 统一社会信用代码 or any unique id
        name: Example Coking Co.
        tz: Asia/Shanghai
        industry: coking
        unmetered_kw: 8             # load the total meter sees and no sub-meter does (lighting, offices)
        schedule: continuous        # declared operating schedule: day (default) | continuous | three_shift | night
        lines: [{id: L1, name: Coke oven line 1}]
        meters:
          - {id: SB001, ct_ratio: 200/5, phases: 3, rated_kw: 250, device: PWR4101000001, channel: SB1}
          - {id: SB002, ct_ratio: 100/5, phases: 3, rated_kw: 90, thresholds: {on: 12, off: 6, dwell: 3}}
        equipment:
          - {id: oven1, role: production, line: L1, meter: SB001, rated_kw: 250, normal_kw: 200}
          - {id: dust1, role: treatment, kind: dust_removal, meter: SB002, rated_kw: 90, serves: [oven1],
             grace_minutes: 5}
        measures:
          - {level: red, equipment: oven1, measure: stop}

CSV (issue 15 item 10, ``E.csv``): ``enterprise,equipment,meter,role,serves,rated_kw`` with ``serves``
``;``-separated, and optional columns ``name, kind, line, normal_kw, ct_ratio, phases, on_kw, off_kw, dwell,
grace_minutes, tz, unmetered_kw``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ecosentry.said import N_, Said
from ecosentry.subsystems.power.rules.state import Thresholds
from ecosentry.subsystems.power.rules.utility import SCHEDULES

__all__ = ["RegistryError", "TREATMENT_KINDS", "ROLES", "LEVELS", "MEASURES", "TRANSPORTS", "Meter", "Equipment",
           "Line", "Linkage", "Measure", "Device", "Enterprise", "Registry", "Checker", "parse_enterprise",
           "parse_device", "check_enterprise", "load_registry", "load_yaml", "load_csv"]

ROLES = ("production", "treatment", "total")
#: Kinds of treatment facility (issue 15 item 1); ``other`` for the rest.
TREATMENT_KINDS = ("desulfurisation", "denitrification", "dust_removal", "voc_treatment", "wastewater_treatment",
                   "other")
#: Alert levels an emergency measure applies from (the platform's ``pollution_alerts.level``).
LEVELS = ("yellow", "orange", "red")
MEASURES = ("stop", "limit")
#: How a device sends: an HJ 212 power logger over TCP, an MQTT device through the broker, or files of readings
#: (``ecosentry power import-readings``: a utility's export, a logger read out on site; no password).
TRANSPORTS = ("hj212", "mqtt", "csv")

#: The words of a place in an error (``enterprise 9114…, equipment dust1``), said in the reader's language.
PLACE_WORDS = {"enterprise": N_("enterprise %(id)s"), "device": N_("device %(id)s"), "meter": N_("meter %(id)s"),
               "equipment": N_("equipment %(id)s"), "line": N_("production line %(id)s"),
               "measure": N_("measure %(id)s")}
LINE_WORD = N_("line %(n)s")


class RegistryError(Said):
    """A registry that cannot be used: where (the file and its line, or the place in a fleet file: enterprise,
    item), the field and what is wrong. ``str`` is the English sentence; :meth:`say` says it in the reader's
    language (the problem is a msgid of the power catalogue with named parameters).

    ``at`` is the file's line (an ``int``), or the place as ``((kind, id), ...)`` (kinds of
    :data:`PLACE_WORDS`), or None.
    """

    def __init__(self, source: str, at: int | tuple | None, field_: str | None, problem: str, **params: Any
                 ) -> None:
        self.source, self.field, self.msgid, self.params = source, field_, problem, params
        self.line = at if isinstance(at, int) else None
        self.place: tuple[tuple[str, str], ...] = tuple(at) if isinstance(at, tuple) else ()
        self.problem = problem % params if params else problem
        ValueError.__init__(self, self._said(lambda m: m))

    def _where(self, gettext: Callable[[str], str]) -> str:
        head = self.source
        if self.line:
            head = f"{head} {gettext(LINE_WORD) % {'n': self.line}}".strip()
        parts = [head] if head else []
        parts += [gettext(PLACE_WORDS[k]) % {"id": i} for k, i in self.place]
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)

    def _said(self, gettext: Callable[[str], str]) -> str:
        problem = gettext(self.msgid) % self.params if self.params else gettext(self.msgid)
        where = self._where(gettext)
        return f"{where}: {problem}" if where else problem

    def say(self, gettext: Callable[[str], str], when=None) -> str:  # noqa: ARG002 (no times in these errors)
        return self._said(gettext)


@dataclass(frozen=True)
class Meter:
    id: str
    ct_ratio: float = 1.0
    phases: int = 3
    rated_kw: float | None = None
    thresholds: Thresholds | None = None
    #: The device that sends its readings (``power_devices.mn``) and the meter's name in what it sends
    #: (HJ 212 ``SB1``, an MQTT meter id); None for a meter only read from files.
    device: str | None = None
    channel: str | None = None
    #: The meter's serial number (表号).
    meter_no: str | None = None


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
    source_line: int | tuple | None = field(default=None, compare=False, repr=False)
    #: 保安用电: a load declared in advance that keeps running during a stop order (no measure may name it).
    safety_load: bool = False

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
    source_line: int | tuple | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Measure:
    """One entry of the enterprise's emission-reduction list (§1.5): from alert ``level`` on, ``stop`` the
    production unit or ``limit`` it to ``limit_pct`` % of its baseline."""

    level: str
    equipment: str
    measure: str
    limit_pct: float | None = None
    note: str | None = None
    source_line: int | tuple | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Device:
    """A power logger (HJ 212 over TCP, its access password ``PW``) or an MQTT device (its broker password,
    only ever stored as a hash)."""

    mn: str
    transport: str
    password: str | None
    tz: str = "Asia/Shanghai"
    #: The credit code of its enterprise; None = the enterprise whose meters name it.
    enterprise: str | None = None
    active: bool = True


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
    measures: tuple[Measure, ...] = ()
    #: Declared operating schedule (:data:`SCHEDULES`), read by the utility-meter analytics.
    schedule: str = "day"

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

#: Longest text of each field, as its column holds it (power/schema.py): checked here so that a long value is
#: a clear error, not a refused batch on PostgreSQL.
LIMITS = {"id": 40, "code": 40, "name": 200, "channel": 16, "meter_no": 40, "mn": 24, "password": 64, "tz": 40,
          "device": 24, "line": 40, "meter": 40, "equipment": 40, "enterprise": 40, "credit_code": 40}


class Checker:
    """Reads and checks the values of one registry source, and makes its errors.

    A file (``lines=True``) places an error at the line of the mapping (the YAML loader records it); a fleet
    file, read without lines by the core, places it at the enterprise and the item (``at`` is a tuple of
    ``(kind, id)``). Both use the same parsing: :func:`parse_enterprise`, :func:`parse_device`.
    """

    def __init__(self, source: str, *, lines: bool = True) -> None:
        self.source = source
        self.lines = lines

    def fail(self, at: int | tuple | None, field_: str | None, problem: str, **params: Any) -> RegistryError:
        return RegistryError(self.source, at, field_, problem, **params)

    def at(self, item: dict, parent: int | tuple | None, kind: str, ident: Any, index: int) -> int | tuple | None:
        """Where ``item`` (a mapping inside ``parent``) is: its line, or ``parent`` + (kind, id)."""
        if self.lines:
            return item.get("__line__", parent) if isinstance(item, dict) else parent
        name = str(ident).strip()[:60] if ident not in (None, "") and not isinstance(ident, (dict, list)) \
            else f"#{index + 1}"
        return (*(parent if isinstance(parent, tuple) else ()), (kind, name))

    def keys(self, item: dict, at: int | tuple | None, allowed: tuple[str, ...]) -> None:
        unknown = sorted(str(k) for k in item if k != "__line__" and k not in allowed)
        if unknown:
            raise self.fail(at, unknown[0], N_("unknown key (known: %(known)s)"), known=", ".join(allowed))

    def text(self, v: Any, line: int | tuple | None, field_: str, required: bool = True,
             limit: int | None = None) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise self.fail(line, field_, N_("missing"))
            return None
        if isinstance(v, (dict, list)):
            raise self.fail(line, field_, N_("must be a text, not %(type)s"), type=type(v).__name__)
        text = str(v).strip()
        limit = limit if limit is not None else LIMITS.get(field_)
        if limit is not None and len(text) > limit:
            raise self.fail(line, field_, N_("%(length)s characters, at most %(limit)s"), length=len(text),
                            limit=limit)
        return text

    def number(self, v: Any, line: int | tuple | None, field_: str, *, positive: bool = False,
               minimum: float | None = None) -> float | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool):
            raise self.fail(line, field_, N_("%(value)s is not a number"), value=repr(v))
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise self.fail(line, field_, N_("%(value)s is not a number"), value=repr(v)) from None
        if x != x or x in (float("inf"), float("-inf")):
            raise self.fail(line, field_, N_("%(value)s is not a finite number"), value=repr(v))
        if positive and x <= 0:
            raise self.fail(line, field_, N_("must be positive, not %(value)s"), value=repr(v))
        if minimum is not None and x < minimum:
            raise self.fail(line, field_, N_("must be at least %(minimum)s, not %(value)s"), minimum=f"{minimum:g}",
                            value=repr(v))
        return x

    def ct_ratio(self, v: Any, line: int | tuple | None) -> float:
        """``200/5`` (primary/secondary amperes) or a number; 1 when absent."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return 1.0
        if isinstance(v, str) and "/" in v:
            a, _, b = v.partition("/")
            p = self.number(a, line, "ct_ratio", positive=True)
            s = self.number(b, line, "ct_ratio", positive=True)
            if p is None or s is None:
                raise self.fail(line, "ct_ratio", N_("%(value)s is not a number"), value=repr(v))
            return float(p / s)
        return float(self.number(v, line, "ct_ratio", positive=True))  # type: ignore[arg-type]

    def whole(self, v: Any, line: int | tuple | None, field_: str, allowed: tuple[int, ...] | None = None,
              minimum: int | None = None, maximum: int = 1440) -> int | None:
        x = self.number(v, line, field_)
        if x is None:
            return None
        if x != int(x):
            raise self.fail(line, field_, N_("%(value)s is not a whole number"), value=repr(v))
        if allowed and int(x) not in allowed:
            raise self.fail(line, field_, N_("must be one of %(allowed)s, not %(value)s"),
                            allowed=", ".join(map(str, allowed)), value=repr(v))
        if minimum is not None and x < minimum:
            raise self.fail(line, field_, N_("must be at least %(minimum)s, not %(value)s"), minimum=minimum,
                            value=repr(v))
        if x > maximum:
            raise self.fail(line, field_, N_("must be at most %(maximum)s, not %(value)s"), maximum=maximum,
                            value=repr(v))
        return int(x)

    def choice(self, v: Any, line: int | tuple | None, field_: str, allowed: tuple[str, ...],
               required: bool = True) -> str | None:
        t = self.text(v, line, field_, required=required, limit=200)
        if t is not None and t not in allowed:
            raise self.fail(line, field_, N_("must be one of %(allowed)s, not %(value)s"),
                            allowed=", ".join(allowed), value=repr(t))
        return t

    def flag(self, v: Any, line: int | tuple | None, field_: str, default: bool = False) -> bool:
        if v is None or v == "":
            return default
        if isinstance(v, bool):
            return v
        t = str(v).strip().lower()
        if t in ("true", "yes", "1", "y"):
            return True
        if t in ("false", "no", "0", "n"):
            return False
        raise self.fail(line, field_, N_("must be true or false, not %(value)s"), value=repr(v))

    def zone(self, v: Any, line: int | tuple | None, field_: str = "tz") -> str:
        tz = self.text(v, line, field_, required=False) or "Asia/Shanghai"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(line, field_, N_("unknown time zone %(value)s"), value=repr(tz)) from None
        return tz

    def thresholds(self, on: Any, off: Any, dwell: Any, line: int | tuple | None, prefix: str,
                   dwell_off: Any = None) -> Thresholds | None:
        on_v = self.number(on, line, f"{prefix}on", positive=True)
        off_v = self.number(off, line, f"{prefix}off", minimum=0)
        d = self.whole(dwell, line, f"{prefix}dwell", minimum=1)
        d_off = self.whole(dwell_off, line, f"{prefix}dwell_off", minimum=1)
        if on_v is None:
            if off_v is not None:
                raise self.fail(line, f"{prefix}on", N_("missing (an off threshold needs an on threshold)"))
            return None
        off_v = on_v if off_v is None else off_v
        if off_v > on_v:
            raise self.fail(line, f"{prefix}off", N_("%(off)s is above the on threshold %(on)s"), off=f"{off_v:g}",
                            on=f"{on_v:g}")
        return Thresholds(on_v, off_v, d or 3, d_off or 2)

    def items(self, item: dict, key: str, at: int | tuple | None) -> list[dict]:
        v = item.get(key) or []
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise self.fail(at, key, N_("must be a list of mappings"))
        return v


def check_enterprise(ctx: Checker, ent: Enterprise, line: int | tuple | None) -> None:
    """Cross-references inside one enterprise: equipment, meters, lines, linkage, measures."""
    try:
        ZoneInfo(ent.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.fail(line, "tz", N_("unknown time zone %(value)s"), value=repr(ent.tz)) from None
    meters = ent.meter_by_id()
    seen_channels: dict[tuple[str, str], str] = {}
    for m in ent.meters:
        if m.device and m.channel:
            other = seen_channels.setdefault((m.device, m.channel), m.id)
            if other != m.id:
                raise ctx.fail(line, "channel", N_("channel %(channel)s of device %(device)s is already meter "
                                                   "%(meter)s"), channel=repr(m.channel), device=repr(m.device),
                               meter=repr(other))
    seen_meters: dict[str, str] = {}
    equipment: dict[str, Equipment] = {}
    lines = {ln.id for ln in ent.lines}
    for eq in ent.equipment:
        eline = eq.source_line or line
        if eq.id in equipment:
            raise ctx.fail(eline, "equipment", N_("%(equipment)s is listed twice in enterprise %(enterprise)s"),
                           equipment=repr(eq.id), enterprise=repr(ent.id))
        equipment[eq.id] = eq
        if meters and eq.meter not in meters:
            raise ctx.fail(eline, "meter", N_("%(meter)s is not a meter of enterprise %(enterprise)s"),
                           meter=repr(eq.meter), enterprise=repr(ent.id))
        if eq.meter in seen_meters:
            raise ctx.fail(eline, "meter", N_("%(meter)s already measures %(equipment)s"), meter=repr(eq.meter),
                           equipment=repr(seen_meters[eq.meter]))
        seen_meters[eq.meter] = eq.id
        if eq.line and lines and eq.line not in lines:
            raise ctx.fail(eline, "line", N_("%(line)s is not a production line of enterprise %(enterprise)s"),
                           line=repr(eq.line), enterprise=repr(ent.id))
    if sum(e.role == "total" for e in ent.equipment) > 1:
        raise ctx.fail(line, "role", N_("enterprise %(enterprise)s has more than one total meter"),
                       enterprise=repr(ent.id))
    for lk in ent.linkages:
        lline = lk.source_line or line
        for p in lk.serves:
            target = equipment.get(p)
            if target is None:
                raise ctx.fail(lline, "serves", N_("%(equipment)s is not equipment of enterprise %(enterprise)s"),
                               equipment=repr(p), enterprise=repr(ent.id))
            if target.role != "production":
                raise ctx.fail(lline, "serves", N_("%(equipment)s is %(role)s equipment, not production"),
                               equipment=repr(p), role=target.role)
    seen_measures: set[tuple[str, str]] = set()
    for ms in ent.measures:
        mline = ms.source_line or line
        target = equipment.get(ms.equipment)
        if target is None or target.role != "production":
            raise ctx.fail(mline, "equipment", N_("%(equipment)s is not production equipment of enterprise "
                                                  "%(enterprise)s"), equipment=repr(ms.equipment),
                           enterprise=repr(ent.id))
        if target.safety_load:
            raise ctx.fail(mline, "equipment", N_("%(equipment)s is a declared safety load (保安用电), which no "
                                                  "measure may name"), equipment=repr(ms.equipment))
        if (ms.level, ms.equipment) in seen_measures:
            raise ctx.fail(mline, "level", N_("%(equipment)s has two measures at level %(level)s"),
                           equipment=repr(ms.equipment), level=ms.level)
        seen_measures.add((ms.level, ms.equipment))



def _equipment(ctx: Checker, row: dict, line: int | tuple | None, *, csv_row: bool
               ) -> tuple[Equipment, Linkage | None]:
    eid = ctx.text(row.get("id" if not csv_row else "equipment"), line, "equipment" if csv_row else "id")
    role = ctx.text(row.get("role"), line, "role")
    if role not in ROLES:
        raise ctx.fail(line, "role", N_("must be production, treatment or total, not %(value)s"), value=repr(role))
    kind = ctx.text(row.get("kind"), line, "kind", required=False)
    if kind is not None and role != "treatment":
        raise ctx.fail(line, "kind", N_("only a treatment facility has a kind"))
    if kind is not None and kind not in TREATMENT_KINDS:
        raise ctx.fail(line, "kind", N_("must be one of %(allowed)s, not %(value)s"),
                       allowed=", ".join(TREATMENT_KINDS), value=repr(kind))
    serves_raw = row.get("serves")
    if isinstance(serves_raw, str):
        serves = tuple(s.strip() for s in serves_raw.split(";") if s.strip())
    elif isinstance(serves_raw, list):
        serves = tuple(str(s).strip() for s in serves_raw)
    elif serves_raw is None:
        serves = ()
    else:
        raise ctx.fail(line, "serves", N_("must be a list of equipment ids"))
    if serves and role != "treatment":
        raise ctx.fail(line, "serves", N_("only a treatment facility serves production equipment"))
    if role == "treatment" and not serves:
        raise ctx.fail(line, "serves", N_("treatment facility %(equipment)s serves no production equipment"),
                       equipment=repr(eid))
    grace = ctx.whole(row.get("grace_minutes"), line, "grace_minutes", minimum=0)
    rated = ctx.number(row.get("rated_kw"), line, "rated_kw", positive=True)
    normal = ctx.number(row.get("normal_kw"), line, "normal_kw", positive=True)
    eq = Equipment(eid, role, ctx.text(row.get("meter"), line, "meter"),  # type: ignore[arg-type]
                   ctx.text(row.get("name"), line, "name", required=False) or "",
                   kind or ("other" if role == "treatment" else None),
                   ctx.text(row.get("line"), line, "line", required=False), rated, normal, line,
                   ctx.flag(row.get("safety_load"), line, "safety_load"))
    return eq, (Linkage(eid, serves, grace, line) if serves else None)  # type: ignore[arg-type]


#: The names the registry pages' edits use (``store/registry_edit.py``, issue 15 item 1).
_Ctx = Checker
_check_enterprise = check_enterprise


# ---------------------------------------------------------------------------------------------- YAML

ENTERPRISE_KEYS = ("name", "tz", "industry", "unmetered_kw", "schedule", "lines", "meters", "equipment", "measures")
METER_KEYS = ("id", "ct_ratio", "phases", "rated_kw", "thresholds", "device", "channel", "meter_no")
EQUIPMENT_KEYS = ("id", "role", "kind", "line", "meter", "name", "rated_kw", "normal_kw", "serves", "grace_minutes",
                  "safety_load")
LINE_KEYS = ("id", "name")
MEASURE_KEYS = ("level", "equipment", "measure", "limit_pct", "note")
DEVICE_KEYS = ("mn", "transport", "password", "tz", "enterprise", "active")


#: What a fleet file's ``power.enterprises`` item holds (name, industry and zone are the core's).
FLEET_ENTERPRISE_KEYS = ("unmetered_kw", "schedule", "lines", "meters", "equipment", "measures")


def parse_enterprise(ctx: Checker, item: dict, at: int | tuple | None, *, key: str = "id",
                     keys: tuple[str, ...] = ENTERPRISE_KEYS) -> Enterprise:
    """One enterprise's mapping (the registry YAML's, or a fleet file's ``power.enterprises`` item, whose key
    is ``credit_code`` and whose other keys are :data:`FLEET_ENTERPRISE_KEYS`), checked: meters, lines,
    equipment with the linkage, emergency measures."""
    ctx.keys(item, at, (key, *keys))
    eid = ctx.text(item.get(key), at, key)
    meters = []
    for i, m in enumerate(ctx.items(item, "meters", at)):
        ml = ctx.at(m, at, "meter", m.get("id"), i)
        ctx.keys(m, ml, METER_KEYS)
        th = m.get("thresholds") or {}
        if not isinstance(th, dict):
            raise ctx.fail(ml, "thresholds", N_("must be a mapping with on, off, dwell, dwell_off"))
        # YAML 1.1 reads the bare keys on/off as true/false
        th = {({True: "on", False: "off"}.get(k, k) if isinstance(k, bool) else k): v for k, v in th.items()}
        unknown = set(th) - {"on", "off", "dwell", "dwell_off", "__line__"}
        if unknown:
            raise ctx.fail(ml, "thresholds", N_("unknown key %(key)s"), key=repr(sorted(map(str, unknown))[0]))
        device = ctx.text(m.get("device"), ml, "device", required=False)
        channel = ctx.text(m.get("channel"), ml, "channel", required=False)
        if device and not channel:
            raise ctx.fail(ml, "channel", N_("missing (how device %(device)s names this meter, e.g. SB1)"),
                           device=repr(device))
        if channel and not device:
            raise ctx.fail(ml, "device", N_("missing (the device whose channel %(channel)s this meter is)"),
                           channel=repr(channel))
        meters.append(Meter(ctx.text(m.get("id"), ml, "id"), ctx.ct_ratio(m.get("ct_ratio"), ml),  # type: ignore
                            ctx.whole(m.get("phases"), ml, "phases", (1, 3)) or 3,
                            ctx.number(m.get("rated_kw"), ml, "rated_kw", positive=True),
                            ctx.thresholds(th.get("on"), th.get("off"), th.get("dwell"), ml, "thresholds.",
                                           th.get("dwell_off")),
                            device, channel, ctx.text(m.get("meter_no"), ml, "meter_no", required=False)))
    ids = [m.id for m in meters]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise ctx.fail(at, "meters", N_("meter %(meter)s is listed twice"), meter=repr(dup))
    equipment, links = [], []
    for i, e in enumerate(ctx.items(item, "equipment", at)):
        el = ctx.at(e, at, "equipment", e.get("id"), i)
        ctx.keys(e, el, EQUIPMENT_KEYS)
        eq, lk = _equipment(ctx, e, el, csv_row=False)
        equipment.append(eq)
        if lk:
            links.append(lk)
    lines = []
    for i, ln in enumerate(ctx.items(item, "lines", at)):
        ll = ctx.at(ln, at, "line", ln.get("id"), i)
        ctx.keys(ln, ll, LINE_KEYS)
        lines.append(Line(ctx.text(ln.get("id"), ll, "id"),  # type: ignore[arg-type]
                          ctx.text(ln.get("name"), ll, "name", required=False) or ""))
    measures = []
    for i, ms in enumerate(ctx.items(item, "measures", at)):
        msl = ctx.at(ms, at, "measure", f"{ms.get('level')}/{ms.get('equipment')}", i)
        ctx.keys(ms, msl, MEASURE_KEYS)
        level = ctx.choice(ms.get("level"), msl, "level", LEVELS)
        what = ctx.choice(ms.get("measure"), msl, "measure", MEASURES)
        pct = ctx.number(ms.get("limit_pct"), msl, "limit_pct", minimum=0)
        if what == "limit" and pct is None:
            raise ctx.fail(msl, "limit_pct", N_("missing (a limit needs the share of the baseline it allows)"))
        if what == "limit" and pct is not None and pct >= 100:
            raise ctx.fail(msl, "limit_pct", N_("must be from 0 to below 100, not %(value)s"), value=f"{pct:g}")
        if what == "stop" and pct is not None:
            raise ctx.fail(msl, "limit_pct", N_("a stop allows nothing: no limit_pct"))
        measures.append(Measure(level, ctx.text(ms.get("equipment"), msl, "equipment"), what, pct,  # type: ignore
                                ctx.text(ms.get("note"), msl, "note", required=False, limit=2000), msl))
    ent = Enterprise(eid, ctx.text(item.get("name"), at, "name", required=False) or "",  # type: ignore[arg-type]
                     ctx.zone(item.get("tz"), at),
                     ctx.text(item.get("industry"), at, "industry", required=False, limit=200) or "",
                     ctx.number(item.get("unmetered_kw"), at, "unmetered_kw", minimum=0) or 0.0,
                     tuple(lines), tuple(meters), tuple(equipment), tuple(links), tuple(measures),
                     ctx.choice(item.get("schedule") or "day", at, "schedule", SCHEDULES))
    check_enterprise(ctx, ent, at)
    return ent


def parse_device(ctx: Checker, item: dict, at: int | tuple | None) -> Device:
    """One device of a fleet file's ``power.devices``: ``mn``, ``transport`` (hj212 | mqtt | csv), ``password``
    (the HJ 212 access password, or the MQTT password, which is stored only as a hash; none for csv), ``tz``,
    ``enterprise`` (a credit code; default: the enterprise whose meters name the device), ``active``."""
    ctx.keys(item, at, DEVICE_KEYS)
    mn = ctx.text(item.get("mn"), at, "mn")
    transport = ctx.choice(item.get("transport") or "hj212", at, "transport", TRANSPORTS)
    password = ctx.text(item.get("password"), at, "password", limit=64 if transport == "hj212" else 200,
                        required=transport != "csv")
    return Device(mn, transport, password, ctx.zone(item.get("tz"), at),  # type: ignore[arg-type]
                  ctx.text(item.get("enterprise"), at, "enterprise", required=False),
                  ctx.flag(item.get("active"), at, "active", default=True))


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line of every mapping (``__line__``)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    m = loader.construct_mapping(node, deep=True)
    m["__line__"] = node.start_mark.line + 1
    return m


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_yaml(text: str, source: str = "<yaml>") -> Registry:
    ctx = Checker(source)
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ctx.fail(mark.line + 1 if mark else None, None, N_("not valid YAML (%(reason)s)"),
                       reason=str(getattr(exc, "problem", exc))) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("enterprises"), list):
        raise ctx.fail(1, "enterprises", N_("the file needs a list 'enterprises'"))
    out = []
    seen: dict[str, int] = {}
    for item in doc["enterprises"]:
        if not isinstance(item, dict):
            raise ctx.fail(None, "enterprises", N_("every enterprise must be a mapping"))
        line = item.get("__line__")
        eid = ctx.text(item.get("id"), line, "id")
        if eid in seen:
            raise ctx.fail(line, "id", N_("enterprise %(enterprise)s is already defined on line %(line)s"),
                           enterprise=repr(eid), line=seen[eid])
        seen[eid] = line  # type: ignore[index,assignment]
        out.append(parse_enterprise(ctx, item, line))
    return Registry(tuple(out))


# ---------------------------------------------------------------------------------------------- CSV

CSV_REQUIRED = ("enterprise", "equipment", "meter", "role", "serves", "rated_kw")
CSV_OPTIONAL = ("name", "kind", "line", "normal_kw", "ct_ratio", "phases", "on_kw", "off_kw", "dwell",
                "dwell_off", "grace_minutes", "tz", "unmetered_kw", "industry")


def load_csv(text: str, source: str = "<csv>") -> Registry:
    ctx = Checker(source)
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise ctx.fail(1, missing[0], N_("missing column(s) %(missing)s (header: %(header)s)"),
                       missing=", ".join(missing), header=", ".join(header))
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise ctx.fail(1, unknown[0], N_("unknown column %(column)s"), column=repr(unknown[0]))
    rows: dict[str, list[tuple[int, dict]]] = {}
    for line, raw in enumerate(reader, start=2):
        if None in raw:
            raise ctx.fail(line, None, N_("more fields than columns"))
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
                                ctx.thresholds(row.get("on_kw"), row.get("off_kw"), row.get("dwell"), line, "",
                                               row.get("dwell_off"))))
        ent = Enterprise(ent_id, "", tz, industry, unmetered or 0.0, (), tuple(meters), tuple(equipment),
                         tuple(links))
        check_enterprise(ctx, ent, first_line)
        out.append(ent)
    return Registry(tuple(out))


def load_registry(path: str | Path) -> Registry:
    """A registry file by its extension: ``.yaml``/``.yml`` or ``.csv``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RegistryError(str(p), None, None, N_("cannot be read (%(reason)s)"), reason=exc.strerror) from None
    if p.suffix.lower() in (".yaml", ".yml"):
        return load_yaml(text, str(p))
    if p.suffix.lower() == ".csv":
        return load_csv(text, str(p))
    raise RegistryError(str(p), None, None, N_("must be .yaml, .yml or .csv"))
