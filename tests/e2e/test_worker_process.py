"""The ingest worker child of ``serve`` (ECOSENTRY_INGEST_PROCESS=true) ends with its parent, and one spool
has one worker: real processes, a real ``kill -9``, real file locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ecosentry.pipeline.parent_watch import watch_parent
from ecosentry.pipeline.spool_lock import LOCK_FILE, SpoolBusy, SpoolLock
from ecosentry.service import prepare_database
from ecosentry.fleet import import_fleet
from helpers import FLEET
from netkit import SIDE_PORTS_ENV, free_port

WAIT = 60.0  # bound of every wait below; none asserts how fast anything happens [s]


def _env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOSENTRY_")}
    env.update({**SIDE_PORTS_ENV, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
                "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HTTP_HOST": "127.0.0.1",
                "ECOSENTRY_HTTP_PORT": "0", "LANG": "en_GB.UTF-8", "PYTHONUTF8": "1", "COLUMNS": "60", **extra})
    return env


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    engine = prepare_database(url)
    import_fleet(engine, FLEET)
    engine.dispose()
    return url


def _alive(pid: int) -> bool:
    """Running (a zombie whose parent has not reaped it yet counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _until(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT:.0f} s: {what}")


def _lock_holder(spool: Path) -> int | None:
    try:
        return int((spool / LOCK_FILE).read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_child_ends_when_serve_is_killed(tmp_path):
    url = _database(tmp_path)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              env=_env(tmp_path, url, ECOSENTRY_INGEST_PROCESS="true", ECOSENTRY_HJ212_PORT=str(port)))
    spool = tmp_path / "state" / "spool"
    try:
        # serve itself takes the lock for a moment (is a previous worker still there?), then its child holds it
        worker = _until(lambda: _lock_holder(spool) not in (None, server.pid) and _lock_holder(spool),
                        "the worker child holds the spool lock")
        assert _alive(worker)
        with open(f"/proc/{worker}/stat") as fh:
            assert int(fh.read().rsplit(")", 1)[1].split()[1]) == server.pid  # serve's child
        server.send_signal(signal.SIGKILL)
        server.wait(WAIT)
        _until(lambda: not _alive(worker), f"worker {worker} ends after its parent was killed")
        with SpoolLock(spool) as lock:  # and the spool is free for the next server's worker
            assert lock.held
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.slow
def test_a_second_worker_on_one_spool_exits_naming_the_spool_and_the_first(tmp_path):
    url = _database(tmp_path)
    env = _env(tmp_path, url)
    spool = tmp_path / "state" / "spool"
    first = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _until(lambda: _lock_holder(spool) == first.pid, "the first worker holds the spool lock")
        second = subprocess.run([sys.executable, "-m", "ecosentry.cli", "worker"], env=env, capture_output=True,
                                text=True, timeout=WAIT)
        assert second.returncode == 2, second.stderr
        assert "Traceback" not in second.stderr
        assert second.stderr.strip() == (f"Another ingest worker (process {first.pid}) already reads the spool "
                                         f"{spool}: only one worker may run per spool.")
        assert first.poll() is None  # the first one goes on
        # serve with its own (in-process) worker does not start next to it either
        served = subprocess.run([sys.executable, "-m", "ecosentry.cli", "serve"], capture_output=True, text=True,
                                timeout=WAIT, env=_env(tmp_path, url, ECOSENTRY_HJ212_PORT="0",
                                                       ECOSENTRY_WORKER_LOCK_WAIT="0", LANG="zh_CN.UTF-8"))
        assert served.returncode == 2, served.stderr
        assert f"另一个入库进程（进程号 {first.pid}）已在读取缓冲目录 {spool}" in served.stderr
        assert "Traceback" not in served.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(WAIT)
    assert first.returncode == 0, first.stderr.read()
    with SpoolLock(spool) as lock:  # released on exit
        assert lock.held


def test_lock_is_exclusive_between_open_files_and_names_the_holder(tmp_path):
    with SpoolLock(tmp_path) as held:
        assert held.held
        with pytest.raises(SpoolBusy) as busy:
            SpoolLock(tmp_path).acquire()
        assert busy.value.pid == os.getpid() and busy.value.spool == tmp_path
    with SpoolLock(tmp_path) as again:
        assert again.held


def test_the_parent_pipe_at_end_of_file_means_the_parent_is_gone():
    """The portable mechanism alone (no death signal): closing the write end, as the kernel does when the
    parent dies, calls ``on_gone``."""
    read_end, write_end = os.pipe()
    gone = threading.Event()
    thread = watch_parent(os.getppid(), gone.set, pipe_fd=read_end, death_signal=False, hard_exit_after=None)
    os.close(write_end)
    thread.join(WAIT)
    assert gone.is_set()
    os.close(read_end)
