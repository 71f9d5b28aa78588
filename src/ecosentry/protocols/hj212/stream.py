"""Cut a TCP byte stream into HJ 212 frames.

TCP delivers bytes, not frames: one read may hold part of a frame, several
frames, or bytes that belong to no frame. :class:`FrameReader` finds each
frame by its envelope (HJ 212-2017 §6.3.1, Table 3: ``##``, 4-digit length,
data segment, 4-digit CRC, ``\\r\\n``) and resynchronises on the next ``##``
after anything malformed. It does not check the CRC or the content; that is
:func:`~.frame.parse_frame`'s job.

A frame starts at ``##`` followed by four digits. Everything else between
frames is garbage and is reported as *one* :class:`BadHeader` chunk per run
(at most ``max_garbage`` bytes each), not one error per byte: a run of ``#``
from a misbehaving modem or an attacker must not become thousands of
rejected frames.
"""

from __future__ import annotations

import re

from .errors import BadHeader, FrameTooLarge, HJ212Error, LengthMismatch
from .frame import DEFAULT_MAX_FRAME

__all__ = ["FrameReader"]

_OVERHEAD = 12  # '##' + 4-digit length + 4-digit CRC + CRLF
_WHITESPACE = b" \t\r\n\x00"
_FRAME_START = re.compile(rb"##[0-9]{4}")
#: Default largest garbage chunk reported as one error. [bytes]
DEFAULT_MAX_GARBAGE = 65536


def _start_prefix_len(buf: bytearray) -> int:
    """Length of the longest tail of ``buf`` that may be the beginning of ``##dddd``."""
    for k in range(min(5, len(buf)), 0, -1):
        tail = bytes(buf[len(buf) - k :])
        if tail == b"#"[:k] or (tail[:2] == b"##" and (k == 2 or tail[2:].isdigit())):
            return k
    return 0


class FrameReader:
    """Incremental framer for one TCP connection.

    Parameters
    ----------
    max_frame : int
        Largest whole frame accepted, in bytes (``##`` to CRLF inclusive).
        A frame whose declared length exceeds it is reported as
        :class:`FrameTooLarge` and skipped without being buffered.
    max_garbage : int
        Largest garbage chunk reported as one :class:`BadHeader`. [bytes]

    Notes
    -----
    * Bytes that belong to no frame (anything before ``##dddd``) are
      collected and reported as one :class:`BadHeader` carrying them when the
      next frame starts, when ``max_garbage`` bytes have gathered, or on
      :meth:`flush` (connection end). Runs of pure whitespace or NUL (stray
      CRLFs between frames, keep-alive padding) are dropped silently: they
      carry nothing worth an alarm.
    * A frame whose CRLF is not where its length puts it is a
      :class:`LengthMismatch`; it is taken to end at its first CRLF, or at
      the next ``##dddd`` if that comes first, so the next good frame is never
      lost.
    * Between calls the reader holds at most ``max_frame`` bytes of a partial
      frame and ``max_garbage`` bytes of garbage.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME, max_garbage: int = DEFAULT_MAX_GARBAGE) -> None:
        if max_frame < _OVERHEAD:
            raise ValueError(f"max_frame must be at least {_OVERHEAD} bytes")
        if max_garbage < 1:
            raise ValueError("max_garbage must be at least 1 byte")
        self.max_frame = max_frame
        self.max_garbage = max_garbage
        self._buf = bytearray()
        self._junk = bytearray()
        self._skipping = False  # dropping the rest of a bad frame

    @property
    def buffered(self) -> int:
        """Number of bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    @property
    def pending(self) -> int:
        """Bytes received that are not yet part of a frame or an error reported (partial frame,
        garbage not yet reported, or the skipped tail of a bad frame): non-zero means "a frame is under
        way", which the gateway bounds in time."""
        return len(self._buf) + len(self._junk) + (1 if self._skipping else 0)

    def reset(self) -> None:
        """Forget any partial frame and garbage (e.g. when the connection is reused)."""
        self._buf.clear()
        self._junk.clear()
        self._skipping = False

    def flush(self) -> list[HJ212Error]:
        """Report what is held at the end of the connection (garbage, an unfinished frame) and forget it."""
        out: list[HJ212Error] = []
        self._end_junk(out)
        if self._buf.strip(_WHITESPACE):
            out.append(LengthMismatch(f"connection ended {len(self._buf)} bytes into a frame", bytes(self._buf)))
        self.reset()
        return out

    def feed(self, data: bytes) -> list[bytes | HJ212Error]:
        """Add received bytes; return the complete frames and errors, in order.

        Parameters
        ----------
        data : bytes
            Bytes just read from the connection (any size, may be empty).

        Returns
        -------
        list
            Each item is a whole raw frame (``bytes`` from ``##`` to CRLF
            inclusive) or an :class:`HJ212Error` (``BadHeader``,
            ``LengthMismatch``, ``FrameTooLarge``) whose ``offending`` holds
            the bytes dropped.
        """
        buf = self._buf
        buf += data
        out: list[bytes | HJ212Error] = []
        while buf:
            if self._skipping and not self._skip(buf):
                break
            m = _FRAME_START.search(buf)
            if m is None or m.start() > 0:
                cut = m.start() if m is not None else len(buf) - _start_prefix_len(buf)
                if cut == 0:
                    break  # '#', '##', '##d'... that may begin the next frame
                self._add_junk(buf[:cut], out)
                del buf[:cut]
                continue
            self._end_junk(out)
            total = int(buf[2:6]) + _OVERHEAD
            if total > self.max_frame:
                out.append(
                    FrameTooLarge(
                        f"declared frame size {total} bytes exceeds the maximum of {self.max_frame}",
                        self._cut_bad(),
                    )
                )
                continue
            early = buf.find(b"\r\n", 6, total - 1)
            if early >= 0:
                out.append(
                    LengthMismatch(
                        f"declared data-segment length {total - _OVERHEAD} but CRLF found after "
                        f"{early - 6} bytes of data segment and CRC",
                        self._cut_bad(),
                    )
                )
                continue
            if len(buf) < total:
                break  # wait for the rest of the frame
            if buf[total - 2 : total] == b"\r\n":
                out.append(bytes(buf[:total]))
                del buf[:total]
                continue
            out.append(
                LengthMismatch(
                    f"no CRLF where the declared data-segment length {total - _OVERHEAD} puts it",
                    self._cut_bad(),
                )
            )
        if self._junk and not self._junk.strip(_WHITESPACE):
            self._junk.clear()  # keep-alive CRLFs: nothing is under way
        return out

    def _add_junk(self, data: bytearray | bytes, out: list[bytes | HJ212Error]) -> None:
        junk = self._junk
        junk += data
        while len(junk) >= self.max_garbage:
            piece = bytes(junk[: self.max_garbage])
            del junk[: self.max_garbage]
            if piece.strip(_WHITESPACE):
                out.append(BadHeader(f"{len(piece)} bytes outside any frame", piece))

    def _end_junk(self, out: list) -> None:
        junk = bytes(self._junk)
        self._junk.clear()
        if junk.strip(_WHITESPACE):
            out.append(BadHeader(f"{len(junk)} bytes outside any frame", junk))

    def _skip(self, buf: bytearray) -> bool:
        """Drop the tail of a bad frame; return True once resynchronised."""
        m = _FRAME_START.search(buf)
        nxt = m.start() if m is not None else -1
        crlf = buf.find(b"\r\n")
        if crlf >= 0 and (nxt < 0 or crlf < nxt):
            del buf[: crlf + 2]
        elif nxt >= 0:
            del buf[:nxt]
        else:
            keep = max(_start_prefix_len(buf), 1 if buf.endswith(b"\r") else 0)
            del buf[: len(buf) - keep]
            return False
        self._skipping = False
        return True

    def _cut_bad(self) -> bytes:
        """Remove the bad frame at the start of the buffer and return it.

        It ends at its first CRLF or before the next ``##dddd``, whichever
        comes first; if neither has arrived, everything buffered is dropped
        and the rest of the frame is skipped as it arrives.
        """
        buf = self._buf
        m = _FRAME_START.search(buf, 1)
        nxt = m.start() if m is not None else -1
        crlf = buf.find(b"\r\n", 2)
        if crlf >= 0 and (nxt < 0 or crlf < nxt):
            end = crlf + 2
        elif nxt >= 0:
            end = nxt
        else:
            end = len(buf) - max(_start_prefix_len(buf) if len(buf) > 6 else 0,
                                 1 if buf.endswith(b"\r") and len(buf) > 2 else 0)
            self._skipping = True
        bad = bytes(buf[:end])
        del buf[:end]
        return bad
