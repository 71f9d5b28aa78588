"""Shared pieces of the VN file-intake tests: a Vietnamese fleet, station files built by hand, a running stack."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ecosentry.gateways.station_files import SpoolAppender, station_file_envelope
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.fleet import import_fleet
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.vn.sink import VnFileSink

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WATER = "HN_PHCH_NUOPCH"
GAS = "HN_BKHN_KHIAMO"
PW = "s3cret-vn"
GAS_PW = "khi-pw"

FLEET = {
    "regions": [
        {"code": "VN-HN", "name": "Hà Nội", "level": "province", "country": "VN"},
    ],
    "enterprises": [{
        "credit_code": "VN0100000000000001", "name": "Công ty Phúc Chính", "region": "VN-HN",
        "outlets": [
            {"code": "NUOPCH", "name": "Cửa xả nước thải", "medium": "water",
             "points": [{"mn": WATER, "password": PW, "st": "32", "name": "Trạm nước thải", "tz": "Asia/Ho_Chi_Minh",
                         "min_interval": 5, "factors": ["w01018", "w01012", "w01001", "w01010", "w00000",
                                                        "w21003"]}]},
            {"code": "KHIAMO", "name": "Ống khói", "medium": "gas",
             "points": [{"mn": GAS, "password": GAS_PW, "st": "31", "name": "Trạm khí thải", "tz": "Asia/Ho_Chi_Minh",
                         "min_interval": 5, "factors": ["a34013", "a21026", "a21002", "a21005", "a19001", "a01012",
                                                        "a01013", "a00000"]}]},
        ],
    }],
}

WATER_LINES = [("COD", "45.20", "mg/L", "00"), ("TSS", "12.5", "mg/l", "00"), ("pH", "7.21", "", "00"),
               ("Nhiệt độ", "28.4", "oC", "01"), ("Lưu lượng", "36", "m3/h", "00"), ("NH4+", "1.7", "mg/L", "02")]


def local(t: datetime) -> datetime:
    """Aware → naive Vietnam local time (what a file carries)."""
    return t.astimezone(VN).replace(tzinfo=None)


def file_name(station: str, t_local: datetime) -> str:
    return f"{station}_{t_local:%Y%m%d%H%M%S}.txt"


def file_bytes(t_local: datetime, lines=WATER_LINES, *, sep: str = "\t") -> bytes:
    """A station file by hand: ``parameter<TAB>value<TAB>unit<TAB>yyyyMMddHHmmss<TAB>status``, CRLF lines."""
    ts = t_local.strftime("%Y%m%d%H%M%S")
    return "".join(sep.join((p, v, u, ts, st)) + "\r\n" for p, v, u, st in lines).encode("utf-8")


def now_minute() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def setup_db(url: str):
    engine = prepare_database(url)
    import_fleet(engine, FLEET)
    return engine


def point_id(engine, mn: str) -> int:
    with engine.connect() as c:
        return c.execute(select(s.points.c.id).where(s.points.c.mn == mn)).scalar_one()


def count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def log_rows(engine, station: str | None = None) -> list[dict]:
    q = select(ms.vn_files).order_by(ms.vn_files.c.id)
    if station:
        q = q.where(ms.vn_files.c.station == station)
    with engine.connect() as c:
        return [dict(r) for r in c.execute(q).mappings()]


def sinks_of(engine, directory, settings: VnIntakeSettings | None = None) -> dict:
    """The monitoring sinks as the service builds them, without automatic gap marks."""
    return {"observations": ObservationSink(engine, directory, auto_gap_marks=False),
            "vn-file": VnFileSink(engine, directory, settings or VnIntakeSettings(),
                                  ObservationSink(engine, directory, auto_gap_marks=False))}


@asynccontextmanager
async def intake_stack(engine, tmp_path: Path, settings: VnIntakeSettings | None = None):
    """Spool + ingest worker with the monitoring sinks (as the service runs them) + the gateways' appender,
    on the running loop. Yields ``(appender, directory, spool, worker)``; ``worker.sinks["vn-file"]`` is the
    sink that judges the files."""
    spool = Spool(tmp_path / "spool")
    directory = PointDirectory(engine)
    appender = SpoolAppender(spool, asyncio.get_running_loop())
    worker = IngestWorker(engine, SpoolReader(tmp_path / "spool"), sinks_of(engine, directory, settings),
                          flush_every=3600, wake=spool.new_data)
    task = asyncio.create_task(worker.run())
    try:
        yield appender, directory, spool, worker
    finally:
        try:
            await worker.drain(spool.durable_seq, timeout=10)
        finally:
            worker.stop()
            await asyncio.wait_for(task, 10)
            spool.close()


async def drained(worker, spool) -> None:
    await worker.drain(spool.durable_seq, timeout=15)


async def judged(worker, spool):
    """Wait until the sink has judged everything spooled; the latest outcome."""
    await drained(worker, spool)
    return worker.sinks["vn-file"].outcomes[-1]


async def send(appender: SpoolAppender, name: str, data: bytes, *, received_at: datetime, dest: Path,
               transport: str = "ftp", account: str | None = None) -> int:
    """Spool a station file as a gateway does (without the transport); returns the spool sequence number."""
    env = station_file_envelope(name, data, dest=dest, transport=transport, received_at=received_at,
                                account=account)
    return await asyncio.to_thread(appender.append, [env.encode()])


__all__ = ["VN", "WATER", "GAS", "PW", "GAS_PW", "FLEET", "WATER_LINES", "local", "file_name", "file_bytes",
           "now_minute", "setup_db", "point_id", "count", "log_rows", "intake_stack", "drained", "judged", "send",
           "sinks_of", "timedelta"]
