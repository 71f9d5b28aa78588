"""``ecosentry detect``'s head start (detect/early.py): the data file parsed from the command's first moment,
taken by the command only for the very file and zone it was started for; the same columns as reading it then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.installed import start_early
from ecosentry.subsystems.monitoring.detect import early
from ecosentry.subsystems.monitoring.offline.csvio import read_data_columns

ROWS = "".join(f"P1,a21026,2026-10-01T{h:02d}:{m:02d}:00Z,{30 + (h * 7 + m) % 5}.5,N,\n"
               for h in range(3) for m in range(60))


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("point,factor,time,value,flag,zs_value\n" + ROWS, encoding="ascii")
    return path


@pytest.fixture(autouse=True)
def _nothing_started():
    early._STARTED.clear()
    yield
    early._STARTED.clear()


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) if isinstance(getattr(a, f), np.ndarray)
               else getattr(a, f) == getattr(b, f) for f in a.__dataclass_fields__)


def test_the_read_started_early_gives_the_columns_of_a_read_then(data):
    start_early(["detect", "-i", str(data), "--output", "out.jsonl", "--tz=Asia/Ho_Chi_Minh"])
    future = early.take(data, "Asia/Ho_Chi_Minh")
    assert future is not None and _same(future.result(), read_data_columns(data, ZoneInfo("Asia/Ho_Chi_Minh")))
    assert early.take(data, "Asia/Ho_Chi_Minh") is None  # taken once


@pytest.mark.parametrize("argv", [
    ["detect", "--input", "{f}", "--format", "nab"],       # NAB files are read as the NAB bench reads them
    ["detect", "--input", "{f}", "--help"],                # help only
    ["detect", "--input", "{f}", "--tz", "Mars/Olympus"],  # the command refuses the zone
    ["detect", "--input", "{f}.missing"],                  # the command refuses the file
    ["detect"],                                            # no input: the command says so
    ["compute", "--input", "{f}"],                         # another command
    [],
])
def test_nothing_starts_when_the_command_would_not_read_the_file(data, argv):
    start_early([a.replace("{f}", str(data)) for a in argv])
    assert early._STARTED == {}


def test_a_read_is_taken_only_for_its_file_zone_and_version(data):
    early.start(["detect", "--input", str(data)])
    assert early.take(data, "Asia/Ho_Chi_Minh") is None  # another zone: read again (and the early one dropped)
    early.start(["detect", "--input", str(data)])
    os.utime(data, ns=(1, 1))  # the file changed since the read began
    assert early.take(data, early.DEFAULT_TZ) is None
    early.start(["detect", "--input", str(data)])
    assert early.take(data, early.DEFAULT_TZ) is not None


def test_a_failing_hook_never_stops_the_command(monkeypatch):
    def broken(argv):
        raise RuntimeError("boom")

    monkeypatch.setattr("ecosentry.installed.each", lambda field: [(None, broken)])
    start_early(["detect", "--input", "x"])  # nothing raised


def test_the_command_with_its_head_start(data, tmp_path):
    out = tmp_path / "findings.jsonl"
    done = subprocess.run([sys.executable, "-m", "ecosentry", "detect", "--input", str(data), "--output", str(out),
                           "--jobs", "1"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LANGUAGE": "en", "LC_ALL": ""})
    assert done.returncode == 0, done.stderr
    assert out.exists() and "1 point(s)" in done.stdout


def test_detect_asks_openblas_for_one_thread_before_numpy_loads_it(tmp_path):
    """OpenBLAS's pool spins at numpy's import (~0.1 s of a processor per thread): detect's process starts
    without it, unless the user chose a number of threads; a process that loaded numpy already is left as it is."""
    probe = ("import os, sys\n"
             "from ecosentry.subsystems.monitoring.detect import early\n"
             "early.start(sys.argv[1:])\n"
             "import numpy\n"
             "from threadpoolctl import threadpool_info\n"
             "print(os.environ.get('OPENBLAS_NUM_THREADS'),\n"
             "      sorted({i['num_threads'] for i in threadpool_info() if i['internal_api'] == 'openblas'}))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}

    def run(*argv: str, **extra: str) -> str:
        return subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60,
                              env={**env, **extra}, check=True).stdout.split()

    assert run("detect", "--input", str(tmp_path / "none.csv")) == ["1", "[1]"]
    assert run("detect", "--help")[0] == "1"
    assert run("detect", OPENBLAS_NUM_THREADS="2")[0] == "2"  # the user's choice stands
    assert run("serve")[0] == "None"  # another command: numpy's default pool


def test_one_blas_thread_changes_nothing_once_numpy_is_loaded(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    early.one_blas_thread()  # numpy is loaded in the tests' process
    assert "OPENBLAS_NUM_THREADS" not in os.environ
