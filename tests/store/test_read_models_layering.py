"""Read models in one place (issue 12 item 4): the API routes, the pages and the reports hold no SQL of their
own, and the pages and reports do not reach up into the API routes.

* No module under ``api/routes/``, ``web/``, ``reports/`` or a subsystem's ``api/``, ``web/``, ``reports/`` builds a statement: no call of ``select``,
  ``text``, ``insert``, ``update`` or ``delete`` imported from SQLAlchemy, and no ``<table>.insert()`` /
  ``.update()`` / ``.delete()`` / ``.select()`` on a table of :mod:`ecosentry.store.schema`. Their queries
  live in :mod:`ecosentry.store.queries` or the subsystem's ``queries/`` (one module per subject) and are called from routes, pages and
  reports alike.
* No page or report module imports the API routes (``ecosentry.api.routes``, a subsystem's ``api``).

The modules not yet moved are listed in :data:`NOT_YET_MOVED`; the list may only shrink: a module listed there
that no longer holds SQL fails the test too, so that it is struck off.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ecosentry

SRC = Path(ecosentry.__file__).parent
STATEMENTS = {"select", "text", "insert", "update", "delete"}
TABLE_METHODS = {"select", "insert", "update", "delete"}

#: Modules (relative to the package) that still build statements themselves; shrink it, never grow it.
NOT_YET_MOVED: set[str] = set()


def _modules(*folders: str) -> list[Path]:
    """The modules under each folder (a glob relative to the package: ``subsystems/*/web``)."""
    return sorted({p for folder in folders for d in SRC.glob(folder) for p in d.rglob("*.py")})


#: The API routes, pages and reports of the core and of every subsystem.
ROUTES = ("api/routes", "subsystems/*/api")
PAGES_AND_REPORTS = ("web", "reports", "subsystems/*/web", "subsystems/*/reports")


def _is_routes(name: str) -> bool:
    parts = name.split(".")
    return (name == "ecosentry.api.routes" or name.startswith("ecosentry.api.routes.")
            or (parts[:2] == ["ecosentry", "subsystems"] and len(parts) > 3 and parts[3] == "api"))


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def statements_built(source: str) -> list[str]:
    """``name (line)`` of each statement the module builds (see the module doc)."""
    tree = ast.parse(source)
    from_sqla: dict[str, str] = {}  # local name -> SQLAlchemy name, for the statement builders
    sqla_modules: set[str] = set()  # local names bound to sqlalchemy (import sqlalchemy as sa)
    schema_names: set[str] = set()  # local names bound to ecosentry.store.schema
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module.split(".")[0] == "sqlalchemy" and alias.name in STATEMENTS:
                    from_sqla[local] = alias.name
                if node.module == "ecosentry.store" and alias.name == "schema":
                    schema_names.add(local)
                if node.module == "ecosentry.store.schema":
                    schema_names.add("")  # tables imported by name: any <name>.insert() below is suspect
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    sqla_modules.add(alias.asname or alias.name)
                if alias.name == "ecosentry.store.schema":
                    schema_names.add(alias.asname or alias.name)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in from_sqla:
            found.append(f"{from_sqla[f.id]} ({node.lineno})")
        elif isinstance(f, ast.Attribute):
            base = f.value
            if f.attr in STATEMENTS and isinstance(base, ast.Name) and base.id in sqla_modules:
                found.append(f"{base.id}.{f.attr} ({node.lineno})")
            elif (f.attr in TABLE_METHODS and isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                  and base.value.id in schema_names):
                found.append(f"{base.value.id}.{base.attr}.{f.attr} ({node.lineno})")
    return found


def routes_imported(source: str) -> list[str]:
    """The imports of ``ecosentry.api.routes`` (or below) in the module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        if any(_is_routes(n) for n in names):
            found.append(f"{node.module if isinstance(node, ast.ImportFrom) else names[0]} ({node.lineno})")
    return found


def test_the_detector_sees_statements_and_table_methods():
    src = ("from sqlalchemy import select as sel, func\nimport sqlalchemy as sa\n"
           "from ecosentry.store import schema as s\n"
           "a = sel(s.points)\nb = sa.text('x')\nc = s.marks.update()\nd = func.count()\ne = ''.join([])\n")
    assert statements_built(src) == ["select (4)", "sa.text (5)", "s.marks.update (6)"]
    assert routes_imported("from ecosentry.subsystems.monitoring.api.points import get_point\nfrom ecosentry.api import deps\n"
                           "from ecosentry.api.routes import audit\n") == \
        ["ecosentry.subsystems.monitoring.api.points (1)", "ecosentry.api.routes (3)"]


def test_routes_pages_and_reports_build_no_statements():
    offenders = {}
    for path in _modules(*ROUTES, *PAGES_AND_REPORTS):
        found = statements_built(path.read_text(encoding="utf-8"))
        if found:
            offenders[_rel(path)] = found
    new = {m: f for m, f in offenders.items() if m not in NOT_YET_MOVED}
    assert not new, f"SQL in routes, pages or reports; put it in ecosentry.store.queries: {new}"
    moved = sorted(NOT_YET_MOVED - set(offenders))
    assert not moved, f"these modules hold no SQL any more: strike them off NOT_YET_MOVED: {moved}"


def test_pages_and_reports_do_not_import_the_api_routes():
    offenders = {}
    for path in _modules(*PAGES_AND_REPORTS):
        found = routes_imported(path.read_text(encoding="utf-8"))
        if found:
            offenders[_rel(path)] = found
    assert not offenders, f"pages and reports import the API routes (move the function to store/queries): {offenders}"
