"""The demos' own mosquitto ends with the process that started it, even on ``kill -9`` (it used to outlive the
demo and hold its port until the machine restarted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecosentry.gateways import mosquitto_proc
from netkit import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

STARTER = """
import asyncio, sys, time
from pathlib import Path
from ecosentry.gateways import mosquitto_proc

async def main():
    port = int(sys.argv[2])
    conf = mosquitto_proc.write_conf(Path(sys.argv[1]), port, "allow_anonymous true\\n")
    proc = await mosquitto_proc.start(mosquitto_proc.binary(), conf, port)
    print(proc.pid, port, flush=True)
    time.sleep(600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (not reaped by its dead parent's reaper yet) has ended too
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_broker_ends_when_the_process_that_started_it_is_killed(tmp_path):
    if mosquitto_proc.binary() is None:
        if IN_CI:
            pytest.fail("mosquitto is required in CI")
        pytest.skip("mosquitto not installed")
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path), str(free_port())],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SRC)})
    try:
        broker_pid, port = map(int, starter.stdout.readline().split())
        assert _alive(broker_pid)
        starter.send_signal(signal.SIGKILL)
        starter.wait(10)
        deadline = time.monotonic() + 10
        while _alive(broker_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(broker_pid), "mosquitto outlived the process that started it"
    finally:
        if starter.poll() is None:
            starter.kill()
