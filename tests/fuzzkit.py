"""The fuzzing switch shared by the property tests (tests/fuzz/) and the live fuzz runs (issue 19 item 6).

Each property names its example count for CI (``@fuzz(200)``); the whole of tests/fuzz/ is sized to run in well
under a minute on the 2-core machine. ``ECOSENTRY_FUZZ_SCALE=N`` multiplies every count by N for a longer run on
demand (``ECOSENTRY_FUZZ_SCALE=50 python -m pytest -n 0 tests/fuzz``, docs/testing.md). In CI (scale 1) the
examples are derandomised, so a run is reproducible and a failure is the same failure on a rerun; a longer run
draws fresh examples every time and keeps the failing ones in ``.hypothesis/`` to replay first next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

#: How many times the CI example counts a run tries (``ECOSENTRY_FUZZ_SCALE``, default 1).
SCALE = max(1, int(os.environ.get("ECOSENTRY_FUZZ_SCALE", "1") or 1))
LONG = SCALE > 1

settings.register_profile(
    "ecosentry-ci", deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile(
    "ecosentry-long", deadline=None, database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile("ecosentry-long" if LONG else "ecosentry-ci")


def fuzz(examples: int, **kw) -> settings:
    """Settings of one property: ``examples`` in CI, times :data:`SCALE` on demand."""
    return settings(max_examples=examples * SCALE, **kw)


def scaled(n: int) -> int:
    """A count of a scripted (non-hypothesis) fuzz run, times :data:`SCALE`."""
    return n * SCALE
