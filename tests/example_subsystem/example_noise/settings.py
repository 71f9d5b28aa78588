"""The subsystem's settings section: ``ECOSENTRY_NOISE__<FIELD>`` (``ECOSENTRY_NOISE__ZONE_CLASS=3``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class NoiseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Acoustic zone class of the sites' surroundings (GB 3096-2008 §4), which picks the limits of
    #: GB 12348-2008 Table 1.
    zone_class: int = Field(2, ge=0, le=4)
    #: Local time zone of the sites: day and night are local (06:00–22:00 is day).
    tz: str = "Asia/Shanghai"
    #: Seconds between the running part's summaries of the last hour. [s]
    watch_every: float = Field(60.0, gt=0)
