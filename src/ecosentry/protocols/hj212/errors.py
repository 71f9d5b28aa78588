"""Typed errors of the HJ 212 codec.

Every error carries the bytes at fault (``offending``, normally the whole
frame) so that a gateway can archive the evidence and answer the logger,
and a human-readable ``detail``. ``code`` is the class name, stable for
logs, metrics and the CLI's JSON output.
"""

from __future__ import annotations

__all__ = [
    "HJ212Error",
    "BadHeader",
    "LengthMismatch",
    "CrcMismatch",
    "BadField",
    "FieldTooLong",
    "BadHeaderField",
    "UnknownCN",
    "FrameTooLarge",
    "FrameTimeout",
    "decode_offending",
]


def decode_offending(data: bytes) -> str:
    """Render offending bytes as text for JSON and logs.

    UTF-8 when the bytes are valid UTF-8 (so Chinese text in log fields stays
    readable), otherwise latin-1, which maps every byte to one character and
    so never fails and loses nothing.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class HJ212Error(ValueError):
    """Base class of every HJ 212 codec error.

    Parameters
    ----------
    detail : str
        What is wrong, in one sentence.
    offending : bytes
        The bytes at fault; the whole frame where one is known.

    Attributes
    ----------
    code : str
        Class attribute equal to the class name (``"CrcMismatch"`` ...).
    detail : str
    offending : bytes
    """

    code: str = "HJ212Error"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__name__

    def __init__(self, detail: str, offending: bytes = b"") -> None:
        super().__init__(detail)
        self.detail = detail
        self.offending = bytes(offending)

    def __repr__(self) -> str:
        return f"{self.code}({self.detail!r}, offending={self.offending[:80]!r})"

    def __reduce__(self):  # keep pickling (multiprocessing, queues) working
        return (type(self), (self.detail, self.offending))

    def to_dict(self) -> dict[str, str]:
        """Return ``{"error": code, "detail": detail, "offending": text}``."""
        return {
            "error": self.code,
            "detail": self.detail,
            "offending": decode_offending(self.offending),
        }


class BadHeader(HJ212Error):
    """The frame does not start with ``##`` and a 4-digit decimal length,
    or bytes that are no frame at all (garbage) were received
    (HJ 212-2017 §6.3.1, Table 3)."""


class LengthMismatch(HJ212Error):
    """The declared data-segment length does not match the bytes received,
    or the ``\\r\\n`` trailer is not where the length says it is
    (HJ 212-2017 §6.3.1, Table 3)."""


class CrcMismatch(HJ212Error):
    """The CRC field is not 4 hex digits or differs from the CRC-16 computed
    over the data segment (HJ 212-2017 Appendix A)."""


class BadField(HJ212Error):
    """A header or CP field is malformed (missing ``=``, a non-numeric value
    in a numeric field, a bad time, a missing CN ...). ``field`` names it."""

    def __init__(self, detail: str, offending: bytes = b"", field: str | None = None) -> None:
        super().__init__(detail, offending)
        self.field = field

    def __reduce__(self):
        return (type(self), (self.detail, self.offending, self.field))


class FieldTooLong(BadField):
    """A header field or a record field is longer than HJ 212-2017 allows (Table 4: QN C20, ST C5, CN C7,
    PW C9, MN C24; §6.3.3 field dictionary), or than the platform keeps (factor codes, data flags): see
    :data:`~.frame.FIELD_LIMITS`. Rejected at the gateway so that no such value reaches the store."""


class BadHeaderField(BadField):
    """A header field of the data segment (HJ 212-2017 §6.3.2, Table 4) breaks its own syntax: QN not 17 digits
    ``yyyyMMddHHmmssSSS``, ST or CN missing, CN not a number, Flag, PNUM or PNO not a number, an item that is
    not ``name=value``, or a header value holding a separator (a ``,`` or a second ``=`` where ``;`` should
    separate two header fields). ``field`` names the header field. A code outside the standard's tables (ST,
    CN) is no syntax error: it is kept and counted."""


class UnknownCN(HJ212Error):
    """The command code is not one this codec knows (HJ 212-2017 §6.6.5.2,
    Table 9); raised only when :func:`~.frame.parse_frame` is asked to be strict (``strict_cn=True``): a
    well-formed frame with a provincial command code is parsed by default."""


class FrameTooLarge(HJ212Error):
    """The declared or actual frame size exceeds the configured maximum."""


class FrameTimeout(HJ212Error):
    """A frame was begun but not completed within the gateway's frame deadline (a stalled or
    deliberately slow sender); ``offending`` holds the bytes received of it."""
