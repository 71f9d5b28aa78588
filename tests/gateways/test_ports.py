"""``ecosentry.gateways.ports``: the port a bench's child ``ecosentry serve`` or a demo's mosquitto is given lies
below the kernel's ephemeral range (where no outgoing connection can take it first), is free on every interface,
is never handed out twice in a process, and is skipped while another process holds its lock."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ecosentry.gateways import ports
from ecosentry.gateways.ports import ephemeral_range, free_port, port_range

SRC = Path(__file__).resolve().parents[2] / "src"


def test_ports_lie_outside_the_ephemeral_range_and_are_never_repeated():
    low, high = ephemeral_range()
    first, last = port_range()
    handed = [free_port() for _ in range(40)]
    assert len(set(handed)) == len(handed)
    assert all(first <= p <= last and not low <= p <= high for p in handed)


def test_a_handed_out_port_can_be_bound_by_a_server_on_every_interface_in_another_process():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", "import socket, sys\ns = socket.socket()\n"
                               f"s.bind(('0.0.0.0', {port})); s.listen(); print('up', flush=True); s.accept()"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "up"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()


def test_the_range_moves_above_an_ephemeral_range_that_starts_too_low(monkeypatch):
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (1024, 49999))
    assert port_range() == (50000, 65535)
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (32768, 60999))
    assert port_range() == (20000, 32767)
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (1024, 65000))  # no room outside it: the bind check alone
    assert port_range() == (20000, 32767)


def test_a_port_taken_or_locked_by_another_process_is_skipped(monkeypatch, tmp_path):
    first = port_range()[0]
    while not all(p not in ports._handed and ports._bindable(p) for p in (first, first + 1, first + 2)):
        first += 3
    monkeypatch.setattr(ports, "LOCKS", tmp_path)
    # another process's lock on the first port (a second open file description: flock conflicts with it)
    fd = os.open(tmp_path / f"{first}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with socket.socket() as taken:  # a server listening on the second one
            taken.bind(("127.0.0.1", first + 1))
            taken.listen()
            assert free_port((first, first + 2)) == first + 2
            with pytest.raises(RuntimeError, match="no free TCP port"):
                free_port((first, first + 2))
    finally:
        os.close(fd)


def test_two_processes_drawing_at_once_never_get_the_same_port(tmp_path):
    """The lock files, not luck: two processes draw 150 ports each from the same 400."""
    first = port_range()[0] + 4000
    code = ("import sys; from ecosentry.gateways import ports\n"
            f"ports.LOCKS = __import__('pathlib').Path({str(tmp_path)!r})\n"
            f"got = [ports.free_port(({first}, {first + 399})) for _ in range(150)]\n"
            "print(' '.join(map(str, got)), flush=True); sys.stdin.read()")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    try:
        drawn = [set(map(int, p.stdout.readline().split())) for p in procs]  # both hold their locks meanwhile
    finally:
        for p in procs:
            p.communicate("", timeout=30)
    assert [len(d) for d in drawn] == [150, 150]
    assert not drawn[0] & drawn[1]
