"""The park subsystem's reports: ``incident_report`` (one incident as PDF)."""
