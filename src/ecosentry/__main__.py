"""The ``ecosentry`` command (and ``python -m ecosentry``): the command line of :mod:`ecosentry.cli`, with one
sentence instead of a traceback when the installed subsystems themselves cannot be loaded (the command line is
assembled from them, so that error comes before any command could report it)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from ecosentry.installed import SubsystemError, start_early  # here: nothing may fail before the handler

    start_early(sys.argv[1:])  # a command's head start (detect's data file) while the command line is assembled
    try:
        from ecosentry.cli import app
    except SubsystemError as exc:
        from ecosentry.locale import core_translations
        from ecosentry.terminal.language import cli_language

        lang = cli_language(os.environ.get("ECOSENTRY_DEFAULT_LOCALE", "zh"))
        print(exc.say(core_translations(lang).gettext), file=sys.stderr)
        sys.exit(2)
    app(prog_name="ecosentry")


if __name__ == "__main__":
    main()
