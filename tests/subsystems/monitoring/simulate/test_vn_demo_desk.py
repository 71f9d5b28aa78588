"""The Vietnamese demo's desk parts: the register seed imports through the registry import, and the demo's MONRE
receiver is a real FTP server registered as a forwarding target, going down and up again."""

from __future__ import annotations

import asyncio
import ftplib
from datetime import date

from sqlalchemy import func, select

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.forward.queue import load_targets
from ecosentry.subsystems.monitoring.rules.vn.register import CATEGORIES
from ecosentry.subsystems.monitoring.simulate.vn_monre import PASSWORD, TARGET_NAME, USER, run_monre
from ecosentry.subsystems.monitoring.simulate.vn_register_seed import seed_register
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet


def test_the_register_seed_gives_every_demo_facility_an_entry(tmp_path):
    fleet = seed_register(demo_vn_fleet(12), today=date(2026, 12, 6))
    entries = [e["vn_register"] for e in fleet["enterprises"]]
    assert entries and all(x["category"] in CATEGORIES and x["district"] for x in entries)
    assert any("deadline" in x for x in entries) and any("deadline" not in x for x in entries)
    engine = prepare_database(f"sqlite:///{tmp_path / 'd.sqlite'}")
    summary = import_fleet(engine, fleet)
    assert summary.subsystems["vn_register_facilities"] == len(entries)
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(ms.vn_register_facilities)) == len(entries)
    assert seed_register(demo_vn_fleet(12), today=date(2026, 12, 6)) == fleet   # deterministic
    engine.dispose()


def test_the_demo_monre_receiver_is_a_forwarding_target_that_goes_down_and_up(tmp_path):
    engine = prepare_database(f"sqlite:///{tmp_path / 'd.sqlite'}")
    asyncio.run(_receiver(engine, tmp_path))
    engine.dispose()


async def _receiver(engine, tmp_path) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_monre(engine, tmp_path / "monre", stop, up_s=1.0, down_s=1.0))
    for _ in range(100):
        targets = await asyncio.to_thread(load_targets, engine)
        if targets:
            break
        await asyncio.sleep(0.05)
    (target,) = targets
    assert (target.name, target.kind, target.username) == (TARGET_NAME, "vn-ftp", USER)

    def login() -> bool:
        try:
            with ftplib.FTP() as ftp:
                ftp.connect("127.0.0.1", target.port, timeout=2)
                ftp.login(USER, PASSWORD)
            return True
        except OSError:
            return False

    states = []
    for _ in range(60):  # ~3 s: up, down, up again
        states.append(await asyncio.to_thread(login))
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 15)
    assert states[0] and not all(states) and True in states[states.index(False):]
