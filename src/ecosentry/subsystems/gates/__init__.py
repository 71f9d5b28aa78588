"""Mobile-source emergency management: gate, video and electronic ledger (门禁 + 视频 + 电子台账), issue 16.

During heavy-pollution alerts, enterprises graded A, B/B- or leading (引领性) must record every cargo vehicle at
their gates: the plate read, the emission stage checked against what the grade allows at the alert's level, an
electronic ledger kept, video kept, and inspectors compare ledger and video (``shared/reference/subsystems.md``
§3, §7 items 17–23).

The first slice holds the pure parts: ``rules/`` (VIN and plate validation, emission stages, the gate decision,
the columnar passage and ledger tables with entry/exit pairing, the checks), ``check``, ``offline`` and ``cli``
(``ecosentry vehicles check``), ``simulate`` and ``bench`` (``ecosentry bench gate``), ``settings`` (section
``gates``) and ``locale/`` (zh, vi). The second: ``schema`` and ``migrations`` (branch ``gates``), ``pictures``
(the picture store), ``gateways/`` (the HTTP push of plate events with the gate decision in the reply),
``pipeline/sink`` (``gate-passages``), ``store/`` (registry import, ledger rows, CSV, the guard's entry), ``api``
and ``service``. The third: ``queries/`` (read models) and ``web/`` (the gate live view, the ledger search with XLSX export, the
alert-period dashboard). The demo: ``demo/``. The fourth: ``checks_job`` (the checks over the stored tables,
findings and alarms ``ALM-VEH-…``, :mod:`.alarms`), the stored findings on the dashboard, the guard's override and
stage completion (``api_guard``, ``web/guard``). The retention job and upload come next (``docs/gates.md``).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_N = __name__

SUBSYSTEM = Subsystem(
    name="gates",
    title=N_("Gates and vehicle ledger"),
    schema=f"{_N}.schema",
    migrations=f"{_N}.migrations",
    catalogue=(f"{_N}.rules.vin", f"{_N}.rules.plate", f"{_N}.rules.decision", f"{_N}.rules.checks",
               f"{_N}.rules.indicators", f"{_N}.rules.camera", f"{_N}.rules.camera_view", f"{_N}.rules.retention",
               f"{_N}.rules.upload", f"{_N}.alarms"),
    cli=f"{_N}.cli:register",
    settings={"gates": f"{_N}.settings:GatesSettings"},
    locale=_N,
    services=(f"{_N}.service:parts",),
    sinks={"gate-passages": f"{_N}.pipeline.sink:GatePassageSink.from_settings"},
    registry_import=(f"{_N}.store.registry:import_gates",),
    api_routers=(f"{_N}.api:router", f"{_N}.api_guard:router"),
    pages=tuple(f"{_N}.web.{m}:router" for m in ("live", "ledger_pages", "dashboard", "uploads", "guard", "cameras",
                                                       "holds")),
    # the 2020 guide's gate ledger is a Chinese programme: the menu shows in a Chinese deployment
    menu=(MenuEntry("/gates", N_("Gates"), order=47, country="cn"),
          MenuEntry("/gates/ledger", N_("Vehicle ledger"), order=48, country="cn"),
          MenuEntry("/gates/dashboard", N_("Alert-period dashboard"), order=49, country="cn"),
          MenuEntry("/gates/uploads", N_("Upload to the upper platform"), order=50, country="cn"),
          MenuEntry("/gates/cameras", N_("Gate cameras"), order=50, country="cn"),
          MenuEntry("/gates/holds", N_("Legal holds"), order=51, country="cn", permission="alarms.supervise")),
    templates=f"{_N}.web",
    alarm_context=(f"{_N}.web.context:alarm_findings",),
    # an ALM-VEH alarm's evidence pack shows the passages, ledger rows, alerts and counts of its window
    evidence_data=(f"{_N}.reports.evidence:evidence_data",),
    demo=f"{_N}.demo:demo",
    fuzz_targets={"gates-push": f"{_N}.gateways.fuzz:TARGET"},
    audit_words=f"{_N}.web.audit_words:AUDIT_WORDS",
)
