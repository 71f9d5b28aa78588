"""Fixtures for the mark tests: a migrated database (SQLite and PostgreSQL) holding the test fleet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "e2e"))

from helpers import FLEET, GAS_MN, WATER_MN  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    import_fleet(eng, FLEET)
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
