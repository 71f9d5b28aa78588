"""Settings of the FTP gateway for Vietnamese station files: the section ``ftp`` of
:class:`ecosentry.settings.Settings`, kept apart from the gateway so the settings import no gateway."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["FtpSettings"]


class FtpSettings(BaseModel):
    """FTP gateway settings: the section ``ftp`` of the settings (``ECOSENTRY_FTP__ROOT`` …; the former
    ``ECOSENTRY_FTP_ROOT`` … are still read, with a warning).

    The listening address is not here: it stays the core's ``ECOSENTRY_FTP_HOST`` / ``ECOSENTRY_FTP_PORT``
    (``Settings.ftp_host`` / ``ftp_port``, with ``ECOSENTRY_FTP_ENABLED``), which the gateway's settings class
    used to read under the same names, so those three variables mean what they always meant.
    """

    model_config = ConfigDict(extra="forbid")

    #: Drop folders' root; ``None`` = ``<ECOSENTRY_DATA_DIR>/ftp``.
    root: Path | None = None
    #: Passive-mode data ports, ``"60000-60099"``; ``None`` = any free port.
    passive_ports: str | None = None
    #: Address announced in PASV answers behind NAT; ``None`` = the local address.
    masquerade_address: str | None = None
    #: Connections at most, and per client address.
    max_cons: int = 1024
    max_cons_per_ip: int = 32
    #: Idle control connection closed after this long. [s]
    idle_timeout: float = 300.0
    #: Answer to a failed login delayed by this much (slows password guessing). [s]
    auth_failed_delay: float = 3.0
    #: Failed logins on one connection before it is closed.
    max_login_attempts: int = 3
    #: The registry (accounts, passwords, active flags) is reloaded at least this often. [s]
    registry_refresh_s: float = 60.0
