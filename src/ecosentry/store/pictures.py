"""Pictures behind one storage interface, for every subsystem: plate captures, 随车清单 and 行驶证 (gates, issue 16
item 2), photos taken on site and station-room snapshots (O&M, issue 18).

:class:`PictureStore` is the interface: ``put`` bytes → the picture's sha256, ``get`` sha256 → bytes, ``has``,
``delete`` (the retention job's). The default, :class:`FilePictureStore`, keeps content-addressed files under the
data folder: the name is the sha256 of the bytes, in two levels of folders by its first four hex digits
(``ab/cd/abcd…``), so the same picture stored twice is one file (dedupe) and a name says what it holds. A file
is written to a temporary name, flushed to disk and renamed: a crash leaves a whole picture or none.

:func:`picture_type` checks what the bytes are (JPEG or PNG by their signature; anything else is refused) and
:func:`check_picture` their size, before anything is stored.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Protocol

from ecosentry.said import N_, Said

__all__ = ["PictureStore", "FilePictureStore", "PictureError", "picture_type", "check_picture", "sha256_hex"]

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


class PictureError(Said):
    """A picture that is not stored: not JPEG or PNG, empty, or too large."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def picture_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the bytes' signature; None for anything else."""
    if data.startswith(_JPEG):
        return "image/jpeg"
    if data.startswith(_PNG):
        return "image/png"
    return None


def check_picture(data: bytes, max_bytes: int) -> str:
    """The picture's type, or :class:`PictureError` when it is empty, larger than ``max_bytes`` or neither JPEG
    nor PNG."""
    if not data:
        raise PictureError(N_("The picture is empty."))
    if len(data) > max_bytes:
        raise PictureError(N_("The picture has %(size)s bytes, more than the %(limit)s accepted."),
                           size=len(data), limit=max_bytes)
    kind = picture_type(data)
    if kind is None:
        raise PictureError(N_("The picture is neither JPEG nor PNG."))
    return kind


class PictureStore(Protocol):
    """Where pictures live; every implementation is content-addressed by sha256 (hex)."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (already checked); return its sha256. Storing the same bytes again changes nothing."""

    def get(self, sha256: str) -> bytes | None:
        """The picture's bytes, or None when it is not (or no longer) stored."""

    def has(self, sha256: str) -> bool:
        """Whether the picture is stored."""

    def delete(self, sha256: str) -> bool:
        """Remove the picture (retention); True when it was there."""


def _valid_name(sha256: str) -> bool:
    return len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)


class FilePictureStore:
    """Content-addressed files under ``root``: ``root/ab/cd/abcd…`` (no extension; the type is in the bytes)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _valid_name(sha256):
            raise ValueError(f"not a sha256 name: {sha256[:80]!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        name = sha256_hex(data)
        target = self.path(name)
        if target.is_file() and target.stat().st_size == len(data):
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return name

    def get(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def has(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except ValueError:
            return False

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
            return True
        except (FileNotFoundError, ValueError):
            return False
