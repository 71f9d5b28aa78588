"""``ecosentry bench gate --http`` (issue 16 item 10) on a small fleet, on SQLite and PostgreSQL: every plate event
sent over the real HTTP push is acknowledged, stored with its ledger row, the 国四 trucks refused under the orange
alert, and the delays from a passage to its refusal (at the gate, stored) and to its alarm (the checks job as the
service runs it) are measured; the command prints them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ecosentry.subsystems.gates.bench_http import STAGES, run_http_bench


async def test_the_http_bench_stores_every_passage_and_times_the_refusals(db_url, tmp_path):
    res = await run_http_bench(enterprises=3, passages=60, connections=4, samples=4, database_url=db_url,
                               work_dir=tmp_path, watch_seconds=0.5)
    assert res["stored_passages"] == 60 and res["ledger_rows"] == 60
    # event n is truck (n // 3) % 10 of its enterprise; STAGES[0] is the only 国四
    assert res["refused"] == sum(1 for n in range(60) if STAGES[(n // 3) % len(STAGES)] == "4")
    assert res["ack_per_s"] > 0 and res["stored_per_s"] > 0 and res["stored_seconds"] >= res["ack_seconds"]
    for key in ("reply_ms", "refusal_stored_ms", "alarm_ms"):
        assert 0 < res[key]["median"] <= res[key]["p95"] <= res[key]["max"]
    assert res["refusal_stored_ms"]["median"] >= res["reply_ms"]["median"]
    # each sample's alarm was waited for: the refusal is stored before its alarm is, the first full pass of the
    # checks job raised the throughput's own 国四 alarms (one per enterprise)
    assert res["alarm_ms"]["median"] >= res["refusal_stored_ms"]["median"]
    assert res["checks_first_pass"]["enterprises"] == 3 and res["checks_first_pass"]["alarms"] >= 3


def test_ecosentry_bench_gate_http_command(tmp_path):
    env = {**os.environ, "ECOSENTRY_DATA_DIR": str(tmp_path / "state")}
    out = subprocess.run([sys.executable, "-m", "ecosentry", "bench", "gate", "--http", "--passages", "20",
                          "--enterprises", "2", "--samples", "2", "--connections", "2", "--json"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout[out.stdout.index("{"):])
    assert res["database"] == "sqlite" and res["stored_passages"] == 20 and res["samples"] == 2
    assert res["alarm_ms"]["max"] > 0
