"""What the gates subsystem adds to the core's alarm page (:attr:`Subsystem.alarm_context`): for an ``ALM-VEH-…``
alarm, the stored findings that raised it or counted in it, each with its sentence and a link to its evidence
(``/gates/findings/<id>``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ecosentry.store import schema as s
from ecosentry.subsystems.gates.queries.findings import findings_of_alarm
from ecosentry.subsystems.gates.web.words import finding_sentence

__all__ = ["alarm_findings"]


def alarm_findings(conn: Connection, principal, alarm: dict) -> dict[str, Any]:
    if not str(alarm.get("type", "")).startswith("ALM-VEH-"):
        return {}
    rows = findings_of_alarm(conn, principal.enterprise_clause(s.enterprises.c.id), int(alarm["id"]))
    if not rows:
        return {}
    return {"gates_findings": rows, "gates_sentence": finding_sentence, "alarm_panels": ["gates_alarm_findings.html"]}
