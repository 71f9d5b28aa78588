"""The demo's own MQTT broker: a ``mosquitto`` process on a free local port, with the password file and ACL
written from ``power_devices`` exactly as ``ecosentry power mqtt-auth`` writes them (each device its own user
and topic, the platform its user). Only when ``mosquitto`` is installed; the demo works without it."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

from ecosentry.subsystems.power.gateways.mosquitto_auth import write_broker_auth

_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def binary() -> str | None:
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(svc, mosquitto: str, port: int) -> subprocess.Popen | None:
    """Write the auth files under the demo's data directory and start the broker; None (logged) if it fails."""
    folder = Path(svc.settings.data_dir) / "mosquitto"
    folder.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(write_broker_auth, svc.engine, svc.settings.power.mqtt, folder / "passwd",
                            folder / "acl")
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {folder / 'passwd'}\n"
                    f"acl_file {folder / 'acl'}\npersistence false\n"
                    # as root, mosquitto would drop to its own user, who cannot read the 0600 files
                    + ("user root\n" if os.geteuid() == 0 else ""))
    proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(250):
        if proc.poll() is not None:
            return None
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            await asyncio.sleep(0.02)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
