"""Every subsystem has the shape its manifest declares (Home Assistant's ``hassfest`` is the model), and none
imports another.

Two kinds of check:

* on the manifests alone, for every subsystem package of the platform (``ecosentry/subsystems/*``) and the
  example of the tests (``tests/example_subsystem/example_noise``), installed or not: names, record kinds and
  settings sections unique, references well formed, menu paths, folders present, and (AST, nothing imported)
  no subsystem importing another's package;
* on the installed subsystems (:func:`ecosentry.installed.installed`), every reference resolved to the kind
  of object its field asks for. The example's parts are resolved when ``test_example_noise.py`` runs this file
  again in a deployment that lists it (its schema and catalogue would otherwise join this process's).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import Table

import ecosentry.cli  # noqa: F401  (see below)
import ecosentry.subsystems
from ecosentry.auth.principal import PERMISSIONS
from ecosentry.contracts.subsystem import Subsystem
from ecosentry.contracts.fuzz import FuzzTarget
from ecosentry.installed import installed, resolve
from ecosentry.store.db import alembic_config
from ecosentry.store.schema import metadata

# ``ecosentry.cli`` is imported first, as the ``ecosentry`` command does: the monitoring subsystem's commands import
# ``ecosentry.cli.main``, whose package assembles the app from the subsystems' ``register`` functions, so
# resolving ``monitoring.cli:register`` on its own would enter that loop half-way (left to the layer work).

EXAMPLE_DIR = Path(__file__).parent / "example_subsystem"
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

SUBSYSTEMS_DIR = Path(ecosentry.subsystems.__file__).parent
#: Every subsystem package: the platform's and the example.
PACKAGES = tuple(f"ecosentry.subsystems.{d.name}" for d in sorted(SUBSYSTEMS_DIR.iterdir())
                 if (d / "__init__.py").is_file()) + ("example_noise",)
#: Fields holding ``"module:attribute"`` references, and those holding a module or package name.
ATTRIBUTE_FIELDS = ("sinks", "api_routers", "pages", "page_context", "alarm_links", "alarm_context", "cli",
                    "settings", "services", "demo", "limit_seed", "registry_import", "invalid_periods",
                    "invalid_periods_changed", "fuzz_targets", "evidence_data")
MODULE_FIELDS = ("schema", "migrations", "templates", "locale", "catalogue")


def manifest(package: str) -> Subsystem:
    return importlib.import_module(package).SUBSYSTEM


def refs(sub: Subsystem, field: str) -> list[str]:
    value = getattr(sub, field)
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, tuple):
        return list(value)
    return [value] if value else []


def package_dir(package: str) -> Path:
    return Path(importlib.util.find_spec(package).origin).parent


# ------------------------------------------------------------------ the manifests


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_declares_one_subsystem(package):
    sub = manifest(package)
    assert isinstance(sub, Subsystem)
    assert sub.name.isidentifier() and sub.name == sub.name.lower() and sub.title


def test_names_record_kinds_and_settings_sections_are_unique_across_subsystems():
    subs = [manifest(p) for p in PACKAGES]
    for what in ("name", "sinks", "settings"):
        keys = [k for sub in subs for k in ([sub.name] if what == "name" else getattr(sub, what))]
        assert len(keys) == len(set(keys)), f"{what}: {sorted(k for k in keys if keys.count(k) > 1)}"


@pytest.mark.parametrize("package", PACKAGES)
def test_references_name_modules_of_the_package_that_exist(package):
    sub = manifest(package)
    for field in ATTRIBUTE_FIELDS + MODULE_FIELDS:
        for ref in refs(sub, field):
            module, colon, attr = ref.partition(":")
            assert bool(colon and attr) == (field in ATTRIBUTE_FIELDS), f"{field}: {ref!r}"
            assert module == package or module.startswith(package + "."), f"{field}: {ref!r} is not in {package}"
            assert importlib.util.find_spec(module) is not None, f"{field}: no module {module}"


@pytest.mark.parametrize("package", PACKAGES)
def test_menu_entries_and_folders(package):
    sub = manifest(package)
    for entry in sub.menu:
        assert entry.path.startswith("/") and entry.label and entry.group in ("main", "more"), entry
        assert entry.permission is None or entry.permission in PERMISSIONS, entry
    if sub.templates:
        assert (package_dir(sub.templates) / "templates").is_dir()
    if sub.locale:
        for lang in ("zh", "vi"):
            assert (package_dir(sub.locale) / "locale" / lang / "LC_MESSAGES" / "messages.po").is_file()
    if sub.migrations:
        assert any(p.name != "__init__.py" for p in package_dir(sub.migrations).glob("*.py"))


def imported_modules(path: Path, package: str) -> set[str]:
    """The modules a source file imports (relative imports resolved against ``package``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                out.add(f"{base}.{node.module}" if node.module else base)
            else:
                out.add(node.module or "")
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_no_subsystem_imports_another(package):
    """A subsystem reaches another only through the core's query contracts (DESIGN.md §3)."""
    root = package_dir(package)
    others = [p for p in PACKAGES if p != package]
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module_package = ".".join((package, *parts[:-1]))  # the package a relative import starts from
        for name in imported_modules(path, module_package):
            if any(name == o or name.startswith(o + ".") for o in others):
                found.append(f"{path.relative_to(root.parent)} imports {name}")
    assert not found


# ------------------------------------------------------------------ the installed subsystems, resolved


@pytest.mark.parametrize("sub", installed(), ids=lambda s: s.name)
def test_every_reference_resolves_to_the_kind_its_field_asks_for(sub):
    if sub.schema:
        module = resolve(sub.schema)
        assert [t for t in vars(module).values() if isinstance(t, Table) and t.metadata is metadata], sub.schema
    for kind, ref in sub.sinks.items():
        assert kind and callable(resolve(ref)), ref
    for module in sub.catalogue:
        importlib.import_module(module)
    for ref in sub.api_routers:
        router = resolve(ref)
        assert isinstance(router, APIRouter) and all(r.path.startswith("/api/") for r in router.routes), ref
    pages = [resolve(ref) for ref in sub.pages]
    assert all(isinstance(router, APIRouter) for router in pages), sub.pages
    served = {r.path for router in pages for r in router.routes if "GET" in getattr(r, "methods", ())}
    for entry in sub.menu:
        assert entry.path in served, f"menu entry {entry.path} is not a page of {sub.name}"
    for field in ("page_context", "alarm_links", "alarm_context", "services", "demo", "limit_seed", "invalid_periods",
                  "invalid_periods_changed", "evidence_data"):
        for ref in refs(sub, field):
            assert callable(resolve(ref)), f"{field}: {ref}"
    if sub.cli:  # register(app, groups)
        assert len(inspect.signature(resolve(sub.cli)).parameters) == 2, sub.cli
    for name, ref in sub.fuzz_targets.items():
        target = resolve(ref)
        assert isinstance(target, FuzzTarget) and target.name == name and target.corpus.is_dir(), f"{name}: {ref}"
    for section, ref in sub.settings.items():
        model = resolve(ref)
        assert isinstance(model, type) and issubclass(model, BaseModel) and model(), f"{section}: {ref}"


@pytest.mark.parametrize("sub", [s for s in installed() if s.migrations], ids=lambda s: s.name)
def test_migrations_are_a_branch_of_their_own_on_the_core(sub):
    """The subsystem's revisions form one labelled branch whose base depends on a core revision."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    folder = package_dir(sub.migrations)
    mine = [r for r in script.walk_revisions() if Path(r.path).parent == folder]
    assert mine, folder
    bases = [r for r in mine if r.down_revision is None]
    assert len(bases) == 1 and bases[0].branch_labels, [r.revision for r in bases]
    core = {r.revision for r in script.walk_revisions() if Path(r.path).parent.name == "versions"
            and "ecosentry/store/migrations" in Path(r.path).as_posix()}
    depends = bases[0].dependencies or ()
    assert set((depends,) if isinstance(depends, str) else depends) & core, bases[0].revision
