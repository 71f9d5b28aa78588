"""``ecosentry bench gate --http``: the live path of the gates, measured on the real service (issue 16 item 10).

A fresh database (SQLite in a temporary folder, or ``--database-url``) gets ``enterprises`` graded B enterprises
of one city, each with a gate, a device and a register of ten trucks (国四, 国五, 国六), and an orange alert in
force; the service runs (spool, ingest worker, the ``gate-passages`` sink, the push on its own port). Then:

* **throughput**: ``passages`` plate events, each with a small PNG capture, posted over HTTP by ``connections``
  clients at once (the httpx client runs in the same process and event loop as the push, so the numbers are lower
  bounds): the rate at which the push acknowledged them durable (decided and on the spool), and the rate from the
  first request to the last ledger row stored (passage, picture, decision, ledger row, entry/exit pairing);
* **from passage to alarm**: the checks job (:class:`.checks_job.CheckJob`, as the service runs it: a full pass,
  then a look for new passages every ``gates.job.watch_seconds``, its alarms through the service's dispatcher)
  starts once the throughput's passages are stored, its first full pass timed (every enterprise's month read and
  checked); then ``samples`` 国四 trucks, after a random pause each (up to ``watch_seconds``: trucks do not
  arrive in step with the job's looks) (each a plate of its own, registered for the purpose, so each is a new
  ``VEH-ALERT-STAGE`` finding) are sent one at a time, each to the next enterprise, while nothing else is sent. For
  each, the time from the request to the gate's refusal in the reply (what the barrier and the guard's screen
  get), to the refusal stored (the decision row the live view shows) and to the alarm stored
  (``ALM-VEH-ALERT-STAGE`` of the enterprise raised, or its occurrence counted, with this plate in its evidence:
  what the alarms page and the notifications show).
"""

from __future__ import annotations

import asyncio
import base64
import random
import statistics
import struct
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from sqlalchemy import func, insert, make_url, select

__all__ = ["run_http_bench"]

STAGES = ("4", "5", "5", "6", "6", "6", "5", "6", "5", "6")
_PROVINCE, _CITY = "140000", "141000"


def _png(seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00" + bytes([seed % 256, (seed >> 8) % 256, 7])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _credit(i: int) -> str:
    return f"91141000MA{i:07d}X"[:18]


def _plate(i: int, k: int) -> str:
    return f"晋A{(i * 10 + k) % 100000:05d}"


def _alarm_plate(i: int, k: int) -> str:
    """The ``k``-th 国四 truck of enterprise ``i`` kept for the passage-to-alarm samples."""
    return f"晋K{(i * 100 + k) % 100000:05d}"


def _vin(i: int, k: int) -> str:
    """A valid VIN (check digit) of the enterprise's ``k``-th truck."""
    from ecosentry.subsystems.gates.rules.vin import check_digit

    body = f"LZZ1CLVB0{i:04d}{k:04d}"[:17]
    return body[:8] + check_digit(body) + body[9:]


def _token(i: int) -> str:
    return f"bench-gate-device-token-{i:06d}"


def _fleet(enterprises: int, alarm_trucks: int = 0) -> dict:
    return {"gates": {"enterprises": [{
        "credit_code": _credit(i), "grade": "B",
        "gates": [{"code": "G1", "name": "东门", "barrier": True,
                   "devices": [{"code": f"BENCH-{i:05d}", "token": _token(i)}]}],
        "vehicles": [{"plate": _plate(i, k), "plate_colour": "yellow", "emission_stage": STAGES[k], "fuel": "diesel"}
                     for k in range(len(STAGES))]
        + [{"plate": _alarm_plate(i, k), "plate_colour": "yellow", "emission_stage": "4", "fuel": "diesel"}
           for k in range(alarm_trucks)]} for i in range(enterprises)]}}


def _history(c, enterprises: int, end: datetime, days: float, per_day: int) -> int:
    """``days`` of earlier traffic per enterprise (``per_day`` passages a day, its registered trucks in and out,
    each with its ledger row), written straight into the tables: what the checks job reads back each time it
    checks an enterprise (the month so far). The rows end at ``end`` (before the throughput's passages)."""
    from ecosentry.store import schema as s
    from ecosentry.subsystems.gates import schema as gs

    if days <= 0 or per_day <= 0:
        return 0
    g, d = gs.gates_gates.c, gs.gates_devices.c
    gates = dict(c.execute(select(g.enterprise_id, g.id)).all())
    devices = dict(c.execute(select(d.gate_id, d.id)).all())
    ids = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    step = timedelta(seconds=86400 / per_day)
    n_rows = int(days * per_day)
    total = 0
    for i in range(enterprises):
        ent = ids[_credit(i)]
        rows = []
        for j in range(n_rows):
            at = end - step * (n_rows - j)
            rows.append({"spool": "bench-history", "spool_seq": total + j, "enterprise_id": ent,
                         "gate_id": gates[ent], "device_id": devices[gates[ent]], "at": at, "received_at": at,
                         "inbound": (j // len(STAGES)) % 2 == 0, "plate": _plate(i, j % len(STAGES)),
                         "plate_colour": "yellow", "confidence": 0.95})
        c.execute(insert(gs.gates_passages), rows)
        p = gs.gates_passages.c
        stored = c.execute(select(p.id, p.at, p.inbound, p.plate).where(p.enterprise_id == ent,
                                                                        p.spool == "bench-history")).all()
        # complete rows (the guard filled VIN, cargo and weight): the checks find nothing in them but the 国四
        # trucks' passages under the alert
        c.execute(insert(gs.gates_ledger), [{
            "enterprise_id": ent, "source": "camera", "passage_id": r.id, "at": r.at, "inbound": r.inbound,
            "plate": r.plate, "plate_colour": "yellow", "vin": _vin(i, int(r.plate[-1])),
            "emission_stage": STAGES[int(r.plate[-1]) % len(STAGES)],
            "fuel": "diesel", "cargo": "煤", "weight_t": 30.0, "entered_at": r.at} for r in stored])
        total += n_rows
    return total


def _prepare(url: str, enterprises: int, now: datetime, alarm_trucks: int, history_days: float = 0,
             history_per_day: int = 0, history_end: datetime | None = None) -> None:
    from ecosentry.service import prepare_database
    from ecosentry.store import pollution_alerts
    from ecosentry.store import schema as s
    from ecosentry.subsystems.gates.store.registry import import_gates

    engine = prepare_database(url)
    try:
        with engine.begin() as c:
            c.execute(insert(s.regions), [{"code": _PROVINCE, "name": "山西省", "level": "province", "parent_code": None},
                                          {"code": _CITY, "name": "临汾市", "parent_code": _PROVINCE, "level": "city"}])
            c.execute(insert(s.enterprises), [{"credit_code": _credit(i), "name": f"临汾企业{i:04d}",
                                               "region_code": _CITY} for i in range(enterprises)])
            import_gates(c, _fleet(enterprises, alarm_trucks), "bench")
            _history(c, enterprises, history_end or now, history_days, history_per_day)
        pollution_alerts.issue(engine, region_code=_PROVINCE, level="orange", starts_at=now - timedelta(days=2),
                               ends_at=now + timedelta(days=1), issued_by="bench", actor="bench")
    finally:
        engine.dispose()


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


async def run_http_bench(*, enterprises: int = 20, passages: int = 2000, connections: int = 16, samples: int = 20,
                         database_url: str | None = None, work_dir: Path | None = None,
                         watch_seconds: float = 2.0, history_days: float = 0, history_per_day: int = 300) -> dict:
    """Run the measures above; a summary dict (rates in passages/s, delays in ms)."""
    from ecosentry.service import Service
    from ecosentry.settings import Settings
    from ecosentry.subsystems.gates import schema as gs

    with tempfile.TemporaryDirectory(prefix="ecosentry-bench-gate-") as tmp:
        root = Path(work_dir or tmp)
        url = database_url or f"sqlite:///{root / 'bench.sqlite'}"
        now = datetime.now(timezone.utc).replace(microsecond=0)
        per_ent = -(-passages // enterprises)
        # each enterprise's events 61 s apart (no repeated reads), ending an hour ago, inside the alert
        base = now - timedelta(hours=1) - timedelta(seconds=61 * per_ent)
        await asyncio.to_thread(_prepare, url, enterprises, now, -(-samples // enterprises), history_days,
                                history_per_day, base - timedelta(minutes=10))
        st = Settings(database_url=url, data_dir=root / "state", hj212_host="127.0.0.1", hj212_port=0,
                      http_host="127.0.0.1", http_port=0,
                      gates={"push": {"host": "127.0.0.1", "port": 0, "refresh_every": 3600},
                             "retention": {"every_s": 0}, "job": {"watch_seconds": watch_seconds}})
        svc = Service(st)
        await svc.start(web=False, alarms=False, forward=False)
        try:
            port = svc.parts["gates_push"].port
            events = []
            for n in range(passages):
                i, j = n % enterprises, n // enterprises
                k = j % len(STAGES)
                events.append((_token(i), {
                    "plate": _plate(i, k), "plate_colour": "yellow", "confidence": 0.95, "gate": "G1",
                    "direction": "in" if (j // len(STAGES)) % 2 == 0 else "out",
                    "time": (base + timedelta(seconds=61 * j)).isoformat(),
                    "picture": base64.b64encode(_png(n)).decode()}))
            limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as client:
                queue: asyncio.Queue = asyncio.Queue()
                for e in events:
                    queue.put_nowait(e)
                refused = 0

                async def poster() -> None:
                    nonlocal refused
                    while not queue.empty():
                        token, body = queue.get_nowait()
                        r = await client.post("/gates/v1/passages", json=body,
                                              headers={"Authorization": f"Bearer {token}"})
                        r.raise_for_status()
                        refused += r.json()["allowed"] is False

                t0 = time.perf_counter()
                await asyncio.gather(*(poster() for _ in range(connections)))
                t_ack = time.perf_counter() - t0
                await svc.drain(timeout=max(600.0, passages / 5))
                t_stored = time.perf_counter() - t0
                with svc.engine.connect() as c:
                    stored = c.scalar(select(func.count()).select_from(gs.gates_passages)
                                      .where(gs.gates_passages.c.spool != "bench-history"))
                    ledger = c.scalar(select(func.count()).select_from(gs.gates_ledger).join(
                        gs.gates_passages, gs.gates_passages.c.id == gs.gates_ledger.c.passage_id)
                                      .where(gs.gates_passages.c.spool != "bench-history"))
                # the checks job as the service runs it, started on the stored throughput: its first full pass
                job = svc.parts["gates_checks"].target
                t4 = time.perf_counter()
                first = await job.pass_once()
                first_pass = time.perf_counter() - t4
                job_task = asyncio.create_task(job.run(), name="bench-gates-checks")
                ids = await asyncio.to_thread(_enterprise_ids, svc.engine)
                # from passage to alarm: new 国四 trucks one at a time, each at the next enterprise
                to_reply, to_stored, to_alarm = [], [], []
                rng = random.Random(10)
                try:
                    for n in range(samples):
                        # a random pause first: the trucks do not arrive in step with the job's looks
                        await asyncio.sleep(rng.uniform(0, watch_seconds or 1.0))
                        i, k = n % enterprises, n // enterprises
                        plate = _alarm_plate(i, k)
                        body = {"plate": plate, "plate_colour": "yellow", "confidence": 0.95, "gate": "G1",
                                "direction": "in", "time": (now - timedelta(minutes=50) + timedelta(seconds=61 * n))
                                .isoformat()}
                        t1 = time.perf_counter()
                        r = await client.post("/gates/v1/passages", json=body,
                                              headers={"Authorization": f"Bearer {_token(i)}"})
                        t2 = time.perf_counter()
                        assert r.json()["allowed"] is False, r.text
                        at = datetime.fromisoformat(body["time"])
                        t3 = None
                        while True:
                            stored_now, alarmed = await asyncio.to_thread(_seen, svc.engine, ids[_credit(i)], plate, at)
                            if stored_now and t3 is None:
                                t3 = time.perf_counter()
                            if alarmed:
                                break
                            if time.perf_counter() - t1 > 120 + 2 * job.settings.job.every_seconds:
                                raise RuntimeError(f"no alarm for {plate} after {time.perf_counter() - t1:.0f} s")
                            await asyncio.sleep(0.002)
                        t5 = time.perf_counter()
                        to_reply.append((t2 - t1) * 1000)
                        to_stored.append(((t3 or t5) - t1) * 1000)
                        to_alarm.append((t5 - t1) * 1000)
                finally:
                    job.stop()
                    await asyncio.wait_for(job_task, 30)
        finally:
            await svc.stop()
    return {"database": make_url(url).get_backend_name(), "enterprises": enterprises, "passages": passages,
            "connections": connections, "stored_passages": int(stored), "ledger_rows": int(ledger),
            "refused": refused, "ack_seconds": round(t_ack, 2), "ack_per_s": round(passages / t_ack, 1),
            "stored_seconds": round(t_stored, 2), "stored_per_s": round(passages / t_stored, 1),
            "samples": samples, "watch_seconds": watch_seconds,
            "history": {"days": history_days, "per_day": history_per_day if history_days else 0},
            "checks_first_pass_s": round(first_pass, 2), "checks_first_pass": first.counts(),
            "reply_ms": _spread(to_reply), "refusal_stored_ms": _spread(to_stored), "alarm_ms": _spread(to_alarm)}


def _spread(xs: list[float]) -> dict:
    return {"median": round(statistics.median(xs), 1), "p95": round(_pct(xs, 0.95), 1), "max": round(max(xs), 1)}


def _enterprise_ids(engine) -> dict[str, int]:
    from ecosentry.store import schema as s

    with engine.connect() as c:
        return dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())


def _seen(engine, enterprise_id: int, plate: str, at: datetime) -> tuple[bool, bool]:
    """Whether the passage's refusal is stored, and whether the enterprise's ``ALM-VEH-ALERT-STAGE`` alarm names
    the plate (raised for it, or its occurrence counted: the alarm keeps the latest evidence)."""
    from ecosentry.store import schema as s
    from ecosentry.subsystems.gates import schema as gs

    p, d, a = gs.gates_passages, gs.gates_decisions, s.alarms.c
    with engine.connect() as c:
        refused = c.scalar(select(d.c.allowed).join(p, p.c.id == d.c.passage_id).where(
            p.c.enterprise_id == enterprise_id, p.c.at == at, p.c.plate == plate, d.c.kind == "rule")) is False
        evidence = c.execute(select(a.evidence).where(a.type == "ALM-VEH-ALERT-STAGE", a.source_type == "gates-enterprise",
                                                      a.source_id == str(enterprise_id), a.state != "cleared")).scalars()
        return refused, any((e or {}).get("plate") == plate for e in evidence)
