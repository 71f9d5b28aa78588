"""The terminal's language: the first interface language (zh, vi, en) that ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` names (the POSIX order), else the deployment's."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ecosentry.locale import LOCALES

__all__ = ["cli_language"]


def cli_language(default: str, environ: Mapping[str, str] | None = None) -> str:
    """The terminal's language if it is an interface language, else ``default`` (else English)."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in env.get(var, "").split(":"):
            code = tag.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
            if code in LOCALES:
                return code
    return default if default in LOCALES else "en"
