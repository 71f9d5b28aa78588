"""The command line's help pages in the terminal's language (ecosentry.terminal.help): every command's and
option's help text is translated, Typer's own labels too, and a help page shows them; English gets the texts
in their plain form (one line per paragraph)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import typer
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from ecosentry.cli import app
from ecosentry.installed import locale_dirs
from ecosentry.locale import LOCALE_DIR, translations
from ecosentry.terminal.help import HELP_OPTION, LABELS, USAGE, help_texts, plain

PLACEHOLDER = re.compile(r"\{\}|%\((\w+)\)[sd]")
ENV = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "COLUMNS": "120"}


def _texts() -> set[str]:
    return {text for text, _module in help_texts(typer.main.get_command(app))}


def test_plain_form_of_a_docstring():
    assert plain("Run the worker: spool → database. `serve` starts it\n    itself when X=true.\n\n  Second\n"
                 "  paragraph.  \n") == "Run the worker: spool → database. `serve` starts it itself when X=true.\n\n" \
                                        "Second paragraph."
    assert plain("one line") == "one line"


def test_the_tree_has_its_help_texts():
    texts = _texts()
    assert len(texts) > 300  # 83 commands and groups, 283 options: a tree walked whole
    assert "Falsification and anomaly detectors on a CSV file (long or NAB), no server." in texts
    assert "Gate, video and electronic ledger of cargo vehicles (门禁 + 视频 + 电子台账)." in texts


def _translated(lang: str) -> set[str]:
    """The msgids the core's and the subsystems' catalogues of ``lang`` translate (a translation may equal
    its msgid: a file's column list)."""
    out: set[str] = set()
    for d in (*locale_dirs(), LOCALE_DIR):
        po = d / lang / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            with open(po, "rb") as fh:
                out |= {m.id for m in read_po(fh) if m.id and m.string and not m.fuzzy}
    return out


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_help_text_and_label_is_translated(lang):
    gettext = translations(lang).gettext
    wanted = _texts() | set(LABELS.values()) | {HELP_OPTION, USAGE}
    missing = sorted(wanted - _translated(lang))
    assert not missing, f"{len(missing)} help texts lack a {lang} translation:\n" + "\n".join(missing[:20])
    for text in wanted:
        assert Counter(PLACEHOLDER.findall(gettext(text))) == Counter(PLACEHOLDER.findall(text)), text


@pytest.mark.parametrize("lang, args, shown", [
    ("zh", ["detect", "--help"], ["用法：ecosentry detect", "对 CSV 文件（长格式或 NAB）运行造假和异常检测", "选项",
                                  "[必填]", "显示本帮助并退出。", "[默认：long]"]),
    ("vi", ["vehicles", "--help"], ["Cách dùng: ecosentry vehicles", "Cổng, camera và sổ ghi điện tử của xe chở hàng.",
                                    "Lệnh", "Tùy chọn"]),
    ("zh", ["registry"], ["用法：ecosentry registry", "档案：行政区、企业、排放口、监测点、监测因子。", "命令",
                          "导入行政区、企业、排放口、监测点、监测因子、限值和账号"]),
    ("vi", [], ["Cách dùng: ecosentry", "ecosentry: nền tảng mở giám sát nguồn thải.", "Giám sát điện năng"]),
], ids=["detect-zh", "vehicles-vi", "group-without-command-zh", "root-vi"])
def test_a_help_page_in_the_terminals_language(lang, args, shown):
    result = CliRunner().invoke(app, args, env={**ENV, "LANGUAGE": lang}, prog_name="ecosentry")
    page = " ".join(result.output.split())  # the panels wrap the texts
    for words in shown:
        assert " ".join(words.split()) in page, (words, result.output)
    assert "Show this message and exit." not in page and "Options" not in page


def test_english_help_is_plain_and_a_second_language_starts_from_english():
    runner = CliRunner()
    runner.invoke(app, ["worker", "--help"], env={**ENV, "LANGUAGE": "zh"})  # the tree was made Chinese first
    result = runner.invoke(app, ["worker", "--help"], env={**ENV, "LANGUAGE": "en", "COLUMNS": "400"}, prog_name="ecosentry")
    assert result.exit_code == 0
    assert ("Run only the ingest worker: spool (ECOSENTRY_DATA_DIR) → database. `serve` starts it itself when "
            "ECOSENTRY_INGEST_PROCESS=true.") in result.output  # the docstring's line break is gone
    assert "Usage: ecosentry worker" in result.output and "Options" in result.output
    assert "入库" not in result.output
