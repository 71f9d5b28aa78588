"""The park demo's own MQTT broker: a ``mosquitto`` process on a free port of the loopback, anonymous (demo only:
the broker accounts of park stations, as power's ``mqtt-auth``, do not exist yet). Only when ``mosquitto`` is
installed; the demo works without it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def binary() -> str | None:
    return next((found for name in _CANDIDATES if (found := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(data_dir, mosquitto: str, port: int) -> subprocess.Popen | None:
    """Start the broker with its configuration under the demo's data directory; None if it fails."""
    folder = Path(data_dir) / "park-mosquitto"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
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
