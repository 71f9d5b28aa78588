"""A small metered fleet for the power store tests: one region, two core enterprises, and their electricity
registry under the fleet file's ``power:`` key (imported by name: ``from powerkit import ...``)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from ecosentry.contracts.envelope import Envelope, Reading

COKING = "91141000MA0EXAMPLE"
CEMENT = "91141000MA0CEMENT1"
LOGGER = "PWR4101000001"
MQTT_DEVICE = "mqtt-cement-01"
MQTT_PASSWORD = "cement device secret"

FLEET = {
    "regions": [{"code": "141000", "name": "Linfen", "level": "city"}],
    "enterprises": [
        {"credit_code": COKING, "name": "Example Coking Co.", "region": "141000", "industry": "coking"},
        {"credit_code": CEMENT, "name": "Example Cement Co.", "region": "141000", "industry": "cement"},
    ],
    "power": {
        "devices": [
            {"mn": LOGGER, "transport": "hj212", "password": "123456"},
            {"mn": MQTT_DEVICE, "transport": "mqtt", "password": MQTT_PASSWORD, "tz": "Asia/Shanghai"},
        ],
        "enterprises": [
            {"credit_code": COKING,
             "lines": [{"id": "L1", "name": "Coke oven line 1"}],
             "meters": [
                 {"id": "SB001", "device": LOGGER, "channel": "SB1", "meter_no": "2023-0001", "ct_ratio": "200/5",
                  "phases": 3, "rated_kw": 250},
                 {"id": "SB002", "device": LOGGER, "channel": "SB2", "ct_ratio": 40, "rated_kw": 90,
                  "thresholds": {"on": 12, "off": 6, "dwell": 3}},
                 {"id": "SB003", "device": LOGGER, "channel": "SB3", "rated_kw": 5},
             ],
             "equipment": [
                 {"id": "oven1", "name": "Coke oven 1", "role": "production", "line": "L1", "meter": "SB001",
                  "rated_kw": 250, "normal_kw": 200},
                 {"id": "dust1", "role": "treatment", "kind": "dust_removal", "meter": "SB002", "serves": ["oven1"],
                  "grace_minutes": 5},
                 {"id": "lights", "role": "production", "meter": "SB003", "safety_load": True},
             ],
             "measures": [
                 {"level": "orange", "equipment": "oven1", "measure": "limit", "limit_pct": 50},
                 {"level": "red", "equipment": "oven1", "measure": "stop"},
             ]},
            {"credit_code": CEMENT,
             "meters": [{"id": "M1", "device": MQTT_DEVICE, "channel": "kiln-main", "rated_kw": 400},
                        {"id": "M2", "device": MQTT_DEVICE, "channel": "bagfilter", "rated_kw": 80}],
             "equipment": [
                 {"id": "kiln", "role": "production", "meter": "M1", "rated_kw": 400},
                 {"id": "bag", "role": "treatment", "kind": "dust_removal", "meter": "M2", "serves": ["kiln"]},
             ]},
        ],
    },
}


def fleet(**changes) -> dict:
    """A deep copy of :data:`FLEET` (tests change it freely)."""
    out = copy.deepcopy(FLEET)
    out.update(changes)
    return out


def readings_envelope(device_id: int, mn: str, minute: datetime, values: dict[str, float | None], *,
                      kind: str = "min", transport: str = "hj212-tcp", raw: bytes | None = None) -> Envelope:
    """A ``power-readings`` envelope as the gateways make it: ``{"SB1-P": 12.5, ...}`` for one minute (UTC)."""
    minute = minute.astimezone(timezone.utc)
    return Envelope(transport=transport, received_at=minute.replace(second=30), status="accepted",
                    raw=raw if raw is not None else f"{mn} {minute:%Y%m%d%H%M} {values}".encode(),
                    peer="127.0.0.1:50000", mn=mn, cn="2051" if kind == "min" else "2011", point_id=device_id,
                    readings=[Reading(factor=f, kind=kind, start=minute, value=v, flag="N") for f, v in values.items()],
                    kind="power-readings")
