"""``bench outage``'s database proxy listens on a port the kernel gave it and keeps that port for its life: while
refusing, a connection to it is refused and no other server can bind it; restored, it forwards on the same port."""

from __future__ import annotations

import socket

import pytest

from ecosentry.subsystems.monitoring.bench.outage import DatabaseProxy


def _bind(port: int) -> None:
    """Bind ``port`` of 127.0.0.1 as a server would (``SO_REUSEADDR``: a connection of the proxy's in TIME_WAIT
    does not count; a socket bound to the port does)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_the_proxy_refuses_on_its_own_port_and_forwards_on_it_again():
    with socket.socket() as target:  # the "database": echoes what it receives
        target.bind(("127.0.0.1", 0))
        target.listen()
        target.settimeout(5)
        proxy = DatabaseProxy("127.0.0.1", target.getsockname()[1])
        try:
            proxy.start()
            port = proxy.port
            assert port != 0

            def round_trip() -> bytes:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                    c.sendall(b"ping")
                    peer, _ = target.accept()
                    with peer:
                        peer.sendall(peer.recv(4))
                    return c.recv(4)

            assert round_trip() == b"ping"
            proxy.refuse()
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            with pytest.raises(OSError):  # held: another server cannot take it
                _bind(port)
            proxy.restore()
            assert proxy.port == port and round_trip() == b"ping"
        finally:
            proxy.close()
    _bind(port)  # closed: the port is free again
