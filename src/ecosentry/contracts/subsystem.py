"""The subsystem contract: one declaration of everything a subsystem adds to the core.

A subsystem is a package ``ecosentry.subsystems.<name>`` (or any importable package) whose ``__init__`` defines
``SUBSYSTEM = Subsystem(...)``. The declaration is light: it names its parts as ``"module:attribute"``
references, which the core resolves only when it needs them (:mod:`ecosentry.installed`), so listing a
subsystem costs no import and the core never imports a subsystem's code by name. Django's ``AppConfig`` and
Home Assistant's integration manifest are the models.

What a subsystem may contribute, and who asks for it:

============================  =====================================================================================
field                         used by
============================  =====================================================================================
``schema``                    the metadata (:mod:`ecosentry.store.schema`): a module whose import adds its tables
``migrations``                Alembic (:mod:`ecosentry.store.db`): a package of revisions, one more version location
``sinks``                     the ingest worker: record kind → factory of a :class:`~ecosentry.contracts.sink.Sink`
``catalogue``                 ``rules list``, API, pages: modules whose import registers codes
``api_routers``               the API application: ``APIRouter`` objects under ``/api/v1``
``pages``                     the web shell: ``APIRouter`` objects of HTML pages
``menu``                      the web shell's navigation: :class:`MenuEntry` items
``templates``                 the web shell: a package whose ``templates/`` folder holds the subsystem's templates
``page_context``              the web shell: functions ``(request, translations) -> dict`` adding template variables
``alarm_links``               alarms: link kind → ``(conn, principal, target_id) -> bool``, the target is visible
``alarm_context``             the alarm page: functions ``(conn, principal, alarm) -> dict`` adding variables and
                              ``panels`` (templates included on the page)
``cli``                       the command line: a function ``register(app)`` adding commands to the Typer app
``settings``                  the settings object: section name → pydantic model (``ECOSENTRY_<SECTION>__<FIELD>``)
``former_settings``           the settings object: section → prefix of its variables before it was a section
                              (``ECOSENTRY_FORWARD_``; ``ECOSENTRY_`` for flat core fields moved in by name)
``services``                  the running service: factories ``(ServiceContext) -> list[Part]``
``demo``                      ``ecosentry demo``: a function ``(DemoOptions) -> DemoPlan | None``
``locale``                    i18n: a package whose ``locale/`` folder holds more ``messages.po`` catalogues
``limit_seed``                registry import: a function returning the seeded limit rows (``seed:`` in a fleet)
``registry_import``           registry import: functions ``(conn, fleet, actor) -> dict[str, int]`` storing the
                              subsystem's own keys of a fleet file, inside the import's transaction (after the
                              core's rows); a ``ValueError`` refuses the whole import with its message
``invalid_periods``           monitoring's hourly validity, days, rates and substitution (HJ 75-2017 §12): functions
                              ``(conn, point_ids, start, end, now) -> Iterable[InvalidPeriod]`` giving, for many points
                              at once, the stretches of ``[start, end)`` whose data are invalid because the analyser
                              was out of control (失控: a failed calibration until the next pass; an open one to ``now``)
``invalid_periods_changed``   the producers of invalid periods (O&M's calibration records): functions ``(engine,
                              changes: Sequence[PeriodChange])`` of a consumer, called through
                              :func:`ecosentry.pipeline.invalid_periods.announce_changes` after the producer committed
                              records that changed its periods; the consumer recomputes what it derived from them
``evidence_data``             the evidence pack (证据包) of an alarm: functions ``(conn, request: EvidenceRequest) ->
                              EvidenceData | None`` (:mod:`ecosentry.contracts.evidence`): ``None`` for an alarm the
                              subsystem did not raise, else its data of the alarm's window, zone and original records,
                              shown in place of a monitoring point's
``fuzz_targets``              ``ecosentry fuzz`` and the CI's bounded runs: target name → a
                              :class:`~ecosentry.contracts.fuzz.FuzzTarget` (a parser of its gateways' input)
``audit_words``               its audit log's codes in words: a mapping ``{"actions": {code: msgid}, "entities":
                              {code: msgid}}`` (English msgids of its catalogue), read by the audit page, which
                              shows the core's codes by its own words and a code nobody names as it is
``early``                     work a command may begin before the command line is assembled: functions
                              ``(argv: Sequence[str]) -> None`` the ``ecosentry`` command calls with its arguments
                              first (:func:`ecosentry.installed.start_early`); one that recognises its command may
                              start that command's input in a thread (``detect`` parses its CSV while the command
                              line's imports run), and must neither print nor fail on arguments it does not know
============================  =====================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

#: ``"package.module:attribute"``: a part of a subsystem, imported when first needed.
Ref = str


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One link of the navigation. ``label`` is an English message id, translated with the page's language."""

    path: str
    label: str
    #: ``main`` = the top bar; ``more`` = the "More" menu.
    group: Literal["main", "more"] = "more"
    #: The permission a principal needs to see it (``principal.may(...)``); None = everyone who sees the menu.
    permission: str | None = None
    #: Position in its group, smaller first.
    order: int = 100
    #: Shown to the anonymous public too (else to logged-in users only).
    public: bool = False
    #: Shown only in a deployment of this country (``vn``: the Vietnamese desk pages); None = everywhere.
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Subsystem:
    """What one subsystem contributes. Every field but ``name`` and ``title`` is optional."""

    name: str
    #: English message id of the subsystem's name (translated in the pages).
    title: str
    schema: Ref | None = None
    migrations: str | None = None
    sinks: dict[str, Ref] = field(default_factory=dict)
    catalogue: tuple[str, ...] = ()
    api_routers: tuple[Ref, ...] = ()
    pages: tuple[Ref, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    templates: str | None = None
    page_context: tuple[Ref, ...] = ()
    alarm_links: dict[str, Ref] = field(default_factory=dict)
    alarm_context: tuple[Ref, ...] = ()
    cli: Ref | None = None
    settings: dict[str, Ref] = field(default_factory=dict)
    former_settings: dict[str, str] = field(default_factory=dict)
    services: tuple[Ref, ...] = ()
    demo: Ref | None = None
    locale: str | None = None
    limit_seed: Ref | None = None
    registry_import: tuple[Ref, ...] = ()
    invalid_periods: tuple[Ref, ...] = ()
    invalid_periods_changed: tuple[Ref, ...] = ()
    fuzz_targets: dict[str, Ref] = field(default_factory=dict)
    early: tuple[Ref, ...] = ()
    audit_words: Ref | None = None
    evidence_data: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class InvalidPeriod:
    """A stretch of one factor's data at one point that another subsystem declares invalid
    (``Subsystem.invalid_periods``). ``cause``: ``out_of_control`` (失控: a zero/span check failed, until every
    failed kind passed again; HJ 75-2017 §12 [R], reference notes §2.1). Times are timezone-aware (UTC)."""

    point_id: int
    factor_code: str
    start: datetime
    end: datetime
    cause: str = "out_of_control"


@dataclass(frozen=True, slots=True)
class PeriodChange:
    """The invalid periods of one factor at one point changed somewhere in ``[start, end)``: what was derived from
    that stretch must be recomputed (``Subsystem.invalid_periods_changed``)."""

    point_id: int
    factor_code: str
    start: datetime
    end: datetime


class Part(Protocol):
    """A long-running piece a subsystem adds to the service (a gateway, a periodic job)."""

    #: Unique within the service; the service exposes the part's ``target`` (or the part) as ``service.<name>``.
    name: str

    async def start(self) -> None:
        """Bind what must be bound (raise :class:`PortInUse` for a taken port), then start the part's tasks."""

    async def close(self) -> None:
        """Stop accepting work and end the tasks; what was acknowledged is already durable."""


class PortInUse(RuntimeError):
    """A listening port of the service (``web``, ``hj212``, ``ftp`` ...) is held by another program."""

    def __init__(self, what: str, host: str, port: int) -> None:
        super().__init__(f"{what} port {port} on {host} is already in use")
        self.what, self.host, self.port = what, host, port


@dataclass(slots=True)
class ServiceContext:
    """What the running service gives a subsystem's part factories."""

    settings: Any
    engine: Any
    #: The durable spool writer: gateways append envelopes, then reply.
    spool: Any
    #: The shared device directory (points by MN), refreshed in the background.
    directory: Any
    #: The alarm dispatcher (raise, resolve, notify).
    dispatcher: Any
    #: Which optional parts the caller asked for (``gateway``, ``alarms``, ``forward``).
    enabled: frozenset[str] = frozenset()
    #: Parts already made by earlier factories, by name.
    parts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DemoOptions:
    """What ``ecosentry demo`` was asked for."""

    #: How many simulated devices of each kind (loggers, stations, meters ...).
    size: int
    #: ``cn`` or ``vn``: the deployment's country (rules, language, time zone).
    country: str
    #: Hours of history the simulated devices send first. [h]
    backfill_hours: float
    data_dir: Any
    port: int
    hj212_port: int


@dataclass(slots=True)
class DemoPlan:
    """A subsystem's part of the demo: registry rows to import, settings it needs, and its simulators."""

    #: A registry import document (``ecosentry registry import``); the core merges the plans' lists.
    fleet: dict
    #: Settings the plan needs, applied over the demo's defaults (``ecosentry.settings.with_changes``): flat
    #: fields by name (``ftp_enabled``), a section's fields as a mapping under its name (``{"monitoring": {...}}``).
    settings: dict = field(default_factory=dict)
    #: ``async run(service, stop_event)``: the simulators, until ``stop_event`` is set.
    run: Any = None
    #: ``around(settings)``: an async context manager the service runs inside, for what must be up before the
    #: service starts and stay until it has stopped (the demo's own MQTT broker, which the service's subscribers
    #: connect to as they start: started later, each would first warn of a refused connection).
    around: Any = None
    #: ``lines(service) -> list[str]``: what the terminal shows once the service runs; lines starting with a
    #: space are printed on their own after the accounts, the others joined on the first line.
    banner: Any = None
    #: Users to print (username, role, name), and their password.
    accounts: list = field(default_factory=list)
    password: str | None = None
