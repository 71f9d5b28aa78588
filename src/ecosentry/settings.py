"""One settings object, read from the environment (prefix ``ECOSENTRY_``) and ``.env``, once per process
(:func:`get_settings`; issue 12 item 6).

Flat fields are the core's plain values (``ECOSENTRY_HJ212_PORT``, ``ECOSENTRY_DATABASE_URL``). Everything else
is a nested section, one pydantic model beside the code that reads it, reached with ``__``:

* the core's: ``alarms`` (:mod:`ecosentry.alarms.settings`), ``access`` (:mod:`ecosentry.auth.settings`),
  ``notify`` (:mod:`ecosentry.alarms.channels.settings`), ``vn_folder`` (:mod:`ecosentry.gateways.folder_settings`);
* each installed subsystem's (:attr:`ecosentry.contracts.subsystem.Subsystem.settings`, added by
  :func:`settings_class`): the monitoring subsystem's ``monitoring``, ``detect``, ``forward``, ``vn``
  (``ECOSENTRY_MONITORING__DETECT_EVERY=30``, ``ECOSENTRY_DETECT__NATIONAL__CONSTANT_HOURS=6``). A subsystem
  that is not installed has no section, and its variables are not read.

A variable a section had before it joined this object is still read, below the new name, with a warning
naming the new one: scripts and deployments keep working while they move. The former variable of a section's
field is ``<prefix><FIELD>``, the prefix declared per section (:data:`CORE_FORMER_PREFIXES`,
``Subsystem.former_settings``): ``ECOSENTRY_FORWARD_`` for the former ``ForwardSettings``, and plain
``ECOSENTRY_`` for a section gathered from flat core fields that kept their names (``monitoring``: the former
``ECOSENTRY_DETECT_EVERY`` is ``monitoring.detect_every``). Precedence, highest first: keyword arguments, the
new names in the environment, in ``.env``, the former names (environment over ``.env``), the defaults.

Code takes the process's object (:func:`get_settings`) or the one passed down to it (the service's
``settings``, the application's ``app.state.settings``); a command that adjusts it (``ecosentry demo``) uses
:func:`with_changes` instead of reading the environment again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ecosentry.alarms.channels.settings import ChannelSettings
from ecosentry.alarms.settings import AlarmSettings
from ecosentry.auth.settings import AccessSettings
from ecosentry.gateways.folder_settings import FolderSettings
from ecosentry.gateways.ftp_settings import FtpSettings
from ecosentry.pipeline.bus_settings import BusSettings
from ecosentry.retention.settings import RetentionSettings
from ecosentry.installed import former_settings, installed_names, settings_sections

log = logging.getLogger(__name__)

#: The core's sections → the prefix of their variables when each was a settings class of its own (issue 12
#: item 6); the subsystems declare theirs (``Subsystem.former_settings``). The former ``<prefix><FIELD>`` is
#: read when ``ECOSENTRY_<SECTION>__<FIELD>`` is not set.
CORE_FORMER_PREFIXES: dict[str, str] = {"vn_folder": "ECOSENTRY_VN_FOLDER_", "notify": "ECOSENTRY_NOTIFY_",
                                         # flat core fields until then: ECOSENTRY_ALARM_ROUTE_LEVELS,
                                         # ECOSENTRY_SESSION_SECRET (the field kept its name)
                                         "alarms": "ECOSENTRY_ALARM_", "access": "ECOSENTRY_",
                                         "ftp": "ECOSENTRY_FTP_"}


def new_name(section: str, field: str) -> str:
    """The variable of a section's field: ``ECOSENTRY_FORWARD__POLL_EVERY``."""
    return f"ECOSENTRY_{section}__{field}".upper()


class FormerNames(PydanticBaseSettingsSource):
    """The sections' former flat variables (environment, then ``.env``), each logged as deprecated."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # the whole mapping is built in __call__

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        env_file = self.config.get("env_file")
        if isinstance(env_file, (str, Path)) and Path(env_file).is_file():
            found.update({k.upper(): v for k, v in dotenv_values(env_file).items() if v is not None})
        found.update({k.upper(): v for k, v in os.environ.items()})
        values: dict[str, dict[str, Any]] = {}
        prefixes = {**CORE_FORMER_PREFIXES, **former_settings(getattr(self.settings_cls, "subsystems", None))}
        for section, prefix in prefixes.items():
            if section not in self.settings_cls.model_fields:
                continue
            model = self.settings_cls.model_fields[section].annotation
            for field, info in getattr(model, "model_fields", {}).items():
                old = f"{prefix}{field}".upper()
                if old in found:
                    log.warning("%s is deprecated: set %s instead (read this time)", old, new_name(section, field))
                    # lists were JSON in the former variable as in the new one (``'["/srv/ftp"]'``)
                    value = json.loads(found[old]) if self.field_is_complex(info) else found[old]
                    values.setdefault(section, {})[field] = value
        return values


class CoreSettings(BaseSettings):
    """The core's settings; :data:`Settings` adds a section per installed subsystem."""

    model_config = SettingsConfigDict(env_prefix="ECOSENTRY_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    #: SQLAlchemy URL. SQLite file by default; ``postgresql+psycopg://postgres@127.0.0.1/ecosentry`` in production.
    database_url: str = "sqlite:///var/ecosentry.sqlite"
    #: Folder for the durable spool (gateway → database) and other local state.
    data_dir: Path = Path("var")
    #: HJ 212 TCP gateway.
    hj212_host: str = "0.0.0.0"
    hj212_port: int = 9212
    #: Largest frame accepted (bytes incl. header and CRLF). HJ 212-2017 §6.3 limits the data segment to 9999 bytes.
    hj212_max_frame: int = 10_240
    #: Seconds of silence after which a logger connection is closed.
    hj212_idle_timeout: float = 600.0
    #: A frame (or a run of garbage) begun must be complete within this many seconds, or the connection is
    #: closed (a slow sender dripping bytes would otherwise hold it for ever). [s]
    hj212_frame_deadline: float = 60.0
    #: Most connections at once from one peer address (several loggers behind one NAT share one address);
    #: a further connection is closed at once.
    hj212_max_connections_per_peer: int = 64
    #: Most HJ 212 connections at once in all (20,000 loggers fit); a further one is closed at once. Keep it
    #: below the process's open-file limit (``ulimit -n``) minus what the database and the web need.
    hj212_max_connections: int = 30_000
    #: Let several gateway processes on one machine listen on the same HJ 212 port (``SO_REUSEPORT``, Linux and
    #: BSD): the kernel spreads new connections over them. One process holds at most its open-file limit of
    #: connections (``ulimit -n``); more loggers than that need more gateway processes (``serve --role gateway``).
    hj212_reuse_port: bool = False
    #: Allocations between two collections of the youngest generation of Python's cyclic garbage collector in a
    #: service process (Python's own default: 700; then 20 young collections per middle one, 10 middle per full
    #: one). With thousands of logger connections the default moved the objects of frames in flight (about a
    #: second between the spool and NATS's acknowledgement) into the old generation, whose full collections then
    #: stalled every reply of the process for 0.6–1.3 s (``bench ingest --every 30``, 20,000 loggers: reply p99
    #: 874 ms; 160 ms with 50,000). 0: leave Python's defaults.
    gc_young_threshold: int = 50_000
    #: Bytes outside any frame are archived as one rejected record per run, at most this many bytes each.
    hj212_garbage_chunk: int = 65_536
    #: Rejected input is logged at most once per connection per this many seconds (with a count). [s]
    hj212_log_every: float = 60.0
    #: Command codes whose frames (from a registered point) are instrument information, not monitoring data:
    #: HJ 212-2017 Table 9 CN 3019 (instrument unique id) and CN 3020 (on-site machine information: log, state,
    #: parameters; Appendix B info codes ``i1xxxx``). They go to the record kind ``hj212-instrument`` when an
    #: installed subsystem stores it (O&M), else stay monitoring frames. Add a provincial code here (a door
    #: controller's events sent through the logger under a CN of its own) to route it too.
    hj212_instrument_cns: list[str] = ["3019", "3020"]
    #: Seconds between scheduled refreshes of the gateway's copy of the point registry (an unknown MN also
    #: asks for one, at most every 5 s). [s]
    directory_refresh_every: float = 60.0
    #: Web/API server.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: Default regulatory time zone for points that do not name one.
    default_tz: str = "Asia/Shanghai"
    #: UI language when neither the user nor the browser chooses one: zh | vi | en.
    default_locale: str = "zh"
    #: Map tiles, e.g. ``https://tiles.example.cn/{z}/{x}/{y}.png`` (a server the deployment may reach); empty =
    #: no tiles: the map draws plain region outlines, so it works offline.
    map_tile_url: str = ""
    #: Largest batch the ingest worker writes in one transaction.
    ingest_batch_max: int = 5000
    #: Seconds between recomputations of the hours that received minute data (the hour in progress is
    #: recomputed at most this often; a late or back-filled hour within this delay).
    hourly_every: float = 30.0
    #: Vietnam (Circular 10/2021): run the FTP gateway for station files in the service (settings of the gateway
    #: itself: the section ``ftp``, ``ECOSENTRY_FTP__ROOT`` …; folder watcher: ``ECOSENTRY_VN_FOLDER__DIRS``).
    ftp_enabled: bool = False
    #: FTP listening address (``ECOSENTRY_FTP_HOST``/``_PORT`` as always; port 0 = any free port).
    ftp_host: str = "0.0.0.0"
    ftp_port: int = 2121
    #: Run the ingest worker in its own process (``ecosentry serve``), so gateway and database writes use two
    #: cores. The demo keeps everything in one process.
    ingest_process: bool = False
    #: One ingest worker per spool (lock file ``spool/worker.lock``). A starting server waits this long for the
    #: worker of a previous server to release the spool (a killed server's worker child finishing its batch),
    #: then refuses to start, naming the process that holds it. [s]
    worker_lock_wait: float = 30.0

    # --- sections of the edges (each model beside its code; ``ECOSENTRY_<SECTION>__<FIELD>``); the subsystems'
    # sections (``detect``, ``forward``, ``vn`` of the monitoring subsystem ...) are added by :func:`settings_class`
    #: Folder watcher for Vietnamese files (``ecosentry.gateways.folder_settings``): ``ECOSENTRY_VN_FOLDER__DIRS`` …
    vn_folder: FolderSettings = Field(default_factory=FolderSettings)
    #: FTP gateway for Vietnamese files (``ecosentry.gateways.ftp_settings``): ``ECOSENTRY_FTP__ROOT`` …; its
    #: listening address stays ``ftp_host``/``ftp_port`` above.
    ftp: FtpSettings = Field(default_factory=FtpSettings)
    #: NATS JetStream bus of a scale-out deployment (``ecosentry serve --role gateway|worker|api``;
    #: ``ecosentry.pipeline.bus_settings``): ``ECOSENTRY_NATS__SERVERS`` …
    nats: BusSettings = Field(default_factory=BusSettings)
    #: Notification channels (``ecosentry.alarms.channels.settings``): ``ECOSENTRY_NOTIFY__SMTP_HOST`` …
    notify: ChannelSettings = Field(default_factory=ChannelSettings)

    # --- sections of the core's own services
    #: Alarm routing, escalation, delivery (``ecosentry.alarms.settings``): ``ECOSENTRY_ALARMS__ROUTE_LEVELS`` …
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    #: Sessions, lock-out, rate limits (``ecosentry.auth.settings``): ``ECOSENTRY_ACCESS__SESSION_SECRET`` …
    access: AccessSettings = Field(default_factory=AccessSettings)
    #: Months each kind of data is kept, never below the legal minimum (``ecosentry.retention``):
    #: ``ECOSENTRY_RETENTION__RTD_MONTHS`` …
    retention: RetentionSettings = Field(default_factory=RetentionSettings)


    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # the former names rank below the new ones (environment and .env), above the defaults
        return init_settings, env_settings, dotenv_settings, FormerNames(settings_cls), file_secret_settings


@lru_cache(maxsize=8)
def settings_class(names: tuple[str, ...]) -> type[CoreSettings]:
    """The settings object of the subsystems ``names``: the core's fields and one section per subsystem
    setting (:attr:`ecosentry.contracts.subsystem.Subsystem.settings`), each with its defaults."""
    sections = {name: (model, Field(default_factory=model)) for name, model in settings_sections(names).items()}
    cls = create_model("Settings", __base__=CoreSettings, __module__=__name__, **sections)  # type: ignore[call-overload]
    cls.subsystems = names
    return cls


#: The settings class of the installed subsystems (:func:`ecosentry.installed.installed_names`).
Settings = settings_class(installed_names())


@lru_cache
def get_settings() -> CoreSettings:
    """The settings of this process, read once (tests that change the environment call ``cache_clear``)."""
    return Settings()


def _merged(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merged(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), dict) else value
    return out


def with_changes(settings: CoreSettings, changes: Mapping[str, Any]) -> CoreSettings:
    """``settings`` with ``changes`` (flat fields by name, a section's fields as a mapping under its name,
    merged into the section), validated as the environment's values are, without reading the environment
    again: a command that adjusts the process's settings (``ecosentry demo``) keeps the one object's values
    and says no deprecation twice."""
    data = _merged(settings.model_dump(), changes)
    changed = type(settings).__new__(type(settings))
    BaseModel.__init__(changed, **data)  # BaseSettings.__init__ would read the sources again
    return changed

