"""The subsystem's alarm types (``ALM-OM-…``), raised through the core alarms (:mod:`ecosentry.alarms.store`, or
the service's dispatcher so that they are notified).

* ``ALM-OM-WO-OVERDUE``: a work order not done by its deadline (finding ``OM-WO-OVERDUE``,
  :mod:`.rules.deadlines`); originator kind ``work_order``, ``source_id`` the order's id; cleared when the order
  is done, reviewed or cancelled (:mod:`.jobs`).
* ``ALM-OM-CAL-OUT-OF-CONTROL``: a failed zero/span check put a factor out of control (失控, finding
  ``OM-CAL-OUT-OF-CONTROL``, :mod:`.rules.calibration`); originator ``point``, ``source_id``
  ``<point id>:<factor>``; cleared by the next passing check.
* ``ALM-OM-DOOR-UNEXPLAINED``: a station-room door opened with no work order at work and no mark (finding
  ``OM-DOOR-UNEXPLAINED``, :mod:`.rules.consistency`); originator ``station_room``, ``source_id`` the room id.
* ``ALM-OM-PARAM-CHANGE``: a logger reported an instrument parameter unlike its registered value with no work
  order at work (finding ``OM-PARAM-CHANGE-NO-ORDER``, :mod:`.store.parameters`); originator ``point``,
  ``source_id`` ``<point id>:<factor>:<parameter>``; cleared when the reports agree with the registered value again.
* ``ALM-OM-MARK-UNSUPPORTED``: a maintenance, calibration or fault mark with no fitting work order or no opening of
  the station-room door (findings ``OM-MARK-NO-ORDER``, ``OM-MARK-NO-DOOR``, :mod:`.rules.consistency`), judged
  once per mark ``marks.grace_hours`` after its end or filing (:mod:`.store.marks`); originator ``mark``,
  ``source_id`` the mark's id; not cleared by the platform (a reviewer closes it).
* ``ALM-OM-CAMERA-OFFLINE``: a station-room camera (or its NVR) sent neither a heartbeat nor a snapshot for
  ``cameras.offline_minutes`` (:mod:`.store.cameras`); originator ``camera``, ``source_id`` the camera id;
  cleared by its next heartbeat or snapshot.

The stored explanation is said in the deployment's language; the evidence keeps the finding's msgid and
parameters (``sentence``) so a page says it again in the reader's language.
"""

from __future__ import annotations

from dataclasses import replace

from ecosentry.alarms.catalogue import AlarmType, register_alarm_type, register_originator_kind
from ecosentry.said import N_

__all__ = ["WORK_ORDER", "STATION_ROOM", "CAMERA", "OVERDUE", "OUT_OF_CONTROL", "DOOR_UNEXPLAINED", "PARAM_CHANGE",
           "CAMERA_OFFLINE", "MARK", "MARK_UNSUPPORTED", "TYPE_NAMES"]

_SRC = "shared/reference/subsystems.md"

WORK_ORDER = register_originator_kind("work_order", "an O&M work order (运维工单)")
STATION_ROOM = register_originator_kind("station_room", "a station room (站房) holding analysers, with its door")
CAMERA = register_originator_kind("camera", "a station-room camera or NVR channel (RTSP or GB/T 28181)")
MARK = register_originator_kind("mark", "a mark (标记) filed on a point's data (maintenance, calibration, fault ...)")

OVERDUE = "ALM-OM-WO-OVERDUE"
OUT_OF_CONTROL = "ALM-OM-CAL-OUT-OF-CONTROL"
DOOR_UNEXPLAINED = "ALM-OM-DOOR-UNEXPLAINED"
PARAM_CHANGE = "ALM-OM-PARAM-CHANGE"
CAMERA_OFFLINE = "ALM-OM-CAMERA-OFFLINE"
MARK_UNSUPPORTED = "ALM-OM-MARK-UNSUPPORTED"

_TYPES = (
    AlarmType(OVERDUE, "warning", N_("An O&M work order was not done by its deadline."),
              f"{_SRC} §4.3, §7 item 26 (finding OM-WO-OVERDUE)", (WORK_ORDER,)),
    AlarmType(OUT_OF_CONTROL, "warning",
              N_("A failed zero or span check put an analyser out of control: its data are invalid until the next "
                 "passing check."), f"{_SRC} §4.3, §7 item 27; HJ 75-2017 §12 (finding OM-CAL-OUT-OF-CONTROL)",
              ("point",)),
    AlarmType(DOOR_UNEXPLAINED, "warning",
              N_("A station-room door opened with no work order at work and no mark."),
              f"{_SRC} §4.4, §7 item 27 (finding OM-DOOR-UNEXPLAINED)", (STATION_ROOM,)),
    AlarmType(PARAM_CHANGE, "critical",
              N_("An instrument parameter reported by the logger differs from its registered value and no work "
                 "order covers the change."),
              "china-vietnam-rules.md §5.4 (parameter tampering); HJ 212-2017 Table 9 CN 3020; issue 18 item 8 "
              "(finding OM-PARAM-CHANGE-NO-ORDER)", ("point",)),
    AlarmType(CAMERA_OFFLINE, "warning",
              N_("A station-room camera sent neither a heartbeat nor a snapshot for too long: the room is not "
                 "watched."), f"{_SRC} §4.4, §7 item 27; issue 18 item 5 [ours]", (CAMERA,)),
    AlarmType(MARK_UNSUPPORTED, "critical",
              N_("A maintenance, calibration or fault mark has no fitting work order or no opening of the "
                 "station-room door: it may be a false mark."),
              f"{_SRC} §4.4, §7 item 27; china-vietnam-rules.md §4.2, §5.1 (findings OM-MARK-NO-ORDER, "
              "OM-MARK-NO-DOOR)", (MARK,)),
)

#: Alarm type → its short name (titles).
TYPE_NAMES: dict[str, str] = {
    OVERDUE: N_("Work order overdue"),
    OUT_OF_CONTROL: N_("Analyser out of control"),
    DOOR_UNEXPLAINED: N_("Unexplained door opening"),
    PARAM_CHANGE: N_("Instrument parameter changed"),
    CAMERA_OFFLINE: N_("Station-room camera offline"),
    MARK_UNSUPPORTED: N_("Unsupported mark"),
}

for _t in _TYPES:
    register_alarm_type(replace(_t, name=TYPE_NAMES[_t.code]), __name__)
del _t
