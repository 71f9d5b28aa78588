"""The broker authenticates the devices: Mosquitto's password file and ACL, written from ``power_devices``.

Each MQTT device has its own user name (its MN) and password; the platform stores only the password's hash
(``power_devices.mqtt_secret_hash``) in the broker's own format, so the password file is a copy of those hashes
and no secret ever leaves the device and the operator who set it. The ACL lets each device **write** only its
own topic ``<prefix>/<mn>/readings`` and the platform's subscriber **read** every device's; an inactive device
is left out of both (the broker refuses it). ``ecosentry power mqtt-auth`` writes the two files; the broker
reads them again on ``SIGHUP`` (``kill -HUP <mosquitto pid>`` or ``systemctl reload mosquitto``).

Hash format ``$7$<iterations>$<salt>$<hash>`` (Mosquitto ≥ 2.0, ``mosquitto_passwd``): PBKDF2-HMAC-SHA512
(RFC 8018 §5.2) of the UTF-8 password over a random 12-byte salt, 101 iterations by default, a 64-byte key;
salt and key in standard base64 with padding. ``$6$<salt>$<hash>`` (Mosquitto 1.x) is SHA-512 of the password
followed by the salt; it is verified, never written. Pure functions only, apart from :func:`write_files`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ecosentry.said import N_, Said
from ecosentry.subsystems.power.credentials import mosquitto_hash, mosquitto_verify
from ecosentry.subsystems.power.gateways.devices import mqtt_accounts

__all__ = ["hash_password", "verify_password", "valid_user", "AuthFiles", "auth_files", "write_files",
           "HASH_PATTERN", "write_broker_auth"]

#: Mosquitto's defaults (``mosquitto_passwd``): 101 iterations, a 12-byte salt, SHA-512's 64-byte output.
ITERATIONS = 101
SALT_BYTES = 12
#: A ``$7$`` hash as stored in ``power_devices.mqtt_secret_hash``.
HASH_PATTERN = re.compile(r"\$7\$(\d{1,7})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})")
#: A user name that is safe as a password-file key, an ACL ``user`` line and a topic level: no ``:``, spaces,
#: ``+``, ``#``, ``/`` or control characters (an MN is 24 characters at most, HJ 212-2017 Table 4).
_USER = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The ``$7$`` hash of ``password`` (a new random salt unless one is given; :mod:`..credentials`)."""
    if not password:
        raise Said(N_("an empty MQTT password cannot be hashed"))
    return mosquitto_hash(password, salt=salt, iterations=iterations)


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` is the one ``hashed`` (``$7$`` or ``$6$``) was made from (constant time)."""
    if HASH_PATTERN.fullmatch(hashed):
        return mosquitto_verify(password, hashed)
    parts = hashed.split("$")
    if len(parts) == 4 and parts[0] == "" and parts[1] == "6":
        try:
            salt, key = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(hashlib.sha512(password.encode("utf-8") + salt).digest(), key)
    return False


def valid_user(name: str) -> bool:
    """A device MN (or the platform's user name) the broker's files and the topic layout can carry."""
    return bool(_USER.fullmatch(name))


@dataclass(slots=True)
class AuthFiles:
    """The two files' text, and the devices left out with the reason."""

    password_file: str
    acl_file: str
    devices: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def auth_files(accounts: Iterable, *, platform_user: str, platform_hash: str, topic_prefix: str) -> AuthFiles:
    """The password file and the ACL for ``accounts`` (:class:`.devices.MqttAccount`: ``mn``, ``secret_hash``,
    ``active``) and the platform's subscriber.

    Raises
    ------
    ValueError
        The platform's user name or hash, or the topic prefix, cannot be written.
    """
    prefix = topic_prefix.strip("/")
    if not valid_user(platform_user):
        raise Said(N_("platform MQTT user name %(user)r is not usable (letters, digits, _ . -)"), user=platform_user)
    if not HASH_PATTERN.fullmatch(platform_hash):
        raise Said(N_("the platform's MQTT password hash is not a $7$ hash"))
    if not prefix or any(ch in prefix for ch in "+#\n\r\0") or "//" in prefix:
        raise Said(N_("MQTT topic prefix %(prefix)r is not usable"), prefix=topic_prefix)
    head = "# written by `ecosentry power mqtt-auth` from power_devices: edits are overwritten\n"
    pw_lines = [head, f"{platform_user}:{platform_hash}\n"]
    acl = [head, "\n# the platform's subscriber reads every device's readings\n", f"user {platform_user}\n",
           f"topic read {prefix}/+/readings\n"]
    out = AuthFiles("", "")
    seen = {platform_user}
    for a in accounts:
        if not a.active:
            out.skipped.append((a.mn, N_("inactive")))
        elif not valid_user(a.mn):
            out.skipped.append((a.mn, N_("MN not usable as an MQTT user name and topic level")))
        elif a.mn in seen:
            out.skipped.append((a.mn, N_("user name already taken")))
        elif not HASH_PATTERN.fullmatch(a.secret_hash or ""):
            out.skipped.append((a.mn, N_("mqtt_secret_hash is not a $7$ hash")))
        else:
            seen.add(a.mn)
            out.devices += 1
            pw_lines.append(f"{a.mn}:{a.secret_hash}\n")
            acl += [f"\n# device {a.mn}: its own topic only\n", f"user {a.mn}\n",
                    f"topic write {prefix}/{a.mn}/readings\n"]
    out.password_file, out.acl_file = "".join(pw_lines), "".join(acl)
    return out


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (the broker never reads half a file), readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_files(files: AuthFiles, password_file: Path, acl_file: Path) -> None:
    """Replace the broker's two files (mode 0600: give them to the broker's user if it runs as another)."""
    _replace(Path(password_file), files.password_file)
    _replace(Path(acl_file), files.acl_file)


def write_broker_auth(engine, mqtt, password_file: Path, acl_file: Path) -> AuthFiles:
    """Write the broker's password file and ACL from ``power_devices`` and the settings ``power.mqtt``
    (the platform's user, password and topic prefix); return what was written and skipped."""
    if not mqtt.password:
        raise Said(N_("set power.mqtt.password (ECOSENTRY_POWER__MQTT__PASSWORD): the platform's subscriber "
                      "needs its own account at the broker"))
    files = auth_files(mqtt_accounts(engine), platform_user=mqtt.username,
                       platform_hash=hash_password(mqtt.password), topic_prefix=mqtt.topic_prefix)
    write_files(files, password_file, acl_file)
    return files
