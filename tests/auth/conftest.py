"""Fixtures of the access tests: a migrated database with the matrix world, and the app on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from authkit import World, build_world  # noqa: E402

from ecosentry.api.app import create_app  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.settings import Settings  # noqa: E402


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine) -> World:
    return build_world(engine)


def make_app(engine, tmp_path, **access):
    """The application with these fields of the settings section ``access`` (``login_max_failures`` …)."""
    st = Settings(database_url="sqlite://", data_dir=tmp_path / "state", access=access)
    return create_app(engine, settings=st)
