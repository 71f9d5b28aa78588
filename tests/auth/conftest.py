"""Fixtures of the access tests: a migrated database with the matrix world, and the app on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from authkit import World, build_world  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine) -> World:
    return build_world(engine)
