"""Messages the command line prints for the operator, in the operator's language.

The language is the terminal's (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the POSIX order) when
it names one of the interface languages (zh, vi, en), else the deployment's ``ECOSENTRY_DEFAULT_LOCALE``.
The texts come from the web interface's gettext catalogues (English msgids).
"""

from __future__ import annotations

from collections.abc import Mapping

from ecosentry.pipeline.spool_lock import SpoolBusy
from ecosentry.contracts.subsystem import PortInUse
from ecosentry.terminal.language import cli_language
from ecosentry.web.i18n import translations

__all__ = ["cli_language", "port_in_use_message", "spool_busy_message"]

#: One sentence per listening port; ``option`` is the command-line option or setting that changes it.
PORT_IN_USE = {
    "web": "The web port %(port)s is already in use by another program: stop that program, or choose "
           "another port with %(option)s.",
    "hj212": "The HJ 212 port %(port)s is already in use by another program: stop that program, or choose "
             "another port with %(option)s.",
    "ftp": "The FTP port %(port)s is already in use by another program: stop that program, or choose "
           "another port with %(option)s.",
}

SPOOL_BUSY = ("Another ingest worker (process %(pid)s) already reads the spool %(spool)s: only one worker may run "
              "per spool.")


#: A subsystem's own listening port (``PortInUse("gates push", …)``): ``what`` names it, ``option`` is its setting.
PORT_IN_USE_OTHER = ("The %(what)s port %(port)s is already in use by another program: stop that program, or "
                     "choose another port with %(option)s.")


def port_in_use_message(exc: PortInUse, options: Mapping[str, str], lang: str) -> str:
    """One sentence naming the taken port and the ``options[exc.what]`` that moves it (a subsystem's port: its
    setting, from :attr:`PortInUse.option`)."""
    if exc.what not in PORT_IN_USE:
        text = translations(lang).gettext(PORT_IN_USE_OTHER)
        return text % {"what": exc.what, "port": exc.port,
                       "option": options.get(exc.what) or getattr(exc, "option", None) or exc.what}
    text = translations(lang).gettext(PORT_IN_USE[exc.what])
    return text % {"port": exc.port, "option": options[exc.what]}


def spool_busy_message(exc: SpoolBusy, lang: str) -> str:
    """One sentence naming the spool and the process that holds its worker lock."""
    text = translations(lang).gettext(SPOOL_BUSY)
    return text % {"pid": exc.pid if exc.pid is not None else "?", "spool": exc.spool}
