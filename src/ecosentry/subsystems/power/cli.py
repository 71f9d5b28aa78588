"""The subsystem's commands, added by :func:`register`: ``ecosentry bench power`` (the rules on simulated
enterprises, :mod:`.bench`), ``ecosentry power check`` (the offline check for auditors, :mod:`.offline`),
``ecosentry power import-readings`` (a file of readings through the spool and the sink, :mod:`.csv_readings`),
``ecosentry power mqtt-auth`` and ``mqtt-secret`` (the broker's accounts of the MQTT devices,
:mod:`.gateways.mosquitto_auth`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecosentry.said import N_, Said

app = typer.Typer(help="Electricity monitoring of treatment facilities (用电监控).", no_args_is_help=True)


@app.command("check")
def check(readings: Path = typer.Option(..., help="R.csv: meter,time,quantity,value (P kW, I A, E kWh)"),
          equipment: Path = typer.Option(..., help="E.csv: enterprise,equipment,meter,role,serves,rated_kw"),
          orders: Path | None = typer.Option(None, help="O.csv: enterprise,equipment,measure,limit_pct,start,end"),
          output: Path = typer.Option(..., help="findings, one JSON object a line")) -> None:
    """Run every electricity rule over the files and write one JSON finding a line (exit 2 on bad input, naming
    the file, the line and the field)."""
    from ecosentry.subsystems.power.check import check_enterprise
    from ecosentry.subsystems.power.offline import load_orders, load_readings
    from ecosentry.subsystems.power.registry import RegistryError, load_csv
    from ecosentry.terminal.messages import error_line, say

    try:
        try:
            text = equipment.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise RegistryError(str(equipment), None, None, N_("cannot be read (%(reason)s)"),
                                    reason=exc.strerror) from None
        registry = load_csv(text, str(equipment))
        by_ent = load_readings(readings, registry)
        order_list = load_orders(orders, registry) if orders else []
    except RegistryError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    n = 0
    with open(output, "w", encoding="utf-8") as out:
        for ent in registry.enterprises:
            if ent.id not in by_ent:
                typer.echo(say(N_("%(enterprise)s: no readings"), enterprise=ent.id), err=True)
                continue
            try:
                result = check_enterprise(ent, by_ent[ent.id], orders=[o for o in order_list if o.enterprise == ent.id])
            except ValueError as exc:  # no thresholds for a meter, no baseline before an order
                typer.echo(error_line(N_("%(enterprise)s: %(error)s"), enterprise=ent.id,
                                      error=exc if isinstance(exc, Said) else str(exc)), err=True)
                raise typer.Exit(2) from None
            for f in result.findings:
                out.write(json.dumps(f.as_dict(), ensure_ascii=False) + "\n")
                n += 1
    typer.echo(say(N_("%(count)s findings in %(output)s"), count=n, output=output), err=True)


@app.command("import-readings")
def import_readings(path: Path = typer.Argument(..., help="R.csv: meter,time,quantity,value (time with offset)"),
                    enterprise: str | None = typer.Option(None, help="credit code: the meters of this enterprise"),
                    chunk: int = typer.Option(500, min=1, max=50_000, help="readings per spool record")) -> None:
    """Store the readings of a file through the spool and the same sink as the gateways' (idempotent: a file
    imported twice changes nothing). Exit 2 on bad input, naming the file, the line and the field."""
    from ecosentry.subsystems.power.registry import RegistryError
    from ecosentry.terminal.messages import error_line, say, spool_busy_message, terminal_language

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
            typer.echo(error_line(exc), err=True)
            raise typer.Exit(2) from None
        try:
            done = asyncio.run(store_envelopes(engine, st, iter_envelopes(path, places, chunk=chunk,
                                                                          enterprise=enterprise),
                                               expected_readings=n))
        except RegistryError as exc:  # the file changed since it was checked
            typer.echo(error_line(N_("%(error)s (the file changed during the import)"), error=exc), err=True)
            raise typer.Exit(2) from None
        except SpoolBusy as exc:
            typer.echo(error_line(N_("%(error)s; try again when that import has ended"),
                                  error=spool_busy_message(exc, terminal_language())), err=True)
            raise typer.Exit(2) from None
        except TimeoutError:
            typer.echo(error_line(N_("the database did not take the readings in time; they wait in %(spool)s and "
                                     "the next import stores them"), spool=st.data_dir / SPOOL), err=True)
            raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if done["isolated"]:
        typer.echo(say(N_("%(count)s readings of %(path)s in %(records)s records stored, %(isolated)s records set "
                          "aside (see the raw archive)"), count=n, path=path, records=done["envelopes"],
                       isolated=done["isolated"]))
    else:
        typer.echo(say(N_("%(count)s readings of %(path)s in %(records)s records stored"), count=n, path=path,
                       records=done["envelopes"]))


def bench_power(seed: int = typer.Option(15, help="seed of the simulated fleet"),
                honest: int = typer.Option(40, min=0, help="honest enterprises (a half under an obeyed order)"),
                violating: int = typer.Option(40, min=0, help="enterprises with injected violations"),
                days: int = typer.Option(7, min=2, help="days simulated per enterprise (+1 under an order)"),
                as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                live: bool = typer.Option(False, "--live", help="also time the live engine on a real database: "
                                          "delay from the violating minute to the alarm row, readings/s"),
                db: str | None = typer.Option(None, "--db", help="an EMPTY database for --live (default: a new "
                                              "SQLite file), e.g. postgresql+psycopg://user@host/power_bench"),
                live_enterprises: int = typer.Option(200, min=1, help="--live: enterprises of 5 meters each"),
                dwell: int = typer.Option(3, min=1, help="--live: start dwell in one-minute samples"),
                dwell_off: int = typer.Option(2, min=1, help="--live: stop dwell in one-minute samples (and the "
                                              "minutes of PWR-TREAT-OFF)"),
                steps: int = typer.Option(12, min=6, help="--live: minutes run after the history")) -> None:
    """Precision and recall per code on injected violations, findings per clean enterprise-day, detection delay
    and readings/s of the electricity rules; with ``--live`` the engine on a database too."""
    # imported here, not with the module: the live bench pulls in the web service (FastAPI, SQLAlchemy) and
    # the simulated fleet asyncio, which every other command (``ecosentry detect``) would pay for at start-up
    from ecosentry.subsystems.power.bench import run_bench
    from ecosentry.subsystems.power.engine.bench import run_live_bench

    res = run_bench(seed, honest, violating, days).summary()
    if live:
        res["live"] = run_live_bench(db, enterprises=live_enterprises, dwell=dwell, dwell_off=dwell_off,
                                     steps=steps, seed=seed).summary()
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    from ecosentry.terminal.code_table import code_table
    from ecosentry.terminal.messages import say

    typer.echo(say(N_("%(enterprises)s enterprises, %(readings)s meter-minutes in %(seconds)s s: %(rate)s readings/s; "
                      "honest: %(honest)s findings per enterprise-day over %(days)s enterprise-days"),
                   enterprises=res["enterprises"], readings=f"{res['readings']:,}", seconds=res["seconds"],
                   rate=f"{res['readings_per_s']:,}", honest=res["honest_findings_per_enterprise_day"],
                   days=f"{res['honest_enterprise_days']:g}"))
    fmt = lambda v: "-" if v is None else f"{v:g}"  # noqa: E731
    typer.echo("\n".join(code_table(res["codes"], code_width=28, more=((N_("delay med/max min"), 18),),
                                     more_cells=lambda r: (fmt(r["delay_median_min"]) + "/" + fmt(r["delay_max_min"]),))))
    if live:
        v = res["live"]
        typer.echo(say(N_("live engine on %(db)s: %(meters)s meters, %(passes)s passes of one minute's readings, pass "
                          "%(median)s s median / %(max)s s max, %(rate)s readings/s through the rules (window "
                          "%(window)s min), %(new)s new readings/s"),
                       db=v["db"], meters=v["meters"], passes=v["passes"], median=v["pass_s_median"],
                       max=v["pass_s_max"], rate=f"{v['readings_per_s_through_rules']:,}", window=v["window_minutes"],
                       new=f"{v['new_readings_per_s']:,}"))
        typer.echo(say(N_("detection delay (end of the first violating minute → alarm row), dwell %(on)s on / %(off)s "
                          "off, pass every %(every)s s (worst phase): median %(median)s s, max %(max)s s (%(on_time)s/"
                          "%(violations)s alarms, %(false)s false)"),
                       on=v["dwell"], off=v["dwell_off"], every=f"{v['every_seconds']:g}", median=v["delay_s_median"],
                       max=v["delay_s_max"], on_time=v["alarms_on_time"], violations=v["violations"],
                       false=v["false_alarms"]))


@app.command("mqtt-auth")
def mqtt_auth(password_file: Path = typer.Option(..., help="Mosquitto's password_file to write"),
              acl_file: Path = typer.Option(..., help="Mosquitto's acl_file to write")) -> None:
    """Write the broker's password file and ACL from power_devices: each MQTT device may publish only on its own
    topic, the platform's subscriber (power.mqtt.username/password) reads them all. Reload the broker after
    (SIGHUP)."""
    from ecosentry.terminal.messages import error_line, say

    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.power.gateways.mosquitto_auth import write_broker_auth

    st = get_settings()
    try:
        files = write_broker_auth(make_engine(st.database_url), st.power.mqtt, password_file, acl_file)
    except (ValueError, OSError) as exc:
        typer.echo(error_line(exc if isinstance(exc, Said) else Said(str(exc))), err=True)
        raise typer.Exit(2) from None
    for mn, why in files.skipped:
        typer.echo(say(N_("%(mn)s: left out (%(why)s)"), mn=mn, why=Said(why)), err=True)
    typer.echo(say(N_("%(count)s devices written to %(passwords)s and %(acl)s; reload the broker (SIGHUP)"),
                   count=files.devices, passwords=password_file, acl=acl_file), err=True)


@app.command("mqtt-secret")
def mqtt_secret(mn: str = typer.Argument(..., help="the device's MN (its MQTT user name)"),
                password: str | None = typer.Option(None, help="the password to set (default: a new random one, "
                                                               "printed once)")) -> None:
    """Set an MQTT device's password: only its hash is stored (power_devices.mqtt_secret_hash); write the broker's
    files after (ecosentry power mqtt-auth)."""
    from ecosentry.terminal.messages import error_line

    import secrets

    from sqlalchemy import update

    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.power.gateways.mosquitto_auth import hash_password
    from ecosentry.subsystems.power.schema import power_devices

    secret = password or secrets.token_urlsafe(18)
    with make_engine(get_settings().database_url).begin() as conn:
        n = conn.execute(update(power_devices).where(power_devices.c.mn == mn)
                         .values(mqtt_secret_hash=hash_password(secret))).rowcount
    if not n:
        typer.echo(error_line(N_("no power device with MN %(mn)s"), mn=mn), err=True)
        raise typer.Exit(2)
    if password is None:
        typer.echo(secret)


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``power`` to the core's ``bench`` group and the ``power`` group."""
    groups["bench"].command("power")(bench_power)
    app_.add_typer(app, name="power")
