"""YAML read with libyaml's C parser where PyYAML has it (its PyPI wheels do), else with the pure-Python one.

The same documents, the same errors (``yaml.YAMLError`` with the line and column of the problem), about ten times
faster: the factor catalogue that every database preparation reads took ~0.25 s with the pure-Python parser.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["SafeLoader", "safe_load"]

#: libyaml's safe loader when PyYAML was built with it, else PyYAML's own.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` of ``text`` with :data:`SafeLoader`."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)
