"""The subsystem's commands, added by :func:`register`: ``ecosentry bench power`` (the rules on simulated
enterprises, :mod:`.bench`), ``ecosentry power check`` (the offline check for auditors, :mod:`.offline`) and
``ecosentry power import-readings`` (a file of readings through the spool and the sink, :mod:`.csv_readings`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecosentry.subsystems.power.bench import run_bench
from ecosentry.subsystems.power.check import check_enterprise
from ecosentry.subsystems.power.offline import load_orders, load_readings
from ecosentry.subsystems.power.registry import RegistryError, load_csv

app = typer.Typer(help="Electricity monitoring of treatment facilities (用电监控).", no_args_is_help=True)


@app.command("check")
def check(readings: Path = typer.Option(..., help="R.csv: meter,time,quantity,value (P kW, I A, E kWh)"),
          equipment: Path = typer.Option(..., help="E.csv: enterprise,equipment,meter,role,serves,rated_kw"),
          orders: Path | None = typer.Option(None, help="O.csv: enterprise,equipment,measure,limit_pct,start,end"),
          output: Path = typer.Option(..., help="findings, one JSON object a line")) -> None:
    """Run every electricity rule over the files and write one JSON finding a line (exit 2 on bad input, naming
    the file, the line and the field)."""
    try:
        try:
            text = equipment.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise RegistryError(str(equipment), None, None, f"cannot be read ({exc.strerror})") from None
        registry = load_csv(text, str(equipment))
        by_ent = load_readings(readings, registry)
        order_list = load_orders(orders, registry) if orders else []
    except RegistryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    n = 0
    with open(output, "w", encoding="utf-8") as out:
        for ent in registry.enterprises:
            if ent.id not in by_ent:
                typer.echo(f"{ent.id}: no readings", err=True)
                continue
            try:
                result = check_enterprise(ent, by_ent[ent.id], orders=[o for o in order_list if o.enterprise == ent.id])
            except ValueError as exc:  # no thresholds for a meter, no baseline before an order
                typer.echo(f"error: {ent.id}: {exc}", err=True)
                raise typer.Exit(2) from None
            for f in result.findings:
                out.write(json.dumps(f.as_dict(), ensure_ascii=False) + "\n")
                n += 1
    typer.echo(f"{n} findings in {output}", err=True)


@app.command("import-readings")
def import_readings(path: Path = typer.Argument(..., help="R.csv: meter,time,quantity,value (time with offset)"),
                    enterprise: str | None = typer.Option(None, help="credit code: the meters of this enterprise"),
                    chunk: int = typer.Option(500, min=1, max=50_000, help="readings per spool record")) -> None:
    """Store the readings of a file through the spool and the same sink as the gateways' (idempotent: a file
    imported twice changes nothing). Exit 2 on bad input, naming the file, the line and the field."""
    import asyncio

    from ecosentry.pipeline.spool_lock import SpoolBusy
    from ecosentry.service import prepare_database
    from ecosentry.settings import get_settings
    from ecosentry.subsystems.power.csv_readings import (SPOOL, UnknownEnterprise, check_csv, iter_envelopes,
                                                         meter_places, store_envelopes)

    st = get_settings()
    engine = prepare_database(st.database_url)
    try:
        try:  # the whole file is checked before anything is written
            places = meter_places(engine, enterprise)
            n = check_csv(path, places, enterprise=enterprise)
        except (RegistryError, UnknownEnterprise) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            done = asyncio.run(store_envelopes(engine, st, iter_envelopes(path, places, chunk=chunk,
                                                                          enterprise=enterprise),
                                               expected_readings=n))
        except RegistryError as exc:  # the file changed since it was checked
            typer.echo(f"error: {exc} (the file changed during the import)", err=True)
            raise typer.Exit(2) from None
        except SpoolBusy as exc:
            typer.echo(f"error: {exc}; try again when that import has ended", err=True)
            raise typer.Exit(2) from None
        except TimeoutError:
            typer.echo(f"error: the database did not take the readings in time; they wait in "
                       f"{st.data_dir / SPOOL} and the next import stores them", err=True)
            raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{n} readings of {path} in {done['envelopes']} records stored"
               + (f", {done['isolated']} records set aside (see the raw archive)" if done["isolated"] else ""))


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


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``power`` to the core's ``bench`` group and the ``power`` group."""
    groups["bench"].command("power")(bench_power)
    app_.add_typer(app, name="power")
