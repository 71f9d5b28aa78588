"""tests/netkit.py: the ports it hands out (the core's ``ecosentry.gateways.ports``, tested in
tests/gateways/test_ports.py) lie outside the kernel's ephemeral range, in this worker's slice, are free on every
interface and never handed out twice; a refusing port refuses."""

from __future__ import annotations

import socket

import pytest

import netkit
from ecosentry.gateways.ports import ephemeral_range
from netkit import free_port, free_ports, port_range, refusing_port


def test_ports_lie_below_the_ephemeral_range_in_this_workers_slice_and_are_never_repeated():
    low, high = ephemeral_range()
    first, last = netkit._slice()
    ports = free_ports(40) + [free_port()]
    assert len(set(ports)) == len(ports)
    assert all(first <= p <= last for p in ports)
    assert all(not low <= p <= high for p in ports)
    assert port_range()[0] <= first <= last <= port_range()[1]


def test_a_handed_out_port_can_be_bound_by_a_server_on_every_interface():
    port = free_port()
    with socket.socket() as server:
        server.bind(("0.0.0.0", port))
        server.listen()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_each_xdist_worker_has_its_own_slice(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    slices = []
    for n in range(4):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{n}")
        slices.append(netkit._slice())
    assert all(a[1] < b[0] for a, b in zip(slices, slices[1:]))
    assert slices[0][0] == port_range()[0] and slices[-1][1] <= port_range()[1]


def test_a_refusing_port_refuses_connections():
    with refusing_port() as port:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)


def test_the_side_ports_are_the_service_settings_of_its_other_listeners(monkeypatch):
    from ecosentry.settings import Settings
    from ecosentry.subsystems.gates.gateways.push import push_port
    from ecosentry.subsystems.park.service import park_port
    from ecosentry.subsystems.power.service import power_port

    def ports(st: Settings) -> tuple[int, int, int]:
        return (power_port(st.hj212_port, st.power.hj212_port), park_port(st.hj212_port, st.park.hj212_port),
                push_port(st.http_port, st.hj212_port, st.gates.push.port))

    assert ports(Settings(hj212_port=9300, http_port=9310)) == (9301, 9302, 9216)  # unset: beside the core's
    assert ports(Settings(hj212_port=9300, http_port=9310, **netkit.SIDE_PORTS)) == (0, 0, 0)
    for name, value in netkit.SIDE_PORTS_ENV.items():
        monkeypatch.setenv(name, value)
    assert ports(Settings(hj212_port=9300, http_port=9310)) == (0, 0, 0)
