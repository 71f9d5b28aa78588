"""A durable, append-only spool on disk between the gateways and the database.

What a gateway acknowledges to a data logger must survive a crash of the process and an outage of the
database. The gateway appends each received frame here and replies only once the append is on disk
(``fsync``); the ingest worker reads the spool, writes the database, and then moves the spool's cursor.
After a crash everything after the cursor is replayed; the database writes are idempotent, so a replay
that repeats part of a batch changes nothing.

Layout of the spool folder::

    spool.id             random id of this spool (raw frames keep it with their sequence number)
    cursor               last sequence number the database holds (written atomically)
    00000000000000000001.seg   segment files named by their first sequence number

A record is ``<seq:u64><length:u32><crc32:u32><payload>`` (little-endian). A torn record at the end of
the last segment (a crash during a write) is cut off on open: it was never acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<QII")


@dataclass
class SpoolRecord:
    seq: int
    payload: bytes


@dataclass
class _Pending:
    payloads: list[bytes]
    future: asyncio.Future = field(repr=False)


class Spool:
    """Writer side: append-only log with group commit.

    Parameters
    ----------
    directory : path
        Folder of the spool; created if missing.
    segment_bytes : int
        Size after which a new segment file is started. [bytes]
    """

    def __init__(self, directory: Path | str, segment_bytes: int = 64 * 1024 * 1024) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.id = _spool_id(self.dir)
        self._lock = threading.Lock()
        self.durable_seq = max(read_cursor(self.dir), self._recover())
        self._open_active()
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task | None = None
        self.new_data = asyncio.Event()
        # the appends' own thread: the loop's default executor is shared with the database work of the jobs, and a
        # database that hangs would hold all its threads, and with them every reply (``bench outage --mode hang``)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-append")

    def _recover(self) -> int:
        """Cut a torn record off the last segment; return the last whole record's sequence number."""
        last = 0
        seg_paths = sorted(self.dir.glob("*.seg"))
        for i, path in enumerate(seg_paths):
            valid_end, last_seq = _scan(path)
            if valid_end < path.stat().st_size:
                if i != len(seg_paths) - 1:
                    log.error("spool segment %s is damaged after byte %d", path, valid_end)
                else:
                    log.warning("spool: cutting a torn record off %s at byte %d", path, valid_end)
                    with open(path, "r+b") as f:
                        f.truncate(valid_end)
                        os.fsync(f.fileno())
            last = max(last, last_seq)
        return last

    def _open_active(self) -> None:
        segs = sorted(self.dir.glob("*.seg"))
        if not segs or segs[-1].stat().st_size >= self.segment_bytes:
            path = self.dir / f"{self.durable_seq + 1:020d}.seg"
            path.touch()
            _fsync_dir(self.dir)
        else:
            path = segs[-1]
        self._active = open(path, "ab")

    def append_sync(self, payloads: list[bytes]) -> int:
        """Append records and fsync; returns the sequence number of the last one."""
        with self._lock:
            buf = bytearray()
            seq = self.durable_seq
            for p in payloads:
                seq += 1
                buf += _HEADER.pack(seq, len(p), zlib.crc32(p))
                buf += p
            self._active.write(buf)
            self._active.flush()
            os.fsync(self._active.fileno())
            self.durable_seq = seq
            if self._active.tell() >= self.segment_bytes:
                # the old segment is complete and on disk before the new one exists (readers rely on it)
                self._active.close()
                self._open_active()
        return seq

    async def append(self, payloads: list[bytes]) -> int:
        """Append records durably, batching concurrent callers into one ``fsync`` (group commit).

        Returns the sequence number of the caller's last record once it is on disk.
        """
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._pending.append(_Pending(list(payloads), fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        return await fut

    async def _flush_loop(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            flat = [p for item in batch for p in item.payloads]
            try:
                last = await asyncio.get_running_loop().run_in_executor(self._writer, self.append_sync, flat)
            except Exception as exc:  # disk full, I/O error: the callers must not acknowledge
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            end = last - len(flat)
            for item in batch:
                end += len(item.payloads)
                if not item.future.done():
                    item.future.set_result(end)
            self.new_data.set()

    @property
    def backlog(self) -> int:
        """Records on disk that the database does not hold yet (per the reader's cursor)."""
        return max(0, self.durable_seq - read_cursor(self.dir))

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._active.close()


class SpoolReader:
    """Reader side: reads records in order from the cursor, commits, deletes finished segments.

    It may run in the writer's process or in another one (``ecosentry serve`` with a separate ingest
    process). It reads only whole records (length and CRC check), so a record being written is simply
    not there yet; a segment followed by a newer one is complete (the writer fsyncs before rolling over).
    """

    def __init__(self, directory: Path | str) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.id = _spool_id(self.dir)
        self.cursor = read_cursor(self.dir)
        self.rewind()

    def rewind(self) -> None:
        """Read again from the cursor (after a failed database write)."""
        self._read_seq = self.cursor
        self._pos: tuple[Path, int] | None = None

    def _segments(self) -> list[Path]:
        return sorted(self.dir.glob("*.seg"))

    def _locate(self, seq: int) -> tuple[Path, int] | None:
        """Segment and offset of the first record with sequence ≥ ``seq``."""
        segs = self._segments()
        for i, path in enumerate(segs):
            if i + 1 < len(segs) and int(segs[i + 1].stem) <= seq:
                continue
            offset = 0
            with open(path, "rb") as f:
                while True:
                    head = f.read(_HEADER.size)
                    if len(head) < _HEADER.size:
                        break
                    s_, length, _crc = _HEADER.unpack(head)
                    if s_ >= seq:
                        break
                    f.seek(length, os.SEEK_CUR)
                    offset = f.tell()
            return path, offset
        return None

    def read_batch(self, max_records: int) -> list[SpoolRecord]:
        """Up to ``max_records`` whole records after those already read, in order."""
        out: list[SpoolRecord] = []
        if self._pos is None or not self._pos[0].exists():
            self._pos = self._locate(self._read_seq + 1)
            if self._pos is None:
                return out
        path, offset = self._pos
        while len(out) < max_records:
            with open(path, "rb") as f:
                f.seek(offset)
                while len(out) < max_records:
                    head = f.read(_HEADER.size)
                    if len(head) < _HEADER.size:
                        break
                    seq, length, crc = _HEADER.unpack(head)
                    payload = f.read(length)
                    if len(payload) < length or zlib.crc32(payload) != crc:
                        break  # not completely written yet
                    offset = f.tell()
                    if seq > self._read_seq:
                        self._read_seq = seq
                        out.append(SpoolRecord(seq, payload))
            if len(out) >= max_records:
                break
            newer = [p for p in self._segments() if p.name > path.name]
            if not newer:
                break
            path, offset = newer[0], 0  # a segment with a newer one after it is complete
        self._pos = (path, offset)
        return out

    def commit(self, seq: int) -> None:
        """Record that the database holds everything up to ``seq``; drop segments no longer needed."""
        if seq <= self.cursor:
            return
        _write_atomic(self.dir / "cursor", str(seq).encode())
        self.cursor = seq
        segs = self._segments()
        for path, nxt in zip(segs, segs[1:]):
            if int(nxt.stem) - 1 <= seq:  # every record of this segment is below the next one's first
                path.unlink(missing_ok=True)

    @property
    def read_seq(self) -> int:
        return self._read_seq


def read_cursor(directory: Path) -> int:
    p = Path(directory) / "cursor"
    try:
        return int(p.read_text().strip() or 0)
    except FileNotFoundError:
        return 0


def last_seq(directory: Path | str) -> int:
    """The sequence number of the last whole record in a spool folder, read without opening it for writing
    (records are numbered from 1: how many the spool has taken)."""
    return max((_scan(path)[1] for path in Path(directory).glob("*.seg")), default=0)


def _spool_id(directory: Path) -> str:
    id_file = directory / "spool.id"
    if not id_file.exists():
        _write_atomic(id_file, secrets.token_hex(8).encode())
    return id_file.read_text().strip()


def _scan(path: Path, start: int = 0) -> tuple[int, int]:
    """Return (end of the last whole record, its sequence number) of a segment file from ``start``."""
    end = start
    last = 0
    with open(path, "rb") as f:
        f.seek(start)
        while True:
            head = f.read(_HEADER.size)
            if len(head) < _HEADER.size:
                break
            seq, length, crc = _HEADER.unpack(head)
            payload = f.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                break
            end = f.tell()
            last = seq
    return end, last


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
