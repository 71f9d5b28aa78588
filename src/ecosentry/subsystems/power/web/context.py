"""What the electricity subsystem adds to the core's alarm page (:attr:`Subsystem.alarm_context`), for an alarm
raised on equipment (``ALM-PWR-…``, originator ``equipment``, source id ``<enterprise_id>:<key>``): a link to
the enterprise's electricity view on the local day the alarm began, and the alarm's finding said in the reader's
language (the stored explanation is in the deployment's), with its start, end and duration in the enterprise's
local time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ecosentry.subsystems.power.alarms import alarm_sentence
from ecosentry.subsystems.power.queries.registry import enterprise_zone, equipment_of
from ecosentry.subsystems.power.web.words import named_params

__all__ = ["alarm_view_link", "alarm_finding"]


def alarm_view_link(conn: Connection, principal, alarm: dict) -> dict[str, Any]:
    """``power_view`` (enterprise id and local day) and its panel, for an equipment alarm in scope."""
    if alarm.get("source_type") != "equipment" or not str(alarm.get("type", "")).startswith("ALM-PWR-"):
        return {}
    head, _, _key = str(alarm.get("source_id") or "").partition(":")
    if not head.isdigit() or not principal.sees_enterprise(int(head)):
        return {}
    ent = int(head)
    day = alarm["first_at"].astimezone(ZoneInfo(enterprise_zone(conn, ent))).date().isoformat()
    return {"power_view": {"enterprise_id": ent, "day": day}, "alarm_panels": ["power_alarm_view.html"]}


def alarm_finding(conn: Connection, principal, alarm: dict) -> dict[str, Any]:
    """For an ``ALM-PWR-…`` alarm: ``power_sentence(gettext, fmt)`` and the panel showing it."""
    if not str(alarm.get("type", "")).startswith("ALM-PWR-") or alarm.get("enterprise_id") is None:
        return {}
    tz = enterprise_zone(conn, alarm["enterprise_id"])
    evidence = dict(alarm.get("evidence") or {})
    said = evidence.get("sentence")
    if isinstance(said, dict):  # the equipment's names, not its codes
        names = {u["code"]: u["name"] or u["code"] for u in equipment_of(conn, [alarm["enterprise_id"]])}
        evidence["sentence"] = {**said, "params": named_params(said.get("params") or {}, names)}

    def power_sentence(gettext, fmt) -> str | None:
        return alarm_sentence(evidence, gettext, lambda t: fmt.datetime(t, tz), datetime.now(timezone.utc))

    return {"power_sentence": power_sentence, "alarm_panels": ["power_alarm_finding.html"]}
