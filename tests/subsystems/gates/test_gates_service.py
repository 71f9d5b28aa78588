"""The gates subsystem inside the running service (it is installed): the push is one of the service's parts on a
port of its own, the ingest worker hands ``gate-passages`` to the subsystem's sink, and what the push
acknowledged is in the database once the spool is drained; ``ecosentry vehicles import-ledger`` refuses a bad
file with its line and field in the deployment's language (exit 2) and imports a good one once."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from sqlalchemy import select

from ecosentry.service import Service
from ecosentry.settings import Settings
from ecosentry.subsystems.gates import schema as gs
from gates_dbkit import CREDIT, STAGE5, TOKEN, gates_database


async def test_the_service_runs_the_push_and_stores_what_it_acknowledged(db_url, tmp_path):
    gates_database(db_url).dispose()
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0, gates={"push": {"host": "127.0.0.1"}})
    svc = Service(st)
    await svc.start(web=False, alarms=False, forward=False)
    try:
        part = svc.parts["gates_push"]
        assert part.port not in (0, 9216)  # a free port, as the core's are here
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{part.port}", timeout=10) as client:
            for t, direction in (("08:00:00", "in"), ("09:30:00", "out")):
                r = await client.post("/gates/v1/passages", headers={"Authorization": f"Bearer {TOKEN}"}, json={
                    "plate": STAGE5, "plate_colour": "yellow", "confidence": 0.9, "direction": direction,
                    "time": f"2026-12-06T{t}+08:00", "gate": "G1"})
                assert r.status_code == 200 and r.json()["allowed"] is True
        await svc.drain()
        with svc.engine.connect() as c:
            rows = c.execute(select(gs.gates_ledger).order_by(gs.gates_ledger.c.at)).all()
            assert len(c.execute(select(gs.gates_passages)).all()) == 2
        assert [(r.plate, r.inbound) for r in rows] == [(STAGE5, True), (STAGE5, False)]
        assert rows[1].pairs_with == rows[0].id
    finally:
        await svc.stop()


def _cli(args: list[str], db_url: str, tmp_path, **language) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}, "LANG": "C.UTF-8",
           "ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
           "ECOSENTRY_DEFAULT_LOCALE": "zh", **language}
    return subprocess.run([sys.executable, "-m", "ecosentry", "vehicles", "import-ledger", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_ledger_command(db_url, tmp_path):
    gates_database(db_url).dispose()
    good = tmp_path / "L.csv"
    good.write_text("enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t\n"
                    f"{CREDIT},2026-12-06T08:00:00+08:00,in,{STAGE5},,,,煤,31.5\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t\n"
                   f"{CREDIT},2026-12-06 08:00,in,{STAGE5},,,,煤,31.5\n", encoding="utf-8")
    refused = _cli([str(bad)], db_url, tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "bad.csv 第 2 行, time" in refused.stderr and "时区偏移" in refused.stderr
    assert refused.stderr.startswith("错误：")  # the terminal's language (LANG=C: the deployment's)
    first = _cli([str(good)], db_url, tmp_path)
    assert first.returncode == 0 and "读取台账 1 行，新增 1 行" in first.stdout, first.stderr
    again = _cli([str(good)], db_url, tmp_path, LANGUAGE="vi")
    assert again.returncode == 0 and "đã đọc 1 dòng sổ theo dõi, 0 dòng mới" in again.stdout, again.stderr
    again = _cli([str(good)], db_url, tmp_path, LANGUAGE="en")
    assert again.returncode == 0 and "1 ledger rows read, 0 new" in again.stdout, again.stderr
