"""HJ 212-2017 TCP gateway: data loggers connect, send frames, and get a 9014 reply once data is durable.

One coroutine per connection (asyncio scales to thousands of idle loggers). Each read is framed by
:class:`FrameReader` (split and concatenated frames, garbage, oversize frames), each frame parsed and
checked against the registry (MN + PW), turned into an :class:`Envelope` and appended to the spool.
Only after the spool's ``fsync`` does the logger get its data reply (HJ 212-2017 §6.6.3, CN 9014, when the
frame's Flag has the A bit). Frames from an unknown MN or with a wrong password are kept in quarantine,
never turned into data, and get no reply. Bad input is counted and logged; the connection stays up
unless the stream cannot be resynchronised.

Defences (issue 11): an error in one frame affects that frame only (every frame of a read is archived,
each good one answered); garbage between frames is one rejected chunk, and rejections are logged at most
once per connection and ``log_every`` seconds; a frame begun must be complete within ``frame_deadline``
and the idle timer is reset by progress (a frame or an error), not by any byte, so a sender dripping bytes
is closed; connections per peer address are bounded; MN lookups never wait on the database
(:meth:`PointDirectory.peek`). A rejected frame whose header can still be read (MN and PW of a registered
point) is linked to its point: a logger fault shown on the point's page and alarmed (ALM-LOGGER-FRAMES).
A point may accept a wrong declared length when the CRC is right (``points.lenient_length``).

Codes outside the standard's tables (issue 13): a well-formed frame of a registered point whose command code
is not in HJ 212-2017 Table 9 (provincial extensions) is archived raw and quarantined as ``unknown_cn`` (kept
for review, never turned into data: its CP has no meaning the platform knows), counted once, and answered
with 9014 when it is an upload (2xxx, the data commands' range) that asks for a reply. A system code outside
Table 5 is kept as sent and counted (``hj212.unknown_st``).

Instrument information (issue 18): an accepted frame of a registered point whose command code is one of
``routes`` (CN → record kind, built by the service from ``hj212_instrument_cns`` when an installed subsystem
stores :data:`~ecosentry.contracts.envelope.INSTRUMENT_KIND`) goes to that kind's sink with its CP verbatim in
``meta["cp"]`` and the point's time zone in ``meta["tz"]`` (HJ 212-2017 Table 9, CN 3020: on-site machine log,
state and parameters), answered like an upload. The gateway decodes no meaning from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.pipeline.spool import Spool
from ecosentry.protocols.hj212 import (
    BadField,
    FrameReader,
    FrameTimeout,
    HJ212Error,
    LengthMismatch,
    data_records,
    data_reply,
    parse_frame,
    peek_header,
)
from ecosentry.protocols.hj212.records import KIND_BY_CN

log = logging.getLogger(__name__)

TRANSPORT = "hj212-tcp"
#: Uploads a logger may ask us to acknowledge with 9014 (HJ 212-2017 Table 9 and §6.6.3).
UPLOAD_CNS = frozenset({*KIND_BY_CN, "2081"})


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


class _LogThrottle:
    """At most one log line per ``every`` seconds for one connection; the lines skipped are counted."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.last = -float("inf")
        self.skipped = 0

    def warning(self, msg: str, *args) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.skipped += 1
            return
        if self.skipped:
            msg += " (%d similar messages not logged)"
            args = (*args, self.skipped)
        log.warning(msg, *args)
        self.last, self.skipped = now, 0


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
        A connection without a frame (or an error) for this long is closed. [s]
    frame_deadline : float
        A frame or garbage run begun must be complete within this long, or the connection is closed. [s]
    max_per_peer : int
        Most connections at once from one peer address.
    max_connections : int
        Most connections at once in all (a flood from many addresses stops there, below the process's file
        limit, and the loggers already connected go on being served).
    max_garbage : int
        Largest garbage chunk archived as one rejected record. [bytes]
    log_every : float
        Rejected input is logged at most once per connection per this long. [s]
    routes : dict of str to str, optional
        Command code → record kind of the frames another subsystem stores (instrument information).
    """

    def __init__(self, directory: PointDirectory, spool: Spool, *, max_frame: int = 10_240,
                 idle_timeout: float = 600.0, frame_deadline: float = 60.0, max_per_peer: int = 64,
                 max_garbage: int = 65_536, log_every: float = 60.0, max_connections: int = 30_000,
                 routes: dict[str, str] | None = None) -> None:
        self.routes = dict(routes or {})
        self.directory = directory
        self.spool = spool
        self.max_frame = max_frame
        self.idle_timeout = idle_timeout
        self.frame_deadline = frame_deadline
        self.max_per_peer = max_per_peer
        self.max_connections = max_connections
        self.max_garbage = max_garbage
        self.log_every = log_every
        self.server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._per_peer: Counter[str] = Counter()
        self._refused_log = _LogThrottle(log_every)

    async def start(self, host: str = "0.0.0.0", port: int = 9212, *, reuse_port: bool = False) -> asyncio.Server:
        """Listen; ``reuse_port``: share the port with other gateway processes (``SO_REUSEPORT``)."""
        self.server = await asyncio.start_server(self._handle, host, port, backlog=4096, limit=self.max_frame * 4,
                                                 reuse_port=reuse_port or None)
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
        host = addr[0] if isinstance(addr, tuple) else str(addr)
        if len(self._writers) >= self.max_connections:
            counters.inc("hj212.refused_total")
            self._refused_log.warning("refused connection from %s: %d connections open, the most allowed",
                                      peer, len(self._writers))
            writer.close()
            return
        if self._per_peer[host] >= self.max_per_peer:
            counters.inc("hj212.refused_per_peer")
            self._refused_log.warning("refused connection from %s: %d connections from that address already",
                                      peer, self._per_peer[host])
            writer.close()
            return
        self._per_peer[host] += 1
        framer = FrameReader(max_frame=self.max_frame, max_garbage=self.max_garbage)
        throttle = _LogThrottle(self.log_every)
        self._writers.add(writer)
        counters.inc("hj212.connections")
        progress = time.monotonic()  # last frame or error: the idle timer
        begun: float | None = None  # when the input not yet framed began: the frame deadline
        try:
            while True:
                now = time.monotonic()
                wait = progress + self.idle_timeout - now
                if begun is not None:
                    wait = min(wait, begun + self.frame_deadline - now)
                try:
                    data = await asyncio.wait_for(reader.read(65536), max(wait, 0.0))
                except TimeoutError:
                    if begun is not None and framer.pending:
                        counters.inc("hj212.frame_timeouts")
                        held = b"".join(e.offending for e in framer.flush())
                        log.info("closing logger connection %s: frame not complete within %.0f s", peer,
                                 self.frame_deadline)
                        if held:
                            exc = FrameTimeout(f"frame not complete within {self.frame_deadline:g} s", held)
                            await self._archive([exc], peer, writer, throttle)
                    else:
                        counters.inc("hj212.idle_timeouts")
                        log.info("closing idle logger connection %s", peer)
                    break
                if not data:
                    await self._archive(framer.flush(), peer, writer, throttle, reply=False)
                    break
                items = framer.feed(data)
                now = time.monotonic()
                if items:
                    progress = now
                begun = (now if items or begun is None else begun) if framer.pending else None
                await self._archive(items, peer, writer, throttle)
        except (ConnectionError, OSError) as exc:
            counters.inc("hj212.connection_errors")
            log.info("logger connection %s ended: %s", peer, exc)
            try:  # what was received of an unfinished frame is still archived
                await self._archive(framer.flush(), peer, writer, throttle, reply=False)
            except Exception:
                log.exception("could not archive the rest of logger connection %s", peer)
        except Exception:
            counters.inc("hj212.internal_errors")
            log.exception("error serving logger %s; connection closed, service continues", peer)
        finally:
            self._writers.discard(writer)
            self._per_peer[host] -= 1
            if self._per_peer[host] <= 0:
                del self._per_peer[host]
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _archive(self, items, peer: str, writer: asyncio.StreamWriter, throttle: _LogThrottle, *,
                       reply: bool = True) -> None:
        """Decode each item on its own (an error in one never costs another its archive or its reply),
        make them durable, then send the replies owed."""
        if not items:
            return
        received_at = datetime.now(timezone.utc)
        envelopes: list[Envelope] = []
        replies: list[bytes] = []
        for item in items:
            try:
                env, answer = self.decode(item, peer, received_at, throttle)
            except Exception as exc:  # a defect of ours: this frame only
                counters.inc("hj212.internal_errors")
                log.exception("error decoding a frame from %s; frame archived as rejected", peer)
                raw = item if isinstance(item, bytes) else item.offending
                env, answer = Envelope(transport=TRANSPORT, received_at=received_at, raw=raw, status="rejected",
                                       peer=peer, error="InternalError", detail=repr(exc)[:500]), None
            envelopes.append(env)
            if answer:
                replies.append(answer)
        # durable first, then acknowledge (nothing acknowledged may be lost)
        await self.spool.append([e.encode() for e in envelopes])
        if replies and reply:
            writer.write(b"".join(replies))
            await writer.drain()

    # ------------------------------------------------------------------------------ one frame

    def decode(self, item: bytes | HJ212Error, peer: str, received_at: datetime,
               throttle: _LogThrottle | None = None) -> tuple[Envelope, bytes | None]:
        """Turn one framed item into an Envelope, and the reply owed once it is durable (or None)."""
        throttle = throttle or _LogThrottle(0.0)
        if isinstance(item, HJ212Error):
            raw = item.offending[: max(self.max_frame, self.max_garbage)]
            if isinstance(item, LengthMismatch):
                lenient = self._lenient(raw, peer, received_at)
                if lenient is not None:
                    return lenient
            return self._rejected(item, raw, peer, received_at, throttle), None
        try:
            frame = parse_frame(item)
        except HJ212Error as exc:
            return self._rejected(exc, item, peer, received_at, throttle), None
        return self._accept(frame, item, peer, received_at, throttle)

    def _accept(self, frame, item: bytes, peer: str, received_at: datetime, throttle: _LogThrottle,
                detail: str | None = None) -> tuple[Envelope, bytes | None]:
        env = Envelope(transport=TRANSPORT, received_at=received_at, raw=item, status="accepted", peer=peer,
                       mn=frame.mn, cn=frame.cn, qn=frame.qn, detail=detail)
        if not frame.st_known:  # Table 5 is extensible: kept as sent, counted
            counters.inc("hj212.unknown_st")
        info = self.directory.peek(frame.mn)
        if info is None or not info.active or info.password != frame.pw:
            env.status = "quarantined"
            env.error = "unknown_mn" if info is None else ("inactive_point" if not info.active else "bad_password")
            counters.inc(f"hj212.quarantined.{env.error}")
            throttle.warning("quarantined frame from %s: %s (MN=%s CN=%s)", peer, env.error, frame.mn, frame.cn)
            return env, None
        env.point_id = info.point_id
        kind = self.routes.get(frame.cn)
        if kind is not None:
            env.kind = kind
            env.meta = {"tz": info.tz, "cp": [[list(f) for f in group] for group in frame.cp]}
            counters.inc("hj212.frames_accepted")
            return env, data_reply(frame) if frame.reply_wanted else None
        if not frame.cn_known:
            return self._unknown_cn(frame, env, peer, throttle)
        try:
            zone, utc_of = _zone(info.tz), {}  # a frame's records share one or a few DataTimes
            env.readings = [_reading(r, zone, utc_of) for r in data_records(frame)]
        except HJ212Error as exc:
            return self._rejected(exc, item, peer, received_at, throttle, env), None
        counters.inc("hj212.frames_accepted")
        reply = data_reply(frame) if frame.reply_wanted and frame.cn in UPLOAD_CNS else None
        return env, reply

    def _unknown_cn(self, frame, env: Envelope, peer: str, throttle: _LogThrottle) -> tuple[Envelope, bytes | None]:
        """A well-formed frame of a registered point whose CN is outside Table 9: archived and quarantined with
        the reason (its content has no meaning the platform knows, a person reviews it), never rejected. An
        upload (2xxx) that asks for a reply gets its 9014 once durable, or the logger would re-send it forever."""
        env.status, env.error = "quarantined", "unknown_cn"
        note = f"command code CN={frame.cn} is not in HJ 212-2017 Table 9 (a provincial extension?): kept, not decoded"
        env.detail = note if env.detail is None else f"{env.detail}; {note}"
        counters.inc("hj212.quarantined.unknown_cn")
        throttle.warning("quarantined frame from %s: unknown_cn (MN=%s CN=%s)", peer, frame.mn, frame.cn)
        upload = frame.cn.startswith("2")  # Table 9: 2xxx are the data commands, uploaded by the logger
        return env, data_reply(frame) if frame.reply_wanted and upload else None

    def _lenient(self, raw: bytes, peer: str, received_at: datetime) -> tuple[Envelope, bytes | None] | None:
        """A wrong declared length is accepted from a point whose leniency is on, when the CRC over the
        bytes received is right (field practice: some loggers count the length wrongly); else None."""
        head = peek_header(raw)
        info = self.directory.peek(head.get("MN"))
        if info is None or not getattr(info, "lenient_length", False) or info.password != head.get("PW"):
            return None
        try:
            frame = parse_frame(raw, lenient_length=True)
        except HJ212Error:
            return None
        counters.inc("hj212.lenient_length")
        received = len(raw) - 12 if raw.endswith(b"\r\n") else len(raw) - 10
        detail = f"declared data-segment length {int(raw[2:6])}, {received} bytes received: accepted " \
                 "(the point's length leniency)"
        return self._accept(frame, raw, peer, received_at, _LogThrottle(0.0), detail=detail)

    def _rejected(self, exc: HJ212Error, raw: bytes, peer: str, received_at: datetime, throttle: _LogThrottle,
                  env: Envelope | None = None) -> Envelope:
        counters.inc(f"hj212.rejected.{exc.code}")
        throttle.warning("rejected input from %s: %s: %s", peer, exc.code, exc.detail[:200])
        if env is None:
            env = Envelope(transport=TRANSPORT, received_at=received_at, raw=raw, status="rejected", peer=peer)
            head = peek_header(raw)
            env.mn, env.cn, env.qn = head.get("MN"), head.get("CN"), head.get("QN")
            info = self.directory.peek(env.mn)
            # linked to its point only when the password matches too: a stranger cannot raise logger
            # faults on someone else's point by sending garbage with its MN
            if info is not None and env.mn is not None and info.password == head.get("PW"):
                env.point_id = info.point_id
                counters.inc("hj212.rejected_linked")
        env.status, env.error, env.detail, env.readings = "rejected", exc.code, exc.detail, []
        return env


def _reading(r, zone: ZoneInfo, utc_of: dict | None = None) -> Reading:
    """Codec record (naive local DataTime) → Reading (UTC). HJ 212 DataTime is the logger's local time.
    ``utc_of`` caches the conversion of each DataTime across the records of one frame."""
    try:
        start = utc_of.get(r.data_time) if utc_of is not None else None
        if start is None:
            start = r.data_time.replace(tzinfo=zone).astimezone(timezone.utc)
            if utc_of is not None:
                utc_of[r.data_time] = start
        sample = r.sample_time.replace(tzinfo=zone).astimezone(timezone.utc) if r.sample_time else None
    except (OverflowError, ValueError):  # DataTime=00010101000000 in UTC+8 is before year 1
        raise BadField(f"{r.factor}: DataTime {r.data_time:%Y%m%d%H%M%S} is out of range", b"", "DataTime") \
            from None
    return Reading(r.factor, r.kind, start, r.value, r.min, r.max, r.cou, r.flag, r.eflag, r.zs_value, r.zs_min,
                   r.zs_max, sample)
