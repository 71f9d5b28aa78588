"""Cut a TCP byte stream into HJ 212 frames.

TCP delivers bytes, not frames: one read may hold part of a frame, several
frames, or bytes that belong to no frame. :class:`FrameReader` finds each
frame by its envelope (HJ 212-2017 §6.3.1, Table 3: ``##``, 4-digit length,
data segment, 4-digit CRC, ``\\r\\n``) and resynchronises on the next ``##``
after anything malformed. It does not check the CRC or the content; that is
:func:`~.frame.parse_frame`'s job.
"""

from __future__ import annotations

from .errors import BadHeader, FrameTooLarge, HJ212Error, LengthMismatch
from .frame import DEFAULT_MAX_FRAME

__all__ = ["FrameReader"]

_OVERHEAD = 12  # '##' + 4-digit length + 4-digit CRC + CRLF
_WHITESPACE = b" \t\r\n\x00"


class FrameReader:
    """Incremental framer for one TCP connection.

    Parameters
    ----------
    max_frame : int
        Largest whole frame accepted, in bytes (``##`` to CRLF inclusive).
        A frame whose declared length exceeds it is reported as
        :class:`FrameTooLarge` and skipped without being buffered.

    Notes
    -----
    * Bytes before a ``##`` that belong to no frame are reported as one
      :class:`BadHeader` per :meth:`feed` call, carrying those bytes. Runs of
      pure whitespace or NUL (stray CRLFs between frames, keep-alive padding)
      are dropped silently: they carry nothing worth an alarm.
    * A frame whose length field is not 4 digits is a :class:`BadHeader`; one
      whose CRLF is not where the length puts it is a
      :class:`LengthMismatch`. Either way the bad frame is taken to end at its
      first CRLF, or at the next ``##`` if that comes first, so the next good
      frame is never lost.
    * The buffer never holds more than ``max_frame`` bytes between calls.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame < _OVERHEAD:
            raise ValueError(f"max_frame must be at least {_OVERHEAD} bytes")
        self.max_frame = max_frame
        self._buf = bytearray()
        self._skipping = False  # dropping the rest of a bad frame

    @property
    def buffered(self) -> int:
        """Number of bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget any partial frame (e.g. when the connection is reused)."""
        self._buf.clear()
        self._skipping = False

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
            start = buf.find(b"##")
            if start != 0:
                cut = start if start > 0 else len(buf) - (1 if buf.endswith(b"#") else 0)
                if cut == 0:
                    break  # a lone '#' that may begin the next frame
                junk = bytes(buf[:cut])
                del buf[:cut]
                if junk.strip(_WHITESPACE):
                    out.append(BadHeader(f"{len(junk)} bytes outside any frame", junk))
                continue
            head = bytes(buf[2:6])
            if not head.isdigit():
                if len(head) < 4 and (not head or head.isdigit()):
                    break  # header not complete yet
                out.append(BadHeader(f"length field {head!r} is not 4 decimal digits", self._cut_bad()))
                continue
            total = int(head) + _OVERHEAD
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
        return out

    def _skip(self, buf: bytearray) -> bool:
        """Drop the tail of a bad frame; return True once resynchronised."""
        nxt = buf.find(b"##")
        crlf = buf.find(b"\r\n")
        if crlf >= 0 and (nxt < 0 or crlf < nxt):
            del buf[: crlf + 2]
        elif nxt >= 0:
            del buf[:nxt]
        else:
            keep = 1 if buf.endswith((b"#", b"\r")) else 0
            del buf[: len(buf) - keep]
            return False
        self._skipping = False
        return True

    def _cut_bad(self) -> bytes:
        """Remove the bad frame at the start of the buffer and return it.

        It ends at its first CRLF or before the next ``##``, whichever comes
        first; if neither has arrived, everything buffered is dropped and the
        rest of the frame is skipped as it arrives.
        """
        buf = self._buf
        nxt = buf.find(b"##", 1)
        crlf = buf.find(b"\r\n", 2)
        if crlf >= 0 and (nxt < 0 or crlf < nxt):
            end = crlf + 2
        elif nxt >= 0:
            end = nxt
        else:
            end = len(buf) - (1 if buf.endswith((b"#", b"\r")) and len(buf) > 2 else 0)
            self._skipping = True
        bad = bytes(buf[:end])
        del buf[:end]
        return bad
