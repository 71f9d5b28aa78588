"""Write ``tests/file_seconds.json`` (seconds per test file) from a JUnit XML report of a whole run.

    ./run test --junitxml=/tmp/junit.xml && .venv/bin/python tests/tools/file_seconds.py /tmp/junit.xml

The root conftest orders the test files by these seconds, longest first, so that the pytest-xdist workers
(``--dist loadfile``) start the long files (browser walks, demos, servers) at once instead of at the end of
the run; a file missing from the list keeps its place after the listed ones. The figures only order the
files: nothing asserts on them.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "file_seconds.json"


def file_seconds(junit: Path) -> dict[str, float]:
    """Seconds per test file (path relative to the repository, as pytest names it)."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        # classname is the dotted module path (tests.web.test_x) plus any class name
        parts = (case.get("classname") or "").split(".")
        for cut in range(len(parts), 0, -1):
            path = Path(*parts[:cut]).with_suffix(".py")
            if (OUT.parent.parent / path).is_file():
                seconds[path.as_posix()] += float(case.get("time") or 0)
                break
    return {k: round(v, 1) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}


def main() -> None:
    data = file_seconds(Path(sys.argv[1]))
    OUT.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(data)} files, {sum(data.values()):.0f} s in all; written to {OUT}")


if __name__ == "__main__":
    main()
