"""Compiled catalogues kept between processes (ecosentry.locale.mo_cache_dir): a second process reads the kept
bytes instead of compiling the .po files again, an edited .po is compiled anew, and a cache that cannot be used
(not writable, a file that is not a catalogue) only costs the compilation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ecosentry import locale
from ecosentry.locale import LOCALE_DIR

SAY = ("from ecosentry.locale import translations; t = translations('zh'); "
       "print(t.gettext('Options'), t.gettext('Show this message and exit.'))")


def _run(cache: str) -> str:
    env = {**os.environ, "ECOSENTRY_MO_CACHE": cache}
    return subprocess.run([sys.executable, "-c", SAY], env=env, capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip()


def test_a_second_process_reads_the_kept_catalogues(tmp_path):
    first = _run(str(tmp_path))
    kept = sorted(tmp_path.glob("*.mo"))
    assert first == "选项 显示本帮助并退出。" and len(kept) >= 1  # the core's and the subsystems' zh catalogues
    stamps = {p: p.stat().st_mtime_ns for p in kept}
    assert _run(str(tmp_path)) == first
    assert {p: p.stat().st_mtime_ns for p in sorted(tmp_path.glob("*.mo"))} == stamps  # read, not written again
    assert _run("") == first  # no cache: compiled in memory, the same words


def test_an_edited_catalogue_is_compiled_anew_and_a_broken_kept_file_is_not_used(tmp_path, monkeypatch):
    po_dir = tmp_path / "zh" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    po = po_dir / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Options"\nmsgstr "选项"\n', encoding="utf-8")
    monkeypatch.setenv("ECOSENTRY_MO_CACHE", str(tmp_path / "cache"))
    locale._mo_bytes.cache_clear()
    assert locale._compiled(po, "zh").gettext("Options") == "选项"
    po.write_text(po.read_text(encoding="utf-8").replace("选项", "选项（新）"), encoding="utf-8")
    locale._mo_bytes.cache_clear()
    assert locale._compiled(po, "zh").gettext("Options") == "选项（新）"
    for kept in (tmp_path / "cache").glob("*.mo"):
        kept.write_bytes(b"not a catalogue")
    locale._mo_bytes.cache_clear()
    assert locale._compiled(po, "zh").gettext("Options") == "选项（新）"
    locale._mo_bytes.cache_clear()


def test_a_cache_that_cannot_be_written_leaves_the_catalogue_in_memory(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setenv("ECOSENTRY_MO_CACHE", str(blocked / "mo"))  # under a file: not a folder
    locale._mo_bytes.cache_clear()
    po = LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po"
    assert locale._compiled(po, "vi").gettext("Options") == "Tùy chọn"
    locale._mo_bytes.cache_clear()
    assert not Path(blocked / "mo").exists()
