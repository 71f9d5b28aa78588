"""The scale-out mode on NATS JetStream (issue 19 item 1): gateways publish to a stream after their spool write
and before replying, workers consume partitions into PostgreSQL; nothing acknowledged is lost or doubled when
NATS is away or restarts, or when a worker is killed with SIGKILL mid-stream.

Every test has its own stream, subjects and lease bucket on the machine's NATS server (127.0.0.1:4222), or a
private ``nats-server`` of its own when it stops the server.
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import nats
import pytest
from sqlalchemy import create_engine, func, select

from ecosentry.contracts.envelope import Envelope
from ecosentry.fleet import import_fleet
from ecosentry.metrics import counters
from ecosentry.pipeline.bus_nats import SEQ_HEADER, SPOOL_HEADER, partition_of, point_key, subject_for
from ecosentry.pipeline.bus_settings import BusSettings
from ecosentry.protocols.hj212 import parse_frame
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.store import schema as s
from helpers import FLEET, Logger, minute_frame
from netkit import SIDE_PORTS_ENV, free_port

pytestmark = pytest.mark.postgres

NATS_URL = "nats://127.0.0.1:4222"
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
T0 = datetime(2026, 11, 21, 10, 0, 0)
GAS_MNS = [f"TEST000000000000000GAS{i:02d}" for i in range(8)]


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def shared_nats() -> str:
    """The machine's NATS server. In CI a missing server is a failure, never a skip."""
    if not _port_open(4222):
        if IN_CI:
            pytest.fail("NATS with JetStream is required in CI but not reachable at 127.0.0.1:4222")
        pytest.skip("NATS not reachable (runs in CI)")
    return NATS_URL


def fleet_of_eight() -> dict:
    """The test fleet with eight gas points, so the partitions have something to share."""
    fleet = copy.deepcopy(FLEET)
    outlet = fleet["enterprises"][0]["outlets"][0]
    template = outlet["points"][0]
    outlet["points"] = [{**copy.deepcopy(template), "mn": mn, "name": f"{i + 1}号锅炉CEMS"}
                        for i, mn in enumerate(GAS_MNS)]
    return fleet


@pytest.fixture
def pg_fleet(pg_server):
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server)
    engine = prepare_database(url)
    import_fleet(engine, fleet_of_eight())
    engine.dispose()
    yield url
    drop()


def unique_bus(server: str, **overrides) -> BusSettings:
    tag = uuid.uuid4().hex[:10]
    return BusSettings(**{"servers": [server], "stream": f"T_{tag.upper()}", "subject_prefix": f"t{tag}.in",
                          "partitions": 4, "lease_ttl": 2.0, "ack_wait": 10.0, "publish_timeout": 0.5,
                          "fetch_batch": 100, **overrides})


async def remove_bus(bus: BusSettings) -> None:
    try:
        nc = await nats.connect(servers=bus.servers, connect_timeout=2, max_reconnect_attempts=0)
    except Exception:
        return
    js = nc.jetstream()
    for remove in (js.delete_stream(bus.stream), js.delete_key_value(f"{bus.stream}_leases")):
        try:
            await remove
        except Exception:
            pass
    await nc.close()


def settings_for(url: str, tmp_path: Path, bus: BusSettings, name: str) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path / name, hj212_host="127.0.0.1", hj212_port=0,
                    http_host="127.0.0.1", http_port=0, hourly_every=1.0, nats=bus)


def stored(url: str) -> tuple[int, int]:
    """(raw frames, observations) in the database."""
    eng = create_engine(url)
    with eng.connect() as c:
        frames = c.execute(select(func.count()).select_from(s.raw_frames)).scalar_one()
        obs = c.execute(select(func.count()).select_from(s.observations)).scalar_one()
    eng.dispose()
    return frames, obs


async def wait_stored(url: str, frames: int, timeout: float = 60.0) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    got = stored(url)
    while got[0] < frames and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        got = stored(url)
    await asyncio.sleep(0.5)  # anything doubled would show up now
    return stored(url)


async def send_minutes(port: int, mn: str, first: int, n: int) -> int:
    """Send ``n`` minute frames of ``mn`` (minutes ``first`` …); return how many were acknowledged (9014)."""
    lg = await Logger.connect(port)
    acked = 0
    try:
        for i in range(first, first + n):
            await lg.send(minute_frame(mn, T0 + timedelta(minutes=i), {"a21026": float(i), "a19001": 7.0}))
            if parse_frame(await lg.reply(timeout=10)).cn == "9014":
                acked += 1
    finally:
        await lg.close()
    return acked


async def stream_subjects(bus: BusSettings) -> dict[str, int]:
    nc = await nats.connect(servers=bus.servers)
    try:
        info = await nc.jetstream().stream_info(bus.stream, subjects_filter=">")
        return dict(info.state.subjects or {})
    finally:
        await nc.close()


async def wait_stream_empty(bus: BusSettings, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (left := await stream_subjects(bus)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert left == {}


class PrivateNats:
    """A ``nats-server -js`` of the test's own, on a free port, its store in the test's folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.store = tmp_path / "nats-store"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd",
                                      str(self.store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not _port_open(self.port):
            assert self.proc.poll() is None and time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no orderly shutdown of the store
            self.proc.wait(10)


# ------------------------------------------------------------------------------ routing


def test_one_point_one_partition_and_all_partitions_used():
    a = Envelope(transport="hj212-tcp", received_at=T0, raw=b"", status="accepted", mn=GAS_MNS[0], point_id=1,
                 peer="10.0.0.1:5000")
    b = Envelope(transport="hj212-tcp", received_at=T0, raw=b"", status="rejected", mn=GAS_MNS[0], point_id=None,
                 peer="10.0.0.9:6000")
    assert point_key(a) == point_key(b)  # known or not yet known, from any address: the same partition
    spread = Counter(partition_of(f"mn:TEST{i:020d}", 16) for i in range(1000))
    assert set(spread) == set(range(16)) and min(spread.values()) > 30


# ------------------------------------------------------------------------------ round trip


async def test_gateway_publishes_before_replying_and_worker_stores_in_postgres(tmp_path, pg_fleet, shared_nats):
    bus = unique_bus(shared_nats)
    gateway = Service(settings_for(pg_fleet, tmp_path, bus, "gw"), role="gateway")
    worker = Service(settings_for(pg_fleet, tmp_path, bus, "wk"), role="worker")
    try:
        await gateway.start()
        await gateway.bus.wait_ready(20)
        acked = sum(await asyncio.gather(*(send_minutes(gateway.hj212_port, mn, 0, 10) for mn in GAS_MNS[:3])))
        assert acked == 30
        # published inline before each reply: the stream holds all of them now, each point in one partition
        expected = Counter(subject_for(bus, "observations", partition_of(f"mn:{mn}", bus.partitions))
                           for mn in GAS_MNS[:3] for _ in range(10))
        assert await stream_subjects(bus) == dict(expected)
        assert counters.get("bus.published") >= 30

        # a message without the spool's headers and one whose envelope does not decode: counted, terminated
        nc = await nats.connect(servers=bus.servers)
        js = nc.jetstream()
        bad_subject = subject_for(bus, "observations", 0)
        await js.publish(bad_subject, b"no headers at all", stream=bus.stream)
        await js.publish(bad_subject, b"{not json\nraw", stream=bus.stream,
                         headers={SPOOL_HEADER: "feedfacefeedface", SEQ_HEADER: "7"})
        await nc.close()
        bad_before, undecodable_before = counters.get("bus.bad_messages"), counters.get("bus.undecodable")

        await worker.start()
        frames, obs = await wait_stored(pg_fleet, 31)
        assert (frames, obs) == (31, 60)  # 30 frames × 2 factors, and the undecodable one archived
        eng = create_engine(pg_fleet)
        with eng.connect() as c:
            bad = c.execute(select(s.raw_frames.c.status, s.raw_frames.c.error, s.raw_frames.c.raw)
                            .where(s.raw_frames.c.spool == "feedfacefeedface")).one()
        eng.dispose()
        assert tuple(bad) == ("rejected", "bus_undecodable", b"{not json\nraw")
        assert counters.get("bus.bad_messages") == bad_before + 1
        assert counters.get("bus.undecodable") == undecodable_before + 1
        await wait_stream_empty(bus)  # a work queue: an envelope leaves once stored (or terminated)
        assert sorted(worker.bus_worker.claims) == [0, 1, 2, 3]  # the only worker holds every partition
    finally:
        await worker.stop()
        await gateway.stop()
        await remove_bus(bus)


# ------------------------------------------------------------------------------ NATS away, NATS restarted


async def test_nats_down_at_start_and_restarted_mid_stream_loses_nothing(tmp_path, pg_fleet):
    if not Path(NATS_SERVER).exists():
        pytest.fail(f"{NATS_SERVER} is needed for this test")
    server = PrivateNats(tmp_path)
    bus = unique_bus(server.url)
    gateway = Service(settings_for(pg_fleet, tmp_path, bus, "gw"), role="gateway")
    worker = Service(settings_for(pg_fleet, tmp_path, bus, "wk"), role="worker")
    try:
        await gateway.start()  # NATS is not running: the gateway still takes data, into its spool
        assert await send_minutes(gateway.hj212_port, GAS_MNS[0], 0, 10) == 10
        assert gateway.spool.backlog == 10 and gateway.bus.js is None

        server.start()
        worker_task = asyncio.create_task(worker.start())
        await gateway.forwarder.drain(30)  # the forwarder publishes the backlog once NATS is there
        await worker_task
        assert (await wait_stored(pg_fleet, 10)) == (10, 20)

        sender = asyncio.create_task(send_minutes(gateway.hj212_port, GAS_MNS[1], 0, 30))
        while stored(pg_fleet)[0] < 15:
            await asyncio.sleep(0.05)
        server.kill()  # mid-stream
        await asyncio.sleep(1.0)
        server.start()  # same port, same store
        assert await sender == 30
        assert await send_minutes(gateway.hj212_port, GAS_MNS[2], 0, 10) == 10
        await gateway.forwarder.drain(60)
        assert (await wait_stored(pg_fleet, 50, timeout=90)) == (50, 100)  # none lost, none doubled
    finally:
        await worker.stop()
        await gateway.stop()
        server.kill()


# ------------------------------------------------------------------------------ several worker processes


def _start_worker_process(url: str, bus: BusSettings, name: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_HOURLY_EVERY": "1",
           "ECOSENTRY_NATS__SERVERS": f'["{bus.servers[0]}"]', "ECOSENTRY_NATS__STREAM": bus.stream,
           "ECOSENTRY_NATS__SUBJECT_PREFIX": bus.subject_prefix, "ECOSENTRY_NATS__PARTITIONS": str(bus.partitions),
           "ECOSENTRY_NATS__LEASE_TTL": str(bus.lease_ttl), "ECOSENTRY_NATS__ACK_WAIT": str(bus.ack_wait),
           "ECOSENTRY_NATS__FETCH_BATCH": str(bus.fetch_batch), "ECOSENTRY_NATS__WORKER_ID": name}
    return subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve", "--role", "worker"], env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


async def lease_owners(bus: BusSettings) -> dict[int, str]:
    """Partition → the worker holding it, from the lease bucket."""
    nc = await nats.connect(servers=bus.servers)
    try:
        kv = await nc.jetstream().key_value(f"{bus.stream}_leases")
        try:
            keys = await kv.keys()
        except Exception:
            return {}
        out = {}
        for k in keys:
            if k.startswith("p."):
                try:
                    out[int(k[2:])] = (await kv.get(k)).value.decode()
                except Exception:
                    pass
        return out
    except Exception:
        return {}
    finally:
        await nc.close()


async def wait_owners(bus: BusSettings, want, timeout: float = 60.0, procs=()) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    owners = await lease_owners(bus)
    while not want(owners):
        for p in procs:
            assert p.poll() is None, f"worker process ended with {p.returncode}"
        assert time.monotonic() < deadline, f"partitions not shared as expected: {owners}"
        await asyncio.sleep(0.2)
        owners = await lease_owners(bus)
    return owners


@pytest.mark.slow
async def test_two_worker_processes_share_partitions_and_one_killed_mid_stream_loses_nothing(
        tmp_path, pg_fleet, shared_nats):
    bus = unique_bus(shared_nats)
    gateway = Service(settings_for(pg_fleet, tmp_path, bus, "gw"), role="gateway")
    procs: list[subprocess.Popen] = []
    try:
        await gateway.start()
        await gateway.bus.wait_ready(20)
        procs.append(_start_worker_process(pg_fleet, bus, "worker-a", tmp_path / "a.log"))
        procs.append(_start_worker_process(pg_fleet, bus, "worker-b", tmp_path / "b.log"))
        owners = await wait_owners(
            bus, lambda o: len(o) == 4 and sorted(Counter(o.values()).values()) == [2, 2], procs=procs)
        assert set(owners.values()) == {"worker-a", "worker-b"}  # two partitions each
        # and every partition has points sending, so both workers are storing when one is killed
        assert {partition_of(f"mn:{mn}", bus.partitions) for mn in GAS_MNS} == set(owners)

        senders = [asyncio.create_task(send_minutes(gateway.hj212_port, mn, 0, 40)) for mn in GAS_MNS]
        while stored(pg_fleet)[0] < 60:
            await asyncio.sleep(0.05)
        procs[0].send_signal(signal.SIGKILL)  # mid-stream: no shutdown code, its leases just stop renewing
        procs[0].wait(10)
        acked = sum(await asyncio.gather(*senders))
        assert acked == 8 * 40
        await gateway.forwarder.drain(60)
        owners = await wait_owners(bus, lambda o: len(o) == 4 and set(o.values()) == {"worker-b"}, procs=procs[1:])
        assert (await wait_stored(pg_fleet, acked, timeout=120)) == (acked, 2 * acked)  # each exactly once
        await wait_stream_empty(bus)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        await gateway.stop()
        await remove_bus(bus)
        for name in ("a.log", "b.log"):
            if (tmp_path / name).exists():
                print(name, (tmp_path / name).read_text()[-3000:])


async def test_api_role_serves_the_web_and_forwards_its_spool_without_a_gateway(tmp_path, pg_fleet, shared_nats):
    import httpx

    bus = unique_bus(shared_nats)
    api = Service(settings_for(pg_fleet, tmp_path, bus, "api"), role="api")
    try:
        await api.start()
        async with httpx.AsyncClient() as client:
            assert (await client.get(api.url + "openapi.json")).status_code == 200
        assert api.gateway is None and api.hj212_port == 0  # loggers go to the gateway processes
        assert api.worker is None and api.bus_worker is None  # the database is written by the workers
        # what reaches this process's spool (HTTP push, a subsystem's part) goes to the stream like a gateway's
        await api.bus.wait_ready(20)
        env = Envelope(transport="http", received_at=datetime(2026, 11, 21, 2, 0), raw=b"pushed", status="rejected",
                       peer="10.0.0.7", error="test")
        await api.spool.append([env.encode()])
        await api.forwarder.drain(20)
        assert sum((await stream_subjects(bus)).values()) == 1
    finally:
        await api.stop()
        await remove_bus(bus)


# ------------------------------------------------------------------------------ faults of item 5 on the bus


def _start_gateway_process(url: str, bus: BusSettings, state: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(state),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port),
           "ECOSENTRY_NATS__SERVERS": f'["{bus.servers[0]}"]', "ECOSENTRY_NATS__STREAM": bus.stream,
           "ECOSENTRY_NATS__SUBJECT_PREFIX": bus.subject_prefix, "ECOSENTRY_NATS__PARTITIONS": str(bus.partitions),
           "ECOSENTRY_NATS__PUBLISH_TIMEOUT": str(bus.publish_timeout),
           # the subsystems' own ports (power +1, park +2, gates push 9216 by default) are any free ones
           **SIDE_PORTS_ENV}
    proc = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve", "--role", "gateway"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _port_open(port):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    return proc


async def send_until_cut(port: int, mn: str, n: int) -> int:
    """Like :func:`send_minutes`, but a connection the server drops ends the run: the count acknowledged."""
    try:
        lg = await Logger.connect(port)
    except OSError:
        return 0
    acked = 0
    try:
        for i in range(n):
            await lg.send(minute_frame(mn, T0 + timedelta(minutes=i), {"a21026": float(i), "a19001": 7.0}))
            if parse_frame(await lg.reply(timeout=10)).cn == "9014":
                acked += 1
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        pass
    finally:
        await lg.close()
    return acked


@pytest.mark.slow
async def test_gateway_killed_mid_stream_every_acknowledged_frame_stored_once(tmp_path, pg_fleet, shared_nats):
    bus = unique_bus(shared_nats)
    port, state = free_port(), tmp_path / "gateway-state"
    worker = Service(settings_for(pg_fleet, tmp_path, bus, "wk"), role="worker")
    # the worker runs on this test's event loop: whatever blocks goes to a thread, or its leases (2 s) lapse
    proc = await asyncio.to_thread(_start_gateway_process, pg_fleet, bus, state, port, tmp_path / "gw.log")
    try:
        await worker.start()
        senders = [asyncio.create_task(send_until_cut(port, mn, 40)) for mn in GAS_MNS[:4]]
        while (await asyncio.to_thread(stored, pg_fleet))[0] < 30:
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # mid-stream: frames spooled, some published, some not, some unreplied
        await asyncio.to_thread(proc.wait, 10)
        acked = await asyncio.gather(*senders)
        assert 30 <= sum(acked) < 160
        spooled = _last_spooled(state / "spool")  # nothing is spooled after the kill: no logger sends again
        assert sum(acked) <= spooled
        proc = await asyncio.to_thread(_start_gateway_process, pg_fleet, bus, state, port,
                                       tmp_path / "gw.log")  # the same spool
        eng = create_engine(pg_fleet)

        def spool_seqs() -> list[int]:
            with eng.connect() as c:
                return sorted(c.scalars(select(s.raw_frames.c.spool_seq)))

        # the restarted gateway forwards what the stream may lack; the partitions store in any order among
        # themselves, so the test waits for the count, not for a run without gaps (a later partition's frame may
        # come before an earlier one's); a loaded machine is slow
        deadline = time.monotonic() + 150
        seqs = await asyncio.to_thread(spool_seqs)
        while len(seqs) < spooled and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            seqs = await asyncio.to_thread(spool_seqs)
        await asyncio.sleep(1.0)  # anything doubled would show up now
        seqs = await asyncio.to_thread(spool_seqs)
        assert seqs == list(range(1, spooled + 1))  # every spooled frame once: no gap, no double
        with eng.connect() as c:
            for mn, n in zip(GAS_MNS[:4], acked):  # each acknowledged minute of each logger is there (by QN)
                qns = set(c.scalars(select(s.raw_frames.c.qn).where(s.raw_frames.c.mn == mn)))
                assert {(T0 + timedelta(minutes=i)).strftime("%Y%m%d%H%M%S") + "000" for i in range(n)} <= qns
        eng.dispose()
        assert (await asyncio.to_thread(stored, pg_fleet))[1] == 2 * len(seqs)
    finally:
        if proc.poll() is None:
            proc.terminate()
            await asyncio.to_thread(proc.wait, 20)
        await worker.stop()
        await remove_bus(bus)


def _last_spooled(spool_dir: Path) -> int:
    """The last record's sequence number in a spool folder whose writer is gone (every segment read whole)."""
    from ecosentry.pipeline.spool import SpoolRecord, SpoolReader

    reader = SpoolReader(spool_dir)
    reader.cursor = 0  # from the start, whatever the forwarder had committed
    reader.rewind()
    last: list[SpoolRecord] = []
    while batch := reader.read_batch(1000):
        last = batch
    return last[-1].seq if last else 0


@pytest.mark.slow
async def test_database_outage_on_the_bus_loses_nothing(tmp_path, pg_fleet, shared_nats):
    from ecosentry.subsystems.monitoring.bench.outage import DatabaseProxy

    proxy = DatabaseProxy("127.0.0.1", 5432)
    proxy.start()
    via_proxy = pg_fleet.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    bus = unique_bus(shared_nats)
    gateway = Service(settings_for(pg_fleet, tmp_path, bus, "gw"), role="gateway")
    worker = Service(settings_for(via_proxy, tmp_path, bus, "wk"), role="worker")
    try:
        await gateway.start()
        await worker.start()
        assert await send_minutes(gateway.hj212_port, GAS_MNS[0], 0, 10) == 10
        assert (await wait_stored(pg_fleet, 10)) == (10, 20)
        proxy.refuse()  # the database becomes unreachable for the worker
        assert await send_minutes(gateway.hj212_port, GAS_MNS[0], 10, 20) == 20  # still acknowledged
        deadline = time.monotonic() + 20
        while worker.bus_worker.db_ok and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert worker.bus_worker.db_ok is False and stored(pg_fleet) == (10, 20)
        assert sum((await stream_subjects(bus)).values()) == 20  # waiting in the stream
        proxy.restore()
        assert (await wait_stored(pg_fleet, 30)) == (30, 60)
        await wait_stream_empty(bus)
        assert worker.bus_worker.db_ok
    finally:
        await worker.stop()
        await gateway.stop()
        await remove_bus(bus)
        proxy.close()


def test_paced_loggers_over_two_gateways_sharing_the_port_are_all_answered_and_stored_once(shared_nats, pg_server):
    """``bench ingest --bus nats --gateways 2 --every S`` (issue 19 item 2, the 20,000-logger run at a small
    size): two gateway processes listen on one port (``hj212_reuse_port``), the kernel spreads the loggers over
    them, every frame is answered and every data point stored once."""
    import io

    from rich.console import Console

    from ecosentry.subsystems.monitoring.bench.ingest import build_frames
    from ecosentry.subsystems.monitoring.bench.ingest_bus import run_one_on_bus
    from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet

    fleet = demo_fleet(40, seed=3)
    frames, n_points = build_frames(fleet, 2)
    r = run_one_on_bus(1, fleet, frames, n_points, pg_server, shared_nats, 4, Console(file=io.StringIO()),
                       gateways=2, every=1.0)
    assert (r["connected"], r["connect_failures"], r["closed_by_server"]) == (40, 0, 0)
    assert r["sent"] == r["replies"] == 80 and r["unanswered"] == r["unsent"] == 0
    assert r["stored"] == r["data_points"] == n_points
    per_gateway = [int(n) for n in r["frames_per_gateway"].split("/")]
    assert sum(per_gateway) == 80 and min(per_gateway) > 0, per_gateway
    assert 0 < r["reply_p50_ms"] <= r["reply_p99_ms"] <= r["reply_max_ms"]
