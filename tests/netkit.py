"""Free TCP ports for the servers a test starts (imported by name, like pgdb and fuzzkit).

Binding ``127.0.0.1:0``, reading the port and closing the socket hands out a port of the kernel's *ephemeral*
range, which any outgoing connection of the machine can take before the server binds it: :func:`free_port` is
the core's :func:`ecosentry.gateways.ports.free_port` (a port *below* that range, bind-checked on every interface,
never handed out twice, locked by a file for the life of the process: the benches and the demo draw from it too),
and gives each pytest-xdist worker (``PYTEST_XDIST_WORKER`` gwN) its own slice of the range, so two workers never
draw the same port.

A test that serves on the socket itself should keep the socket (``sockets=[sock]`` for uvicorn): that is
race-free without this module. :func:`refusing_port` is for the test that needs a port nothing listens on.

A service given a fixed HJ 212 port (to restart on it, or to be reached before it runs) opens more listeners
than that one: the power loggers' gateway on the port + 1, the park stations' on + 2, the gates push on 9216
(unless the web or the HJ 212 port is 0), ports nothing reserved, which two services running side by side both
take ("gates push port 9216 is in use", exit 2). :data:`SIDE_PORTS_ENV` (a subprocess's environment) and
:data:`SIDE_PORTS` (``Settings`` keywords) put each of them on a port the kernel picks as it binds (0).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from ecosentry.gateways import ports
from ecosentry.gateways.ports import port_range

__all__ = ["SIDE_PORTS", "SIDE_PORTS_ENV", "free_port", "free_ports", "port_range", "refusing_port"]

#: ``ecosentry serve``'s listeners beside the core HJ 212 and web ports, each on a free port of its own choosing.
SIDE_PORTS_ENV = {"ECOSENTRY_POWER__HJ212_PORT": "0", "ECOSENTRY_PARK__HJ212_PORT": "0",
                  "ECOSENTRY_GATES__PUSH__PORT": "0"}
#: The same for a ``Settings(...)`` of a service in the test's process.
SIDE_PORTS = {"power": {"hj212_port": 0}, "park": {"hj212_port": 0}, "gates": {"push": {"port": 0}}}


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


def free_port() -> int:
    """A TCP port nothing uses, outside the ephemeral range and in this worker's own slice, for a server to bind."""
    return ports.free_port(_slice())


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
