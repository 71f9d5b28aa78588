"""The offline tools' sentences in the terminal's language (ecosentry.terminal.messages) and the shared reader
of the offline checks' CSV files (ecosentry.offline_csv)."""

from __future__ import annotations

import pytest

from ecosentry.offline_csv import InputError, instant, number, rows
from ecosentry.terminal.messages import error_line, say, terminal_language


def test_the_terminals_language_else_the_deployments_else_chinese():
    assert terminal_language({"LANGUAGE": "vi_VN:en", "LANG": "zh_CN.UTF-8"}) == "vi"
    assert terminal_language({"LANG": "C.UTF-8", "ECOSENTRY_DEFAULT_LOCALE": "vi"}) == "vi"
    assert terminal_language({"LANG": "de_DE.UTF-8"}) == "zh"


@pytest.mark.parametrize("lang, line", [
    ("zh", "错误：R.csv 第 3 行，value：'lots' 不是数字"),
    ("vi", "Lỗi: R.csv dòng 3, value: 'lots' không phải là số"),
    ("en", "error: R.csv line 3, value: 'lots' is not a number"),
])
def test_an_input_error_is_said_with_its_place(lang, line):
    with pytest.raises(InputError) as caught:
        number("R.csv", 3, "value", "lots")
    assert str(caught.value) == "R.csv line 3, value: 'lots' is not a number"  # logs and tests read English
    assert error_line(caught.value, lang) == line


def test_the_shared_readers_refuse_what_cannot_be_used(tmp_path):
    f = tmp_path / "T.csv"
    f.write_text("a,b\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"T.csv line 2: more values than columns"):
        list(rows(f, ("a", "b")))
    f.write_text("a\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"T.csv line 1, b: missing column\(s\) b"):
        list(rows(f, ("a", "b")))
    with pytest.raises(InputError, match=r"has no offset"):
        instant(f, 2, "time", "2026-01-05T08:00:00")
    with pytest.raises(InputError, match=r"'-1' must be 0 or more"):
        number(f, 2, "x", "-1", minimum=0.0)
    assert say("%(count)s findings in %(output)s", "zh", count=3, output="f.jsonl") == "3 条发现已写入 f.jsonl"


def test_a_parameter_may_be_named_error_or_lang():
    assert error_line("%(path)s: %(error)s", "zh", path="x.csv", error="boom") == "错误：x.csv：boom"
    assert say("%(lang)s", "en", lang="vi") == "vi"


def test_a_plain_table_keeps_its_columns_with_chinese_heads():
    from rich.cells import cell_len

    from ecosentry.terminal.code_table import code_table
    from ecosentry.terminal.messages import columns, padded

    assert padded("码", 4) == "码  " and padded("7", 3, right=True) == "  7" and padded("toolong", 3) == "toolong"
    assert columns(["A", "1", "22"], [3, 2, 3]) == "A    1  22"
    rows = [{"code": "OM-CAL-FAIL", "injected": 2, "found": 1, "recall": 0.5, "findings": 3, "precision": None,
             "honest_per_day": 0.25}]
    for lang, head in (("zh", "代码"), ("vi", "mã"), ("en", "code")):
        lines = code_table(rows, code_width=24, lang=lang)
        assert lines[0].startswith(head) and lines[1].split() == ["OM-CAL-FAIL", "2", "1", "0.5", "3", "-", "0.25"]
        assert cell_len(lines[0]) == cell_len(lines[1])  # every number under its head
    assert code_table(rows, 24, lang="zh")[0].split() == ["代码", "注入", "检出", "召回率", "发现数", "精确率", "正常/日"]
