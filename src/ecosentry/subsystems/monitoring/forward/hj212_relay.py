"""HJ 212-2017 relay: pass accepted uploads on to an upper platform under the platform's own MN/PW.

The relay is a data logger towards the upper platform (HJ 212-2017 §6.1: the logger opens the TCP
connection). For each queued frame it

* re-encodes the frame (:func:`reencode`): same QN, ST, CN, Flag, PNUM/PNO and CP, the upper platform's MN
  and PW, a fresh length and CRC (§6.3.1 Table 3, Appendix A); or sends it byte for byte when the target is
  ``pass_through``;
* waits for the 9014 data reply (数据应答, §6.6.3; Appendix C) when the frame's Flag has the A bit
  (``ack_mode`` ``as_sent``), always (``always``: the relay sets the A bit) or never (``never``);
* keeps the queue's order on one connection; up to ``window`` frames are in flight before it waits for
  their replies; a reply is matched by QN (the reply echoes it, Appendix C), else to the oldest frame;
* on timeout or disconnect fails every unanswered frame (they are retried with back-off, in order) and
  reconnects on the next batch.

Delivery is at least once: a frame whose 9014 was lost is sent again; the upper platform keeps one value
per (point, factor, kind, period) (ecosentry does: ``store/ingest.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime, timezone

from ecosentry.subsystems.monitoring.forward.queue import Attempt, QueueItem, Target
from ecosentry.subsystems.monitoring.forward.settings import ForwardSettings
from ecosentry.protocols.hj212 import FrameReader, HJ212Error, build_frame, parse_frame

log = logging.getLogger(__name__)

FLAG_A = 0x01  # HJ 212-2017 Table 4, Flag bit A: reply wanted
FLAG_VERSION_2017 = 1 << 2


class RelayEncodeError(ValueError):
    """A queued frame that cannot be relayed (it is marked failed, never retried)."""


def reencode(raw: bytes, target: Target, *, now: datetime | None = None) -> tuple[bytes, bool, str | None]:
    """The frame to send for ``raw``, whether a 9014 is awaited, and its QN.

    Parameters
    ----------
    raw : bytes
        The frame as received from the local logger.
    target : Target
        ``mn_map`` (local MN → upper MN / PW), ``password`` (default upper PW; None keeps the logger's),
        ``pass_through`` and ``ack_mode``.

    Returns
    -------
    tuple of (bytes, bool, str or None)

    Raises
    ------
    RelayEncodeError
        The frame does not parse, or the new data segment exceeds the 9999 bytes of the length field.

    Notes
    -----
    Header items outside HJ 212-2017 Table 4 (kept by the parser as ``header_extra``) are dropped: the upper
    platform's parser knows only the Table 4 fields. A frame without QN that must be acknowledged gets one
    (``YYYYMMDDhhmmsszzz`` of the relay's clock, §6.3.2) so that the reply can be matched.
    """
    try:
        frame = parse_frame(raw, strict_cn=False)
    except HJ212Error as exc:
        raise RelayEncodeError(f"queued frame does not parse: {exc.code}: {exc.detail}") from exc
    if target.pass_through:
        wants = frame.reply_wanted and target.ack_mode != "never"
        data = bytes(raw) if bytes(raw).endswith(b"\r\n") else bytes(raw) + b"\r\n"
        return data, wants, frame.qn
    mapping = target.mn_map.get(frame.mn or "", {})
    mn = mapping.get("mn") or frame.mn
    pw = mapping.get("pw") or target.password or frame.pw
    flag = frame.flag
    if target.ack_mode == "always":
        flag = (flag if flag is not None else FLAG_VERSION_2017) | FLAG_A
    elif target.ack_mode == "never" and flag is not None:
        flag &= ~FLAG_A
    wants = flag is not None and bool(flag & FLAG_A)
    qn = frame.qn
    if qn is None and wants:
        qn = (now or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S%f")[:17]
    try:
        data = build_frame(cn=frame.cn, cp=frame.cp, qn=qn, st=frame.st, pw=pw, mn=mn, flag=flag,
                           pnum=frame.pnum, pno=frame.pno)
    except HJ212Error as exc:
        raise RelayEncodeError(f"frame cannot be re-encoded for the upper platform: {exc.code}: {exc.detail}") \
            from exc
    return data, wants, qn


class HJ212Relay:
    """One TCP connection to an upper HJ 212 platform, kept open between batches.

    Parameters
    ----------
    target : Target
        ``host``/``port`` of the upper platform and the re-encoding options.
    settings : ForwardSettings
        ``connect_timeout``, ``ack_timeout`` [s] and ``window`` [frames].
    """

    def __init__(self, target: Target, settings: ForwardSettings) -> None:
        self.target = target
        self.settings = settings
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._framer = FrameReader()

    async def close(self) -> None:
        w, self._reader, self._writer = self._writer, None, None
        if w is not None:
            w.close()
            try:
                await w.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _ensure_connected(self) -> None:
        if self._writer is not None and not self._writer.is_closing() and not self._reader.at_eof():
            return
        await self.close()
        self._framer = FrameReader()
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.target.host, self.target.port), self.settings.connect_timeout)

    async def deliver(self, items: list[QueueItem]) -> list[Attempt]:
        """Send ``items`` in order; return one Attempt per item tried (the rest keep their place)."""
        out: list[Attempt] = []
        encoded: list[tuple[QueueItem, bytes, bool, str | None]] = []
        for item in items:
            try:
                encoded.append((item, *reencode(item.payload, self.target)))
            except RelayEncodeError as exc:
                out.append(Attempt(item, False, str(exc), permanent=True))
        if not encoded:
            return out
        try:
            await self._ensure_connected()
        except (OSError, TimeoutError) as exc:
            await self.close()
            out.append(Attempt(encoded[0][0], False,
                               f"connect {self.target.host}:{self.target.port}: {_why(exc)}"))
            return out
        inflight: deque[tuple[QueueItem, str | None]] = deque()
        done: list[Attempt] = []
        try:
            for item, data, wants, qn in encoded:
                self._writer.write(data)
                await self._writer.drain()
                if wants:
                    inflight.append((item, qn))
                else:
                    done.append(Attempt(item, True, "sent (no reply requested)"))
                if len(inflight) >= max(self.settings.window, 1):
                    done.extend(await self._await_replies(inflight, keep=len(inflight) - 1))
            done.extend(await self._await_replies(inflight, keep=0))
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            why = "no 9014 reply within %.1f s" % self.settings.ack_timeout if isinstance(exc, TimeoutError) \
                else f"connection lost: {_why(exc)}"
            done.extend(Attempt(item, False, why) for item, _ in inflight)
            await self.close()
        # a frame written after the failing ones is neither delivered nor attempted: it keeps its place
        return out + done

    async def _await_replies(self, inflight: deque[tuple[QueueItem, str | None]], keep: int) -> list[Attempt]:
        """Read replies until at most ``keep`` frames are unanswered."""
        acked: list[Attempt] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.ack_timeout
        while len(inflight) > keep:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            chunk = await asyncio.wait_for(self._reader.read(65536), left)
            if not chunk:
                raise ConnectionResetError("upper platform closed the connection")
            for got in self._framer.feed(chunk):
                if isinstance(got, HJ212Error):
                    log.warning("relay %s: unreadable bytes from the upper platform: %s", self.target.name,
                                got.detail)
                    continue
                try:
                    reply = parse_frame(got, strict_cn=False)
                except HJ212Error as exc:
                    log.warning("relay %s: bad frame from the upper platform: %s", self.target.name, exc.detail)
                    continue
                if reply.cn != "9014":
                    # requests of the upper platform (e.g. 1011 get time) are not ours to answer: the
                    # relay is not the data logger; log them so an operator sees what the platform asked
                    log.info("relay %s: upper platform sent CN=%s; ignored", self.target.name, reply.cn)
                    continue
                match = next((i for i, (_, qn) in enumerate(inflight) if qn is not None and qn == reply.qn), None)
                if match is None and inflight:
                    match = 0 if reply.qn is None else None
                if match is None:
                    log.warning("relay %s: 9014 for QN=%s matches no frame in flight", self.target.name, reply.qn)
                    continue
                item, _ = inflight[match]
                del inflight[match]
                acked.append(Attempt(item, True, f"9014 received (QN={reply.qn})"))
        return acked


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
