"""The O&M rules, pure: work orders, deadlines, calibration, consistency, assessment (no database, no clock)."""
