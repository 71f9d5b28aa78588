"""HJ 212-2017 TCP gateway: data loggers connect, send frames, and get a 9014 reply once data is durable.

One coroutine per connection (asyncio scales to thousands of idle loggers). Each read is framed by
:class:`FrameReader` (split and concatenated frames, garbage, oversize frames), each frame parsed and
checked against the registry (MN + PW), turned into an :class:`Envelope` and appended to the spool.
Only after the spool's ``fsync`` does the logger get its data reply (HJ 212-2017 §6.6.3, CN 9014, when the
frame's Flag has the A bit). Frames from an unknown MN or with a wrong password are kept in quarantine,
never turned into data, and get no reply. Bad input is counted and logged; the connection stays up
unless the stream cannot be resynchronised.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.envelope import Envelope, Reading
from ecosentry.pipeline.spool import Spool
from ecosentry.protocols.hj212 import (
    FrameReader,
    HJ212Error,
    data_records,
    data_reply,
    parse_frame,
)
from ecosentry.protocols.hj212.records import KIND_BY_CN

log = logging.getLogger(__name__)

TRANSPORT = "hj212-tcp"
#: Uploads a logger may ask us to acknowledge with 9014 (HJ 212-2017 Table 9 and §6.6.3).
UPLOAD_CNS = frozenset({*KIND_BY_CN, "2081"})


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


class HJ212Gateway:
    """Accepts data-logger connections and hands every frame, good or bad, to the spool.

    Parameters
    ----------
    directory : PointDirectory
        MN → point, password and time zone.
    spool : Spool
        Durable queue to the ingest worker.
    max_frame : int
        Largest frame accepted. [bytes]
    idle_timeout : float
        A connection silent for this long is closed. [s]
    """

    def __init__(self, directory: PointDirectory, spool: Spool, *, max_frame: int = 10_240,
                 idle_timeout: float = 600.0) -> None:
        self.directory = directory
        self.spool = spool
        self.max_frame = max_frame
        self.idle_timeout = idle_timeout
        self.server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "0.0.0.0", port: int = 9212) -> asyncio.Server:
        self.server = await asyncio.start_server(self._handle, host, port, backlog=4096, limit=self.max_frame * 4)
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    @property
    def connections(self) -> int:
        return len(self._writers)

    async def close(self) -> None:
        """Stop accepting, close every logger connection (they reconnect and re-send what was not
        acknowledged) and wait for the server to finish."""
        if self.server is not None:
            self.server.close()
            for w in list(self._writers):
                w.close()
            await self.server.wait_closed()

    # ------------------------------------------------------------------------------ per connection

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        addr = writer.get_extra_info("peername")
        peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
        framer = FrameReader(max_frame=self.max_frame)
        self._writers.add(writer)
        counters.inc("hj212.connections")
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), self.idle_timeout)
                except TimeoutError:
                    counters.inc("hj212.idle_timeouts")
                    log.info("closing idle logger connection %s", peer)
                    break
                if not data:
                    break
                received_at = datetime.now(timezone.utc)
                envelopes: list[Envelope] = []
                replies: list[bytes] = []
                for item in framer.feed(data):
                    env, reply = self.decode(item, peer, received_at)
                    envelopes.append(env)
                    if reply:
                        replies.append(reply)
                if envelopes:
                    # durable first, then acknowledge (nothing acknowledged may be lost)
                    await self.spool.append([e.encode() for e in envelopes])
                if replies:
                    writer.write(b"".join(replies))
                    await writer.drain()
        except (ConnectionError, OSError) as exc:
            counters.inc("hj212.connection_errors")
            log.info("logger connection %s ended: %s", peer, exc)
        except Exception:
            counters.inc("hj212.internal_errors")
            log.exception("error serving logger %s; connection closed, service continues", peer)
        finally:
            self._writers.discard(writer)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    # ------------------------------------------------------------------------------ one frame

    def decode(self, item: bytes | HJ212Error, peer: str, received_at: datetime) -> tuple[Envelope, bytes | None]:
        """Turn one framed item into an Envelope, and the reply owed once it is durable (or None)."""
        if isinstance(item, HJ212Error):
            return self._rejected(item, item.offending[: self.max_frame], peer, received_at), None
        try:
            frame = parse_frame(item)
        except HJ212Error as exc:
            return self._rejected(exc, item, peer, received_at), None
        env = Envelope(transport=TRANSPORT, received_at=received_at, raw=item, status="accepted", peer=peer,
                       mn=frame.mn, cn=frame.cn, qn=frame.qn)
        info = self.directory.by_mn(frame.mn)
        if info is None or not info.active or info.password != frame.pw:
            env.status = "quarantined"
            env.error = "unknown_mn" if info is None else ("inactive_point" if not info.active else "bad_password")
            counters.inc(f"hj212.quarantined.{env.error}")
            log.warning("quarantined frame from %s: %s (MN=%s CN=%s)", peer, env.error, frame.mn, frame.cn)
            return env, None
        env.point_id = info.point_id
        try:
            env.readings = [_reading(r, _zone(info.tz)) for r in data_records(frame)]
        except HJ212Error as exc:
            return self._rejected(exc, item, peer, received_at, env), None
        counters.inc("hj212.frames_accepted")
        reply = data_reply(frame) if frame.reply_wanted and frame.cn in UPLOAD_CNS else None
        return env, reply

    def _rejected(self, exc: HJ212Error, raw: bytes, peer: str, received_at: datetime,
                  env: Envelope | None = None) -> Envelope:
        counters.inc(f"hj212.rejected.{exc.code}")
        log.warning("rejected input from %s: %s: %s", peer, exc.code, exc.detail)
        env = env or Envelope(transport=TRANSPORT, received_at=received_at, raw=raw, status="rejected", peer=peer)
        env.status, env.error, env.detail, env.point_id, env.readings = "rejected", exc.code, exc.detail, None, []
        return env


def _reading(r, zone: ZoneInfo) -> Reading:
    """Codec record (naive local DataTime) → Reading (UTC). HJ 212 DataTime is the logger's local time."""
    start = r.data_time.replace(tzinfo=zone).astimezone(timezone.utc)
    sample = r.sample_time.replace(tzinfo=zone).astimezone(timezone.utc) if r.sample_time else None
    return Reading(factor=r.factor, kind=r.kind, start=start, value=r.value, min=r.min, max=r.max, cou=r.cou,
                   flag=r.flag, eflag=r.eflag, zs_value=r.zs_value, zs_min=r.zs_min, zs_max=r.zs_max,
                   sample_time=sample)
