"""The folder watcher picks up station files written by another process, once complete (stable size), and spools
them like the FTP gateway; the ``vn-file`` sink then files them: data in observations, file moved with a receipt,
unknown stations quarantined."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta

from ecosentry.gateways.folder import FolderSettings, FolderWatcher
from ecosentry.store import schema as s

from vn_testkit import WATER, count, drained, file_bytes, file_name, intake_stack, local, now_minute, point_id, setup_db

# writes the file in small pieces with pauses (a slow copy), from another process
WRITER = """
import sys, time
path, data = sys.argv[1], bytes.fromhex(sys.argv[2])
with open(path, "wb") as f:
    for i in range(0, len(data), 16):
        f.write(data[i:i + 16]); f.flush(); time.sleep(0.02)
"""
# writes under a temporary name and renames (the recommended way)
RENAMER = """
import os, sys
path, data = sys.argv[1], bytes.fromhex(sys.argv[2])
with open(path + ".tmp", "wb") as f:
    f.write(data)
os.replace(path + ".tmp", path)
"""


async def _wait_received(watcher: FolderWatcher, n: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(watcher.received) < n:
        assert time.monotonic() < deadline, f"watcher took {len(watcher.received)} of {n} files"
        await asyncio.sleep(0.05)


def test_folder_watcher_picks_up_files_from_another_process(db_url, tmp_path):
    asyncio.run(_scenario(db_url, tmp_path))


async def _scenario(db_url, tmp_path) -> None:
    engine = setup_db(db_url)
    wid = point_id(engine, WATER)
    inbox = tmp_path / "inbox"
    (inbox / WATER).mkdir(parents=True)
    now = now_minute()
    t1, t2, t3 = local(now), local(now - timedelta(minutes=5)), local(now - timedelta(minutes=10))
    async with intake_stack(engine, tmp_path) as (appender, _directory, spool, worker):
        watcher = FolderWatcher(appender, [inbox], FolderSettings(poll_interval=0.05, stable_polls=3, quiet_s=0.5))
        task = asyncio.create_task(watcher.run())
        try:
            n1 = file_name(WATER, t1)
            slow = subprocess.Popen([sys.executable, "-c", WRITER, str(inbox / WATER / n1), file_bytes(t1).hex()])
            n2 = file_name(WATER, t2)
            subprocess.run([sys.executable, "-c", RENAMER, str(inbox / n2), file_bytes(t2).hex()], check=True)
            n3 = file_name("HN_XXXX_NUOXXX", t3)
            subprocess.run([sys.executable, "-c", RENAMER, str(inbox / n3), file_bytes(t3).hex()], check=True)
            await asyncio.to_thread(slow.wait, 30)
            assert slow.returncode == 0
            await _wait_received(watcher, 3)
            await drained(worker, spool)
            outcomes = list(worker.sinks["vn-file"].outcomes)
        finally:
            watcher.stop()
            await asyncio.wait_for(task, 10)

    assert {r.file_name for r in watcher.received} == {n1, n2, n3}
    by_name = {o.file_name: o for o in outcomes}
    assert by_name[n1].status == "accepted" and by_name[n1].n_readings == 6  # the whole file, not a piece
    assert by_name[n2].status == "accepted" and by_name[n2].transport == "vn-folder"
    assert by_name[n3].status == "quarantined" and by_name[n3].reason == "unknown_mn"
    # moved next to where they arrived, with receipts
    receipt = json.loads((inbox / WATER / "processed" / f"{n1}.receipt.json").read_text(encoding="utf-8"))
    assert receipt["accepted"] is True and receipt["n_readings"] == 6
    assert (inbox / "processed" / n2).exists() and (inbox / "rejected" / f"{n3}.receipt.json").exists()
    assert not list(inbox.glob("*.txt")) and not list((inbox / WATER).glob("*.txt"))
    # the data are in the database; the unknown station's bytes are in quarantine
    assert count(engine, s.observations, s.observations.c.point_id == wid) == 12
    assert count(engine, s.raw_frames, s.raw_frames.c.transport == "vn-folder") == 3
    assert count(engine, s.quarantine, s.quarantine.c.reason == "unknown_mn") == 1
    engine.dispose()


def test_folder_watcher_waits_for_a_stable_size(tmp_path):
    """A file still growing is not ready; once its size holds over the polls and the quiet time, it is."""
    watcher = FolderWatcher(appender=None, dirs=[tmp_path],  # type: ignore[arg-type]
                            settings=FolderSettings(stable_polls=2, quiet_s=0.0))
    f = tmp_path / "HN_A_B_20260325100000.txt"
    f.write_bytes(b"COD\t1")
    assert watcher.poll() == []
    with open(f, "ab") as fh:
        fh.write(b"\tmg/L\t20260325100000\t00\r\n")
    assert watcher.poll() == [] and watcher.poll() == []
    assert watcher.poll() == [f]
    (tmp_path / ".HN_A_B_20260325100500.txt.x1").write_bytes(b"")  # hidden temporary names are ignored
    (tmp_path / "HN_A_B_20260325100500.txt.part").write_bytes(b"")
    assert watcher.poll() == [f]
