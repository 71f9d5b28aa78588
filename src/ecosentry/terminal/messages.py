"""Messages the command line prints for the operator, in the operator's language.

The language is the terminal's (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the POSIX order) when
it names one of the interface languages (zh, vi, en), else the deployment's ``ECOSENTRY_DEFAULT_LOCALE``.
The texts come from the gettext catalogues of the core and the installed subsystems (English msgids). The
offline tools' errors are :class:`ecosentry.said.Said` (a msgid with named parameters): :func:`error_line` says
one as the line the tool prints before it exits 2. The catalogues (Babel) are loaded only when something is said,
so a tool that starts fast (``ecosentry detect``) pays for them only on its way out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from ecosentry.said import N_, Said
from ecosentry.terminal.language import cli_language

if TYPE_CHECKING:
    from ecosentry.contracts.subsystem import PortInUse
    from ecosentry.pipeline.spool_lock import SpoolBusy

__all__ = ["cli_language", "terminal_language", "operator_language", "load_meanwhile", "gettext_of", "say",
           "error_line", "fail", "port_in_use_message", "spool_busy_message", "padded", "columns"]

#: The line an offline tool prints for an input it refuses (``error: bad.csv line 2, time: ...``).
ERROR_LINE = N_("error: %(error)s")


def translations(lang: str):
    """The merged catalogue of ``lang`` (imported here: Babel is loaded only when a sentence is said)."""
    from ecosentry.locale import translations as merged

    return merged(lang)


def terminal_language(environ: Mapping[str, str] | None = None) -> str:
    """The terminal's language, else the deployment's ``ECOSENTRY_DEFAULT_LOCALE`` (``zh`` when unset)."""
    env = os.environ if environ is None else environ
    return cli_language(env.get("ECOSENTRY_DEFAULT_LOCALE", "zh"), env)


def operator_language(settings) -> str:
    """The language of what a running service prints for its operator (the demo's welcome text): the terminal's,
    else the deployment's ``default_locale``."""
    return cli_language(getattr(settings, "default_locale", None) or "zh")


def padded(text: str, width: int, *, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` terminal columns (a Chinese character takes two), on its right, or
    on its left when ``right`` (a number's column)."""
    from rich.cells import cell_len

    fill = " " * max(0, width - cell_len(text))
    return fill + text if right else text + fill


def columns(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One line of a plain table (a benchmark's codes): the first cell filled to its width on the left of the line,
    the others (numbers) filled on their left, in terminal columns, so a translated head keeps its column."""
    return " ".join(padded(c, w, right=i > 0) for i, (c, w) in enumerate(zip(cells, widths)))


def load_meanwhile(lang: str | None = None):
    """Start loading the catalogue of ``lang`` (default the terminal's) in a thread and return it (join it before
    saying anything), or ``None`` when there is nothing to load (English). For a command that says its result
    after a wait in which its own process is idle (``ecosentry detect`` while its worker processes judge the
    points): the ~0.1 s of parsing the catalogues leaves the command's serial end. Start it only once no process
    will be forked any more (a fork while the thread holds a lock would leave the lock held in the child)."""
    import threading

    lang = lang or terminal_language()
    if lang == "en":
        return None
    thread = threading.Thread(target=translations, args=(lang,), name="catalogue", daemon=True)
    thread.start()
    return thread


def gettext_of(lang: str | None = None) -> Callable[[str], str]:
    """The gettext of ``lang``, else of the terminal's language (English: the msgids themselves, no catalogue
    loaded): for a command that says many words (a benchmark's table heads and names)."""
    lang = lang or terminal_language()
    return (lambda m: m) if lang == "en" else translations(lang).gettext


def say(said: Said | str, lang: str | None = None, /, *, times: Callable[[datetime], str] | None = None,
        **params: Any) -> str:
    """An error or a msgid (with ``params``) in ``lang``, else in the terminal's language (English: the msgids
    themselves, no catalogue loaded); its times written by ``times`` (e.g. in the deployment's local time), else
    in ISO 8601 as they are."""
    if not isinstance(said, Said):
        said = Said(said, **params)
    gettext = gettext_of(lang)
    return said.say(gettext, times) if times is not None else said.say(gettext)


def error_line(error: Said | str, lang: str | None = None, /, *, times: Callable[[datetime], str] | None = None,
               **params: Any) -> str:
    """``error: …`` / ``错误：…`` / ``Lỗi: …``: the line a tool prints before it exits 2."""
    if not isinstance(error, Said):
        error = Said(error, **params)
    return say(ERROR_LINE, lang, times=times, error=error)

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


def fail(error: Said | str, /, *, times: Callable[[datetime], str] | None = None, **params: Any) -> NoReturn:
    """Print :func:`error_line` on the standard error and end the command with exit code 2 (bad input or options).
    The catalogues are loaded only then."""
    import typer

    typer.echo(error_line(error, times=times, **params), err=True)
    raise typer.Exit(code=2)


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
