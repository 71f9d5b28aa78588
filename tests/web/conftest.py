"""The browser of the page tests: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"  # the launch flags are browser_kit.ARGS


@pytest.fixture
def chromium() -> str:
    """Path of the browser; in CI a missing one is a failure, never a skip."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed")
    return CHROMIUM
