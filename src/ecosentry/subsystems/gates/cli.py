"""The subsystem's commands, added by :func:`register`: ``ecosentry vehicles check`` (the inspectors' offline
check, :mod:`.offline`), ``ecosentry vehicles import-ledger`` / ``import-register`` / ``import-machinery`` (a ledger, vehicle or
non-road machinery register CSV into the database), ``ecosentry vehicles check-stored`` (one pass of the checks job),
``ecosentry vehicles snapshot`` (a camera's snapshot or reference view), ``ecosentry vehicles hold`` / ``release`` /
``holds`` (legal holds on an enterprise's records of a period) and ``ecosentry bench gate`` (the rules on
simulated enterprises, :mod:`.bench`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the command line is built without the subsystem's modules; a command imports them
    from ecosentry.subsystems.gates.settings import GatesSettings

from ecosentry.said import N_
from ecosentry.terminal.messages import error_line, say

app = typer.Typer(help="Gate, video and electronic ledger of cargo vehicles (门禁 + 视频 + 电子台账).",
                  no_args_is_help=True)


def _settings() -> GatesSettings:
    """The deployment's section ``gates`` when the subsystem is installed, else the documented defaults."""
    from ecosentry.subsystems.gates.settings import GatesSettings

    from ecosentry.settings import get_settings

    return getattr(get_settings(), "gates", None) or GatesSettings()


@app.command("check")
def check(passages: Path = typer.Option(..., help="P.csv: enterprise,gate,time,direction,plate,plate_colour,"
                                                  "confidence"),
          ledger: Path = typer.Option(..., help="L.csv: enterprise,time,direction,plate,vin,emission_stage,fuel,"
                                                "cargo,weight_t"),
          register: Path = typer.Option(..., help="R.csv: plate,plate_colour,vin,emission_stage,fuel,"
                                                  "registration_date"),
          enterprises: Path = typer.Option(..., help="E.csv: enterprise,grade,small_volume_exempt"),
          alerts: Path | None = typer.Option(None, help="A.csv: enterprise,level,start,end"),
          output: Path = typer.Option(..., help="findings, one JSON object a line"),
          seed: int | None = typer.Option(None, help="seed of the inspection's sampled windows and ledger rows "
                                                     "(default: gates.checks.inspection.seed)"),
          heartbeats: Path | None = typer.Option(None, help="H.csv: enterprise,gate,time (camera heartbeats: "
                                                            "camera offline / power cut)"),
          snapshots: Path | None = typer.Option(None, help="S.csv: enterprise,gate,time,snapshot,reference (picture "
                                                           "files: camera view changed)"),
          inspection: Path | None = typer.Option(None, help="write the inspection record (windows, matches, "
                                                            "mismatches, sampled rows) as JSON")) -> None:
    """Run every gate check over the files and write one JSON finding a line (exit 2 on bad input, naming the
    file, the line and the field)."""
    from ecosentry.subsystems.gates.check import check_dataset, inspection_record
    from ecosentry.subsystems.gates.offline import InputError, load_dataset
    from ecosentry.subsystems.gates.offline_camera import load_heartbeats, load_snapshots
    from ecosentry.subsystems.gates.rules.camera import CameraInputs

    settings = _settings()
    if seed is not None:
        settings = settings.model_copy(update={"checks": settings.checks.model_copy(update={
            "inspection": settings.checks.inspection.model_copy(update={"seed": seed})})})
    try:
        ds = load_dataset(passages, ledger, register, enterprises, alerts, settings.plate_colour_codes)
        cameras = None
        if heartbeats or snapshots:
            cameras = CameraInputs(load_heartbeats(heartbeats, ds.enterprises) if heartbeats else None,
                                   load_snapshots(snapshots, ds.enterprises) if snapshots else None)
    except InputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    findings = check_dataset(ds, settings, cameras)
    if inspection:
        with open(inspection, "w", encoding="utf-8") as out:
            json.dump([r.as_dict() for r in inspection_record(ds, settings)], out, ensure_ascii=False, indent=1)
    with open(output, "w", encoding="utf-8") as out:
        for f in findings:
            out.write(json.dumps(f.as_dict(), ensure_ascii=False) + "\n")
    typer.echo(say(N_("%(count)s findings in %(output)s"), count=len(findings), output=output), err=True)


@app.command("import-ledger")
def import_ledger(path: Path = typer.Argument(..., help="ledger CSV: enterprise (credit code),time,direction,plate,"
                                                       "vin,emission_stage,fuel,cargo,weight_t [,plate_colour,"
                                                       "engine_no,transport_company,purpose]"),
                  actor: str = typer.Option("import", help="who imports (kept on every row)")) -> None:
    """Import an electronic ledger CSV into the database (a row imported before takes the file's corrected values,
    an unchanged re-import changes nothing; exit 2 on a bad row, naming the file, the line and the field, nothing
    stored)."""
    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates.errors import GatesInputError
    from ecosentry.subsystems.gates.store.ledger import import_ledger_csv

    st = get_settings()
    engine = make_engine(st.database_url)
    try:
        read, new, corrected = import_ledger_csv(engine, path, actor=actor, upload=bool(st.gates.upload.url))
    except GatesInputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(say(N_("%(read)s ledger rows read, %(new)s new, %(corrected)s corrected"), read=read, new=new,
                   corrected=corrected))


@app.command("check-stored")
def check_stored(actor_locale: str = typer.Option("", "--locale", help="language of the alarms (zh, vi, en; "
                                                                     "default: the deployment's)"),
                 no_alarms: bool = typer.Option(False, "--no-alarms", help="store the findings, raise no alarm")
                 ) -> None:
    """One pass of the checks over the stored tables (what the service's job does every ``gates.job.every_seconds``):
    new passages and ledger rows per enterprise, heartbeats and snapshots; findings stored once, alarms raised."""
    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates.checks_job import CheckJob
    from ecosentry.subsystems.gates.pipeline.sink import picture_store

    st = get_settings()
    gates = st.gates.model_copy(update={"job": st.gates.job.model_copy(update={"alarms": not no_alarms})})
    engine = make_engine(st.database_url)
    try:
        report = CheckJob(engine, gates, pictures=picture_store(st),
                          locale=actor_locale or st.default_locale).pass_sync()
    finally:
        engine.dispose()
    typer.echo(json.dumps(report.counts()))


@app.command("snapshot")
def snapshot(picture: Path = typer.Argument(..., help="the snapshot (JPEG or PNG)"),
             camera: str = typer.Option(..., help="the camera's code"),
             enterprise: str = typer.Option(..., help="the enterprise's credit code"),
             time: str = typer.Option("", help="when it was taken (ISO 8601 with offset); "
                                               "--reference: the camera's reference view instead"),
             reference: bool = typer.Option(False, "--reference", help="register it as the reference view")) -> None:
    """Store a camera's snapshot (the checks job compares it with the reference view) or register its reference
    view (audited); exit 2 naming the problem."""
    from datetime import datetime

    from sqlalchemy import select

    from ecosentry.settings import get_settings
    from ecosentry.store import schema as s
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates import schema as gs
    from ecosentry.subsystems.gates.errors import GatesInputError
    from ecosentry.subsystems.gates.pipeline.sink import picture_store
    from ecosentry.subsystems.gates.store.snapshots import record_snapshot, set_reference

    st = get_settings()
    engine = make_engine(st.database_url)
    try:
        with engine.connect() as conn:
            cam = conn.scalar(select(gs.gates_cameras.c.id).join(s.enterprises,
                                                                  s.enterprises.c.id == gs.gates_cameras.c.enterprise_id)
                              .where(s.enterprises.c.credit_code == enterprise, gs.gates_cameras.c.code == camera))
        if cam is None:
            raise GatesInputError("", "camera", N_("camera %(id)s is not registered"), id=camera)
        data = picture.read_bytes()
        limit = st.gates.pictures.max_bytes
        if reference:
            digest = set_reference(engine, picture_store(st), cam, data, "cli", limit)
            typer.echo(say(N_("reference view %(digest)s"), digest=digest))
            return
        try:
            at = datetime.fromisoformat(time)
        except ValueError:
            raise GatesInputError("", "time", N_("%(text)r is not a time (ISO 8601 with offset)"),
                                  text=time) from None
        stored = record_snapshot(engine, picture_store(st), cam, at, data, limit)
        typer.echo(say(N_("snapshot stored") if stored else N_("snapshot already stored")))
    except GatesInputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _hold_time(text: str, name: str):
    from datetime import datetime

    from ecosentry.subsystems.gates.errors import GatesInputError

    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise GatesInputError("", name, N_("%(text)r is not a time (ISO 8601 with offset)"), text=text) from None
    if at.tzinfo is None:
        raise GatesInputError("", name, N_("a time needs its offset"))
    return at


@app.command("hold")
def hold(enterprise: str = typer.Option(..., help="the enterprise's credit code"),
         start: str = typer.Option(..., help="the first record time held (ISO 8601 with offset)"),
         end: str = typer.Option(..., help="the last record time held (ISO 8601 with offset)"),
         reason: str = typer.Option(..., help="the inspection or case the records are held for"),
         case_ref: str = typer.Option("", "--case", help="the case's or inspection's reference (文书号)"),
         actor: str = typer.Option("cli", help="who places the hold (the audit log's actor)")) -> None:
    """Place a legal hold: the retention job deletes none of the enterprise's ledger rows, passages, pictures,
    snapshots and heartbeats of the period until it is released (audited); prints the hold's id; exit 2 naming the
    problem."""
    from ecosentry.subsystems.gates.store.holds import place_hold

    def act(engine, conn):
        from sqlalchemy import select

        from ecosentry.store import schema as s
        from ecosentry.subsystems.gates.errors import GatesInputError

        ent = conn.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == enterprise))
        if ent is None:
            raise GatesInputError("", "enterprise", N_("enterprise %(id)s does not exist"), id=enterprise)
        hold_id = place_hold(engine, ent, _hold_time(start, "start"), _hold_time(end, "end"), reason=reason,
                             case_ref=case_ref or None, actor=actor)
        typer.echo(say(N_("hold %(id)s placed"), id=hold_id))
    _with_engine(act)


@app.command("release")
def release(hold_id: int = typer.Argument(..., help="the hold's id (ecosentry vehicles holds)"),
            reason: str = typer.Option("", help="why it is released (the case closed, the inspection over)"),
            actor: str = typer.Option("cli", help="who releases it (the audit log's actor)")) -> None:
    """Release a legal hold (audited): the next retention pass deletes what is due; exit 2 naming the problem."""
    from ecosentry.subsystems.gates.store.holds import release_hold

    def act(engine, _conn):
        release_hold(engine, hold_id, actor=actor, reason=reason)
        typer.echo(say(N_("hold %(id)s released"), id=hold_id))
    _with_engine(act)


@app.command("holds")
def holds(all_: bool = typer.Option(False, "--all", help="released holds too")) -> None:
    """List the legal holds (standing ones by default): id, enterprise, period, reason, who placed it."""
    from ecosentry.subsystems.gates.store.holds import list_holds

    def act(_engine, conn):
        for h in list_holds(conn, standing=not all_):
            state = say(N_("in force")) if h["released_at"] is None else \
                say(N_("released %(at)s"), at=h["released_at"].isoformat())
            typer.echo(f"{h['id']}\t{h['credit_code']}\t{h['enterprise_name']}\t{h['start'].isoformat()}\t"
                       f"{h['end'].isoformat()}\t{h['case_ref'] or ''}\t{h['reason']}\t{h['placed_by']}\t{state}")
    _with_engine(act)


def _with_engine(act) -> None:
    """Run ``act(engine, connection)`` on the deployment's database; a :class:`GatesInputError` is said on stderr
    in the terminal's language (else the deployment's), exit 2."""
    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates.errors import GatesInputError

    st = get_settings()
    engine = make_engine(st.database_url)
    try:
        with engine.connect() as conn:
            act(engine, conn)
    except GatesInputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


@app.command("import-register")
def import_register(path: Path = typer.Argument(..., help="vehicle register CSV: plate,plate_colour,vin,"
                                                         "emission_stage,fuel,registration_date [,engine_no,"
                                                         "vehicle_type,owner,in_plant,list_picture,licence_picture]"),
                    enterprise: str = typer.Option(..., help="the enterprise's credit code")) -> None:
    """Import an enterprise's vehicle register CSV into the database (upserted by plate; exit 2 on a bad row,
    naming the file, the line and the field, nothing stored)."""
    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates.errors import GatesInputError
    from ecosentry.subsystems.gates.store.registry import import_register_csv

    st = get_settings()
    engine = make_engine(st.database_url)
    try:
        read, new = import_register_csv(engine, path, enterprise)
    except GatesInputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(say(N_("%(read)s vehicles read, %(new)s new"), read=read, new=new))


@app.command("import-machinery")
def import_machinery(path: Path = typer.Argument(..., help="non-road machinery register CSV: registration_code,"
                                                          "emission_stage [,production_date,machine_code,engine_no,"
                                                          "machine_type,fuel,nameplate_picture,label_picture]"),
                     enterprise: str = typer.Option(..., help="the enterprise's credit code")) -> None:
    """Import an enterprise's non-road mobile machinery register CSV (2020 guide table 5) into the database
    (upserted by registration code; exit 2 on a bad row, naming the file, the line and the field, nothing
    stored)."""

    from ecosentry.settings import get_settings
    from ecosentry.store.db import make_engine
    from ecosentry.subsystems.gates.errors import GatesInputError
    from ecosentry.subsystems.gates.store.registry import import_machinery_csv

    st = get_settings()
    engine = make_engine(st.database_url)
    try:
        read, new = import_machinery_csv(engine, path, enterprise)
    except GatesInputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(say(N_("%(read)s machines read, %(new)s new"), read=read, new=new))


def bench_gate(seed: int = typer.Option(16, help="seed of the simulated enterprises"),
               honest: int = typer.Option(30, min=0, help="honest enterprises"),
               violating: int = typer.Option(30, min=0, help="enterprises with injected violations"),
               days: int = typer.Option(14, min=2, help="days simulated per enterprise"),
               as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
               http: bool = typer.Option(False, "--http", help="measure the live path instead: plate events over "
                                                               "the HTTP push into the ledger of a running service, "
                                                               "and the time from a passage to its refusal"),
               passages: int = typer.Option(2000, min=1, help="--http: plate events to send"),
               enterprises: int = typer.Option(20, min=1, help="--http: enterprises (a gate and a device each)"),
               connections: int = typer.Option(16, min=1, help="--http: requests at once"),
               samples: int = typer.Option(20, min=1, help="--http: refused passages timed one at a time, to the "
                                                             "refusal and to the alarm"),
               watch_seconds: float = typer.Option(2.0, min=0, help="--http: the checks job's look for new "
                                                                    "passages (gates.job.watch_seconds)"),
               history_days: float = typer.Option(0, min=0, help="--http: days of earlier traffic per enterprise "
                                                                 "written first (what the checks job reads back)"),
               history_per_day: int = typer.Option(300, min=1, help="--http: passages a day of that traffic"),
               database_url: str | None = typer.Option(None, help="--http: a database to fill (default: SQLite in a "
                                                                  "temporary folder); it must be empty")) -> None:
    """Passages/s through every gate check and precision/recall per code on simulated enterprises with injected
    violations; with ``--http``, passages/s through the HTTP push to the ledger and the time from passage to
    refusal and to alarm on a running service."""
    from ecosentry.subsystems.gates.bench import run_bench

    if http:
        _bench_http(passages, enterprises, connections, samples, database_url, as_json, watch_seconds,
                    history_days, history_per_day)
        return
    res = run_bench(seed, honest, violating, days).summary()
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    typer.echo(say(N_("%(enterprises)s enterprises, %(passages)s passages, %(rows)s ledger rows in %(seconds)s s: "
                      "%(rate)s passages/s; honest: %(honest)s findings per clean enterprise-day"),
                   enterprises=res["enterprises"], passages=f"{res['passages']:,}", rows=f"{res['ledger_rows']:,}",
                   seconds=res["seconds"], rate=f"{res['passages_per_s']:,}",
                   honest=res["honest_findings_per_enterprise_day"]))
    if res["heartbeats"] or res["snapshots"]:
        typer.echo(say(N_("cameras: %(heartbeats)s heartbeats and %(snapshots)s snapshots in %(seconds)s s"),
                       heartbeats=f"{res['heartbeats']:,}", snapshots=f"{res['snapshots']:,}",
                       seconds=res["camera_seconds"]))
    from ecosentry.terminal.code_table import code_table

    typer.echo("\n".join(code_table(res["codes"], code_width=26)))


def _bench_http(passages: int, enterprises: int, connections: int, samples: int, database_url: str | None,
                as_json: bool, watch_seconds: float = 2.0, history_days: float = 0,
                history_per_day: int = 300) -> None:
    import asyncio

    from ecosentry.subsystems.gates.bench_http import run_http_bench

    res = asyncio.run(run_http_bench(enterprises=enterprises, passages=passages, connections=connections,
                                     samples=samples, database_url=database_url, watch_seconds=watch_seconds,
                                     history_days=history_days, history_per_day=history_per_day))
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    typer.echo(say(N_("%(passages)s plate events (%(enterprises)s enterprises, %(connections)s connections, "
                      "%(database)s): acknowledged durable at %(ack_rate)s/s (%(ack_seconds)s s); all %(stored)s "
                      "passages and %(rows)s ledger rows stored at %(stored_rate)s/s (%(stored_seconds)s s); "
                      "%(refused)s refused"),
                   passages=f"{res['passages']:,}", enterprises=res["enterprises"], connections=res["connections"],
                   database=res["database"], ack_rate=f"{res['ack_per_s']:,}", ack_seconds=res["ack_seconds"],
                   stored=f"{res['stored_passages']:,}", rows=f"{res['ledger_rows']:,}",
                   stored_rate=f"{res['stored_per_s']:,}", stored_seconds=res["stored_seconds"],
                   refused=res["refused"]))
    r, s = res["reply_ms"], res["refusal_stored_ms"]
    typer.echo(say(N_("passage to refusal at the gate: median %(median)s ms, p95 %(p95)s ms, max %(max)s ms; to the "
                      "refusal stored: median %(stored_median)s ms, p95 %(stored_p95)s ms, max %(stored_max)s ms "
                      "(%(samples)s samples)"),
                   median=r["median"], p95=r["p95"], max=r["max"], stored_median=s["median"], stored_p95=s["p95"],
                   stored_max=s["max"], samples=res["samples"]))
    a = res["alarm_ms"]
    typer.echo(say(N_("passage to alarm stored: median %(median)s ms, p95 %(p95)s ms, max %(max)s ms (checks job "
                      "looking every %(every)s s; its first full pass %(first)s s)"),
                   median=a["median"], p95=a["p95"], max=a["max"], every=res["watch_seconds"],
                   first=res["checks_first_pass_s"]))


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``gate`` to the core's ``bench`` group and the ``vehicles`` group."""
    groups["bench"].command("gate")(bench_gate)
    app_.add_typer(app, name="vehicles")
