"""Electricity monitoring of pollution-treatment facilities (用电监控 / giám sát điện năng), issue 15.

Meters on production equipment and on the treatment facilities that serve it show, minute by minute, whether
treatment runs whenever production runs, and whether production stops or is limited during a heavy-pollution
alert (``shared/reference/subsystems.md`` §1, §7 items 1–10).

This first slice holds the pure parts: ``rules/`` (running state with hysteresis and dwell, the learned
threshold, the linkage and data rules, the stop/limit order rules), ``registry`` (the model and its YAML/CSV
loading), ``check`` (all rules over one enterprise), ``offline`` and ``cli`` (``ecosentry power check``, the
auditors' offline check), ``simulate`` and ``bench`` (``ecosentry bench power``), ``settings`` (section
``power``) and ``locale/`` (zh, vi); ``gateways/`` and ``service`` (the power loggers' HJ 212 gateway and the
MQTT subscriber, turning what devices send into ``power-readings`` envelopes). Tables, ingest, pages, alarms and the threshold audit come next
(``docs/power.md``).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_N = __name__

SUBSYSTEM = Subsystem(
    name="power",
    title=N_("Electricity monitoring"),
    schema=f"{_N}.schema",
    migrations=f"{_N}.migrations",
    catalogue=(f"{_N}.rules.linkage", f"{_N}.rules.orders", f"{_N}.rules.catalogue", f"{_N}.rules.measures",
               f"{_N}.rules.utility", f"{_N}.alarms"),
    cli=f"{_N}.cli:register",
    settings={"power": f"{_N}.settings:PowerSettings"},
    services=(f"{_N}.service:parts", f"{_N}.engine.service:parts"),
    locale=_N,
    pages=tuple(f"{_N}.web.{m}:router" for m in ("enterprise_view", "findings_pages", "registry_pages", "alerts",
                                                  "measures", "suspects", "thresholds")),
    # the programmes are Chinese cities' (Linfen, Jincheng, Heze …): the menu shows in a Chinese deployment; the
    # pages stay reachable in any
    menu=(MenuEntry("/power", N_("Electricity"), group="main", order=45, country="cn"),
          MenuEntry("/power/alerts", N_("Alert compliance"), order=44, country="cn"),
          MenuEntry("/power/suspects", N_("Electricity suspects"), permission="alarms.act", order=46, country="cn")),
    templates=f"{_N}.web",
    alarm_context=(f"{_N}.web.context:alarm_view_link", f"{_N}.web.context:alarm_finding"),
    sinks={"power-readings": f"{_N}.pipeline.sink:PowerReadingSink.from_settings"},
    registry_import=(f"{_N}.store.registry:import_power",),
    demo=f"{_N}.demo:demo",
    fuzz_targets={"power-mqtt": f"{_N}.gateways.fuzz:TARGET"},
    # an ALM-PWR alarm's evidence pack shows the equipment's power, the orders in force and the loggers' frames
    evidence_data=(f"{_N}.reports.evidence:evidence_data",),
    audit_words=f"{_N}.web.audit_words:AUDIT_WORDS",
)
