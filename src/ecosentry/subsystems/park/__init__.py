"""Chemical-park toxic-gas early warning (化工园区有毒有害气体预警), issue 17.

Boundary and park-edge stations, tiered warnings per pollutant, Gaussian plume/puff dispersion with threat zones,
and traceback of the source (``shared/reference/subsystems.md`` §2, §7 items 11–16).

This first slice holds the pure parts: ``model/`` (stability classes, Briggs σ, plume, puff and finite release,
threat zones), ``substances`` (the threshold table), ``tiered`` (the warning state machine), ``tracing`` (sector
and inverse-modelling ranking of the candidate sources), ``offline`` and ``cli`` (``ecosentry park plume``,
``ecosentry park traceback``), ``simulate`` and ``bench`` (``ecosentry bench park``), ``settings`` (section
``park``) and ``locale/`` (zh, vi). The second slice adds the tables (``schema``, ``migrations``), the registry
import (``store/registry``, fleet key ``park:``), ingest (``gateways/``: HJ 212 and MQTT → ``park-readings``;
``pipeline/sink``), and the live warnings (``live/``: transitions, alarms ``ALM-PARK-…`` with notifications, the
incident's zones and traceback). The third slice adds the read models (``queries/``), the pages (``web/``: park
map as a server-drawn SVG, live levels, warnings, incident view and timeline) and the incident report PDF
(``reports/``). The demo: ``demo/`` (a park with a release every few minutes, ``docs/park.md``).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_N = __name__

SUBSYSTEM = Subsystem(
    name="park",
    title=N_("Chemical park early warning"),
    schema=f"{_N}.schema",
    migrations=f"{_N}.migrations",
    catalogue=(f"{_N}.tiered", f"{_N}.tracing", f"{_N}.alarms"),
    cli=f"{_N}.cli:register",
    settings={"park": f"{_N}.settings:ParkSettings"},
    locale=_N,
    sinks={"park-readings": f"{_N}.pipeline.sink:ParkReadingSink.from_settings"},
    registry_import=(f"{_N}.store.registry:import_park",),
    services=(f"{_N}.service:parts",),
    demo=f"{_N}.demo:demo",
    pages=(f"{_N}.web.pages:router",),
    # the early-warning programme is the Chinese provinces' (shared/reference/subsystems.md §2): the menu shows in a
    # Chinese deployment; the pages stay reachable in any
    menu=(MenuEntry("/park", N_("Chemical parks"), order=47, country="cn"),),
    templates=f"{_N}.web",
    fuzz_targets={"park-mqtt": f"{_N}.gateways.fuzz:TARGET"},
    # an ALM-PARK alarm's evidence pack shows the stations' readings, the thresholds, the plume and the frames
    evidence_data=(f"{_N}.reports.evidence:evidence_data",),
)
