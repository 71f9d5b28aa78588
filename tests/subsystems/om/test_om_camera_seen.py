"""A camera's last contact is kept once (``om_cameras.last_seen_at``, revision ``om_0002_camera_seen``): a heartbeat
sets it, the offline check and the coverage read it; the migration keeps the later of the two former copies and
goes down and up again; the O&M tables match the schema after it. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from ecosentry.store.db import alembic_config, make_engine
from ecosentry.store.schema import installed_metadata
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.store.cameras import check_offline, seen

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def _cam1(eng) -> int:
    with eng.connect() as c:
        return c.execute(select(os_.om_cameras.c.id).where(os_.om_cameras.c.code == "CAM1")).scalar_one()


def test_one_last_seen_read_by_the_offline_check(om_world):
    eng, st, _ids = om_world
    cam = _cam1(eng)
    with eng.begin() as c:
        c.execute(os_.om_camera_devices.insert().values(camera_id=cam, secret_hash="$argon2id$x"))
        seen(c, cam, NOW)
        seen(c, cam, NOW - timedelta(hours=1))     # never moved back
    with eng.connect() as c:
        assert c.execute(select(os_.om_cameras.c.last_seen_at).where(os_.om_cameras.c.id == cam)).scalar() == NOW
    assert "last_seen_at" not in {col["name"] for col in inspect(eng).get_columns("om_camera_devices")}
    after = timedelta(minutes=st.om.cameras.offline_minutes)
    assert check_offline(eng, NOW + after - timedelta(seconds=1), after)["offline"] == 0
    assert check_offline(eng, NOW + after + timedelta(seconds=1), after)["offline"] == 1


def test_the_migration_keeps_the_later_copy_and_goes_down_and_up(om_world, om_names, db_url):
    eng, _st, _ids = om_world
    cam = _cam1(eng)
    with eng.begin() as c:
        c.execute(os_.om_camera_devices.insert().values(camera_id=cam, secret_hash="$argon2id$x"))
        seen(c, cam, NOW)
    eng.dispose()
    cfg = alembic_config(db_url, om_names)
    command.downgrade(cfg, "om_0002_mark_checks")
    e2 = make_engine(db_url)
    with e2.begin() as c:
        assert c.execute(text("SELECT last_seen_at FROM om_camera_devices")).scalar() is not None
        # the device's copy was later than the camera's (a heartbeat the coverage never read)
        later = (NOW + timedelta(minutes=30)).replace(tzinfo=None).isoformat(sep=" ")
        c.execute(text("UPDATE om_camera_devices SET last_seen_at = :t"), {"t": later})
    e2.dispose()
    command.upgrade(cfg, "heads")
    e3 = make_engine(db_url)
    try:
        with e3.connect() as c:
            got = c.execute(select(os_.om_cameras.c.last_seen_at).where(os_.om_cameras.c.id == cam)).scalar()
            assert got == NOW + timedelta(minutes=30)
            diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())
        ours = [d for d in diffs if "om_" in repr(d)]
        assert ours == []
    finally:
        e3.dispose()
