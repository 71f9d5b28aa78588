"""``ecosentry bench power``: the rules of the subsystem on simulated enterprises (:mod:`.bench`), added to the
core's ``bench`` group by :func:`register`."""

from __future__ import annotations

import json

import typer

from ecosentry.subsystems.power.bench import run_bench


def bench_power(seed: int = typer.Option(15, help="seed of the simulated fleet"),
                honest: int = typer.Option(40, min=0, help="honest enterprises (a half under an obeyed order)"),
                violating: int = typer.Option(40, min=0, help="enterprises with injected violations"),
                days: int = typer.Option(7, min=2, help="days simulated per enterprise (+1 under an order)"),
                as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
    """Precision and recall per code on injected violations, findings per clean enterprise-day, detection delay
    and readings/s of the electricity rules."""
    res = run_bench(seed, honest, violating, days).summary()
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    typer.echo(f"{res['enterprises']} enterprises, {res['readings']:,} meter-minutes in {res['seconds']} s: "
               f"{res['readings_per_s']:,} readings/s; honest: {res['honest_findings_per_enterprise_day']} findings "
               f"per enterprise-day over {res['honest_enterprise_days']:g} enterprise-days")
    typer.echo(f"{'code':28} {'inj':>4} {'found':>5} {'recall':>6} {'finds':>5} {'prec':>6} {'honest/d':>8} "
               f"{'delay med/max min':>18}")
    for r in res["codes"]:
        fmt = lambda v: "-" if v is None else f"{v:g}"  # noqa: E731
        typer.echo(f"{r['code']:28} {r['injected']:>4} {r['found']:>5} {fmt(r['recall']):>6} {r['findings']:>5} "
                   f"{fmt(r['precision']):>6} {r['honest_per_day']:>8g} "
                   f"{fmt(r['delay_median_min']) + '/' + fmt(r['delay_max_min']):>18}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``power`` to the core's ``bench`` group."""
    groups["bench"].command("power")(bench_power)
