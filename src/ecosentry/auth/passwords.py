"""Password hashing with Argon2id (argon2-cffi, RFC 9106), the one place passwords are hashed or checked.

The parameters are argon2-cffi's defaults (RFC 9106 "second recommended option": 64 MiB, 3 passes,
4 lanes), about 0.2 s of CPU per hash or check. A stored hash made with older parameters still verifies;
:func:`needs_rehash` says when to replace it (done at the next successful login, :mod:`ecosentry.auth.accounts`).

``ECOSENTRY_ARGON2_PROFILE`` names another of argon2-cffi's profiles (``argon2.profiles``) for a test suite that
creates and logs in thousands of accounts (``./run test`` sets ``CHEAPEST``); never set it on a server: hashes made
with it are weak. Once it is unset again, each such hash is replaced at its account's next login (``needs_rehash``).
"""

from __future__ import annotations

import functools
import os

import argon2.profiles
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ecosentry.said import Said

__all__ = ["MIN_LENGTH", "PasswordError", "hash_password", "verify_password", "needs_rehash", "check_strength",
           "dummy_hash"]

#: Shortest password accepted when a password is set (login accepts whatever was stored).
MIN_LENGTH = 8

#: Environment variable naming an argon2-cffi profile other than the default (test suites only, see above).
PROFILE_ENV = "ECOSENTRY_ARGON2_PROFILE"


def _make_hasher() -> PasswordHasher:
    name = os.environ.get(PROFILE_ENV, "").strip().upper()
    if not name:
        return PasswordHasher()
    params = getattr(argon2.profiles, name, None)
    if not isinstance(params, argon2.Parameters):
        raise ValueError(f"{PROFILE_ENV}={name!r} is not one of argon2-cffi's profiles "
                         f"({', '.join(n for n in dir(argon2.profiles) if n.isupper())})")
    return PasswordHasher.from_parameters(params)


_hasher = _make_hasher()


class PasswordError(Said):
    """A new password is refused; the message (a catalogue msgid, :class:`ecosentry.said.Said`) says why."""


def check_strength(password: str) -> None:
    """Refuse a password that is too short or only whitespace (:class:`PasswordError`)."""
    if not isinstance(password, str) or len(password.strip()) < MIN_LENGTH:
        raise PasswordError("a password needs at least %(n)s characters", n=MIN_LENGTH)


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (a self-describing ``$argon2id$v=19$m=…`` string with its salt)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; False for a mismatch, no hash or a damaged hash."""
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def dummy_hash() -> str:
    """A hash of a fixed string, verified against when the user name is unknown, so that a wrong user name takes
    as long as a wrong password (no user-name probing by timing). Made at the first unknown name, not at import:
    every process that imports this module (each command of the CLI) would otherwise pay for one hash."""
    return _hasher.hash("ecosentry: no such user")
