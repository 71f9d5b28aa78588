"""An installed list that cannot be loaded stops the command with one sentence in the operator's language (exit 2),
not a traceback: the command line is assembled from the subsystems, so this error comes before any command."""

from __future__ import annotations

import os
import subprocess
import sys


def _ecosentry(env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "ecosentry", "--help"], env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_missing_subsystem_package_is_one_sentence_in_the_terminal_language():
    done = _ecosentry({"ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.monitoring,no_such_subsystem",
                       "LANG": "vi_VN.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == ("Không nạp được gói phân hệ no_such_subsystem (No module named "
                                   "'no_such_subsystem'): hãy sửa ECOSENTRY_SUBSYSTEMS hoặc cài đặt gói này.")


def test_a_package_without_a_declaration_is_named():
    done = _ecosentry({"ECOSENTRY_SUBSYSTEMS": "ecosentry.contracts", "LANG": "zh_CN.UTF-8", "LANGUAGE": "",
                       "LC_ALL": "", "LC_MESSAGES": ""})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ecosentry.contracts" in done.stderr and "ECOSENTRY_SUBSYSTEMS" in done.stderr
    assert "无法加载子系统包" in done.stderr


def test_the_default_list_runs_the_command():
    done = _ecosentry({})
    assert done.returncode == 0, done.stderr
    assert "demo" in done.stdout and "report" in done.stdout
