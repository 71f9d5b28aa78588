"""Seed data shipped with the package (read with importlib.resources, so it works from a wheel).

``factors.yaml`` is the HJ 212-2017 Appendix B factor catalogue; its header names the sources and the
meaning of each field.
"""

from __future__ import annotations

import functools
from importlib import resources

from ecosentry.yamltext import safe_load

__all__ = ["load_factors", "factor_index", "FACTOR_FIELDS"]

#: Keys every catalogue entry carries.
FACTOR_FIELDS = ("code", "old_code", "name_zh", "name_en", "unit", "cou_unit", "medium", "category", "confirmed")


def load_factors() -> list[dict]:
    """
    Read the factor catalogue.

    Returns
    -------
    list of dict
        One dict per factor with the keys of :data:`FACTOR_FIELDS`, in file order. A fresh list is
        returned on every call, so callers may modify it.

    Raises
    ------
    ValueError
        If an entry lacks a field or a code appears twice.

    References
    ----------
    .. [1] HJ 212-2017, Appendix B (normative): pollutant and parameter codes.
    """
    return [dict(entry) for entry in _catalogue()]


@functools.cache
def _catalogue() -> tuple[dict, ...]:
    """The file read and checked once per process (its entries are flat: a copy of each dict is a deep copy)."""
    text = resources.files(__name__).joinpath("factors.yaml").read_text(encoding="utf-8")
    factors = safe_load(text)
    seen: set[str] = set()
    for entry in factors:
        missing = [key for key in FACTOR_FIELDS if key not in entry]
        if missing:
            raise ValueError(f"factor {entry.get('code')!r} lacks {missing}")
        if entry["code"] in seen:
            raise ValueError(f"factor code {entry['code']!r} appears twice")
        seen.add(entry["code"])
    return tuple(factors)


def factor_index() -> dict[str, dict]:
    """The catalogue keyed by HJ 212-2017 code."""
    return {entry["code"]: entry for entry in load_factors()}
