"""Retention (issue 19 item 4): cut-offs by calendar month with the legal floors, whole monthly partitions dropped
on PostgreSQL, the other expired rows deleted in batches, nothing a day early, a dry run that changes nothing,
one audit entry per pass; the command in the terminal's language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.retention.apply import run_retention
from ecosentry.retention.policy import FLOORS, cutoffs, month_floor
from ecosentry.retention.settings import RetentionSettings
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.store.partitions import ensure_month_partitions, list_month_partitions
from ecosentry.terminal.messages import say

UTC = timezone.utc
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
US = timedelta(microseconds=1)


def test_a_cutoff_is_the_first_instant_of_a_calendar_month():
    assert month_floor(NOW, 12) == datetime(2025, 12, 1, tzinfo=UTC)
    assert month_floor(NOW, 60) == datetime(2021, 12, 1, tzinfo=UTC)
    assert month_floor(datetime(2026, 1, 1, tzinfo=UTC), 1) == datetime(2025, 12, 1, tzinfo=UTC)
    # a local time is read as the instant it is
    assert month_floor(datetime(2026, 3, 1, 2, tzinfo=timezone(timedelta(hours=8))), 0) == \
        datetime(2026, 2, 1, tzinfo=UTC)


def test_a_setting_below_the_legal_minimum_is_raised_to_it_and_said():
    cut = cutoffs(NOW, {"rtd": 3, "min": 72, "raw": 1})
    assert cut.months["rtd"] == 12 and cut.months["min"] == 72 and cut.months["raw"] == 60
    assert cut.months["hour"] == FLOORS["hour"] == 60  # unset: the floor
    assert cut.by_kind["min"] == datetime(2020, 12, 1, tzinfo=UTC)
    assert cut.observations_partition == datetime(2020, 12, 1, tzinfo=UTC)  # the longest-kept kind decides
    assert [say(r, "en") for r in cut.raised] == [
        "Retention of real-time values set to 3 months, below the minimum of 12: 12 months are kept.",
        "Retention of raw frames and files set to 1 months, below the minimum of 60: 60 months are kept."]
    assert say(cut.raised[0], "zh") == "实时数据的保存期设为 3 个月，低于最低要求 12 个月：按 12 个月保存。"
    assert say(cut.raised[1], "vi").startswith("Thời hạn lưu bản tin và tệp gốc đặt là 1 tháng")


def _observation(conn, point_id: int, kind: str, at: datetime, value: float = 1.0) -> None:
    conn.execute(insert(s.observations).values(point_id=point_id, factor_code="a21026", kind=kind, period_start=at,
                                               value=value, flag="N", received_at=at))


def _hour(conn, point_id: int, at: datetime) -> None:
    conn.execute(insert(s.hourly_values).values(point_id=point_id, factor_code="a21026", period_start=at, value=1.0,
                                                flag="N", valid=True, valid_minutes=60, received_minutes=60,
                                                n_records=60, computed_at=at))


def _raw(conn, at: datetime) -> None:
    conn.execute(insert(s.raw_frames).values(received_at=at, transport="hj212-tcp", status="accepted", raw=b"##0000"))


def _counts(engine) -> dict:
    o = s.observations
    with engine.connect() as c:
        by_kind = dict(c.execute(select(o.c.kind, func.count()).group_by(o.c.kind)).all())
        return {**by_kind, "hours": c.scalar(select(func.count()).select_from(s.hourly_values)),
                "raw": c.scalar(select(func.count()).select_from(s.raw_frames)),
                "audit": c.scalar(select(func.count()).select_from(s.audit_log)
                                  .where(s.audit_log.c.action == "retention"))}


def test_retention_drops_expired_months_and_deletes_expired_rows_never_a_day_early(db_url):
    engine = prepare_database(db_url)
    rtd_cut, min_cut = datetime(2025, 12, 1, tzinfo=UTC), datetime(2021, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for month in (datetime(2021, 10, 15).date(), datetime(2021, 11, 15).date(), datetime(2021, 12, 15).date()):
            ensure_month_partitions(conn, around=month, before=0, ahead=0)
        # minute values: two in expired months (their partitions go whole on PostgreSQL), one a microsecond
        # before the cut-off, one at it (kept)
        for at in (datetime(2021, 10, 20, tzinfo=UTC), datetime(2021, 11, 3, tzinfo=UTC), min_cut - US, min_cut):
            _observation(conn, 1, "min", at)
        # real-time values: kept 12 months only, deleted from the months that stay
        for at in (rtd_cut - timedelta(days=40), rtd_cut - US, rtd_cut, NOW - timedelta(hours=1)):
            _observation(conn, 1, "rtd", at)
        _observation(conn, 1, "hour", datetime(2024, 5, 1, tzinfo=UTC))  # hourly values: 60 months
        for at in (min_cut - timedelta(hours=1), min_cut):
            _hour(conn, 1, at)
        for at in (datetime(2020, 6, 1, tzinfo=UTC), min_cut - US, min_cut, NOW):
            _raw(conn, at)
    before = _counts(engine)
    assert before == {"min": 4, "rtd": 4, "hour": 1, "hours": 2, "raw": 4, "audit": 0}

    st = RetentionSettings(rtd_months=6, batch_rows=1_000)  # 6 is below the floor: 12 kept
    dry = run_retention(engine, NOW, st, dry_run=True)
    assert _counts(engine) == before  # nothing changed, nothing audited
    pg = engine.dialect.name == "postgresql"
    # on PostgreSQL the raw frame of November 2021 goes with its monthly partition, the one of 2020 (in the
    # default partition) is deleted
    assert dry.deleted["observations:rtd"] == 2 and dry.deleted["raw_frames"] == (1 if pg else 2)
    assert dry.deleted["hourly_values"] == 1
    assert sorted(dry.dropped) == (["observations_y2021m10", "observations_y2021m11", "raw_frames_y2021m10",
                                    "raw_frames_y2021m11"] if pg else [])
    assert dry.deleted["observations:min"] == (0 if pg else 3)  # on PostgreSQL they go with their partitions

    report = run_retention(engine, NOW, st)
    assert report.deleted == dry.deleted and sorted(report.dropped) == sorted(dry.dropped)
    assert _counts(engine) == {"min": 1, "rtd": 2, "hour": 1, "hours": 1, "raw": 2, "audit": 1}
    with engine.connect() as c:
        o = s.observations
        assert sorted(c.execute(select(o.c.period_start).where(o.c.kind == "rtd")).scalars()) == \
            [rtd_cut, NOW - timedelta(hours=1)]
        assert c.execute(select(o.c.period_start).where(o.c.kind == "min")).scalar_one() == min_cut
        entry = c.execute(select(s.audit_log).where(s.audit_log.c.action == "retention")).mappings().one()
    assert entry["actor"] == "retention" and entry["entity"] == "store"
    assert entry["after"]["months"]["rtd"] == 12 and entry["after"]["rows_deleted"]["raw_frames"] == (1 if pg else 2)
    assert entry["after"]["floors_applied"] == [
        "Retention of real-time values set to 6 months, below the minimum of 12: 12 months are kept."]
    if pg:
        with engine.connect() as c:
            months = list_month_partitions(c)
        assert "observations_y2021m10" not in months and "observations_y2021m11" not in months
        assert "observations_y2021m12" in months
        with engine.connect() as c:
            raw_months = list_month_partitions(c, "raw_frames")
        assert "raw_frames_y2021m10" not in raw_months and "raw_frames_y2021m11" not in raw_months
        assert "raw_frames_y2021m12" in raw_months  # holds the frame received at the cut-off

    again = run_retention(engine, NOW, st)  # a second pass finds nothing more
    assert sum(again.deleted.values()) == 0 and not again.dropped
    # a day later nothing new has expired either: whole months go, on the first of the month
    assert sum(run_retention(engine, NOW + timedelta(days=1), st, dry_run=True).deleted.values()) == 0
    engine.dispose()


def test_the_retention_command_says_what_it_would_do_in_the_terminal_language(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOSENTRY_RETENTION__RAW_MONTHS", "2")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        engine = prepare_database(url)
        with engine.begin() as conn:
            _raw(conn, datetime(2019, 1, 1, tzinfo=UTC))
        out = CliRunner().invoke(cli.app, ["retention", "--dry-run"])
        assert out.exit_code == 0, out.output
        assert "原始报文和文件的保存期设为 2 个月，低于最低要求 60 个月：按 60 个月保存。" in out.output
        assert "实时数据：保存 12 个月" in out.output
        assert "将删除 0 个分区和 1 行数据。" in out.output
        assert "  原始报文和文件：1 行" in out.output and "raw_frames" not in out.output  # what it is, not its table
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(s.raw_frames)) == 1
        out = CliRunner().invoke(cli.app, ["retention"])
        assert out.exit_code == 0 and "已删除 0 个分区和 1 行数据。" in out.output
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(s.raw_frames)) == 0
        engine.dispose()
    finally:
        get_settings.cache_clear()
