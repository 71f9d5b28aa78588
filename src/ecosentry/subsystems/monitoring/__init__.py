"""Automatic monitoring (自动监控 / quan trắc tự động): the first subsystem.

HJ 212-2017 data from CEMS, wastewater and ambient loggers over TCP (China) and Circular 10/2021 station files
over FTP or a folder (Vietnam) become readings, hours, days and months with the regulator's numbers (validity,
折算, emissions, transmission and effective-transmission rates, exceedance, substitution), marks (标记), the
falsification and anomaly detectors, HJ 76 and rate reports, evidence packs, and forwarding to upper platforms.

Inside: ``rules/`` (pure, cited rules: ``cn/`` China, ``vn/`` Vietnam), ``detect/`` (detectors), ``pipeline/``
(its observation sink, recompute and detection jobs), ``vn/`` (the Vietnamese station files after the spool:
their sink, mapping, timeliness, receipts, missing files), ``store/`` (its writes), ``queries/`` (its read
models), ``reports/``, ``forward/``, ``api/``, ``web/`` (pages and templates), ``cli/``, ``simulate/``
(virtual loggers and stations, the demo fleets), ``bench/`` and ``offline/`` (the regulator's numbers from a
CSV file, no server).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_M = "ecosentry.subsystems.monitoring"

SUBSYSTEM = Subsystem(
    name="monitoring",
    title=N_("Automatic monitoring"),
    schema=f"{_M}.schema",
    migrations=f"{_M}.migrations",
    sinks={"observations": f"{_M}.pipeline.sink:ObservationSink.from_settings",
           "vn-file": f"{_M}.vn.sink:VnFileSink.from_settings"},
    catalogue=tuple(f"{_M}.{m}" for m in (
        "rules.cn.hourly", "rules.cn.aggregates", "rules.cn.flue_gas", "rules.cn.rates", "rules.cn.exceedance",
        "rules.cn.substitution", "rules.cn.marks", "rules.cn.out_of_control", "detect.national", "detect.patterns",
        "detect.statistical",
        "rules.vn.status", "rules.vn.qcvn", "rules.vn.completeness",
        "rules.vn.units", "rules.vn.reception", "rules.vn.register", "rules.vn.exceedance")),
    api_routers=tuple(f"{_M}.api.{m}:router" for m in ("points", "periods", "marks", "reports", "evidence")),
    pages=tuple(f"{_M}.web.{m}:router" for m in (
        "dashboard", "marks_pages", "point_chart", "public", "reports_pages", "sites", "home",
        "vn_mapping", "vn_control", "vn_desk")),
    menu=(
        MenuEntry("/dashboard", N_("Overview"), group="main", order=10),
        MenuEntry("/", N_("Enterprises"), group="main", order=30),
        MenuEntry("/marks", N_("Marks"), group="main", order=50),
        MenuEntry("/reports", N_("Reports"), group="main", order=60),
        MenuEntry("/public", N_("Public data"), order=80, public=True),
        MenuEntry("/vn/reception", N_("Reception"), group="main", order=35, country="vn"),
        MenuEntry("/vn/control", N_("Control"), group="main", order=36, country="vn"),
        MenuEntry("/vn/register", N_("Connection register"), order=37, country="vn"),
        MenuEntry("/vn/forwarding", N_("Forwarding to MONRE"), permission="alarms.act", order=38, country="vn"),
        MenuEntry("/vn/mapping", N_("Parameter mapping"), order=39, country="vn"),
    ),
    templates=f"{_M}.web",
    page_context=(f"{_M}.web.context:page_words",),
    alarm_links={"mark": f"{_M}.web.context:mark_visible"},
    alarm_context=(f"{_M}.web.context:alarm_marks",),
    cli=f"{_M}.cli:register",
    settings={"monitoring": f"{_M}.settings:MonitoringSettings",
              "detect": f"{_M}.detect.settings:DetectorSettings",
              "forward": f"{_M}.forward.settings:ForwardSettings",
              "vn": f"{_M}.pipeline.vn_settings:VnIntakeSettings"},
    # ``monitoring`` gathers what were flat core fields: ECOSENTRY_DETECT_EVERY → ECOSENTRY_MONITORING__DETECT_EVERY
    former_settings={"monitoring": "ECOSENTRY_", "forward": "ECOSENTRY_FORWARD_", "vn": "ECOSENTRY_VN_"},
    services=(f"{_M}.service:parts",),
    invalid_periods_changed=(f"{_M}.pipeline.period_changes:recompute_for_invalid_periods",),
    demo=f"{_M}.simulate.demo:demo",
    limit_seed=f"{_M}.rules.cn.exceedance:load_limit_seed",
    registry_import=(f"{_M}.store.vn_register:import_register",),
    early=(f"{_M}.detect.early:start",),
    audit_words=f"{_M}.web.audit_words:AUDIT_WORDS",
)
