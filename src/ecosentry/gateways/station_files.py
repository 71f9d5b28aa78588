"""What the FTP gateway and the folder watcher share: a received station file becomes one ``vn-file`` envelope
in the spool, durable before the sender is told anything.

A Circular 10/2021/TT-BTNMT station sends one ``.txt`` file per measurement (Art. 39). The gateways do not judge
the file: its bytes as received, its name, where it arrived, the authenticated station account, the transport,
the time and the peer go into one :class:`~ecosentry.contracts.envelope.Envelope` of kind :data:`KIND`; the
monitoring subsystem's sink for that kind parses it, maps it, applies the timeliness, duplicate and conflict
rules, stores it and writes the receipt (``<name>.receipt.json`` in ``processed/`` or ``rejected/`` next to
where the file arrived). Only once the append is on disk (fsync) is the file removed from where it arrived and
the sender answered (``226`` for FTP): its bytes now live in the spool, and the sink puts them back with the
receipt, as the platform judged them (issue 12 item 3; the same path as HJ 212).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ecosentry.contracts.envelope import Envelope
from ecosentry.pipeline.spool import Spool

__all__ = ["KIND", "CN_VN_TXT", "TEMP_SUFFIXES", "SpoolAppender", "Received", "station_file_envelope",
           "spool_station_file"]

#: Record kind of a whole station file (:mod:`ecosentry.contracts.envelope`).
KIND = "vn-file"
#: ``Envelope.cn`` of a Vietnamese station file (the payload format, whatever the transport).
CN_VN_TXT = "vn-txt"
#: Names of files still being written (an upload under a temporary name renamed when complete).
TEMP_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", ".crdownload")


class SpoolAppender:
    """Durable append to the spool from any thread but the event loop's (the FTP server's thread, a worker).

    With the service's event ``loop`` the append joins the spool's group commit (and wakes the ingest
    worker); without one it is a direct ``append_sync``. Returns only once the records are on disk (fsync).
    """

    def __init__(self, spool: Spool, loop: asyncio.AbstractEventLoop | None = None, timeout: float = 60.0) -> None:
        self.spool = spool
        self.loop = loop
        self.timeout = timeout

    @property
    def spool_id(self) -> str:
        return self.spool.id

    def append(self, payloads: list[bytes]) -> int:
        loop = self.loop
        if loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                return asyncio.run_coroutine_threadsafe(self.spool.append(payloads), loop).result(self.timeout)
        seq = self.spool.append_sync(payloads)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.spool.new_data.set)
        return seq


@dataclass(frozen=True)
class Received:
    """A station file now in the spool: the receipt will appear in ``dest/processed`` or ``dest/rejected``."""

    file_name: str
    dest: Path
    size: int
    received_at: datetime
    transport: str
    spool: str
    spool_seq: int


def station_file_envelope(name: str, data: bytes, *, dest: Path, transport: str, received_at: datetime,
                          peer: str | None = None, account: str | None = None) -> Envelope:
    """The ``vn-file`` envelope of one received file.

    Parameters
    ----------
    name : str
        File name as received (no folder).
    data : bytes
        Content as received.
    dest : Path
        Folder whose ``processed/`` and ``rejected/`` receive the file and its receipt once judged.
    transport : str
        ``ftp`` or ``vn-folder``.
    received_at : datetime
        When the transfer completed (aware).
    peer : str, optional
        Client address.
    account : str, optional
        The authenticated FTP account (a station key); ``None`` when the transport has none (folder).
    """
    return Envelope(transport=transport, received_at=received_at, raw=data, status="accepted", peer=peer,
                    mn=account, cn=CN_VN_TXT, kind=KIND,
                    meta={"file": name, "dest": str(dest), "account": account})


def spool_station_file(appender: SpoolAppender, path: Path, *, dest: Path, transport: str,
                       received_at: datetime, peer: str | None = None, account: str | None = None) -> Received:
    """Append the file at ``path`` to the spool (durable on return), then remove it from where it arrived.

    Raises
    ------
    Exception
        When the file cannot be read or the spool append fails (disk full …): nothing is durable, the file is
        left where it is, and the caller must not acknowledge it.
    """
    data = path.read_bytes()
    env = station_file_envelope(path.name, data, dest=dest, transport=transport, received_at=received_at,
                                peer=peer, account=account)
    seq = appender.append([env.encode()])
    path.unlink(missing_ok=True)  # the bytes are in the spool now; the sink files them with the receipt
    return Received(path.name, dest, len(data), received_at, transport, appender.spool_id, seq)
