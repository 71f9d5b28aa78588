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
records (``store/doors``, ``store/calibrations``) and the JSON API (``api``). Installed (``INSTALLED``) with its
part of ``ecosentry demo`` (``demo/``). Pages, video intake and the assessment over stored data come next
(``docs/om.md``).
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
               f"{_N}.rules.consistency", f"{_N}.rules.assessment", f"{_N}.rules.coverage", f"{_N}.alarms"),
    # the photo upload first: the API's POST /work-orders/{id}/{action} would take "photos" for an action
    api_routers=(f"{_N}.api_photos:router", f"{_N}.api:router", f"{_N}.api_assessment:router",
                 f"{_N}.api_cameras:router"),
    pages=tuple(f"{_N}.web.{m}:router" for m in ("orders", "phone", "calibrations", "rooms", "ranking", "coverage")),
    menu=(MenuEntry("/om/orders", N_("Work orders"), permission="marks.read", order=60, country="cn"),
          MenuEntry("/om/my", N_("My work orders"), permission="marks.file", order=61, country="cn"),
          MenuEntry("/om/calibrations", N_("Calibration history"), permission="marks.read", order=62, country="cn"),
          MenuEntry("/om/rooms", N_("Station rooms"), permission="marks.read", order=63, country="cn"),
          MenuEntry("/om/ranking", N_("O&M ranking"), permission="marks.read", order=70, country="cn"),
          MenuEntry("/om/coverage", N_("Door and video coverage"), permission="marks.read", order=71, country="cn")),
    templates=f"{_N}.web",
    services=(f"{_N}.jobs:parts", f"{_N}.jobs:camera_parts", f"{_N}.jobs:mark_parts"),
    registry_import=(f"{_N}.store.registry:import_om",),
    invalid_periods=(f"{_N}.store.calibrations:invalid_periods_of_points",),
    cli=f"{_N}.cli:register",
    settings={"om": f"{_N}.settings:OmSettings"},
    locale=_N,
    demo=f"{_N}.demo:demo",
    fuzz_targets={"om-push": f"{_N}.gateways.fuzz:TARGET"},
    audit_words=f"{_N}.web.audit_words:AUDIT_WORDS",
)
