"""Seed data shipped with the package (read with importlib.resources, so it works from a wheel).

``factors.yaml`` is the HJ 212-2017 Appendix B factor catalogue; its header names the sources and the
meaning of each field.
"""

from __future__ import annotations

from importlib import resources

import yaml

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
    text = resources.files(__name__).joinpath("factors.yaml").read_text(encoding="utf-8")
    # libyaml's parser when PyYAML has it (the same safe constructor, the same entries): ~0.04 s → ~0.005 s of
    # CPU, paid by every process that names a factor (each worker of ``ecosentry detect``)
    factors = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
    seen: set[str] = set()
    for entry in factors:
        missing = [key for key in FACTOR_FIELDS if key not in entry]
        if missing:
            raise ValueError(f"factor {entry.get('code')!r} lacks {missing}")
        if entry["code"] in seen:
            raise ValueError(f"factor code {entry['code']!r} appears twice")
        seen.add(entry["code"])
    return factors


def factor_index() -> dict[str, dict]:
    """The catalogue keyed by HJ 212-2017 code."""
    return {entry["code"]: entry for entry in load_factors()}
