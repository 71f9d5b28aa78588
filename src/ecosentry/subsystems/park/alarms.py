"""The subsystem's alarm types (``ALM-PARK-…``): one per warning level of :mod:`.tiered`, and the notice to the
enterprises around a warning station.

The originator kind is ``park-station``; ``source_id`` is ``<station id>:<substance>`` for the warning itself and
``<station id>:<substance>:<enterprise id>`` for the notice to one enterprise around. Since the core keeps one
non-cleared alarm per originator and type, an escalation from level I to II clears the level I alarm and raises
the level II one (each level has its type, severity and recipients); the notices stay open until the warning is
cleared.

Who sees them (:func:`ecosentry.auth.guards.alarm_clause`: an alarm without a point is seen through its
enterprise): the warning's alarm carries the station's enterprise (a boundary station) or that of the nearest
source handling the pollutant, so the park committee (role ``park``, every enterprise of its park) and that
enterprise see it; each enterprise around gets its own ``ALM-PARK-NEARBY``. E-mails go through the core's
dispatcher to the subscriptions of the park's region (a committee account subscribes there): the notices are of
severity ``info``, below the default ``warning`` of a subscription, so a committee is not mailed once per
enterprise.
"""

from __future__ import annotations

from dataclasses import replace

from ecosentry.alarms.catalogue import AlarmType, register_alarm_type, register_originator_kind
from ecosentry.said import N_

__all__ = ["STATION", "ALARM_OF_LEVEL", "NEARBY", "TYPE_NAMES", "source_id", "nearby_source_id"]

_SRC = "shared/reference/subsystems.md §2.4, §7 items 13, 15"

#: Originator kind of every park alarm: a station of a chemical park and the pollutant it reads.
STATION = register_originator_kind("park-station", "a monitoring station of a chemical park and one pollutant it "
                                   "reads (有毒有害气体预警)")

#: Warning level (``tiered.LEVEL_CODES``) → alarm type.
ALARM_OF_LEVEL = {1: "ALM-PARK-ATTENTION", 2: "ALM-PARK-LEVEL-I", 3: "ALM-PARK-LEVEL-II", 4: "ALM-PARK-LEVEL-III"}
NEARBY = "ALM-PARK-NEARBY"

TYPE_NAMES = {
    "ALM-PARK-ATTENTION": N_("Park station: attention"),
    "ALM-PARK-LEVEL-I": N_("Park station: level I warning"),
    "ALM-PARK-LEVEL-II": N_("Park station: level II warning"),
    "ALM-PARK-LEVEL-III": N_("Park station: level III warning"),
    NEARBY: N_("Toxic gas warning near the enterprise"),
}

_TYPES = (
    AlarmType("ALM-PARK-ATTENTION", "info",
              N_("A pollutant at a park station is at a multiple of the station's own background."),
              f"{_SRC} (rule PARK-ATTENTION)", (STATION,)),
    AlarmType("ALM-PARK-LEVEL-I", "warning",
              N_("A pollutant at a park station reached its level I threshold: a leak is likely."),
              f"{_SRC} (rule PARK-LEVEL-I)", (STATION,)),
    AlarmType("ALM-PARK-LEVEL-II", "critical",
              N_("A pollutant at a park station reached its level II threshold: protective action for the public."),
              f"{_SRC} (rule PARK-LEVEL-II)", (STATION,)),
    AlarmType("ALM-PARK-LEVEL-III", "critical",
              N_("A pollutant at a park station reached its level III threshold: life-threatening, evacuate."),
              f"{_SRC} (rule PARK-LEVEL-III)", (STATION,)),
    AlarmType(NEARBY, "info",
              N_("A toxic gas warning is open at a park station near one of the enterprise's sources or downwind."),
              f"{_SRC} (park and enterprises informed)", (STATION,)),
)

for _t in _TYPES:
    register_alarm_type(replace(_t, name=TYPE_NAMES[_t.code]), __name__)
del _t


def source_id(station_id: int, factor: str) -> str:
    """The originator id of a station's warning of one pollutant."""
    return f"{station_id}:{factor}"


def nearby_source_id(station_id: int, factor: str, enterprise_id: int) -> str:
    """The originator id of the notice of that warning to one enterprise around."""
    return f"{station_id}:{factor}:{enterprise_id}"
