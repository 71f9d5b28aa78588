"""What the electricity subsystem adds to the core's alarm page (:attr:`Subsystem.alarm_context`): a power
alarm's finding said in the reader's language (the stored explanation is in the deployment's), with its start,
end and duration in the enterprise's local time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection

from ecosentry.subsystems.power.alarms import alarm_sentence
from ecosentry.subsystems.power.queries.model import enterprise_zone


def alarm_finding(conn: Connection, principal, alarm: dict) -> dict[str, Any]:
    """For an ``ALM-PWR-…`` alarm: ``power_sentence(gettext, fmt)`` and the panel showing it."""
    if not str(alarm.get("type", "")).startswith("ALM-PWR-") or alarm.get("enterprise_id") is None:
        return {}
    tz = enterprise_zone(conn, alarm["enterprise_id"])
    evidence = alarm.get("evidence") or {}

    def power_sentence(gettext, fmt) -> str | None:
        return alarm_sentence(evidence, gettext, lambda t: fmt.datetime(t, tz), datetime.now(timezone.utc))

    return {"power_sentence": power_sentence, "alarm_panels": ["power_alarm_finding.html"]}
