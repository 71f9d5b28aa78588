"""Settings of access: sessions, lock-out and rate limits, the section ``access`` of
:class:`ecosentry.settings.Settings` (``ECOSENTRY_ACCESS__SESSION_SECRET`` …; the former flat
``ECOSENTRY_SESSION_SECRET`` … keep the field's name and are still read, with a warning naming the new name).
Kept apart from the guards so the settings import no auth code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AccessSettings"]


class AccessSettings(BaseModel):
    """The session cookie, the lock-out after failed logins and the request rate limits (docs/access.md)."""

    model_config = ConfigDict(extra="forbid")

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
