"""The subsystem's alarm types (``ALM-VEH-…``): the findings of the scheduled checks (:mod:`.checks_job`) that a
regulator or the enterprise must act on, raised as core alarms.

Originators: ``gates-enterprise`` (``source_id`` the enterprise id) for the violations of the vehicles and the
ledger, one open alarm per enterprise and type counting its findings (``occurrences``), cleared by a person (a
violation that happened stays one); ``gates-camera`` (``source_id`` ``<enterprise id>:<gate or camera>``) for a
camera offline or turned away, cleared by the data when the camera is back (a sign of life, a snapshot showing
the reference view again). Findings of severity ``info`` and the inspection's draws raise none: they are on the
dashboard and in the findings table.
"""

from __future__ import annotations

from dataclasses import replace

from ecosentry.alarms.catalogue import AlarmType, register_alarm_type, register_originator_kind
from ecosentry.said import N_

__all__ = ["ENTERPRISE", "CAMERA", "ALARM_OF_CODE", "CLEARED_BY_DATA", "TYPE_NAMES", "camera_source_id"]

_SRC = "shared/reference/subsystems.md §3.3–3.6, §7 items 19–21; issue 16 item 5"

ENTERPRISE = register_originator_kind("gates-enterprise", "an enterprise's gates and vehicle ledger (门禁 + 电子台账)")
CAMERA = register_originator_kind("gates-camera", "a gate or loading-place camera of an enterprise")

#: Finding code → alarm type.
ALARM_OF_CODE = {
    "VEH-ALERT-STAGE": "ALM-VEH-ALERT-STAGE",
    "VEH-SHARE-ALERT": "ALM-VEH-SHARE",
    "VEH-SHARE-MONTH": "ALM-VEH-SHARE",
    "VEH-PASSAGE-NO-LEDGER": "ALM-VEH-NO-LEDGER",
    "VEH-EXIT-WITHOUT-ENTRY": "ALM-VEH-SIDE-GATE",
    "VEH-TAILGATE": "ALM-VEH-TAILGATE",
    "VEH-VIN-MULTI-PLATE": "ALM-VEH-VIN-MULTI-PLATE",
    "VEH-SMALL-VOLUME": "ALM-VEH-SMALL-VOLUME",
    "VEH-CAMERA-OFFLINE": "ALM-VEH-CAMERA-OFFLINE",
    "VEH-CAMERA-VIEW": "ALM-VEH-CAMERA-VIEW",
}
#: Codes whose alarm the data clear (the camera is back).
CLEARED_BY_DATA = ("VEH-CAMERA-OFFLINE", "VEH-CAMERA-VIEW")

TYPE_NAMES = {
    "ALM-VEH-ALERT-STAGE": N_("Vehicle below the allowed emission stage during an alert"),
    "ALM-VEH-SHARE": N_("Share of clean vehicles below the grade's requirement"),
    "ALM-VEH-NO-LEDGER": N_("Gate passage missing from the vehicle ledger"),
    "ALM-VEH-SIDE-GATE": N_("Vehicle left without entering through a watched gate"),
    "ALM-VEH-TAILGATE": N_("Two vehicles through a gate at once"),
    "ALM-VEH-VIN-MULTI-PLATE": N_("One VIN under several plates"),
    "ALM-VEH-SMALL-VOLUME": N_("Small-volume exemption exceeded"),
    "ALM-VEH-CAMERA-OFFLINE": N_("Gate camera offline"),
    "ALM-VEH-CAMERA-VIEW": N_("Gate camera view changed"),
}

_TYPES = (
    AlarmType("ALM-VEH-ALERT-STAGE", "critical",
              N_("A vehicle whose emission stage is below what the enterprise's grade allows passed during an alert."),
              f"{_SRC} (rule VEH-ALERT-STAGE)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-SHARE", "warning",
              N_("The share of entries by vehicles of the required stage or new energy is below the grade's "
                 "requirement (in an alert or a month)."),
              f"{_SRC} (rules VEH-SHARE-ALERT, VEH-SHARE-MONTH)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-NO-LEDGER", "warning",
              N_("A camera passage has no row in the electronic ledger."),
              f"{_SRC} (rule VEH-PASSAGE-NO-LEDGER)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-SIDE-GATE", "warning",
              N_("A vehicle left without an entry before it: it came in by an unwatched gate."),
              f"{_SRC} (rule VEH-EXIT-WITHOUT-ENTRY)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-TAILGATE", "warning",
              N_("Two vehicles went through one gate in one direction within seconds."),
              f"{_SRC} (rule VEH-TAILGATE)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-VIN-MULTI-PLATE", "warning",
              N_("One VIN appears under two or more plates (a cloned plate)."),
              f"{_SRC} (rule VEH-VIN-MULTI-PLATE)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-SMALL-VOLUME", "warning",
              N_("More vehicles entered in a day than the small-volume exemption allows."),
              f"{_SRC} (rule VEH-SMALL-VOLUME)", (ENTERPRISE,)),
    AlarmType("ALM-VEH-CAMERA-OFFLINE", "warning",
              N_("A gate camera gave neither a passage nor a heartbeat during working hours or an alert; cleared "
                 "when it is heard again."),
              f"{_SRC} (rule VEH-CAMERA-OFFLINE)", (CAMERA,)),
    AlarmType("ALM-VEH-CAMERA-VIEW", "warning",
              N_("A gate camera no longer shows its reference view (turned, moved or covered); cleared when a "
                 "snapshot shows it again."),
              f"{_SRC} (rule VEH-CAMERA-VIEW)", (CAMERA,)),
)

for _t in _TYPES:
    register_alarm_type(replace(_t, name=TYPE_NAMES[_t.code]), __name__)
del _t


def camera_source_id(enterprise_id: int, subject: str) -> str:
    """The originator id of a camera's alarm: the enterprise and the gate (or camera) the finding names."""
    return f"{enterprise_id}:{subject}"[:64]
