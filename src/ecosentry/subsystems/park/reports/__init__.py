"""The park subsystem's reports: ``incident_report`` (one incident as PDF), ``evidence`` (its data in an alarm's
evidence pack)."""
