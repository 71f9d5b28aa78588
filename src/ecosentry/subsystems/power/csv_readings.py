"""``ecosentry power import-readings R.csv``: readings from a file through the same spool, sink and idempotent
store as the gateways' (issue 15 item 2, "CSV import").

``R.csv`` is the offline check's (``meter,time,quantity,value``; :func:`..offline.reading_rows` reads and checks
it), ``meter`` the registry code of a meter (``power_meters.code``; with ``--enterprise`` only that enterprise's),
``quantity`` one the sink stores (``P``, ``E``, ``I``, ``Ia`` …, ``RS``), ``time`` ISO 8601 with an offset, taken
to its minute. The whole file is checked first: a bad line stops the import (exit 2, the file, the line and the
field) before anything is written.

Each device's readings become ``power-readings`` envelopes (transport ``csv``, up to ``chunk`` readings each,
``kind`` ``min``: a file's value is the minute's) whose raw bytes are the rows they came from, so the archive
holds the file's content. A meter must sit on a device channel in the registry (``device`` and ``channel``; a
``transport: csv`` device for meters only read from files) for the sink to place its readings.

**Which spool.** The envelopes go to a spool of the importer's own, ``<data_dir>/spool-power-csv``, drained
by an ingest worker in the command with the installed sinks (the same ``PowerReadingSink``), under the spool's
worker lock. The service's spool (``<data_dir>/spool``) has exactly one writing process, the service, whose
sequence numbers live in its memory: a second process appending to it would reuse them. What the command
appended stays in its spool until stored, so an import interrupted by a database outage is completed by the next
one.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.sinks import build_sinks
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.spool_lock import SpoolLock
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.offline import reading_rows
from ecosentry.subsystems.power.pipeline.sink import QUANTITY_ORDER

__all__ = ["MeterPlace", "meter_places", "check_csv", "iter_envelopes", "envelopes_from_csv", "store_envelopes", "SPOOL",
           "CSV_QUANTITIES"]

#: The importer's spool folder under the data directory.
SPOOL = "spool-power-csv"
#: The quantities a file may hold: those the sink stores.
CSV_QUANTITIES = QUANTITY_ORDER


@dataclass(frozen=True, slots=True)
class MeterPlace:
    """Where a meter's readings go: its enterprise, its device and the channel it is on."""

    code: str
    enterprise: str
    device_id: int | None
    mn: str | None
    channel: str | None


class UnknownEnterprise(Said):
    """``--enterprise`` names no enterprise."""


def meter_places(engine: Engine, enterprise: str | None = None) -> dict[str, list[MeterPlace]]:
    """Meter code → the meters of that code (one per enterprise), of one enterprise (credit code) or all."""
    m, d, e = ps.power_meters, ps.power_devices, s.enterprises
    q = (select(m.c.code, e.c.credit_code, m.c.device_id, d.c.mn, m.c.channel)
         .join_from(m, e, e.c.id == m.c.enterprise_id).outerjoin(d, d.c.id == m.c.device_id))
    with engine.connect() as conn:
        if enterprise is not None:
            if conn.scalar(select(e.c.id).where(e.c.credit_code == enterprise)) is None:
                raise UnknownEnterprise(N_("no enterprise with credit code %(code)r"), code=enterprise)
            q = q.where(e.c.credit_code == enterprise)
        out: dict[str, list[MeterPlace]] = {}
        for r in conn.execute(q.order_by(e.c.credit_code)):
            out.setdefault(r.code, []).append(MeterPlace(r.code, r.credit_code, r.device_id, r.mn, r.channel))
    return out


def _meter_check(places: dict[str, list[MeterPlace]], enterprise: str | None) -> Callable[[str], Said | None]:
    def problem(meter: str) -> Said | None:
        found = places.get(meter)
        if not found:
            if enterprise:
                return Said(N_("%(meter)r is not a meter of enterprise %(enterprise)s"), meter=meter,
                            enterprise=enterprise)
            return Said(N_("%(meter)r is not a meter of the registry"), meter=meter)
        if len(found) > 1:
            return Said(N_("%(meter)r is a meter of several enterprises (%(enterprises)s): name one with "
                           "--enterprise"), meter=meter, enterprises=", ".join(p.enterprise for p in found))
        if found[0].device_id is None or not found[0].channel:
            return Said(N_("%(meter)r has no device and channel in the registry (a device with transport csv will "
                           "do): its readings cannot be placed"), meter=meter)
        return None

    return problem


def check_csv(path: str | Path, places: dict[str, list[MeterPlace]], *, enterprise: str | None = None) -> int:
    """Read the whole file and check it (:class:`RegistryError` naming the file, the line and the field for the
    first bad line); the number of readings."""
    return sum(1 for _ in reading_rows(path, _meter_check(places, enterprise), CSV_QUANTITIES))


def iter_envelopes(path: str | Path, places: dict[str, list[MeterPlace]], *, chunk: int = 500,
                   received_at: datetime | None = None, enterprise: str | None = None) -> Iterator[Envelope]:
    """The file's readings as envelopes of up to ``chunk`` readings of one device each, made as the file is read
    (memory: devices × chunk); check the file first with :func:`check_csv`."""
    path = Path(path)
    received_at = received_at or datetime.now(timezone.utc)
    by_device: dict[int, list[tuple[int, MeterPlace, datetime, str, float]]] = {}
    for line, meter, t, q, v in reading_rows(path, _meter_check(places, enterprise), CSV_QUANTITIES):
        place = places[meter][0]
        rows = by_device.setdefault(place.device_id, [])  # type: ignore[arg-type]
        rows.append((line, place, t, q, v))
        if len(rows) >= chunk:
            yield _envelope(path, place.device_id, rows, received_at)  # type: ignore[arg-type]
            by_device[place.device_id] = []  # type: ignore[index]
    for device_id, rows in by_device.items():
        if rows:
            yield _envelope(path, device_id, rows, received_at)


def envelopes_from_csv(path: str | Path, places: dict[str, list[MeterPlace]], *, chunk: int = 500,
                       received_at: datetime | None = None, enterprise: str | None = None) -> list[Envelope]:
    """:func:`check_csv`, then every envelope of :func:`iter_envelopes` (a small file)."""
    check_csv(path, places, enterprise=enterprise)
    return list(iter_envelopes(path, places, chunk=chunk, received_at=received_at, enterprise=enterprise))


def _envelope(path: Path, device_id: int, rows: Sequence[tuple[int, MeterPlace, datetime, str, float]],
              received_at: datetime) -> Envelope:
    raw = io.StringIO()
    writer = csv.writer(raw, lineterminator="\n")
    writer.writerow(("meter", "time", "quantity", "value"))
    readings = []
    for _, place, t, q, v in rows:
        writer.writerow((place.code, t.isoformat(), q, repr(v)))
        minute = t.astimezone(timezone.utc).replace(second=0, microsecond=0)
        readings.append(Reading(factor=f"{place.channel}-{q}", kind="min", start=minute, value=v))
    first, last = rows[0][0], rows[-1][0]
    return Envelope(transport="csv", received_at=received_at, raw=raw.getvalue().encode("utf-8"), status="accepted",
                    mn=rows[0][1].mn, point_id=device_id, detail=f"{path.name} lines {first}-{last}",
                    readings=readings, kind="power-readings", meta={"file": path.name, "lines": [first, last]})


async def store_envelopes(engine: Engine, settings, envelopes: Iterable[Envelope], *, expected_readings: int = 0,
                          timeout: float | None = None, group: int = 200) -> dict[str, int]:
    """Append the envelopes to the importer's spool (``group`` at a time, each group on disk before the next)
    while an ingest worker of the installed sinks stores them, under the spool's worker lock
    (:class:`SpoolBusy` when another import holds it); wait until the database holds them all. Returns the
    envelopes appended and the worker's counts (readings offered to the sinks, records isolated).
    ``TimeoutError`` when the database did not take them in time: they stay in the spool for the next import."""
    folder = Path(settings.data_dir) / SPOOL
    lock = await asyncio.to_thread(SpoolLock(folder).acquire, settings.worker_lock_wait)
    try:
        spool = Spool(folder)
        try:
            before = (counters.get("ingest.observations_offered"), counters.get("ingest.isolated"))
            directory = await asyncio.to_thread(PointDirectory, engine)
            worker = IngestWorker(engine, SpoolReader(folder), build_sinks(engine, settings, directory),
                                  batch_max=settings.ingest_batch_max, flush_every=3600)
            task = asyncio.create_task(worker.run())  # also stores what an interrupted import left
            n = 0
            try:
                last = spool.durable_seq
                batch: list[bytes] = []
                for env in envelopes:
                    batch.append(env.encode())
                    n += 1
                    if len(batch) >= group:
                        last = await asyncio.to_thread(spool.append_sync, batch)
                        batch = []
                if batch:
                    last = await asyncio.to_thread(spool.append_sync, batch)
                wait = timeout if timeout is not None else 60 + expected_readings / 2000
                await worker.drain(last, timeout=wait)
                await worker.flush()
            finally:
                worker.stop()
                await task
        finally:
            spool.close()
    finally:
        lock.release()
    return {"envelopes": n, "readings": counters.get("ingest.observations_offered") - before[0],
            "isolated": counters.get("ingest.isolated") - before[1]}
