"""The gates subsystem's reports: ``evidence`` (its data in an alarm's evidence pack)."""
