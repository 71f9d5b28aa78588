"""Free TCP ports for the servers a test starts (imported by name, like pgdb and fuzzkit).

Binding ``127.0.0.1:0``, reading the port and closing the socket hands out a port of the kernel's *ephemeral*
range (``net.ipv4.ip_local_port_range``, 32768–60999 by default), the range every outgoing connection of the
machine draws from too: between the close and the moment ``ecosentry serve`` (a gateway, nats-server, mosquitto,
an SMTP server …) binds the port, a connection of another test to PostgreSQL, NATS or Redis could take it, and
the server ended with "port … is in use" (exit 2). :func:`free_port` picks a port *below* that range instead
(20000 up to the range's start), where the kernel never puts a connection, and:

- checks it by binding ``0.0.0.0`` without ``SO_REUSEADDR``: that fails while any socket of the machine holds
  the port on any IPv4 address (listening, connected or in TIME_WAIT), so it is free both for servers on the
  loopback (uvicorn, aiosmtpd, mosquitto, nats-server) and for those on every interface (HJ 212, FTP);
- gives each pytest-xdist worker (``PYTEST_XDIST_WORKER`` gwN) its own slice of the range, so two workers
  never draw the same port, and starts at a random place in the slice;
- never hands out a port twice in one process, and holds a lock (``flock``) on a file named after the port
  for the life of the process, so two test runs on one machine (two worktrees) do not share a port either.

A test that serves on the socket itself should keep the socket (``sockets=[sock]`` for uvicorn): that is
race-free without this module. :func:`refusing_port` is for the test that needs a port nothing listens on.

A service given a fixed HJ 212 port (to restart on it, or to be reached before it runs) opens more listeners
than that one: the power loggers' gateway on the port + 1, the park stations' on + 2, the gates push on 9216
(unless the web or the HJ 212 port is 0), ports nothing reserved, which two services running side by side both
take ("gates push port 9216 is in use", exit 2). :data:`SIDE_PORTS_ENV` (a subprocess's environment) and
:data:`SIDE_PORTS` (``Settings`` keywords) put each of them on a port the kernel picks as it binds (0).
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SIDE_PORTS", "SIDE_PORTS_ENV", "free_port", "free_ports", "port_range", "refusing_port"]

#: Where the ephemeral range starts and ends when /proc does not say (Linux's defaults).
EPHEMERAL = (32768, 60999)
#: The lowest port handed out: below it are well-known services (PostgreSQL 5432, Redis 6379, NATS 4222 …).
LOWEST = 20000
#: The fewest ports a range needs to be used (else the range above the ephemeral one, else 20000–32767).
MIN_SPAN = 2000
#: The files :func:`free_port` locks, one per port handed out, shared by every test run on the machine.
LOCKS = Path(tempfile.gettempdir()) / "ecosentry-test-ports"

#: ``ecosentry serve``'s listeners beside the core HJ 212 and web ports, each on a free port of its own choosing.
SIDE_PORTS_ENV = {"ECOSENTRY_POWER__HJ212_PORT": "0", "ECOSENTRY_PARK__HJ212_PORT": "0",
                  "ECOSENTRY_GATES__PUSH__PORT": "0"}
#: The same for a ``Settings(...)`` of a service in the test's process.
SIDE_PORTS = {"power": {"hj212_port": 0}, "park": {"hj212_port": 0}, "gates": {"push": {"port": 0}}}

_handed: dict[int, int | None] = {}  # port → the descriptor of its lock file (None where it could not be locked)


def _ephemeral() -> tuple[int, int]:
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return EPHEMERAL


def port_range() -> tuple[int, int]:
    """The ports :func:`free_port` draws from (both ends included): ``LOWEST`` up to the start of the ephemeral
    range; where that leaves fewer than ``MIN_SPAN`` ports, the ports above the ephemeral range; where neither
    has room, 20000–32767 (the bind check alone then guards)."""
    low, high = _ephemeral()
    if low - LOWEST >= MIN_SPAN:
        return LOWEST, low - 1
    if 65535 - high >= MIN_SPAN:
        return high + 1, 65535
    return LOWEST, EPHEMERAL[0] - 1


def _slice() -> tuple[int, int]:
    """This process's part of :func:`port_range`: the whole of it outside pytest-xdist, else the worker's."""
    first, last = port_range()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return first, last
    index = int(worker[2:])
    count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0), index + 1)
    size = (last - first + 1) // count
    return first + index * size, first + (index + 1) * size - 1


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


def free_port() -> int:
    """A TCP port nothing uses, outside the ephemeral range and this worker's own, for a server to bind."""
    first, last = _slice()
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


def free_ports(n: int) -> list[int]:
    """``n`` different ports of :func:`free_port`."""
    return [free_port() for _ in range(n)]


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port of 127.0.0.1 on which every connection is refused while the block runs: a socket is bound to it
    and does not listen, so no server can take the port meanwhile (a closed port could be taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
