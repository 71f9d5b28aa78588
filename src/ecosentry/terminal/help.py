"""The command line's help (``--help``, a group called without its command) in the terminal's language.

Typer builds the help from English texts: each command's docstring, each option's ``help=`` and its own
labels (the panels' titles, ``[default: …]``, ``[required]``, the help option's "Show this message and
exit."). Their msgids are those texts in their plain form (:func:`plain`: a paragraph's line breaks are the
docstring's layout, not the text), so the catalogues hold one entry per text; a command's words travel
with the package that defines the command (a subsystem's in the subsystem's catalogue).

:func:`localise_tree` puts the texts of the whole command tree in the reader's language just before Typer
formats a help page (:class:`ecosentry.terminal.usage.TerminalGroup` calls it only then: a command that
runs does not load a catalogue). English gets the plain forms: one line per paragraph, as the panels wrap
them anyway. A text a catalogue lacks stays in English (the catalogues' test lists none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ecosentry.said import N_

__all__ = ["plain", "help_texts", "localise_tree", "LABELS"]

#: Typer's own words in its help pages (the names of the module's constants that hold them), as msgids.
LABELS = {
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
HELP_OPTION = N_("Show this message and exit.")
USAGE = N_("Usage: ")
_PARAGRAPH = re.compile(r"\n\s*\n")


def plain(text: str) -> str:
    """A help text's msgid: its paragraphs with every run of blanks and line breaks made one space, joined
    by a blank line."""
    return "\n\n".join(" ".join(p.split()) for p in _PARAGRAPH.split(text.strip()) if p.strip())


def _commands(command: Any) -> Iterator[Any]:
    """``command`` and every command under it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _module(command: Any) -> str:
    """The module that defines ``command`` (a group without a callback of its own: its first command's)."""
    while command.callback is None and getattr(command, "commands", None):
        command = next(iter(command.commands.values()))
    return getattr(command.callback, "__module__", "") if command.callback else ""


def help_texts(root: Any) -> Iterator[tuple[str, str]]:
    """``(msgid, module)`` of every help text under ``root``: the commands' helps and their options'
    (the module is the one that defines the command: whose catalogue holds its words)."""
    for command in _commands(root):
        module = _module(command)
        for text in (command.help, command.short_help, command.epilog):
            if text:
                yield plain(text), module
        for param in command.params:
            if getattr(param, "help", None):
                yield plain(param.help), module


def _localised_context(gettext: Callable[[str], str]) -> type:
    """A context class whose help formatter writes the usage line's prefix in the reader's language."""
    from typer._click import Context, HelpFormatter

    usage = gettext(USAGE)

    class Formatter(HelpFormatter):
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, usage if prefix is None else prefix)

    class LocalisedContext(Context):
        formatter_class = Formatter

    return LocalisedContext


def localise_tree(root: Any, gettext: Callable[[str], str]) -> None:
    """Every help text of ``root``'s tree, and Typer's labels, in ``gettext``'s language (in place; the
    English texts are kept aside, so a second call in another language starts from them)."""
    from typer import rich_utils
    from typer._click import Context

    originals: dict[str, str] = getattr(rich_utils, "_ecosentry_english", None) or {
        name: getattr(rich_utils, name) for name in LABELS}
    rich_utils._ecosentry_english = originals  # type: ignore[attr-defined]
    for name, msgid in LABELS.items():
        setattr(rich_utils, name, gettext(msgid) if msgid == originals[name] else originals[name])
    context_class = _localised_context(gettext)
    for command in _commands(root):
        english = command.__dict__.setdefault("_english_help", {
            "help": command.help, "short_help": command.short_help, "epilog": command.epilog,
            "params": [getattr(p, "help", None) for p in command.params]})
        for attr in ("help", "short_help", "epilog"):
            if english[attr]:
                setattr(command, attr, gettext(plain(english[attr])))
        for param, text in zip(command.params, english["params"]):
            if text:
                param.help = gettext(plain(text))
        option = command.get_help_option(Context(command, help_option_names=["--help"]))
        if option is not None:
            option.help = gettext(HELP_OPTION)
        command.context_class = context_class
