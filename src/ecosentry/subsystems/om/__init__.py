"""Operation and maintenance of automatic monitoring (运维), issue 18.

Cities hold third-party O&M organisations to account: every maintenance, calibration and fault is recorded and
must match the marks, the station-room door and video, and the data; calibration failures make data invalid until
the next pass; O&M work has deadlines; organisations are scored monthly (``shared/reference/subsystems.md`` §4,
§7 items 24–30).

The first slice holds the pure parts: ``rules/`` (the work-order state machine, deadlines over working days and
holidays, calibration drift and out-of-control periods with their effect on validity and rates, the consistency
of marks, orders, doors and parameters, the monthly assessment), ``check`` (all checks over one dataset),
``offline`` and ``cli`` (``ecosentry ops check``, the inspectors' offline check), ``simulate`` and ``bench``
(``ecosentry bench ops``), ``settings`` (section ``om``) and ``locale/`` (zh, vi). The second slice adds the tables
(``schema``, Alembic branch ``om``), the fleet key ``om:`` (``store/registry``), the work orders with their audit
and the overdue check (``store/workorders``, ``jobs``, alarm types in ``alarms``), door events and calibration
records (``store/doors``, ``store/calibrations``) and the JSON API (``api``). Pages, video intake, the
assessment over stored data and the demo come next (``docs/om.md``).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_N = __name__

SUBSYSTEM = Subsystem(
    name="om",
    title=N_("Operation and maintenance"),
    schema=f"{_N}.schema",
    migrations=f"{_N}.migrations",
    sinks={"hj212-instrument": f"{_N}.pipeline.sink:InstrumentSink.from_settings"},
    catalogue=(f"{_N}.rules.workorders", f"{_N}.rules.deadlines", f"{_N}.rules.calibration",
               f"{_N}.rules.consistency", f"{_N}.rules.assessment", f"{_N}.alarms"),
    api_routers=(f"{_N}.api:router", f"{_N}.api_cameras:router"),
    pages=(f"{_N}.web.rooms:router",),
    menu=(MenuEntry("/om/rooms", N_("Station rooms"), group="more", permission="marks.read", order=92),),
    templates=f"{_N}.web",
    services=(f"{_N}.jobs:parts", f"{_N}.jobs:camera_parts"),
    registry_import=(f"{_N}.store.registry:import_om",),
    invalid_periods=(f"{_N}.store.calibrations:invalid_periods",),
    cli=f"{_N}.cli:register",
    settings={"om": f"{_N}.settings:OmSettings"},
    locale=_N,
)
