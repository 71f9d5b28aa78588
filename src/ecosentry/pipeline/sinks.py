"""The sinks of the installed subsystems, by record kind (:attr:`ecosentry.contracts.subsystem.Subsystem.sinks`)."""

from __future__ import annotations

from sqlalchemy import Engine

from ecosentry.contracts.sink import Sink
from ecosentry.installed import installed, resolve
from ecosentry.pipeline.directory import PointDirectory


def build_sinks(engine: Engine, settings, directory: PointDirectory, names: tuple[str, ...] | None = None,
                ) -> dict[str, Sink]:
    """Record kind → its sink, made by the factory the subsystem names: ``factory(engine, settings, directory)``."""
    return {kind: resolve(ref)(engine, settings, directory) for sub in installed(names)
            for kind, ref in sub.sinks.items()}
