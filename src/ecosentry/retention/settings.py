"""Section ``retention`` of the settings (``ECOSENTRY_RETENTION__<FIELD>``): months each data kind is kept.

A value below the legal minimum (:data:`ecosentry.retention.policy.FLOORS`) is not obeyed: the floor is used and
the pass says so. The defaults are the floors.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetentionSettings(BaseModel):
    #: Run the retention pass in the service (the process that runs the alarm jobs), every ``every_hours``.
    enabled: bool = True
    every_hours: float = 24.0
    #: Rows deleted per statement (each batch its own transaction, off the event loop).
    batch_rows: int = Field(50_000, ge=1_000)
    #: Months kept per observation kind (``observations.kind``).
    rtd_months: int = 12
    min_months: int = 60
    hour_months: int = 60
    day_months: int = 60
    state_months: int = 12
    runtime_months: int = 12
    #: Months kept of the platform's derived hours and days/months (``hourly_values``, ``derived_periods``).
    derived_months: int = 60
    #: Months kept of the raw frames and files as received (``raw_frames``) and the quarantine.
    raw_months: int = 60
