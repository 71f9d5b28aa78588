"""Fixtures of the O&M database tests (omkit)."""

from omkit import om_names, om_world  # noqa: F401 (fixtures)
