"""A port held by another program ends ``demo`` and ``serve`` with one sentence naming the port and the
option that moves it (exit 2), in the operator's language, not with a traceback.

The commands run as real subprocesses; another program is a real listening socket on the port.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from ecosentry.terminal.messages import cli_language

pytestmark = pytest.mark.slow


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _listening() -> tuple[socket.socket, int]:
    """A port held by a listener, whose next two ports are free when it is chosen: the demo puts the
    electricity and park gateways on the HJ 212 port + 1 and + 2, and a test running beside this one may
    hold one of them, so that the demo would name that port instead (seen once in CI)."""
    for _ in range(50):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if _free(port + 1) and _free(port + 2):
            sock.listen()
            return sock, port
        sock.close()
    raise RuntimeError("no port with two free neighbours")


def _run(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ECOSENTRY_", "LC_", "LANG"))}
    environ.update({"ECOSENTRY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "60", "PYTHONUTF8": "1", **env})
    return subprocess.run([sys.executable, "-m", "ecosentry.cli", *args], env=environ, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)


LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING) ")  # other parts' log lines


def _sentence(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_demo_with_its_web_port_taken_names_the_port_and_the_option(tmp_path):
    taken, port = _listening()
    with taken:
        result = _run(["demo", "-n", "1", "--port", str(port), "--data-dir", str(tmp_path / "demo")], tmp_path,
                      LANG="en_GB.UTF-8")
    assert _sentence(result) == (f"The web port {port} is already in use by another program: stop that program, "
                                 "or choose another port with --port.")


def test_demo_with_its_hj212_port_taken_speaks_chinese_on_a_chinese_terminal(tmp_path):
    taken, port = _listening()
    with taken:
        result = _run(["demo", "-n", "1", "--port", "0", "--hj212-port", str(port),
                       "--data-dir", str(tmp_path / "demo")], tmp_path, LANG="zh_CN.UTF-8")
    assert _sentence(result) == f"HJ 212 端口 {port} 已被其他程序占用：请停止该程序，或用 --hj212-port 另选端口。"


def test_serve_with_its_web_port_taken_names_the_setting_in_the_deployment_language(tmp_path):
    taken, port = _listening()
    with taken:
        result = _run(["serve"], tmp_path, LANG="C.UTF-8", ECOSENTRY_DEFAULT_LOCALE="vi",
                      ECOSENTRY_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite'}",
                      ECOSENTRY_HJ212_HOST="127.0.0.1", ECOSENTRY_HJ212_PORT="0",
                      ECOSENTRY_HTTP_HOST="127.0.0.1", ECOSENTRY_HTTP_PORT=str(port))
    line = _sentence(result)
    assert line.startswith(f"Cổng web {port} đang bị một chương trình khác sử dụng")
    assert line.endswith("ECOSENTRY_HTTP_PORT.")


def test_cli_language_prefers_the_terminal_then_the_deployment():
    assert cli_language("zh", {"LANG": "vi_VN.UTF-8"}) == "vi"
    assert cli_language("zh", {"LANGUAGE": "en_GB:vi", "LANG": "zh_CN.UTF-8"}) == "en"
    assert cli_language("vi", {"LANG": "C.UTF-8"}) == "vi"
    assert cli_language("xx", {}) == "en"
