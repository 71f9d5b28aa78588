"""Password hashing (Argon2id via argon2-cffi)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from ecosentry.auth.passwords import (MIN_LENGTH, PasswordError, check_strength, hash_password, needs_rehash,
                                      verify_password)


def test_hash_is_salted_argon2id_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("$argon2id$") and a != b  # a fresh salt each time
    assert "correct horse" not in a
    assert verify_password(a, "correct horse") and verify_password(b, "correct horse")
    assert not verify_password(a, "correct horsE")
    assert not needs_rehash(a)


def test_missing_or_damaged_hashes_never_verify():
    assert not verify_password(None, "x") and not verify_password("", "x")
    assert not verify_password("$argon2id$garbage", "x") and not verify_password("plain text", "plain text")


def test_hash_with_weaker_parameters_needs_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse")
    assert verify_password(weak, "correct horse")
    assert needs_rehash(weak)


def test_short_passwords_are_refused():
    check_strength("x" * MIN_LENGTH)
    for bad in ("", "short", " " * 20):
        with pytest.raises(PasswordError, match="at least"):
            check_strength(bad)


def test_a_server_hashes_with_rfc_9106_parameters_unless_a_test_suite_names_a_cheaper_profile(monkeypatch):
    from ecosentry.auth import passwords
    monkeypatch.delenv(passwords.PROFILE_ENV, raising=False)
    server = passwords._make_hasher()
    assert (server.memory_cost, server.time_cost, server.parallelism) == (65536, 3, 4)
    monkeypatch.setenv(passwords.PROFILE_ENV, "cheapest")
    assert passwords._make_hasher().memory_cost == 8
    monkeypatch.setenv(passwords.PROFILE_ENV, "fast please")
    with pytest.raises(ValueError, match="not one of argon2-cffi's profiles"):
        passwords._make_hasher()
