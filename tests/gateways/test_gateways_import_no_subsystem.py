"""The gateways are core: they receive, authenticate, decode what is purely decodable and spool; they import no
subsystem (issue 12 items 1 and 3; DESIGN.md §3). Checked on the source, so an import inside a function counts."""

from __future__ import annotations

import ast
from pathlib import Path

import ecosentry.gateways

GATEWAYS = Path(ecosentry.gateways.__file__).parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against ecosentry.gateways
                parts = ["ecosentry", "gateways"][: max(0, 2 - (node.level - 1))]
                base = ".".join(parts + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def test_no_gateway_imports_a_subsystem():
    files = sorted(GATEWAYS.rglob("*.py"))
    assert any(f.name == "ftp.py" for f in files) and any(f.name == "folder.py" for f in files)
    offending = [f"{f.relative_to(GATEWAYS)}:{line}: {name}" for f in files for line, name in _imported_modules(f)
                 if name == "ecosentry.subsystems" or name.startswith("ecosentry.subsystems.")]
    assert offending == []


def test_the_check_sees_an_import_of_a_subsystem(tmp_path):
    """The check itself: each form of import is found."""
    f = tmp_path / "x.py"
    f.write_text("import ecosentry.subsystems.monitoring\n"
                 "from ecosentry.subsystems.monitoring.vn import sink\n"
                 "def f():\n    from ecosentry.subsystems import monitoring\n"
                 "importlib.import_module('ecosentry.subsystems.monitoring')\n", encoding="utf-8")
    names = [n for _, n in _imported_modules(f) if n.startswith("ecosentry.subsystems")]
    assert len({line for line, n in _imported_modules(f) if n.startswith("ecosentry.subsystems")}) == 4
    assert "ecosentry.subsystems.monitoring.vn.sink" in names
