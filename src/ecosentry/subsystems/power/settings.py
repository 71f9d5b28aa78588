"""The section ``power`` of the settings (``ECOSENTRY_POWER__*``): every [R] number of the rules as a
documented default (``docs/power.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.power.rules.linkage import LinkageSettings
from ecosentry.subsystems.power.rules.orders import OrderSettings

__all__ = ["PowerSettings", "ThresholdSettings", "EngineSettings"]


class ThresholdSettings(BaseModel):
    """Running-state thresholds when a meter has none of its own (§1.4 "State detection", §7 item 2)."""

    #: Consecutive samples a new state needs (§7 item 2: 3 minutes [R]).
    dwell: int = Field(3, ge=1)
    #: Learn the thresholds from the meter's own readings (Otsu on log power) when it has none.
    learn: bool = True
    #: The two populations must be this many pooled standard deviations apart on log power [ours].
    min_separation: float = Field(3.0, gt=0)
    #: The running level must be at least this many times the stopped level [ours].
    min_ratio: float = Field(5.0, gt=1)
    #: Each population must hold this share of the readings [ours].
    min_share: float = Field(0.02, gt=0, lt=0.5)
    #: Fallback on threshold as a share of rated power (§1.4: 10–20 % of the running level [R]); off is half.
    fallback_share: float = Field(0.15, gt=0, lt=1)
    #: Added to power before the logarithm. [kW]
    floor_kw: float = Field(0.01, gt=0)


class EngineSettings(BaseModel):
    """The live rules engine (:mod:`.engine.engine`, docs/power.md "Live engine")."""

    #: Seconds between passes over the enterprises that received readings (issue 15 item 4: alarm ≤ 2 min).
    every_seconds: float = Field(10.0, gt=0)
    #: Every enterprise is evaluated at least this often, readings or not (a logger gone silent). [s]
    sweep_seconds: float = Field(60.0, gt=0)
    #: Minutes of readings each evaluation reads (≥ the offline, CT and grace windows with room). [min]
    window_minutes: int = Field(180, ge=30)
    #: The window reaches back to the start of a finding still open, at most this far. [h]
    max_window_hours: float = Field(24.0, gt=0)
    #: Days of a meter's readings its threshold is learned from. [d]
    learn_days: float = Field(7.0, gt=0)
    #: An enterprise's registry and thresholds in force are read again after this many seconds. [s]
    registry_seconds: float = Field(60.0, ge=0)
    #: A pass reads only the readings received since the last; the whole window is read again after this. [min]
    reload_minutes: float = Field(30.0, gt=0)
    #: A learned threshold is learned again after this many hours. [h]
    relearn_hours: float = Field(24.0, gt=0)


class PowerSettings(BaseModel):
    thresholds: ThresholdSettings = ThresholdSettings()
    linkage: LinkageSettings = LinkageSettings()
    orders: OrderSettings = OrderSettings()
    engine: EngineSettings = EngineSettings()
