"""``python -m ecosentry.cli``: the same app as the ``ecosentry`` script (the server starts its worker so)."""

from ecosentry.cli import app

app(prog_name="ecosentry")
