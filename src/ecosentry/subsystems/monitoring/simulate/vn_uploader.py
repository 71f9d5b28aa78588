"""Vietnamese stations uploading their Circular 10/2021 files over real FTP (the data logger's side).

Each station logs in with its station key and password (one FTP account per station), and stores one file
per 5-minute measurement, as a data logger does (Circular 10/2021 Art. 39: at most 5 minutes after the
result). Files come from :func:`ecosentry.subsystems.monitoring.simulate.vn_stations.iter_station_files`: some late (uploaded 6–120
min after their time), some malformed, some with calibrating (01) or error (02) status. A late file is
uploaded when its intended upload time comes, so the gateway measures real delays.

The history a demo starts with (``backfill_hours``) is either uploaded at once over FTP (every file then
arrives hours after its time: all late or back-filled, as after a real outage) or, with ``history_spool``,
put in the spool as the FTP gateway would have put it had the platform been running: the same
``vn-file`` envelope, received at the file's intended upload time (:func:`spool_history`), so the demo's
first day shows the stations' own lateness and not the demo's start.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from ecosentry.gateways.station_files import SpoolAppender, station_file_envelope
from ecosentry.subsystems.monitoring.simulate.vn_stations import SimulatedFile, iter_station_files

__all__ = ["station_passwords", "upload_file", "run_vn_stations", "spool_history"]

log = logging.getLogger(__name__)


def station_passwords(fleet: dict) -> dict[str, str]:
    """Station key (points' MN) → transmission password, from a fleet dict."""
    return {p["mn"]: p["password"] for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]}


def upload_file(host: str, port: int, user: str, password: str, filename: str, data: bytes,
                timeout: float = 10.0) -> str:
    """Store one file in the station's drop folder; returns the server's final reply (226 …).

    Raises
    ------
    ftplib.Error, OSError
        Refused login, refused file, connection problems.
    """
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=timeout)
        ftp.login(user, password)
        return ftp.storbinary(f"STOR {filename}", io.BytesIO(data))


async def _send(host: str, port: int, passwords: dict[str, str], f: SimulatedFile, counts: Counter) -> None:
    try:
        reply = await asyncio.to_thread(upload_file, host, port, f.station_key, passwords[f.station_key],
                                        f.filename, f.data)
        counts["uploaded"] += 1
        log.debug("%s → %s", f.filename, reply)
    except (ftplib.Error, OSError) as exc:  # a refused (malformed) file or a lost connection: the next goes on
        counts["refused" if isinstance(exc, ftplib.Error) else "failed"] += 1
        log.info("upload of %s: %s", f.filename, exc)


def spool_history(appender: SpoolAppender, ftp_root: Path, files: Iterable[SimulatedFile],
                  batch: int = 500) -> int:
    """Append station files to the spool as received over FTP at their ``upload_at`` (the demo's history):
    the envelope of :func:`ecosentry.gateways.station_files.station_file_envelope` with the station's drop
    folder under ``ftp_root`` as destination of the file and its receipt. Durable on return; returns how
    many files. Blocking: call it from a thread."""
    n = 0
    payloads: list[bytes] = []
    for f in files:
        home = Path(ftp_root) / f.station_key
        home.mkdir(parents=True, exist_ok=True)
        payloads.append(station_file_envelope(f.filename, f.data, dest=home, transport="ftp",
                                              received_at=f.upload_at, peer="127.0.0.1",
                                              account=f.station_key).encode())
        if len(payloads) >= batch:
            appender.append(payloads)
            n, payloads = n + len(payloads), []
    if payloads:
        appender.append(payloads)
        n += len(payloads)
    return n


async def run_vn_stations(fleet: dict, host: str, port: int, *, stop: asyncio.Event,
                          backfill_hours: float = 0.0, seed: int = 1, late_share: float = 0.05,
                          malformed_share: float = 0.02, realtime: bool = True,
                          history_spool: tuple[SpoolAppender, Path] | None = None) -> Counter:
    """Upload the history of the last ``backfill_hours`` at once (or, with ``history_spool`` = (appender,
    FTP root), spool it as received at its intended upload times: :func:`spool_history`), then
    (``realtime``) each new 5-minute slot at its intended upload time, until ``stop``. Returns the counts
    (uploaded, refused, failed, spooled)."""
    passwords = station_passwords(fleet)
    counts: Counter = Counter()
    now = datetime.now(timezone.utc)
    if backfill_hours > 0:
        history = iter_station_files(fleet, now - timedelta(hours=backfill_hours), now, seed=seed,
                                     late_share=late_share, malformed_share=malformed_share)
        due = sorted((f for f in history if f.upload_at <= now), key=lambda f: f.upload_at)
        if history_spool is not None:
            counts["spooled"] += await asyncio.to_thread(spool_history, *history_spool, due)
        for f in due if history_spool is None else ():
            if stop.is_set():
                return counts
            await _send(host, port, passwords, f, counts)
    cursor = now
    while realtime and not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5.0)
            break
        except TimeoutError:
            pass
        now = datetime.now(timezone.utc)
        due: Iterable[SimulatedFile] = [f for f in iter_station_files(
            fleet, cursor - timedelta(hours=2), now, seed=seed, late_share=late_share,
            malformed_share=malformed_share) if cursor < f.upload_at <= now]
        for f in sorted(due, key=lambda f: f.upload_at):
            await _send(host, port, passwords, f, counts)
        cursor = now
    return counts
