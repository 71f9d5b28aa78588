"""``ecosentry recompute --path``: the bulk path for ranges, the per-period path for an hour, a bad choice refused."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.recompute_db import generate_month

runner = CliRunner()


@pytest.fixture(scope="module")
def february(tmp_path_factory) -> Path:
    """A SQLite file holding one gas point's February minutes and nothing derived, made once for the module;
    each test works on its own copy."""
    path = tmp_path_factory.mktemp("february") / "cli.sqlite"
    engine = prepare_database(f"sqlite:///{path}")
    generate_month(engine, date(2026, 2, 1), gas_points=1, cases=False, seed=2)
    engine.dispose()
    return path


@pytest.fixture
def engine(tmp_path, monkeypatch, february):
    shutil.copyfile(february, tmp_path / "cli.sqlite")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANGUAGE", "en")  # the English sentences are compared (zh, vi: the test below)
    get_settings.cache_clear()
    engine = prepare_database(url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def _hours(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(s.hourly_values))


def test_recompute_takes_the_bulk_path_for_a_range_and_the_per_period_path_for_an_hour(engine):
    out = runner.invoke(cli.app, ["recompute", "--from", "2026-02-03", "--to", "2026-02-05"])
    assert out.exit_code == 0, out.output
    # one point × 4 factors × 48 hours; 2 days × 4 factors; the month of each factor
    assert "recomputed 192 hours, 8 days, 4 months of 1 points (bulk path)" in out.output
    assert _hours(engine) == 192
    out = runner.invoke(cli.app, ["recompute", "--from", "2026-02-06T05:00", "--to", "2026-02-06T06:00"])
    assert out.exit_code == 0, out.output
    assert "recomputed 4 hours, 4 days, 4 months of 1 points (per-period path)" in out.output
    assert _hours(engine) == 196


@pytest.mark.parametrize("lang, said", [
    ("zh", "错误：--path 只能是 auto、bulk 或 per-period，不能是 'fast'。"),
    ("vi", "Lỗi: --path chỉ nhận auto, bulk hoặc per-period, không nhận 'fast'."),
    ("en", "error: --path is auto, bulk or per-period, not 'fast'."),
])
def test_recompute_refuses_an_unknown_path_in_the_terminals_language(engine, monkeypatch, lang, said):
    monkeypatch.setenv("LANGUAGE", lang)
    out = runner.invoke(cli.app, ["recompute", "--from", "2026-02-03", "--to", "2026-02-04", "--path", "fast"])
    assert out.exit_code == 2
    assert said in out.output
    assert _hours(engine) == 0


@pytest.mark.parametrize("args, said", [
    (["--from", "yesterday", "--to", "2026-02-04"],
     "错误：--from 'yesterday' 不是 ISO 8601 时间（例如 2026-11-01 或 2026-11-01T08:00+08:00）。"),
    (["--from", "2026-02-04", "--to", "2026-02-03"], "错误：--from 必须早于 --to。"),
])
def test_recompute_refuses_a_bad_range_in_chinese(engine, monkeypatch, args, said):
    monkeypatch.setenv("LANGUAGE", "zh")
    out = runner.invoke(cli.app, ["recompute", *args])
    assert out.exit_code == 2 and said in out.output
    assert _hours(engine) == 0


@pytest.mark.parametrize("lang, line", [
    ("zh", "已重算 1 个监测点的 4 个小时、4 天、4 个月（per-period 路径）"),
    ("vi", "Đã tính lại 4 giờ, 4 ngày, 4 tháng của 1 điểm quan trắc (đường per-period)"),
])
def test_recompute_says_what_it_did_in_the_terminals_language(engine, monkeypatch, lang, line):
    monkeypatch.setenv("LANGUAGE", lang)
    out = runner.invoke(cli.app, ["recompute", "--from", "2026-02-06T05:00", "--to", "2026-02-06T06:00"])
    assert out.exit_code == 0 and out.stdout.strip().splitlines()[-1] == line, out.output
