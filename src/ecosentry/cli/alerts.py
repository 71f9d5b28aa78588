"""``ecosentry alerts issue | list | lift``: heavy-pollution weather alerts from the command line (an emergency
office's script, a notice entered after hours).

Times without an offset are local time of the deployment (``ECOSENTRY_DEFAULT_TZ``). Every change is written
to the audit log with the actor ``cli`` (or ``--actor``). A bad input (unknown level or region, an end before
the start, an over-long field, an alert that is already lifted) ends with one sentence (``error: …``) and exit
code 2, and changes nothing. What the commands print is said in the terminal's language
(:mod:`ecosentry.terminal.messages`, the alert pages' words for levels, states and columns); ``--json`` keeps
the codes (``in_force``, ``red``) for scripts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from ecosentry.said import N_, Said
from ecosentry.terminal.messages import fail, say

app = typer.Typer(help="Heavy-pollution weather alerts: issue, list, lift.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

#: Actor recorded in the audit log for changes made here.
CLI_ACTOR = "cli"

#: The alert pages' words (web/templates/alert_macros.html, alerts.html) for levels, states and columns.
LEVEL_NAMES = {"yellow": N_("Yellow alert"), "orange": N_("Orange alert"), "red": N_("Red alert")}
STATUS_NAMES = {"scheduled": N_("Scheduled"), "in_force": N_("In force"), "ended": N_("Ended"),
                "lifted": N_("Lifted"), "cancelled": N_("Called off")}
LIST_NAMES = {"in_force": N_("In force"), "scheduled": N_("Scheduled"), "past": N_("Past"), "all": N_("all")}
FIELD_NAMES = {"region_code": N_("Region"), "level": N_("Level"), "starts_at": N_("Start"),
               "ends_at": N_("Planned end"), "lifted_at": N_("Lifted at"), "issued_by": N_("Issuing authority"),
               "document": N_("Document number"), "note": N_("Note"), "at": N_("Effective from")}
COLUMNS = (N_("id"), N_("Region"), N_("Level"), N_("State"), N_("Start"), N_("End"), N_("Issuing authority"),
           N_("Document number"))


def _settings():
    from ecosentry.settings import get_settings

    return get_settings()


def _engine():
    from ecosentry.service import prepare_database

    return prepare_database(_settings().database_url)


def _time(value: str | None, name: str, tz: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        fail(N_("--%(name)s: %(text)r is not a date and time (YYYY-MM-DDTHH:MM, optionally with its offset)"),
             name=name, text=value)
    return (t if t.tzinfo else t.replace(tzinfo=ZoneInfo(tz))).astimezone(timezone.utc)


def _write(tz: str, fn, *args, **kwargs):
    """``fn`` of the alert store; a refusal said in the terminal's language, its times local in ``tz`` (the
    times the operator typed are read there too)."""
    from ecosentry.store.pollution_alerts import AlertError

    zone = ZoneInfo(tz)

    def local(t: datetime) -> str:
        return f"{t.astimezone(zone):%Y-%m-%d %H:%M}"

    try:
        return fn(*args, **kwargs)
    except AlertError as exc:
        if exc.field:
            fail(N_("%(field)s: %(problem)s"), times=local,
                 field=Said(FIELD_NAMES[exc.field]) if exc.field in FIELD_NAMES else exc.field, problem=exc)
        fail(exc, times=local)


def _level(level: str) -> Said | str:
    """An alert level as the alert pages name it (an unknown one as given)."""
    return Said(LEVEL_NAMES[level]) if level in LEVEL_NAMES else level


@app.command("issue")
def issue(region: str = typer.Option(..., "--region", help="region code (GB/T 2260); its subtree is covered"),
          level: str = typer.Option(..., "--level", help="yellow | orange | red"),
          start: str = typer.Option(..., "--start", help="when the measures apply (local time or with offset)"),
          end: str | None = typer.Option(None, "--end", help="planned end; none = until lifted"),
          issued_by: str = typer.Option(..., "--issued-by", help="issuing authority (应急指挥部)"),
          document: str | None = typer.Option(None, "--document", help="the notice's number (文号)"),
          note: str | None = typer.Option(None, "--note"),
          actor: str = typer.Option(CLI_ACTOR, "--actor", help="who is recorded in the audit log")) -> None:
    """Issue an alert for a region (and every region below it)."""
    from ecosentry.store import pollution_alerts as writes

    tz = _settings().default_tz
    starts, ends = _time(start, "start", tz), _time(end, "end", tz)
    engine = _engine()
    alert_id = _write(tz, writes.issue, engine, region_code=region, level=level, starts_at=starts, ends_at=ends,
                      issued_by=issued_by, document=document, note=note, actor=actor)
    start_local = starts.astimezone(ZoneInfo(tz))
    console.print(say(N_("alert %(id)s issued: %(level)s for %(region)s from %(start)s"), id=alert_id,
                      level=_level(level), region=region, start=f"{start_local:%Y-%m-%d %H:%M}"),
                  highlight=False, soft_wrap=True)


@app.command("lift")
def lift(alert_id: int = typer.Option(..., "--id", help="the alert's number"),
         at: str | None = typer.Option(None, "--at", help="when it was lifted (default now)"),
         note: str | None = typer.Option(None, "--note", help="the lifting notice's number or reason"),
         actor: str = typer.Option(CLI_ACTOR, "--actor")) -> None:
    """Lift (解除) an alert now or at a past time; a scheduled alert lifted before it begins is called off."""
    from ecosentry.store import pollution_alerts as writes

    engine = _engine()
    tz = _settings().default_tz
    row = _write(tz, writes.lift, engine, alert_id, at=_time(at, "at", tz), note=note, actor=actor)
    lifted = row["lifted_at"].astimezone(ZoneInfo(_settings().default_tz))
    console.print(say(N_("alert %(id)s lifted at %(at)s"), id=alert_id, at=f"{lifted:%Y-%m-%d %H:%M}"),
                  highlight=False, soft_wrap=True)


@app.command("list")
def list_alerts(state: str = typer.Option("in_force", "--state", help="in_force | scheduled | past | all"),
                region: str | None = typer.Option(None, "--region", help="only those issued for this region"),
                as_json: bool = typer.Option(False, "--json", help="one JSON object per alert")) -> None:
    """The alerts in force now (or scheduled, past, all), with their region, level, period and issuer."""
    from ecosentry.store.queries.pollution_alerts import alert_list, status

    if state not in ("in_force", "scheduled", "past", "all"):
        fail(N_("--state must be in_force, scheduled, past or all, not %(value)r"), value=state)
    tz = ZoneInfo(_settings().default_tz)
    now = datetime.now(timezone.utc)
    with _engine().connect() as conn:
        rows, _ = alert_list(conn, None, when=None if state == "all" else state, at=now, region=region,
                             limit=10_000)
    local = lambda t: t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t else None  # noqa: E731
    if as_json:
        for r in rows:
            print(json.dumps({"id": r["id"], "region_code": r["region_code"], "region_name": r["region_name"],
                              "level": r["level"], "status": status(r, now), "starts_at": local(r["starts_at"]),
                              "ends_at": local(r["ends_at"]), "lifted_at": local(r["lifted_at"]),
                              "issued_by": r["issued_by"], "document": r["document"]}, ensure_ascii=False))
        return
    table = Table(title=say(N_("heavy-pollution alerts (%(state)s, %(n)s)"), state=Said(LIST_NAMES[state]),
                            n=len(rows)))
    for col in COLUMNS:
        table.add_column(say(col), overflow="fold")
    for r in rows:
        s = status(r, now)
        table.add_row(str(r["id"]), f"{r['region_name']} ({r['region_code']})", say(_level(r["level"])),
                      say(Said(STATUS_NAMES[s])) if s in STATUS_NAMES else s,
                      local(r["starts_at"]), local(r["lifted_at"] or r["ends_at"]) or "—", r["issued_by"],
                      r["document"] or "—")
    console.print(table)
