"""The alert command's refusals write their times in the deployment's local time, as the operator typed them, not
in UTC ISO 8601 (``2026-12-07 09:00``, not ``2026-12-07T01:00:00+00:00``), in the terminal's language."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch, sqlite_migrated_template):
    import shutil

    path = tmp_path / "cli.sqlite"
    shutil.copyfile(sqlite_migrated_template, path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOSENTRY_DEFAULT_TZ", "Asia/Shanghai")
    monkeypatch.setenv("COLUMNS", "250")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    engine = prepare_database(f"sqlite:///{path}")
    import_fleet(engine, {"regions": [{"code": "141000", "name": "临汾市", "level": "city"}]})
    yield engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.mark.parametrize("lang, overlap, order", [
    ("zh", "（自 2026-12-07 09:00 起）", "结束时间（2026-12-08 00:00）必须晚于开始时间（2026-12-09 00:00）"),
    ("vi", "(từ 2026-12-07 09:00)", "(2026-12-08 00:00) phải sau thời điểm bắt đầu (2026-12-09 00:00)"),
    ("en", "(from 2026-12-07 09:00)", "the end (2026-12-08 00:00) must be after the start (2026-12-09 00:00)"),
])
def test_refusals_say_their_times_in_local_time(cli_db, monkeypatch, lang, overlap, order):
    monkeypatch.setenv("LANGUAGE", lang)
    issue = ["alerts", "issue", "--region", "141000", "--level", "orange", "--issued-by", "临汾市应急指挥部"]
    assert runner.invoke(cli.app, [*issue, "--start", "2026-12-07T09:00", "--end", "2026-12-09T09:00"]).exit_code == 0
    again = runner.invoke(cli.app, [*issue, "--start", "2026-12-08T09:00"])
    assert again.exit_code == 2 and overlap in again.output, again.output
    backwards = runner.invoke(cli.app, [*issue, "--start", "2026-12-09", "--end", "2026-12-08"])
    assert backwards.exit_code == 2 and order in backwards.output.replace("\n", " "), backwards.output
    assert "+00:00" not in again.output + backwards.output
