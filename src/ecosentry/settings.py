"""One settings object, read from the environment (prefix ``ECOSENTRY_``) and ``.env``, once per process
(:func:`get_settings`).

Flat fields are the core's (``ECOSENTRY_HJ212_PORT``); a subsystem's settings are a nested section, one model
beside the subsystem, reached with ``__`` (``ECOSENTRY_DETECT__NATIONAL__CONSTANT_HOURS=6``,
``ECOSENTRY_FORWARD__POLL_EVERY=2``). A variable a section had before it joined this object
(``ECOSENTRY_FORWARD_POLL_EVERY``) is still read, below the new name, with a warning naming the new one
(:data:`FORMER_PREFIXES`): scripts and deployments keep working while they move.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import Field, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ecosentry.alarms.channels.settings import ChannelSettings
from ecosentry.gateways.folder_settings import FolderSettings
from ecosentry.gateways.ftp_settings import FtpSettings
from ecosentry.installed import former_settings, installed_names, settings_sections

log = logging.getLogger(__name__)

#: The core's sections → the prefix of their variables when each was a settings class of its own (issue 12
#: item 6); the subsystems declare theirs (``Subsystem.former_settings``). The former ``<prefix><FIELD>`` is
#: read when ``ECOSENTRY_<SECTION>__<FIELD>`` is not set.
CORE_FORMER_PREFIXES: dict[str, str] = {"vn_folder": "ECOSENTRY_VN_FOLDER_", "notify": "ECOSENTRY_NOTIFY_",
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
    #: Bytes outside any frame are archived as one rejected record per run, at most this many bytes each.
    hj212_garbage_chunk: int = 65_536
    #: Rejected input is logged at most once per connection per this many seconds (with a count). [s]
    hj212_log_every: float = 60.0
    #: Seconds between scheduled refreshes of the gateway's copy of the point registry (an unknown MN also
    #: asks for one, at most every 5 s). [s]
    directory_refresh_every: float = 60.0
    #: Logger fault (ALM-LOGGER-FRAMES): this many frames of one point rejected within
    #: ``logger_fault_window_minutes`` raise a device-fault alarm.
    logger_fault_threshold: int = 10
    logger_fault_window_minutes: float = 60.0
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
    #: How the platform computes an hourly 折算 value when the logger sent none (reference notes §3.1, open
    #: question): "mean_of_minute" (mean of the minute 折算 values) or "corrected_hourly_mean".
    zs_method: str = "mean_of_minute"
    #: 即时 (real-time) rates count an hour as received only if its data arrived within this many minutes
    #: after the hour ended; later data count for 补全 (after back-fill) only. [R] UNCONFIRMED cut-off
    #: (reference notes §1.1–§1.2: both variants are published, the cut-off is not).
    realtime_grace_minutes: int = 60
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

    # --- alarms (ecosentry.alarms; platform choices, tag "ours": no national rule fixes these numbers)
    #: Region levels that receive a new alarm at once, counted upward from the alarm's own region:
    #: 2 = the county (区县) and the city (地市) together, the usual first line of 环境执法.
    alarm_route_levels: int = 2
    #: An alarm not acknowledged within this many minutes escalates one region level up (province …);
    #: each further period adds one more level. [min]
    alarm_escalate_after_minutes: float = 30.0
    #: Repeat notifications to the current recipients every this many minutes while unacknowledged. [min]
    alarm_repeat_minutes: float = 60.0
    #: At most this many repeat notifications per alarm.
    alarm_repeat_max: int = 3
    #: A channel that has not answered within this many seconds counts as a failed delivery. [s]
    alarm_send_timeout: float = 30.0
    #: Base URL of the web UI, for the link in notifications (``None``: no link).
    alarm_base_url: str | None = None
    #: Seconds between escalation/repeat checks of the open alarms. [s]
    alarm_tick_every: float = 60.0

    # --- continuous detection (ecosentry.subsystems.monitoring.pipeline.detection); detector thresholds: ecosentry.subsystems.monitoring.detect.settings
    #: Seconds between detection passes (offline check, detectors, exceedance alarms). [s]
    detect_every: float = 60.0
    #: A point is evaluated by the detectors at most this often (offline checks run every pass). [s]
    detect_point_every: float = 300.0
    #: A finding raises or keeps an alarm while it ended less than this many hours ago. [h]
    detect_recent_hours: float = 2.0
    #: History each pass reads per point: minutes of the last N hours, hours of the last N days (15 days:
    #: the national half-month constant-range rule, reference notes §5.2).
    detect_minute_hours: float = 6.0
    detect_hour_days: float = 15.0
    #: A logger is offline after silence of this many × its minute-data interval (MinInterval) … [-]
    offline_factor: float = 3.0
    #: … and at least this many minutes. The offline alarm is raised at most ``detect_every`` seconds after
    #: that silence. [min]
    offline_min_minutes: float = 10.0
    #: Create automatic 通讯中断 marks for gaps of more than 15 minutes (CN-MARK-AUTO-GAP).
    auto_gap_marks: bool = True

    # --- sections of the edges (each model beside its code; ``ECOSENTRY_<SECTION>__<FIELD>``); the subsystems'
    # sections (``detect``, ``forward``, ``vn`` of the monitoring subsystem ...) are added by :func:`settings_class`
    #: Folder watcher for Vietnamese files (``ecosentry.gateways.folder_settings``): ``ECOSENTRY_VN_FOLDER__DIRS`` …
    vn_folder: FolderSettings = Field(default_factory=FolderSettings)
    #: FTP gateway for Vietnamese files (``ecosentry.gateways.ftp_settings``): ``ECOSENTRY_FTP__ROOT`` …; its
    #: listening address stays ``ftp_host``/``ftp_port`` above.
    ftp: FtpSettings = Field(default_factory=FtpSettings)
    #: Notification channels (``ecosentry.alarms.channels.settings``): ``ECOSENTRY_NOTIFY__SMTP_HOST`` …
    notify: ChannelSettings = Field(default_factory=ChannelSettings)

    # --- access (ecosentry.auth: sessions, lock-out, rate limits)
    #: Secret that signs the session cookie. Unset: generated once and kept in ``data_dir/session.key``
    #: (mode 0600), so restarts and every process sharing ``data_dir`` keep the sessions.
    session_secret: str | None = None
    #: Mark the session cookie (and the language cookie) ``Secure``: browsers then send them over HTTPS only.
    #: Set it to true in every deployment served over HTTPS (also behind a TLS-terminating proxy); the default
    #: false lets the demo work over plain http://127.0.0.1.
    session_cookie_secure: bool = False
    #: Session cookie lifetime. [s]
    session_max_age: int = 14 * 24 * 3600
    #: Failed logins in a row after which an account is locked.
    login_max_failures: int = 5
    #: How long a locked account stays locked. [min]
    login_lockout_minutes: float = 15.0
    #: Requests per API key or logged-in user (``limits`` notation: "600/minute", "10/second; 600/minute").
    rate_limit_default: str = "600/minute"
    #: Requests per client IP address for anonymous callers.
    rate_limit_anonymous: str = "120/minute"

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
