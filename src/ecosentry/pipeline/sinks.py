"""The sinks of the installed subsystems, by record kind (:attr:`ecosentry.contracts.subsystem.Subsystem.sinks`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine

from ecosentry.contracts.envelope import INSTRUMENT_KIND
from ecosentry.contracts.sink import Sink
from ecosentry.installed import installed, resolve
from ecosentry.pipeline.directory import PointDirectory


def build_sinks(engine: Engine, settings, directory: PointDirectory, names: tuple[str, ...] | None = None,
                ) -> dict[str, Sink]:
    """Record kind → its sink, made by the factory the subsystem names: ``factory(engine, settings, directory)``."""
    return {kind: resolve(ref)(engine, settings, directory) for sub in installed(names)
            for kind, ref in sub.sinks.items()}


def instrument_routes(cns: Iterable[str], names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Command code → :data:`INSTRUMENT_KIND` for the HJ 212 gateway, when an installed subsystem stores that kind;
    else nothing (the frames stay monitoring frames, archived as before)."""
    if not any(INSTRUMENT_KIND in sub.sinks for sub in installed(names)):
        return {}
    return {str(cn): INSTRUMENT_KIND for cn in cns}
