"""A database filled once per test module and database kind, each test working on its own copy (imported by
name; the fixtures by ``from worldcopy import world_templates, world_db  # noqa: F401``).

Building a world (migrations' seeds, a registry, users, readings) costs seconds of CPU; copying it costs a few
milliseconds: a SQLite file is copied, a PostgreSQL database is made from the filled one as a template
(:func:`pgdb.make_pg_database`). ``world_db`` has the same parameters and test ids as the root ``db_url``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgdb import forget_template, make_pg_database


class WorldTemplates:
    """The module's filled databases: (kind, name) → (SQLite path or PostgreSQL template, what ``build`` returned)."""

    def __init__(self, tmp_path_factory) -> None:
        self._tmp = tmp_path_factory
        self._made: dict[tuple[str, str], tuple[str, object]] = {}
        self._pg: list[tuple[str, str, callable]] = []  # (admin url, template name, drop)

    def copy(self, request, kind: str, name: str, build, tmp_path: Path) -> tuple[str, object]:
        """(url of a fresh copy, what ``build(url)`` returned when it filled the template). ``build`` must
        dispose of its engines: a PostgreSQL template is copied only when nobody is connected to it."""
        key = (kind, name)
        if kind == "sqlite":
            if key not in self._made:
                path = self._tmp.mktemp(f"{name}-sqlite") / "template.sqlite"
                shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
                self._made[key] = (str(path), build(f"sqlite:///{path}"))
            template, data = self._made[key]
            path = tmp_path / "test.sqlite"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", data
        admin = request.getfixturevalue("pg_server")
        if key not in self._made:
            url, drop = make_pg_database(admin, template=request.getfixturevalue("pg_migrated_template"))
            data = build(url)
            template = url.rsplit("/", 1)[1]
            self._pg.append((admin, template, drop))
            self._made[key] = (template, data)
        template, data = self._made[key]
        url, drop = make_pg_database(admin, template=template)
        request.addfinalizer(drop)
        return url, data

    def close(self) -> None:
        for admin, template, drop in self._pg:
            forget_template(admin, template)  # the spare copy made in advance
            drop()


@pytest.fixture(scope="module")
def world_templates(tmp_path_factory):
    """The module's :class:`WorldTemplates`; its PostgreSQL templates are dropped when the module ends."""
    worlds = WorldTemplates(tmp_path_factory)
    yield worlds
    worlds.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world_db(request, tmp_path, world_templates):
    """``world_db(name, build)`` → (url, data): a fresh database of each kind, a copy of the one
    ``build(url)`` filled for the module."""
    return lambda name, build: world_templates.copy(request, request.param, name, build, tmp_path)
