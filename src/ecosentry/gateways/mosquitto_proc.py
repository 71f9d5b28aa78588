"""A ``mosquitto`` process of the platform's own, on a free port of the loopback: the demos' MQTT brokers (park
stations, power meters). Only where ``mosquitto`` is installed; a demo works without it.

Its port is :func:`ecosentry.gateways.ports.free_port` (below the kernel's ephemeral range, bind-checked and
locked): mosquitto cannot be told to listen on port 0 and report the port it got, and a port of the ephemeral
range could be taken by any outgoing connection before the broker binds it.

The broker ends with the process that started it, however that ends: a ``kill -9`` of the demo used to leave its
brokers running, holding their ports, until the machine restarted. On Linux the kernel sends the broker SIGTERM
when its parent dies (``PR_SET_PDEATHSIG``, set between fork and exec); elsewhere only :func:`stop` ends it.
The death signal follows the *thread* that forked, so :func:`start` runs ``Popen`` on the event loop's thread,
never in a worker thread that could end first.

The broker runs in a session of its own: a Ctrl-C in the terminal (SIGINT to the whole foreground process group)
does not end it under the service, whose MQTT parts would warn of a lost broker while they stop; the demo stops it
after the service (:func:`stop`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

from ecosentry.gateways.ports import free_port
from ecosentry.pipeline.parent_watch import set_parent_death_signal

__all__ = ["binary", "free_port", "start", "stop", "write_conf"]

_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
#: Seconds a started broker has to accept a connection.
START_WITHIN = 5.0


def binary() -> str | None:
    """The ``mosquitto`` executable, or None where it is not installed."""
    return next((found for name in _CANDIDATES if (found := shutil.which(name))), None)


def write_conf(folder: Path, port: int, settings: str) -> Path:
    """``folder/mosquitto.conf``: a listener on ``port`` of 127.0.0.1, no persistence, then ``settings`` (lines).

    As root, the broker stays root (``user root``): by default it would switch to its own user, which cannot read
    0600 files written by root and, changing its credentials, loses the parent-death signal."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\npersistence false\n{settings}"
                    + ("user root\n" if os.geteuid() == 0 else ""))
    return conf


async def start(mosquitto: str, conf: Path, port: int) -> subprocess.Popen | None:
    """Start ``mosquitto -c conf`` (:func:`write_conf`; listening on ``port``) and wait until it accepts a
    connection; None if it exits first."""
    proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=set_parent_death_signal)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_WITHIN
    while loop.time() < deadline:
        if proc.poll() is not None:
            return None
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            await asyncio.sleep(0.02)
    return proc


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 5 s."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
