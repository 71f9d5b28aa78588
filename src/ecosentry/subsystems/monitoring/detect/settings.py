"""Detector thresholds: one settings object, every field documented with its default and its source.

Each detector family owns its section (``national``, ``patterns``, ``statistical``), defined beside its
detectors; this module composes them. Deployments override fields from a YAML/JSON mapping
(:meth:`DetectorSettings.from_mapping`) or the environment (``ECOSENTRY_DETECT__NATIONAL__CONSTANT_HOURS=6``
through :class:`ecosentry.settings.Settings`).
"""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field

from ecosentry.subsystems.monitoring.detect.national import NationalSettings
from ecosentry.subsystems.monitoring.detect.patterns import PatternSettings
from ecosentry.subsystems.monitoring.detect.statistical import StatisticalSettings

__all__ = ["DetectorSettings"]


class DetectorSettings(BaseModel):
    """All detector thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A point is "running" (正常生产) when its flow (or velocity) exceeds this fraction of its median over the
    #: window (ours).
    running_flow_min: float = 0.2
    #: O2 at or above this [%] says "stopped" (reference notes §5.6, ours; configurable).
    o2_stopped_pct: float = 19.0
    national: NationalSettings = Field(default_factory=NationalSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    statistical: StatisticalSettings = Field(default_factory=StatisticalSettings)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "DetectorSettings":
        """Defaults overridden by ``data`` (unknown keys are an error naming the key)."""
        return cls.model_validate(dict(data or {}))
