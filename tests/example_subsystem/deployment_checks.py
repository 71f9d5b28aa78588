"""The example subsystem as a deployment that lists it sees it (``ECOSENTRY_SUBSYSTEMS`` names
``example_noise``): run by ``test_example_noise.py`` in a process of its own, because the settings class, the
page templates and the command line are assembled from the installed list when first imported.

Everything here is the real path: migrations, the durable spool, the ingest worker, the API application,
the page shell, the Typer app, the settings object and the service.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from ecosentry.api.app import create_app
from ecosentry.installed import installed_names
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.sinks import build_sinks
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings, get_settings
from ecosentry.store import schema as s
from ecosentry.store.db import alembic_config, make_engine, migrate
from pgdb import make_pg_database

if "example_noise" not in installed_names():
    pytest.skip("run by test_example_noise.py with ECOSENTRY_SUBSYSTEMS listing example_noise",
                allow_module_level=True)

from ecosentry.cli import app as cli_app  # noqa: E402  (assembled from the installed list above)
from example_noise.records import reading_envelope  # noqa: E402
from example_noise.schema import noise_readings  # noqa: E402

#: The platform's subsystems without the example.
CORE_ONLY = tuple(n for n in installed_names() if n != "example_noise")
SHANGHAI = timezone(timedelta(hours=8))
#: 10:00 local is day (limit 60 dB(A) in zone class 2), 23:00 night (50 dB(A)).
DAY = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 12, 7, 23, 0, tzinfo=SHANGHAI)


def tables(url: str) -> set[str]:
    eng = make_engine(url)
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def db_heads(url: str) -> set[str]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> str:
    """A database with nothing in it, of each kind (not the migrated template ``db_url`` copies)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url, drop = make_pg_database(request.getfixturevalue("pg_server"))
    yield url
    drop()


def test_migrate_creates_its_table_on_a_branch_of_its_own(empty_db_url):
    """One migration brings the core's tables and the subsystem's; the database is at every head."""
    migrate(empty_db_url)
    found = tables(empty_db_url)
    assert {"noise_readings", "points", "observations", "raw_frames", "alembic_version"} <= found
    script = ScriptDirectory.from_config(alembic_config(empty_db_url))
    heads = set(script.get_heads())
    # the core's head (its own folder's: a new core revision moves it), the example's and those of the other
    # installed subsystems (monitoring's own branch)
    core_head = ScriptDirectory.from_config(alembic_config(empty_db_url, ())).get_current_head()
    assert {core_head, "noise_0001"} <= heads
    assert script.get_revision("noise_0001").branch_labels == {"noise"}
    # each subsystem's branch depends on a core revision (monitoring and the example on 0008, power on 0009, the
    # park on 0010); a head another head depends on is covered by it, so the version table names the others only
    # (the core's head while no installed branch depends on it)
    covered: set[str] = set()
    for h in heads:
        deps = script.get_revision(h).dependencies or ()
        covered |= {deps} if isinstance(deps, str) else set(deps)
    assert db_heads(empty_db_url) == heads - covered
    migrate(empty_db_url)  # at every head: nothing to do
    assert tables(empty_db_url) == found


def test_a_database_made_before_the_subsystem_gets_its_branch_on_the_next_migration(empty_db_url):
    """A deployment that adds the subsystem to its list keeps its database: stamped 0008 by the core alone, the
    next migration adds the subsystem's table and leaves the rest as it was."""
    migrate(empty_db_url, names=CORE_ONLY)
    before = tables(empty_db_url)
    before_heads = db_heads(empty_db_url)  # the monitoring branch's head (it covers the core's 0008)
    assert "noise_readings" not in before and "noise_0001" not in before_heads
    migrate(empty_db_url)
    assert tables(empty_db_url) == before | {"noise_readings"}
    assert db_heads(empty_db_url) == before_heads | {"noise_0001"}


def _settings(db_url: str, tmp_path: Path, **more) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, session_secret="s" * 32, **more)


async def _through_the_worker(engine, st: Settings, spool_dir: Path, envelopes) -> None:
    spool = Spool(spool_dir)
    last = spool.append_sync([e.encode() for e in envelopes])
    worker = IngestWorker(engine, SpoolReader(spool_dir), build_sinks(engine, st, PointDirectory(engine)),
                          flush_every=3600)
    task = asyncio.create_task(worker.run())
    await worker.drain(last)
    worker.stop()
    await task
    spool.close()


@pytest.fixture
def stored(db_url, tmp_path):
    """Two readings of meter NM-01 (one above the day limit, one below the night limit) and one record without
    a level, written to the spool and stored by the ingest worker."""
    engine = prepare_database(db_url)
    st = _settings(db_url, tmp_path)
    broken = reading_envelope("NM-02", DAY, 70.0)
    del broken.meta["laeq_db"]
    envelopes = [reading_envelope("NM-01", DAY, 63.2), reading_envelope("NM-01", NIGHT, 48.0), broken]
    asyncio.run(_through_the_worker(engine, st, tmp_path / "spool", envelopes))
    yield engine, st
    engine.dispose()


def test_an_envelope_through_the_spool_and_the_worker_lands_in_its_table(stored, tmp_path):
    engine, st = stored
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(noise_readings).order_by(noise_readings.c.measured_at))]
        archived = conn.execute(select(s.raw_frames.c.status, s.raw_frames.c.mn, s.raw_frames.c.detail)).all()
    assert [(r["meter"], r["measured_at"], r["laeq_db"], r["period"], r["limit_db"], r["exceeds"]) for r in rows] == [
        ("NM-01", DAY, 63.2, "day", 60.0, True), ("NM-01", NIGHT, 48.0, "night", 50.0, False)]
    # the record the sink could not read went to the core's raw archive, the spool moved on
    assert [(status, mn) for status, mn, _ in archived] == [("quarantined", "NM-02")]
    assert "KeyError" in archived[0][2]
    # a replay (the worker stopped before moving the cursor) stores nothing twice
    asyncio.run(_through_the_worker(engine, st, tmp_path / "replay", [reading_envelope("NM-01", DAY, 63.2)]))
    with engine.connect() as conn:
        assert len(conn.execute(select(noise_readings)).all()) == 2


def test_the_api_route_returns_the_readings(stored):
    engine, st = stored
    with TestClient(create_app(engine, settings=st)) as client:
        r = client.get("/api/v1/noise/readings", params={"meter": "NM-01"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["measured_at"], i["laeq_db"], i["exceeds"]) for i in items] == [
        ("2026-12-07T23:00:00+08:00", 48.0, False), ("2026-12-07T10:00:00+08:00", 63.2, True)]


def test_the_page_renders_with_its_menu_entry_in_every_language(stored):
    engine, st = stored
    with TestClient(create_app(engine, settings=st)) as client:
        zh = client.get("/noise")
        vi = client.get("/noise", params={"lang": "vi"})
        home = client.get("/public")
    assert zh.status_code == vi.status_code == 200
    assert '<a href="/noise">厂界噪声</a>' in zh.text and "<h1>厂界噪声</h1>" in zh.text
    assert 'data-meter="NM-01"' in zh.text and "超标" in zh.text
    assert "Tiếng ồn tại ranh giới" in vi.text and "Vượt giới hạn" in vi.text
    assert '<a href="/noise">' in home.text  # the menu entry is on the core's and the other subsystems' pages too


def test_the_settings_section_reads_its_variables(monkeypatch):
    assert Settings().noise.zone_class == 2
    monkeypatch.setenv("ECOSENTRY_NOISE__ZONE_CLASS", "3")
    monkeypatch.setenv("ECOSENTRY_NOISE__TZ", "Asia/Ho_Chi_Minh")
    st = Settings()
    assert (st.noise.zone_class, st.noise.tz) == (3, "Asia/Ho_Chi_Minh")


def test_its_command_is_listed_and_runs(monkeypatch):
    runner = CliRunner()
    top = runner.invoke(cli_app, ["--help"])
    assert top.exit_code == 0 and "noise" in top.output
    monkeypatch.setenv("ECOSENTRY_NOISE__ZONE_CLASS", "4")
    get_settings.cache_clear()
    try:
        limits = runner.invoke(cli_app, ["noise", "limits"])
    finally:
        get_settings.cache_clear()
    assert limits.exit_code == 0, limits.output
    in_use = [line for line in limits.output.splitlines() if "in use" in line]
    assert len(in_use) == 1 and in_use[0].split("│")[1:4] == [" 4          ", " 70          ", " 55            "]


def test_rules_list_shows_its_code():
    result = CliRunner().invoke(cli_app, ["rules", "list", "--json"])
    assert result.exit_code == 0
    rules = {r["code"]: r for r in map(json.loads, result.output.splitlines())}
    assert rules["NOISE-BOUNDARY-LAEQ"]["severity"] == "warning"
    assert rules["NOISE-BOUNDARY-LAEQ"]["module"] == "example_noise.rules.exceeds"
    assert "CN-RATE-TRANS" in rules  # beside the other subsystems' codes


async def test_the_service_starts_its_part(db_url, tmp_path):
    st = _settings(db_url, tmp_path)
    svc = Service(st)
    await svc.start(web=False, gateway=False, alarms=False, forward=False)
    try:
        assert svc.parts["noise_watch"] is svc.noise_watch
        for _ in range(100):  # its first summary, at start
            if svc.noise_watch.checked_at is not None:
                break
            await asyncio.sleep(0.05)
        assert svc.noise_watch.checked_at is not None and svc.noise_watch.summary == {}
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        last = svc.spool.append_sync([reading_envelope("NM-07", now - timedelta(minutes=m), level).encode()
                                      for m, level in ((30, 50.0), (20, 60.0))])
        await svc.worker.drain(last)
        summary = svc.noise_watch.check()
        assert summary["NM-07"]["readings"] == 2
        assert summary["NM-07"]["laeq_db"] == pytest.approx(57.4036, abs=1e-3)  # 10·log10((10^5 + 10^6)/2)
    finally:
        await svc.stop()
