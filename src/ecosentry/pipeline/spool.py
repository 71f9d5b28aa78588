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
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<QII")


@dataclass
class _Segment:
    first_seq: int
    path: Path
    last_seq: int = 0  # 0 = empty


@dataclass
class SpoolRecord:
    seq: int
    payload: bytes


@dataclass
class _Pending:
    payloads: list[bytes]
    future: asyncio.Future = field(repr=False)


class Spool:
    """Append-only log with group commit.

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
        id_file = self.dir / "spool.id"
        if not id_file.exists():
            _write_atomic(id_file, secrets.token_hex(8).encode())
        self.id = id_file.read_text().strip()
        self._lock = threading.Lock()
        self._segments: list[_Segment] = []
        self.cursor = self._read_cursor()
        self._recover()
        self.durable_seq = max([self.cursor, *(s.last_seq for s in self._segments)])
        self._open_active()
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task | None = None
        self._new_data = asyncio.Event()
        self._read_pos: tuple[int, int] | None = None  # (segment index, byte offset) of the next unread record
        self._read_seq = self.cursor

    # ------------------------------------------------------------------ recovery

    def _read_cursor(self) -> int:
        p = self.dir / "cursor"
        return int(p.read_text().strip() or 0) if p.exists() else 0

    def _recover(self) -> None:
        seg_paths = sorted(self.dir.glob("*.seg"))
        for i, path in enumerate(seg_paths):
            seg = _Segment(first_seq=int(path.stem), path=path)
            valid_end, last_seq = _scan(path)
            if valid_end < path.stat().st_size:
                if i != len(seg_paths) - 1:
                    log.error("spool segment %s is damaged after byte %d; later records are kept", path, valid_end)
                else:
                    log.warning("spool: cutting a torn record off %s at byte %d", path, valid_end)
                with open(path, "r+b") as f:
                    f.truncate(valid_end)
                    os.fsync(f.fileno())
            seg.last_seq = last_seq
            self._segments.append(seg)

    def _open_active(self) -> None:
        if not self._segments or (self._segments[-1].path.stat().st_size >= self.segment_bytes):
            first = self.durable_seq + 1
            path = self.dir / f"{first:020d}.seg"
            path.touch()
            _fsync_dir(self.dir)
            self._segments.append(_Segment(first_seq=first, path=path))
        self._active = open(self._segments[-1].path, "ab")

    # ------------------------------------------------------------------ writing

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
            self._segments[-1].last_seq = seq
            self.durable_seq = seq
            if self._active.tell() >= self.segment_bytes:
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
                last = await asyncio.to_thread(self.append_sync, flat)
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
            self._new_data.set()

    # ------------------------------------------------------------------ reading

    def read_batch(self, max_records: int) -> list[SpoolRecord]:
        """Return up to ``max_records`` durable records after those already read (in order)."""
        out: list[SpoolRecord] = []
        with self._lock:
            durable = self.durable_seq
            segments = list(self._segments)
        if self._read_seq >= durable:
            return out
        if self._read_pos is None:
            self._read_pos = self._locate(segments, self._read_seq + 1)
        si, offset = self._read_pos
        while len(out) < max_records and self._read_seq < durable and si < len(segments):
            seg = segments[si]
            with open(seg.path, "rb") as f:
                f.seek(offset)
                while len(out) < max_records and self._read_seq < durable:
                    head = f.read(_HEADER.size)
                    if len(head) < _HEADER.size:
                        break
                    seq, length, crc = _HEADER.unpack(head)
                    payload = f.read(length)
                    if len(payload) < length or zlib.crc32(payload) != crc:
                        raise IOError(f"spool record {seq} in {seg.path} is damaged")
                    offset = f.tell()
                    self._read_seq = seq
                    out.append(SpoolRecord(seq, payload))
            if self._read_seq < durable and (seg.last_seq and self._read_seq >= seg.last_seq):
                si, offset = si + 1, 0
        self._read_pos = (si, offset)
        return out

    def _locate(self, segments: list[_Segment], seq: int) -> tuple[int, int]:
        for si, seg in enumerate(segments):
            if seg.last_seq and seg.last_seq < seq:
                continue
            offset = 0
            with open(seg.path, "rb") as f:
                while True:
                    head = f.read(_HEADER.size)
                    if len(head) < _HEADER.size:
                        return si, offset
                    s, length, _crc = _HEADER.unpack(head)
                    if s >= seq:
                        return si, offset
                    f.seek(length, os.SEEK_CUR)
                    offset = f.tell()
        return max(len(segments) - 1, 0), (segments[-1].path.stat().st_size if segments else 0)

    def rewind(self) -> None:
        """Read again from the cursor (after a failed database write)."""
        self._read_seq = self.cursor
        self._read_pos = None

    async def wait_for_data(self, timeout: float | None = None) -> None:
        if self._read_seq < self.durable_seq:
            return
        self._new_data.clear()
        try:
            await asyncio.wait_for(self._new_data.wait(), timeout)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ committing

    def commit(self, seq: int) -> None:
        """Record that the database holds everything up to ``seq``; drop segments no longer needed."""
        if seq <= self.cursor:
            return
        _write_atomic(self.dir / "cursor", str(seq).encode())
        self.cursor = seq
        with self._lock:
            keep: list[_Segment] = []
            for i, seg in enumerate(self._segments):
                is_active = i == len(self._segments) - 1
                if not is_active and seg.last_seq and seg.last_seq <= seq:
                    seg.path.unlink(missing_ok=True)
                    self._read_pos = None  # indices moved: locate again from the read sequence
                else:
                    keep.append(seg)
            self._segments = keep

    @property
    def backlog(self) -> int:
        """Records on disk not yet in the database."""
        return self.durable_seq - self.cursor

    def close(self) -> None:
        self._active.close()


def _scan(path: Path) -> tuple[int, int]:
    """Return (end of the last whole record, its sequence number) of a segment file."""
    end = 0
    last = 0
    with open(path, "rb") as f:
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
