"""The electronic ledger's writes (issue 16 items 2–3; 2020 guide table 3, §3.2): a row per camera passage
(joined to the vehicle register, exits paired with their entries by :func:`..rules.ledger.pair`), the rows of a
ledger CSV (``ecosentry vehicles import-ledger``) and the guard's entries (the API's ``POST
/api/v1/gates/ledger``).

A row's emission stage is the one it was given, else the register's; when neither has one the row is flagged
``stage_unknown`` for the guard to complete. CSV and manual rows are unique on (enterprise, source key): the key
is the row's direction, time and plate, so importing a file again or re-sending an entry adds nothing; a ledger
CSV imported again with values changed corrects the rows it names (audited; the checks job reads them again).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, select, update

from ecosentry.said import N_
from ecosentry.store import audit
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.gateways.push_event import DIRECTIONS, MAX_PLATE
from ecosentry.subsystems.gates.store.outbox import enqueue
from ecosentry.subsystems.gates.rules.ledger import Passages, pair
from ecosentry.subsystems.gates.rules.plate import colour_of, normalise_plate
from ecosentry.subsystems.gates.rules.stages import parse_fuel, parse_stage
from ecosentry.subsystems.gates.rules.vin import normalise_vin

__all__ = ["LedgerEntry", "ledger_row_of_passage", "ledger_rows_of_passages", "store_entries", "enter_manually",
           "import_ledger_csv", "LEDGER_COLUMNS", "correct_entries", "CORRECTABLE"]

#: The ledger CSV: the offline check's ``L.csv`` columns (``enterprise`` is the credit code here) and, optional,
#: ``plate_colour, engine_no, transport_company, purpose``.
LEDGER_COLUMNS = ("enterprise", "time", "direction", "plate", "vin", "emission_stage", "fuel", "cargo", "weight_t")
_LIMITS = {"vin": 17, "engine_no": 32, "cargo": 32, "transport_company": 100}


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row as a person or a file gives it (times aware)."""

    enterprise_id: int
    at: datetime
    inbound: bool
    plate: str
    plate_colour: str | None = None
    vin: str | None = None
    engine_no: str | None = None
    emission_stage: str | None = None
    fuel: str | None = None
    cargo: str | None = None
    weight_t: float | None = None
    transport_company: str | None = None
    purpose: str = "transport"


def _vehicle(conn: Connection, enterprise_id: int, plate: str):
    v = gs.gates_vehicles.c
    return conn.execute(select(v.id, v.vin, v.engine_no, v.emission_stage, v.fuel, v.owner, v.in_plant,
                               v.plate_colour).where(v.enterprise_id == enterprise_id, v.plate == plate)).first()


def ledger_row_of_passage(conn: Connection, passage: dict, checks, now: datetime, *, upload: bool = False
                          ) -> int | None:
    """The ledger row of a camera passage just stored (``passage``: its ``gates_passages`` values with ``id``);
    None when it makes none: no plate read (the guard enters the vehicle), or a repeated read of the same plate
    at the same gate and direction within ``checks.repeat_seconds``. ``upload``: queue it for the upper platform
    (:func:`.outbox.enqueue`) in the same transaction."""
    return ledger_rows_of_passages(conn, [passage], checks, now, upload=upload)[0]


def _vehicle_row(vehicle, passage: dict, now: datetime, pairs_with: int | None) -> dict:
    stage = vehicle.emission_stage if vehicle is not None else None
    return {"enterprise_id": passage["enterprise_id"], "source": "camera", "passage_id": passage["id"],
            "at": passage["at"], "inbound": passage["inbound"], "plate": passage["plate"],
            "plate_colour": passage.get("plate_colour") or (vehicle.plate_colour if vehicle is not None else None),
            "vehicle_id": vehicle.id if vehicle is not None else None,
            "vin": vehicle.vin if vehicle is not None else None,
            "engine_no": vehicle.engine_no if vehicle is not None else None, "emission_stage": stage,
            "stage_unknown": stage is None, "fuel": vehicle.fuel if vehicle is not None else None,
            "transport_company": vehicle.owner if vehicle is not None else None,
            "purpose": "in_plant" if vehicle is not None and vehicle.in_plant else "transport",
            "pairs_with": pairs_with, "entered_by": None, "entered_at": now}


def _in_chunks(values: list, n: int = 500):
    for i in range(0, len(values), n):
        yield values[i:i + n]


def ledger_rows_of_passages(conn: Connection, passages: list[dict], checks, now: datetime, *,
                            upload: bool = False) -> list[int | None]:
    """:func:`ledger_row_of_passage` for a batch of camera passages just stored (in the order they were stored,
    each with its ``id``), with a fixed number of queries whatever the batch's size: the plates' windows of
    passages in one read, the register in one, the entries' ledger rows in one, the rows in two inserts (entries
    and lone exits, then the exits paired with an entry of this batch) and the upload queue in one. Each passage
    is judged as :func:`ledger_row_of_passage` judges it alone, on the passages stored before it (ids up to its
    own): the same rows, repeats and pairs. The ledger ids, in the order of ``passages`` (None: no row)."""
    p, v, lg = gs.gates_passages.c, gs.gates_vehicles.c, gs.gates_ledger.c
    todo = [x for x in passages if x["plate"]]
    out: dict[int, int | None] = {x["id"]: None for x in passages}
    if not todo:
        return [None] * len(passages)
    keys = {(x["enterprise_id"], x["plate"]) for x in todo}
    ents = sorted({k[0] for k in keys})
    plates = sorted({k[1] for k in keys})
    stay = timedelta(hours=checks.max_stay_hours)
    since, until = min(x["at"] for x in todo) - stay, max(x["at"] for x in todo)
    window: dict[tuple[int, str], list] = {}
    for chunk in _in_chunks(plates):
        for r in conn.execute(select(p.id, p.enterprise_id, p.plate, p.gate_id, p.at, p.inbound).where(
                p.enterprise_id.in_(ents), p.plate.in_(chunk), p.at >= since, p.at <= until)):
            if (r.enterprise_id, r.plate) in keys:
                window.setdefault((r.enterprise_id, r.plate), []).append(r)
    vehicles = {}
    for chunk in _in_chunks(plates):
        for r in conn.execute(select(v.id, v.enterprise_id, v.plate, v.vin, v.engine_no, v.emission_stage, v.fuel,
                                     v.owner, v.in_plant, v.plate_colour)
                              .where(v.enterprise_id.in_(ents), v.plate.in_(chunk))):
            vehicles[(r.enterprise_id, r.plate)] = r
    for rows in window.values():
        rows.sort(key=lambda r: (_utc(r.at), r.id))
    entry_of: dict[int, int] = {}   # exit passage → its entry passage
    kept: list[dict] = []
    for x in todo:
        ent, at, plate = x["enterprise_id"], x["at"], x["plate"]
        # the passages stored before this one (a later one of the batch is not yet there when it is judged alone)
        rows = [r for r in window.get((ent, plate), ()) if r.id <= x["id"] and at - stay <= _utc(r.at) <= at]
        me = next(i for i, r in enumerate(rows) if r.id == x["id"])
        if any(r.gate_id == x["gate_id"] and r.inbound == x["inbound"]
               and (at - _utc(r.at)).total_seconds() <= checks.repeat_seconds for r in rows[:me]):
            continue
        if not x["inbound"]:
            table = Passages.of([(ent, r.gate_id, int(_utc(r.at).timestamp()), r.inbound, plate, "", math.nan)
                                 for r in rows])
            pairing = pair(table, max_stay_hours=checks.max_stay_hours, repeat_seconds=checks.repeat_seconds)
            hit = np.flatnonzero(pairing.pairs[:, 1] == me) if len(pairing.pairs) else []
            if len(hit):
                entry_of[x["id"]] = rows[int(pairing.pairs[hit[0], 0])].id
        kept.append(x)
    ledger_of: dict[int, int] = {}  # passage → its ledger row (the entries paired with)
    outside = sorted(set(entry_of.values()) - {x["id"] for x in kept})
    for chunk in _in_chunks(outside):
        ledger_of.update({int(pid): int(lid) for lid, pid in conn.execute(
            select(lg.id, lg.passage_id).where(lg.passage_id.in_(chunk)))})
    inside = set(entry_of.values()) & {x["id"] for x in kept}
    first = [x for x in kept if entry_of.get(x["id"]) not in inside]
    second = [x for x in kept if entry_of.get(x["id"]) in inside]
    queued = []
    for wave in (first, second):
        if not wave:
            continue
        rows = [_vehicle_row(vehicles.get((x["enterprise_id"], x["plate"])), x, now,
                             ledger_of.get(entry_of[x["id"]]) if x["id"] in entry_of else None) for x in wave]
        got = conn.execute(gs.gates_ledger.insert().returning(lg.id, lg.passage_id, sort_by_parameter_order=True),
                           rows).all()
        for lid, pid in got:
            ledger_of[int(pid)] = out[int(pid)] = int(lid)
        queued += [(out[x["id"]], x["enterprise_id"], x["at"]) for x in wave]
    if upload:
        enqueue(conn, sorted(queued), now)
    return [out[x["id"]] for x in passages]


def _utc(t: datetime) -> datetime:
    """A stored time, aware (SQLite's are read back aware by ``UTCDateTime`` too; a naive one is UTC)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def _source_key(source: str, e: LedgerEntry) -> str:
    return f"{source}:{'in' if e.inbound else 'out'}:{e.at.astimezone(timezone.utc).isoformat()}:{e.plate}"


#: What a re-uploaded ledger may correct in a row it already holds (a value given; a blank keeps the stored one).
CORRECTABLE = ("plate_colour", "vin", "engine_no", "emission_stage", "stage_unknown", "fuel", "cargo", "weight_t",
               "transport_company", "purpose")


def correct_entries(conn: Connection, entries: list[LedgerEntry], *, source: str, actor: str | None) -> list[int]:
    """The rows of ``entries`` already stored (same enterprise, source, direction, time and plate) whose fields the
    entry gives otherwise — the enterprise re-uploading a corrected ledger — are updated, each with an audit entry
    (``correct``, ``gate_ledger``, the fields before and after); the ids of the rows corrected.

    The enterprises' check state is set back to just below the first corrected row (``gates_check_state.ledger_id``),
    so the checks job reads those rows again at its next look and judges their days anew: a day's
    ``VEH-LEDGER-INCOMPLETE`` shrinks or closes (``docs/gates.md`` "A ledger's day")."""
    lg, cs = gs.gates_ledger.c, gs.gates_check_state.c
    if not entries:
        return []
    now = datetime.now(timezone.utc)
    keyed = {(e.enterprise_id, _source_key(source, e)): e for e in entries}
    stored: dict[tuple[int, str], Any] = {}
    for ent in sorted({k[0] for k in keyed}):
        keys = sorted(k[1] for k in keyed if k[0] == ent)
        for chunk in _in_chunks(keys):
            for r in conn.execute(select(gs.gates_ledger).where(lg.enterprise_id == ent, lg.source_key.in_(chunk))):
                stored[(ent, r.source_key)] = r
    corrected: dict[int, list[int]] = {}
    for key, row in sorted(stored.items(), key=lambda kv: kv[1].id):
        wanted = _entry_values(conn, keyed[key], source, actor, now)
        after = {c: wanted[c] for c in CORRECTABLE if wanted[c] is not None and wanted[c] != getattr(row, c)}
        if wanted["emission_stage"] is None:
            after.pop("stage_unknown", None)  # no stage given: the row still waits for one, or keeps its own
        if not after:
            continue
        conn.execute(update(gs.gates_ledger).where(lg.id == row.id).values(**after))
        audit.record(conn, actor, "correct", "gate_ledger", row.id, {c: getattr(row, c) for c in after}, after)
        corrected.setdefault(row.enterprise_id, []).append(int(row.id))
    for ent, ids in corrected.items():
        mark = min(ids) - 1
        conn.execute(update(gs.gates_check_state).where(cs.enterprise_id == ent, cs.ledger_id > mark)
                     .values(ledger_id=mark))
    return sorted(i for ids in corrected.values() for i in ids)


def _entry_values(conn: Connection, e: LedgerEntry, source: str, actor: str | None, now: datetime) -> dict:
    """A CSV or manual row's values, joined to the register (its own values first)."""
    vehicle = _vehicle(conn, e.enterprise_id, e.plate)
    stage = e.emission_stage or (vehicle.emission_stage if vehicle is not None else None)
    return {"enterprise_id": e.enterprise_id, "source": source, "passage_id": None, "at": e.at,
            "inbound": e.inbound, "plate": e.plate,
            "plate_colour": e.plate_colour or (vehicle.plate_colour if vehicle is not None else None),
            "vehicle_id": vehicle.id if vehicle is not None else None,
            "vin": e.vin or (vehicle.vin if vehicle is not None else None),
            "engine_no": e.engine_no or (vehicle.engine_no if vehicle is not None else None),
            "emission_stage": stage, "stage_unknown": stage is None,
            "fuel": e.fuel or (vehicle.fuel if vehicle is not None else None), "cargo": e.cargo,
            "weight_t": e.weight_t,
            "transport_company": e.transport_company or (vehicle.owner if vehicle is not None else None),
            "purpose": e.purpose, "entered_by": actor, "entered_at": now, "source_key": _source_key(source, e)}


def store_entries(conn: Connection, entries: list[LedgerEntry], *, source: str, actor: str | None,
                  upload: bool = False) -> int:
    """Store CSV or manual rows (joined to the register; an exit paired with the latest unpaired entry of the
    plate before it within the stay); how many were new. ``upload``: the new rows are queued for the upper
    platform in the same transaction."""
    now = datetime.now(timezone.utc)
    new = 0
    for e in sorted(entries, key=lambda x: x.at):
        row = _entry_values(conn, e, source, actor, now)
        row["pairs_with"] = None if e.inbound else _open_entry(conn, e, source)
        stmt = insert_for(conn, gs.gates_ledger).on_conflict_do_nothing(index_elements=["enterprise_id",
                                                                                        "source_key"])
        ledger_id = conn.scalar(stmt.values(**row).returning(gs.gates_ledger.c.id))
        if ledger_id is not None:
            new += 1
            if upload:
                enqueue(conn, [(int(ledger_id), e.enterprise_id, e.at)], now)
    return new


def _open_entry(conn: Connection, e: LedgerEntry, source: str) -> int | None:
    """The latest entry row of the same plate and source before the exit with no exit paired to it yet."""
    lg = gs.gates_ledger.c
    paired = select(lg.pairs_with).where(lg.pairs_with.is_not(None), lg.enterprise_id == e.enterprise_id)
    return conn.scalar(select(lg.id).where(lg.enterprise_id == e.enterprise_id, lg.plate == e.plate,
                                           lg.source == source, lg.inbound.is_(True), lg.at <= e.at,
                                           lg.id.not_in(paired)).order_by(lg.at.desc()).limit(1))


# ---------------------------------------------------------------------------------------------- the guard

def enter_manually(engine: Engine, entry: LedgerEntry, *, actor: str, upload: bool = False) -> bool:
    """The guard's entry of one row (after :func:`check_entry`); True when it was new (the same row sent again
    changes nothing)."""
    with engine.begin() as conn:
        return store_entries(conn, [entry], source="manual", actor=actor, upload=upload) > 0


def check_entry(values: dict, enterprise_id: int, *, source: str = "", line: int | None = None) -> LedgerEntry:
    """A ledger row from text fields (a CSV row, the API's JSON): every problem a :class:`GatesInputError`
    naming the field."""
    def fail(field_: str, msgid: str, **params) -> GatesInputError:
        return GatesInputError(source, field_, msgid, line=line, **params)

    def text(key: str) -> str | None:
        v = values.get(key)
        if v is None:
            return None
        t = str(v).strip()
        if not t:
            return None
        if key in _LIMITS and len(t) > _LIMITS[key]:
            raise fail(key, N_("is longer than %(limit)s characters"), limit=_LIMITS[key])
        return t

    raw_time = text("time")
    if raw_time is None:
        raise fail("time", N_("is required"))
    try:
        at = datetime.fromisoformat(raw_time)
    except ValueError:
        raise fail("time", N_("%(value)s is not an ISO 8601 time"), value=repr(raw_time)) from None
    if at.tzinfo is None:
        raise fail("time", N_("%(value)s has no offset (+08:00)"), value=repr(raw_time))
    inbound = DIRECTIONS.get((text("direction") or "").lower())
    if inbound is None:
        raise fail("direction", N_("must be in or out"))
    plate = normalise_plate(text("plate"))
    if not plate:
        raise fail("plate", N_("is required"))
    if len(plate) > MAX_PLATE:
        raise fail("plate", N_("is longer than %(limit)s characters"), limit=MAX_PLATE)
    colour = None
    if text("plate_colour"):
        colour = colour_of(text("plate_colour"))
        if colour is None:
            raise fail("plate_colour", N_("%(value)s is not a plate colour"), value=repr(text("plate_colour")))
    vin = normalise_vin(text("vin")) or None
    stage = None
    if text("emission_stage"):
        stage = parse_stage(text("emission_stage"))
        if stage is None or stage == "x":
            raise fail("emission_stage", N_("%(value)s is not an emission stage (0–6, d electric)"),
                       value=repr(text("emission_stage")))
    fuel = None
    if text("fuel"):
        fuel = parse_fuel(text("fuel"))
        if fuel is None:
            raise fail("fuel", N_("%(value)s is not a fuel (diesel, gasoline, natural_gas, electric, hybrid, "
                                  "hydrogen, other)"), value=repr(text("fuel")))
    weight = None
    if text("weight_t"):
        try:
            weight = float(text("weight_t"))  # type: ignore[arg-type]
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or not 0 <= weight <= 999.9:
            raise fail("weight_t", N_("must be a number of tonnes from 0 to 999.9"))
        weight = round(weight, 1)
    purpose = text("purpose") or "transport"
    if purpose not in gs.PURPOSES:
        raise fail("purpose", N_("must be one of %(values)s"), values=", ".join(gs.PURPOSES))
    return LedgerEntry(enterprise_id, at, inbound, plate, colour, vin, text("engine_no"), stage, fuel, text("cargo"),
                       weight, text("transport_company"), purpose)


# ---------------------------------------------------------------------------------------------- CSV files

def import_ledger_csv(engine: Engine, path: Path | str, *, actor: str, upload: bool = False) -> tuple[int, int]:
    """Import a ledger CSV: every row checked first (a bad one refuses the whole file with its line and field,
    nothing stored), then stored in one transaction; (rows read, rows new, rows corrected). A row already stored
    from an earlier import (same enterprise, direction, time and plate) takes the values the file gives it
    (:func:`correct_entries`): the enterprise re-uploads a corrected ledger."""
    path = Path(path)
    name = path.name
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise GatesInputError(name, None, N_("cannot be read (%(reason)s)"), reason=exc.strerror) from None
    with engine.connect() as conn:
        enterprises = {r.credit_code: r.id for r in conn.execute(select(s.enterprises.c.credit_code,
                                                                        s.enterprises.c.id))}
    entries: list[LedgerEntry] = []
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in LEDGER_COLUMNS if c not in header]
            if missing:
                raise GatesInputError(name, missing[0], N_("missing column(s) %(columns)s"), line=1,
                                      columns=", ".join(missing))
            for line, raw in enumerate(reader, start=2):
                if None in raw:
                    raise GatesInputError(name, None, N_("more values than columns"), line=line)
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                ent = enterprises.get(row["enterprise"])
                if ent is None:
                    raise GatesInputError(name, "enterprise", N_("%(value)s is no enterprise's credit code"),
                                          line=line, value=repr(row["enterprise"][:40]))
                entries.append(check_entry(row, ent, source=name, line=line))
        except UnicodeDecodeError:
            raise GatesInputError(name, None, N_("is not UTF-8 text")) from None
        except csv.Error as exc:
            raise GatesInputError(name, None, N_("is not CSV (%(reason)s)"), reason=str(exc)) from None
    with engine.begin() as conn:
        corrected = correct_entries(conn, entries, source="csv", actor=actor)
        new = store_entries(conn, entries, source="csv", actor=actor, upload=upload)
    return len(entries), new, len(corrected)
