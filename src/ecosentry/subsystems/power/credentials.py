"""The MQTT password of a power device, kept only as a hash the Mosquitto broker reads itself.

Format (Mosquitto 2.0 password file, ``mosquitto_passwd``): ``$7$<iterations>$<salt>$<hash>`` with the salt
(12 random bytes) and the PBKDF2-HMAC-SHA512 key (64 bytes) in standard base64. A line ``<mn>:<hash>`` per
device is a valid ``password_file`` for the broker, so the broker's file is written from
``power_devices.mqtt_secret_hash`` without the platform ever keeping a password it could leak. Pure functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["ITERATIONS", "mosquitto_hash", "mosquitto_verify"]

#: PBKDF2 rounds. Mosquitto's own default is 101; the broker reads the count from each line, so more is
#: accepted (cost per connect ≈ 1 ms per 1,000 rounds on one core).
ITERATIONS = 1000
SALT_BYTES = 12


def mosquitto_hash(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The ``$7$`` hash of ``password`` for a Mosquitto password file."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def mosquitto_verify(password: str, hashed: str | None) -> bool:
    """Whether ``password`` is the one ``hashed`` (a ``$7$`` hash) was made from; False for anything else."""
    parts = (hashed or "").split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    try:
        iterations, salt, key = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    if not 0 < iterations <= 10_000_000:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(got, key)
