"""The command line's own refusals (unknown command or option, missing or malformed value) in the terminal's
language, exit 2, as the commands' own errors are (ecosentry.terminal.usage)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ecosentry.cli import app
from ecosentry.locale import translations
from ecosentry.terminal.usage import MSGIDS

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")


def _ecosentry(lang: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LANGUAGE": lang, "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ecosentry", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_an_unknown_command_in_chinese():
    done = _ecosentry("zh_CN", "nosuchcmd")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ["用法：ecosentry [OPTIONS] COMMAND [ARGS]...",
                                        "运行 'ecosentry --help' 查看帮助。",
                                        "错误：没有命令 'nosuchcmd'。"]


def test_an_unknown_option_in_vietnamese():
    done = _ecosentry("vi", "detect", "--bogus")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ["Cách dùng: ecosentry detect [OPTIONS]",
                                        "Chạy 'ecosentry detect --help' để xem trợ giúp.",
                                        "Lỗi: Không có tùy chọn --bogus (có thể là: --jobs)"]


@pytest.mark.parametrize("lang, args, line", [
    ("zh", ["detect"], "错误：缺少选项 '--input' / '-i'。"),
    ("vi", ["detect"], "Lỗi: Thiếu tùy chọn '--input' / '-i'."),
    ("zh", ["detect", "-i", ".", "--jobs", "x"], "错误：'--jobs' / '-j' 的值无效：'x' 不是整数"),
    ("vi", ["demo", "-n", "0"], "Lỗi: Giá trị không hợp lệ cho '--loggers' / '-n': '0' phải từ 1 trở lên"),
    ("zh", ["registry", "import", "/no/such.yaml"], "错误：'path' 的值无效：文件 '/no/such.yaml' 不存在。"),
    ("vi", ["detect", "--jobs"], "Lỗi: Tùy chọn '--jobs' cần một giá trị."),
    ("zh", ["migrate", "extra"], "错误：多余的参数：extra"),
    ("en", ["registry", "nosuch"], "error: No such command 'nosuch'."),
    ("en", ["detect", "-i", ".", "--jobs", "1.5"], "error: Invalid value for '--jobs' / '-j': '1.5' is not a whole number"),
    ("vi", ["demo", "--country", "fr"], "Lỗi: --country phải là cn hoặc vn, không phải 'fr'"),
    ("zh", ["serve", "--role", "boss"], "错误：--role 必须是 all, gateway, worker, api 之一，不能是 'boss'"),
    ("vi", ["regstry"], "Lỗi: Không có lệnh 'regstry'. Có phải bạn muốn dùng 'registry'?"),
    ("zh", ["bench", "nab", "--nab-dir", "/nope"],
     "错误：/nope 处没有 NAB 数据集（应有 labels/combined_windows.json）；请用 --nab-dir 指定"),
    ("vi", ["bench", "recompute", "--db", "sqlite:///never.db", "--paths", "bad"],
     "Lỗi: --paths 'bad': chỉ được là bulk và/hoặc per-period"),
], ids=["missing-zh", "missing-vi", "int-zh", "min-vi", "path-zh", "no-value-vi", "extra-zh", "group-en", "int-en",
        "country-vi", "role-zh", "close-command-vi", "bench-nab-zh", "bench-paths-vi"])
def test_each_refusal_is_said_in_the_terminals_language(lang, args, line):
    result = CliRunner().invoke(app, args, env={"LANGUAGE": lang, "LC_ALL": "", "LC_MESSAGES": "", "COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == line


def test_the_help_of_a_group_without_its_command_is_still_shown():
    result = CliRunner().invoke(app, ["registry"], env={"LANGUAGE": "zh"})
    assert "import" in result.output and "错误" not in result.output


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_sentence_is_translated_with_the_same_parameters(lang):
    gettext = translations(lang).gettext
    for msgid in MSGIDS:
        said = gettext(msgid)
        assert said != msgid, (lang, msgid)
        assert set(PLACEHOLDER.findall(said)) == set(PLACEHOLDER.findall(msgid)), (lang, msgid, said)
