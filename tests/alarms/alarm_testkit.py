"""Shared fixtures of the alarm-core tests (imported by name; the channel tests share this folder).

A migrated database (SQLite and PostgreSQL) holding the e2e test fleet — 江苏省 320000 → 苏州市 320500 →
吴中区 320506, one enterprise with a gas and a water point — and users at each region level.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from helpers import FLEET, GAS_MN, WATER_MN  # noqa: E402
from pgdb import make_pg_database  # noqa: E402

from ecosentry.alarms.channels.base import DeliveryResult, Notification  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.store.db import make_engine  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402

PROVINCE, CITY, COUNTY = "320000", "320500", "320506"
#: Tables the alarm tests write to (emptied before each PostgreSQL test).
WRITTEN_TABLES = ("alarm_disposal_files", "alarm_disposal_steps", "alarm_disposals", "alarm_deliveries",
                  "alarm_links", "alarm_events", "alarm_subscriptions", "alarms", "mark_evidence", "mark_manual_values", "marks", "audit_log")
USERS = [  # username, region
    ("county-officer", COUNTY), ("city-officer", CITY), ("province-officer", PROVINCE),
]


def _fill(url: str) -> None:
    """Migrate, import the fleet and the users; leave no connection open (a template must be idle)."""
    eng = prepare_database(url)
    import_fleet(eng, FLEET)
    with eng.begin() as c:
        c.execute(insert(s.users), [{"username": u, "role": "regulator", "region_code": r} for u, r in USERS])
    eng.dispose()  # SQLite folds the WAL into the file when the last connection closes


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("alarm-template") / "template.sqlite"
    _fill(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_session_db(pg_server):
    url, drop = make_pg_database(pg_server)
    _fill(url)
    yield url
    drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def alarm_db_url(request, tmp_path) -> str:
    """A database of each kind holding the fleet and the users, copied from a per-session template
    (migrating once per session keeps the folder fast)."""
    if request.param == "sqlite":
        path = tmp_path / "alarms.sqlite"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    # PostgreSQL: one database per session, emptied of what tests write (creating a database per test
    # costs a checkpoint each time)
    url = request.getfixturevalue("_pg_session_db")
    eng = create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql(f"TRUNCATE {', '.join(WRITTEN_TABLES)} RESTART IDENTITY CASCADE")
    eng.dispose()
    yield url


@pytest.fixture
def engine(alarm_db_url):
    eng = make_engine(alarm_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def gas_point(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(s.points.c.id).where(s.points.c.mn == GAS_MN)).scalar_one()


@pytest.fixture
def water_point(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(s.points.c.id).where(s.points.c.mn == WATER_MN)).scalar_one()


@pytest.fixture
def user_ids(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {u: i for i, u in c.execute(select(s.users.c.id, s.users.c.username))}


class RecordingChannel:
    """A channel that keeps what it is given (test double for routing; the real channels have their own
    tests). ``fail_for`` addresses get a failed delivery; ``raise_for`` addresses make it raise."""

    def __init__(self, name: str, fail_for: tuple[str, ...] = (), raise_for: tuple[str, ...] = ()) -> None:
        self.name = name
        self.sent: list[Notification] = []
        self.fail_for, self.raise_for = fail_for, raise_for

    async def send(self, notification: Notification) -> DeliveryResult:
        if notification.recipient in self.raise_for:
            raise ConnectionError(f"cannot reach {notification.recipient}")
        self.sent.append(notification)
        if notification.recipient in self.fail_for:
            return DeliveryResult(False, f"{notification.recipient} refused the message")
        return DeliveryResult(True, "accepted")

    def to(self) -> list[tuple[str, str]]:
        """(event, recipient) pairs in order of sending."""
        return [(n.event, n.recipient) for n in self.sent]
