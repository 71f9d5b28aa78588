"""The section ``park`` of the settings (``ECOSENTRY_PARK__*``): every [R] number of the park rules as a documented
default (``docs/park.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.park.substances import Substance
from ecosentry.subsystems.park.tiered import WarningSettings
from ecosentry.subsystems.park.tracing import TracebackSettings

__all__ = ["ParkSettings", "DispersionSettings"]


class DispersionSettings(BaseModel):
    #: Height of the receptors the threat zones are drawn at (ALOHA draws them at ground level). [m]
    receptor_height_m: float = 0.0
    #: Farthest downwind distance the zones are searched to. [m]
    max_distance_m: float = 50_000.0
    #: Pasquill's table leaves night, wind < 2 m/s blank; F is the usual choice [R].
    night_calm_class: str = "F"


class ParkSettings(BaseModel):
    #: The park's time zone: times in the warnings' sentences.
    timezone: str = "Asia/Shanghai"
    #: Entries over the built-in substance table (code → substance), e.g. official AEGL values once checked.
    substances: dict[str, Substance] = Field(default_factory=dict)
    warnings: WarningSettings = WarningSettings()
    traceback: TracebackSettings = TracebackSettings()
    dispersion: DispersionSettings = DispersionSettings()
