"""The subsystem's commands: ``ecosentry noise limits`` and ``ecosentry noise readings``, added by
:func:`register` (``Subsystem.cli``)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ecosentry.settings import get_settings
from ecosentry.store.db import make_engine
from example_noise.queries import latest_readings
from example_noise.rules import BOUNDARY_LIMITS

app = typer.Typer(help="Boundary noise (GB 12348-2008): the limits and the meters' readings.", no_args_is_help=True)
console = Console()


@app.command("limits")
def limits() -> None:
    """Print the boundary limits of GB 12348-2008 Table 1, the zone class in use (ECOSENTRY_NOISE__ZONE_CLASS)
    marked."""
    zone = get_settings().noise.zone_class
    table = Table(title="GB 12348-2008 Table 1 [dB(A)]")
    for col in ("zone class", "day 06-22 h", "night 22-06 h", ""):
        table.add_column(col)
    for cls, (day, night) in BOUNDARY_LIMITS.items():
        table.add_row(str(cls), f"{day:g}", f"{night:g}", "in use" if cls == zone else "")
    console.print(table)


@app.command("readings")
def readings(meter: str | None = typer.Option(None, help="one meter's serial"),
             limit: int = typer.Option(20, min=1)) -> None:
    """Print the newest readings of the database (ECOSENTRY_DATABASE_URL)."""
    engine = make_engine(get_settings().database_url)
    try:
        for r in latest_readings(engine, meter, limit):
            console.print(f"{r['meter']}  {r['measured_at'].isoformat()}  {r['laeq_db']:.1f} dB(A)  {r['period']}"
                          f"  limit {r['limit_db']:g}{'  ABOVE' if r['exceeds'] else ''}", highlight=False)
    finally:
        engine.dispose()


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the ``noise`` group to the ``ecosentry`` command."""
    app_.add_typer(app, name="noise")
