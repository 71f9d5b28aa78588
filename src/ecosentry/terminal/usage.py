"""The command line's own refusals (an unknown command or option, a missing or malformed value) said in the
terminal's language, like the commands' own errors (:func:`.messages.fail`): the usage line, the hint to
``--help`` and one ``error: …`` line, exit 2.

Typer (0.29) builds these sentences in English when it raises them: its vendored Click has no catalogue, and
the few it passes through ``gettext`` find none. So :class:`TerminalGroup`, the root group of ``ecosentry``,
catches them where the command line is parsed and invoked and says each again from its parts: the exception's
own fields where it keeps them (the option and its close matches, the parameter, the pydantic error under a
malformed value), else the English sentence read back against its known forms (:data:`SENTENCES`). A sentence
of no known form (a ``typer.BadParameter`` of a command) keeps its words inside the translated frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from typer._click.exceptions import (BadParameter, ClickException, MissingParameter, NoArgsIsHelpError,
                                     NoSuchOption)
from typer.core import TyperGroup

from ecosentry.said import N_, Said
from ecosentry.terminal.help import USAGE, localise_tree
from ecosentry.validation_words import MSGIDS as VALIDATION_MSGIDS
from ecosentry.validation_words import invalid_value

__all__ = ["TerminalGroup", "refusal", "refusal_lines", "MSGIDS"]

TRY_HELP = N_("Try '%(command)s' for help.")
ABORTED = N_("Aborted!")
NO_SUCH_OPTION = N_("No such option: %(option)s")
NO_SUCH_OPTION_LIKE = N_("No such option: %(option)s (Possible options: %(options)s)")
#: ``Missing option '--input' / '-i'.`` by the kind of the parameter.
MISSING = {"option": N_("Missing option %(name)s."), "argument": N_("Missing argument %(name)s."),
           "parameter": N_("Missing parameter %(name)s.")}
INVALID_FOR = N_("Invalid value for %(name)s: %(error)s")
INVALID = N_("Invalid value: %(error)s")
#: A malformed value is said by the pydantic error type Typer's coercion raised (the API's words for it too:
#: :mod:`ecosentry.validation_words`): ``'x' is not a whole number``, ``'0' must be 1 or more``.
#: A path option's refusal (``file '/x' does not exist.``): what the option names, then what is wrong with it.
PATH_KINDS = {"file": N_("file"), "directory": N_("directory"), "path": N_("path")}
PATH_REFUSALS = {
    "does not exist": N_("%(kind)s %(path)s does not exist."),
    "is a file": N_("%(kind)s %(path)s is a file."),
    "is a directory": N_("%(kind)s %(path)s is a directory."),
    "is not readable": N_("%(kind)s %(path)s is not readable."),
    "is not writable": N_("%(kind)s %(path)s is not writable."),
}
PATH_REFUSAL = re.compile(r"(?P<kind>file|directory|path) (?P<path>'.*'|\".*\") (?P<what>"
                          + "|".join(PATH_REFUSALS) + r")\.")
#: Sentences the parser formats before it raises them (``ctx.fail``, ``BadOptionUsage``), read back into parts.
SENTENCES: Sequence[tuple[re.Pattern[str], str]] = (
    (re.compile(r"No such command (?P<name>.+)\. Did you mean (?P<like>.+)\?"),
     N_("No such command %(name)s. Did you mean %(like)s?")),
    (re.compile(r"No such command (?P<name>.+)\."), N_("No such command %(name)s.")),
    (re.compile(r"Missing command\."), N_("Missing command.")),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)"),
     N_("Got unexpected extra argument(s) (%(args)s)")),
    (re.compile(r"Option (?P<option>.+) requires an argument\."), N_("Option %(option)s requires an argument.")),
    (re.compile(r"Option (?P<option>.+) requires (?P<count>\d+) arguments\."),
     N_("Option %(option)s requires %(count)s arguments.")),
    (re.compile(r"Option (?P<option>.+) does not take a value\."), N_("Option %(option)s does not take a value.")),
    (re.compile(r"Argument (?P<name>.+) takes (?P<count>\d+) values\."), N_("Argument %(name)s takes %(count)s values.")),
)
#: Every msgid said here (the catalogues' test checks each is translated).
MSGIDS = (USAGE, TRY_HELP, ABORTED, NO_SUCH_OPTION, NO_SUCH_OPTION_LIKE, INVALID_FOR, INVALID, *MISSING.values(),
          *VALIDATION_MSGIDS, *PATH_KINDS.values(), *PATH_REFUSALS.values(), *(m for _, m in SENTENCES))


def _hint(exc: BadParameter) -> str | None:
    """The parameter as Click names it in its sentences: ``'--input' / '-i'``, ``'path'``."""
    hint = exc.param_hint if exc.param_hint is not None else exc.param.get_error_hint() if exc.param else None
    if hint is None or isinstance(hint, str):
        return hint
    return " / ".join(repr(x) for x in hint)


def _sentence(text: str) -> Said:
    """An English sentence of Typer's in its parts, else as it is."""
    for pattern, msgid in SENTENCES:
        if m := pattern.fullmatch(text):
            return Said(msgid, **m.groupdict())
    if m := PATH_REFUSAL.fullmatch(text):
        return Said(PATH_REFUSALS[m["what"]], kind=Said(PATH_KINDS[m["kind"]]), path=m["path"])
    return Said(text)


def _malformed(exc: BadParameter) -> Said:
    """Why a value was refused: the pydantic error under it where there is one, else Typer's sentence."""
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if errors and (said := invalid_value(errors[0])) is not None:
        return said
    return _sentence(exc.message)


def refusal(exc: ClickException) -> Said:
    """The sentence of a refusal of Typer's, as a msgid with its parameters."""
    if isinstance(exc, MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        extra = exc.param.get_missing_message(ctx=exc.ctx) if exc.param is not None else None
        if exc.message or extra:  # a sentence of its own (a prompt's): said as Typer says it
            return Said(exc.format_message())
        return Said(MISSING.get(kind, MISSING["parameter"]), name=_hint(exc) or "")
    if isinstance(exc, BadParameter):
        hint = _hint(exc)
        return Said(INVALID_FOR, name=hint, error=_malformed(exc)) if hint else Said(INVALID, error=_malformed(exc))
    if isinstance(exc, NoSuchOption) and exc.message == f"No such option: {exc.option_name}":
        if exc.possibilities:
            return Said(NO_SUCH_OPTION_LIKE, option=exc.option_name, options=", ".join(sorted(exc.possibilities)))
        return Said(NO_SUCH_OPTION, option=exc.option_name)
    return _sentence(exc.format_message())


def refusal_lines(exc: ClickException, lang: str) -> list[str]:
    """What the command line prints for ``exc`` in ``lang``: the usage line and the hint to ``--help`` (when
    the refusal knows its command), then ``error: …``."""
    from ecosentry.terminal.messages import error_line, translations

    gettext: Callable[[str], str] = (lambda m: m) if lang == "en" else translations(lang).gettext
    lines = []
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        formatter = ctx.make_formatter()
        formatter.write_usage(ctx.command_path, " ".join(ctx.command.collect_usage_pieces(ctx)),
                              prefix=gettext(USAGE))
        lines.append(formatter.getvalue().rstrip("\n"))
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(gettext(TRY_HELP) % {"command": f"{ctx.command_path} {ctx.help_option_names[0]}"})
    lines.append(error_line(refusal(exc), lang))
    return lines


@contextmanager
def _said_in_terminal_language() -> Iterator[None]:
    """Typer's refusals and its abort (Ctrl-C at a prompt) said in the terminal's language, ending the command
    with their exit codes (2 for a usage error); the help shown for a group without a command passes through."""
    from ecosentry.terminal.messages import say, terminal_language

    try:
        yield
    except NoArgsIsHelpError:  # the help it has shown (said in the reader's language: TerminalGroup)
        raise
    except ClickException as exc:
        lang = terminal_language()
        for line in refusal_lines(exc, lang):
            typer.echo(line, err=True)
        raise typer.Exit(exc.exit_code) from None
    except typer.Abort:
        typer.echo(say(ABORTED), err=True)
        raise typer.Exit(1) from None


def _shows_help(root: Any, args: list[str]) -> bool:
    """Whether ``args`` ask for a help page: ``--help`` anywhere, or a group (or a command that wants
    arguments) named without any (Typer then shows its help as it parses it)."""
    if "--help" in args:
        return True
    command, rest = root, list(args)
    while rest and hasattr(command, "commands"):
        word = rest.pop(0)
        command = command.commands.get(word)
        if command is None:
            return False
    return not rest and bool(getattr(command, "no_args_is_help", False))


def localise_help(root: Any) -> None:
    """The help texts of ``root``'s tree in the terminal's language (:mod:`ecosentry.terminal.help`)."""
    from ecosentry.terminal.messages import terminal_language, translations

    lang = terminal_language()
    localise_tree(root, (lambda m: m) if lang == "en" else translations(lang).gettext)


class TerminalGroup(TyperGroup):
    """The root group of ``ecosentry``: parses and invokes as Typer does, and says Typer's refusals in the
    terminal's language (every subcommand is parsed inside :meth:`invoke`)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any):
        if _shows_help(self, args):  # its texts in the reader's language
            localise_help(self)
        with _said_in_terminal_language():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _said_in_terminal_language():
            return super().invoke(ctx)
