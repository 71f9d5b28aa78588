"""What the benchmarks print on the terminal is in the terminal's language (zh, vi, en): table heads, kinds,
severities, fraud classes, summary sentences; every msgid of the bench modules is translated with its parameters.
The docs' markdown stays English whatever the terminal says."""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from rich.console import Console

import ecosentry.subsystems.monitoring as monitoring
from ecosentry.locale import LOCALE_DIR
from ecosentry.subsystems.monitoring.bench import detect_eval, honest_eval
from ecosentry.subsystems.monitoring.bench.detect_eval import Found, evaluate
from ecosentry.subsystems.monitoring.bench.honest_eval import Judged, score, speed_line
from ecosentry.subsystems.monitoring.bench.words import CLASS_NAMES, class_name, code_cell
from ecosentry.subsystems.monitoring.simulate.honest import FRAUD_CLASSES
from ecosentry.subsystems.monitoring.simulate.inject import FAULT_CLASSES, FAULT_FAMILY, Label
from ecosentry.subsystems.monitoring.detect.registry import FAMILIES
from ecosentry.terminal.messages import gettext_of

PACKAGE = Path(monitoring.__file__).resolve().parent
#: The modules whose words the bench commands print.
SAID_IN = sorted(PACKAGE.glob("bench/*.py")) + [PACKAGE / "cli" / "detect.py", PACKAGE / "cli" / "commands.py"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
T0 = datetime(2026, 10, 5, tzinfo=timezone.utc)

#: English words of the tables and sentences that a zh or vi terminal must not show.
ENGLISH = re.compile(r"\b(precision|recall|findings?|labels|detected|severity|Falsification|All findings|points|"
                     r"warning|statistical|falsification sign|naive|wall|tolerance|generate|wrote|fraud|kind)\b")


def msgids() -> list[str]:
    out = []
    for path in SAID_IN:
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "N_" and n.args \
                    and isinstance(n.args[0], ast.Constant):
                out.append(n.args[0].value)
    return out


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_word_of_the_benchmarks_is_translated_with_its_parameters(lang):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalogue = read_po(fh)
    ids = msgids()
    assert len(ids) > 60
    for msgid in ids:
        if not PLACEHOLDER.sub("", msgid).strip():  # "%(error)s": nothing to translate
            continue
        message = catalogue.get(msgid)
        assert message is not None and message.string and not message.fuzzy, f"{lang}: {msgid!r} untranslated"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_every_fault_class_and_family_has_a_name():
    assert set(FRAUD_CLASSES) | set(FAULT_CLASSES) | set(FAULT_FAMILY.values()) | set(FAMILIES) <= set(CLASS_NAMES)
    zh = gettext_of("zh")
    assert class_name("capped_peaks", zh) == "峰值被截在限值之下"
    assert class_name("unheard_of", zh) == "unheard_of" and class_name(None, zh) == "—"
    assert code_cell("DET-STAT-SHIFT", gettext_of("vi")) == "DET-STAT-SHIFT\nMức giá trị thay đổi đột ngột và kéo dài"
    assert code_cell("DET-NOT-NAMED", zh) == "DET-NOT-NAMED"


def _honest():
    def h(x):
        return T0 + timedelta(hours=x)

    labels = [Label(id=1, fault="capped_peaks", family="x", also=(), point="P1", factors=("a21026",), start=h(10),
                    end=h(20))]
    findings = [Judged(code="DET-LIMIT-CAP", severity="warning", kind="falsification", point="P1",
                       factors=frozenset({"a21026"}), start=h(12), end=h(13)),
                Judged(code="DET-STAT-SHIFT", severity="info", kind="statistical", point="P9",
                       factors=frozenset({"a21026"}), start=h(1), end=h(2))]
    return score(findings, labels, clean_points=["P9"], days=5)


def _printed(print_tables, result, lang: str) -> str:
    console = Console(record=True, width=240, color_system=None)
    print_tables(result, console, lang)
    return console.export_text()


@pytest.mark.parametrize("lang, words", [
    ("zh", ["正常企业数据集上的各检测器", "精确率", "召回率", "弄虚作假迹象", "警告", "提示", "峰值被截在限值之下",
            "数值被截顶保持在限值之下", "作假迹象：1 条发现"]),
    ("vi", ["Các bộ phát hiện trên bộ dữ liệu nhà máy trung thực", "độ chính xác", "độ phủ", "cảnh báo",
            "Đỉnh bị cắt ngay dưới giới hạn", "Tất cả phát hiện: 2"]),
])
def test_the_honest_tables_speak_the_terminals_language(lang, words):
    text = _printed(honest_eval.print_tables, _honest(), lang)
    for w in words:
        assert w in text, (w, text)
    assert "DET-LIMIT-CAP" in text and "DET-STAT-SHIFT" in text  # codes stay codes
    assert not ENGLISH.search(text), ENGLISH.search(text)


def test_the_honest_tables_in_english_and_the_markdown_stay_english():
    text = _printed(honest_eval.print_tables, _honest(), "en")
    assert "Falsification signs: 1 findings, 1 TP, 0 FP: precision 100 %, recall 100 % (1/1)" in text
    assert "Values held at a ceiling just under the limit" in text and "falsification sign" in text
    markdown = honest_eval.to_markdown(_honest())
    assert "Falsification signs: 1 findings, 1 TP, 0 FP: precision **100 %**, recall **100 %** (1/1)" in markdown
    assert "| code | kind | severity | findings |" in markdown and "| `DET-LIMIT-CAP` | falsification |" in markdown


@pytest.mark.parametrize("lang, head, words", [
    ("zh", "注入故障上的各检测器", ["注入故障", "代码", "检测类别", "命中", "误报", "全部", "恒值", "各注入故障类型的召回率"]),
    ("vi", "Các bộ phát hiện trên lỗi được đưa vào", ["lỗi được đưa vào", "mã", "đúng", "báo sai", "tất cả", "Giá trị không đổi"]),
])
def test_the_injected_tables_speak_the_terminals_language(lang, head, words):
    lb = Label(id=1, fault="constant", family="constant", also=(), point="P1", factors=("a21026",), start=T0,
               end=T0 + timedelta(hours=5))
    f = Found.from_json({"code": "DET-CONST-4H", "point": "P1", "factor": "a21026", "start": T0.isoformat(),
                         "end": (T0 + timedelta(hours=4)).isoformat()})
    ev = evaluate([f], [lb], codes=["DET-CONST-4H"])
    text = _printed(detect_eval.print_tables, ev, lang)
    for w in [head, *words]:
        assert w in text, (w, text)
    assert not ENGLISH.search(text), ENGLISH.search(text)


@pytest.mark.parametrize("lang, line", [
    ("zh", "ecosentry detect 实际耗时 2.0 s，CPU 3.0 s；简单规则的朴素 pandas 脚本实际耗时 1.0 s，CPU 1.5 s"
           "（detect 与朴素脚本之比：实际耗时 2.0，CPU 2.0）"),
    ("vi", "ecosentry detect 2.0 s thời gian thực, 3.0 s CPU; kịch bản pandas thô sơ cho các quy tắc đơn giản 1.0 s "
           "thời gian thực, 1.5 s CPU (tỷ lệ detect / kịch bản thô sơ: thời gian thực 2.0, CPU 2.0)"),
    ("en", "ecosentry detect 2.0 s wall, 3.0 s CPU; naive pandas script of the simple rules 1.0 s wall, 1.5 s CPU "
           "(ratio detect / naive: wall 2.0, CPU 2.0)"),
])
def test_the_speed_line_in_each_language(lang, line):
    timings = {"detect_s": 2.0, "detect_cpu_s": 3.0, "naive_pandas_s": 1.0, "naive_pandas_cpu_s": 1.5}
    assert speed_line(timings, gettext_of(lang)) == line


@pytest.mark.parametrize("lang, line", [
    ("zh", "错误：未知的 NAB 评分方案 'best'；可选：standard, reward_low_FP, reward_low_FN"),
    ("vi", "Lỗi: không có phương án chấm điểm NAB 'best'; chọn một trong: standard, reward_low_FP, reward_low_FN"),
])
def test_bench_nab_refuses_an_unknown_profile_in_the_terminals_language(tmp_path, lang, line):
    from typer.testing import CliRunner

    from ecosentry.cli import app
    from ecosentry.subsystems.monitoring.detect.nab import PROFILE_NAMES

    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "combined_windows.json").write_text("{}", encoding="utf-8")
    (tmp_path / "config").mkdir()
    cost = {"CostMatrix": {"tpWeight": 1.0, "fpWeight": 0.11, "fnWeight": 1.0}}
    (tmp_path / "config" / "profiles.json").write_text(json.dumps({long: cost for long in PROFILE_NAMES.values()}),
                                                       encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "nab", "--nab-dir", str(tmp_path), "--profile", "best", "--out",
                                      str(tmp_path / "r.json")],
                                env={"LANGUAGE": lang, "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[-1] == line


@pytest.mark.parametrize("lang, words", [
    ("zh", ["步骤", "分钟 → 小时（1 天）", "合计（目标 < 60 s）", "有效日", "有效传输率"]),
    ("vi", ["bước", "phút → giờ (1 ngày)", "tổng cộng (mục tiêu < 60 s)", "ngày hợp lệ", "tỷ lệ truyền hợp lệ"]),
])
def test_bench_recompute_speaks_the_terminals_language_and_keeps_its_keys(monkeypatch, lang, words):
    from ecosentry.subsystems.monitoring.bench.recompute import run_bench_recompute

    monkeypatch.setenv("LANGUAGE", lang)
    console = Console(record=True, width=200, color_system=None)
    report = run_bench_recompute(outlets=2, factors=3, year=2025, seed=2, console=console)
    text = console.export_text()
    for w in words:
        assert w in text, (w, text)
    assert not re.search(r"\b(stage|seconds|valid days|total|series|hours)\b", text), text
    assert "minute → hour (1 day)" in report["stages_s"]  # the JSON keeps its English keys


@pytest.mark.parametrize("lang, args, line", [
    ("zh", ["bench", "steady", "--loggers", "0"], "错误：--loggers 和 --rounds 必须 ≥ 1，--minutes 在 1 到 1440 之间，--every > 0"),
    ("vi", ["bench", "outage", "--mode", "melt"], "Lỗi: --mode chỉ là refuse và/hoặc hang; --seconds, --every > 0; --loggers ≥ 1"),
    ("zh", ["bench", "api", "--db", "sqlite://", "--requests", "3"], "错误：--points 和 --minute-days 必须 ≥ 1，--requests ≥ 20"),
    ("vi", ["bench", "detect", "--set", "nab"], "Lỗi: --set phải là injected hoặc honest, không phải 'nab'"),
])
def test_the_bench_commands_refuse_in_the_terminals_language(lang, args, line):
    from typer.testing import CliRunner

    from ecosentry.cli import app

    result = CliRunner().invoke(app, args, env={"LANGUAGE": lang, "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[-1] == line


def test_every_registered_detector_code_has_a_rule_name():
    """The bench tables (and the alarm pages) name each code; a new detector adds its name to RULE_NAMES."""
    from ecosentry.alarms.wording import RULE_NAMES
    from ecosentry.subsystems.monitoring.detect.registry import all_detectors

    codes = {c for spec in all_detectors().values() for c in spec.codes}
    assert codes and not codes - set(RULE_NAMES), sorted(codes - set(RULE_NAMES))
