"""A free TCP port for a server that *another process* opens: a child ``ecosentry serve`` of a bench, the demos'
``mosquitto`` (whose listener cannot be asked for port 0 and report the one it got).

A server of this process needs none of this: it binds port 0 and reads the port it got (or binds the socket
itself and hands it over, ``uvicorn.Server.run(sockets=[sock])``), which nothing can race.

Binding ``127.0.0.1:0``, reading the port and closing the socket hands out a port of the kernel's *ephemeral*
range (``net.ipv4.ip_local_port_range``, 32768–60999 by default), the range every outgoing connection of the
machine draws from too: between the close and the child's bind, a connection to PostgreSQL, NATS or Redis can
take the port, and the child ends with "port … is in use". :func:`free_port` picks a port *below* that range
instead (20000 up to the range's start), where the kernel never puts a connection, and:

- checks it by binding ``0.0.0.0`` without ``SO_REUSEADDR``: that fails while any socket of the machine holds the
  port on any IPv4 address (listening, connected or in TIME_WAIT), so it is free both for a server on the loopback
  and for one on every interface;
- never hands out a port twice in one process, and holds a lock (``flock``) on a file named after the port for
  the life of the process, so two processes on one machine (two benches, a bench beside a demo, a test run) that
  draw from here do not pick the same port.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

__all__ = ["LOCKS", "ephemeral_range", "free_port", "port_range"]

#: Where the ephemeral range starts and ends when /proc does not say (Linux's defaults).
EPHEMERAL = (32768, 60999)
#: The lowest port handed out: below it are well-known services (PostgreSQL 5432, Redis 6379, NATS 4222 …).
LOWEST = 20000
#: The fewest ports a range needs to be used (else the range above the ephemeral one, else 20000–32767).
MIN_SPAN = 2000
#: The files :func:`free_port` locks, one per port handed out, shared by every process of the machine.
LOCKS = Path(tempfile.gettempdir()) / "ecosentry-ports"

_handed: dict[int, int | None] = {}  # port → the descriptor of its lock file (None where it could not be locked)


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (both ends included)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return EPHEMERAL


def port_range() -> tuple[int, int]:
    """The ports :func:`free_port` draws from (both ends included): ``LOWEST`` up to the start of the ephemeral
    range; where that leaves fewer than ``MIN_SPAN`` ports, the ports above the ephemeral range; where neither
    has room, 20000–32767 (the bind check alone then guards)."""
    low, high = ephemeral_range()
    if low - LOWEST >= MIN_SPAN:
        return LOWEST, low - 1
    if 65535 - high >= MIN_SPAN:
        return high + 1, 65535
    return LOWEST, EPHEMERAL[0] - 1


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # no SO_REUSEADDR: TIME_WAIT counts as taken
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _lock(port: int) -> tuple[bool, int | None]:
    """(False, None) if another process holds ``port``'s lock; else (True, the descriptor held, or None where
    the lock folder cannot be written)."""
    try:
        LOCKS.mkdir(mode=0o777, exist_ok=True)
        fd = os.open(LOCKS / f"{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)  # not inherited by subprocesses
    except OSError:
        return True, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False, None
    return True, fd


def free_port(within: tuple[int, int] | None = None) -> int:
    """A TCP port nothing uses, for a server another process binds: of ``within`` (both ends included; default
    :func:`port_range`), never one handed out before in this process or locked by another."""
    first, last = within or port_range()
    size = last - first + 1
    start = random.randrange(size)
    for step in range(size):
        port = first + (start + step) % size
        if port in _handed or not _bindable(port):
            continue
        locked, fd = _lock(port)
        if not locked:
            continue
        if not _bindable(port):  # taken between the check and the lock
            if fd is not None:
                os.close(fd)
            continue
        _handed[port] = fd
        return port
    raise RuntimeError(f"no free TCP port in {first}–{last}")
