"""``ecosentry user add | passwd | list | apikey | unlock``: accounts from the command line.

Passwords are asked for at the prompt (hidden, twice) unless given with ``--password`` (scripts, demos).
The database is ``ECOSENTRY_DATABASE_URL``. Every change is written to the audit log with the actor
``cli``. What the commands print (results, tables, refusals: ``error: …`` and exit code 2) is said in the
terminal's language (:mod:`ecosentry.terminal.messages`); the API key itself is printed alone on the last line.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ecosentry.said import N_
from ecosentry.terminal.messages import fail, say


def get_settings():
    """The one settings object, imported when a command needs it (not when the command line is assembled:
    ``ecosentry detect`` and the other offline commands read no settings)."""
    from ecosentry.settings import get_settings as _get_settings

    return _get_settings()


app = typer.Typer(help="User accounts: add, set passwords, list, API keys, unlock.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

#: Actor recorded in the audit log for changes made here.
CLI_ACTOR = "cli"

#: The columns of ``user list`` and ``user apikey --list`` and the account states (msgids).
USER_COLUMNS = (N_("user"), N_("role"), N_("scope"), N_("name"), N_("password"), N_("state"))
KEY_COLUMNS = (N_("id"), N_("name"), N_("prefix"), N_("created at"), N_("last used at"), N_("revoked at"))
ACCOUNT_STATES = {"active": N_("active"), "locked": N_("locked"), "disabled": N_("disabled")}
REPEAT_PROMPT = N_("Repeat for confirmation")


def _engine():
    from ecosentry.service import prepare_database

    return prepare_database(get_settings().database_url)


def _prompt(msgid: str) -> str:
    """A password asked at the prompt, hidden, twice; the prompts in the terminal's language."""
    return typer.prompt(say(msgid), hide_input=True, confirmation_prompt=say(REPEAT_PROMPT))


def _user_id(engine, username: str) -> int:
    from ecosentry.auth.accounts import get_user

    user = get_user(engine, username=username)
    if user is None:
        fail(N_("no user %(name)r"), name=username)
    return user["id"]


def _enterprise_id(engine, credit_code: str | None) -> int | None:
    if not credit_code:
        return None
    from sqlalchemy import select

    from ecosentry.store import schema as s

    with engine.connect() as conn:
        ent = conn.execute(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == credit_code)).scalar()
    if ent is None:
        fail(N_("no enterprise with credit code %(code)r"), code=credit_code)
    return ent


def _point_ids(engine, mns: list[str]) -> list[int] | None:
    if not mns:
        return None
    from sqlalchemy import select

    from ecosentry.store import schema as s

    with engine.connect() as conn:
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(mns))).all())
    missing = [m for m in mns if m not in ids]
    if missing:
        fail(N_("no point with MN %(mns)s"), mns=", ".join(missing))
    return [ids[m] for m in mns]


@app.command("add")
def user_add(username: str = typer.Argument(..., help="login name"),
             role: str = typer.Option(..., help="admin | regulator | enterprise | om | park | public"),
             region: str | None = typer.Option(None, help="regulators: GB/T 2260 code of their area"),
             enterprise: str | None = typer.Option(None, help="enterprise accounts: credit code"),
             park: str | None = typer.Option(None, help="park committees: park code"),
             point: list[str] = typer.Option([], "--point", help="O&M: MN of a maintained point (repeatable)"),
             display_name: str | None = typer.Option(None, "--name", help="name shown in the UI"),
             organisation: str | None = typer.Option(None, help="authority or company"),
             locale: str | None = typer.Option(None, help="zh | vi | en"),
             password: str | None = typer.Option(None, help="password (default: asked at the prompt)"),
             no_password: bool = typer.Option(False, "--no-password", help="API keys only, no login")) -> None:
    """Create an account."""
    from ecosentry.auth.accounts import AccountError, create_user
    from ecosentry.auth.passwords import PasswordError

    engine = _engine()
    if password is None and not no_password:
        password = _prompt(N_("password"))
    try:
        user_id = create_user(engine, username=username, role=role, password=password, actor=CLI_ACTOR,
                              point_ids=_point_ids(engine, point), display_name=display_name, region_code=region,
                              enterprise_id=_enterprise_id(engine, enterprise), park_code=park,
                              organisation=organisation, locale=locale)
    except (AccountError, PasswordError) as exc:
        fail(exc)
    console.print(say(N_("created user %(name)s (%(role)s), id %(id)s"), name=username, role=role, id=user_id),
                  highlight=False)


@app.command("passwd")
def user_passwd(username: str = typer.Argument(...),
                password: str | None = typer.Option(None, help="new password (default: asked at the prompt)")) -> None:
    """Set a new password (also unlocks the account)."""
    from ecosentry.auth.accounts import set_password
    from ecosentry.auth.passwords import PasswordError

    engine = _engine()
    user_id = _user_id(engine, username)
    if password is None:
        password = _prompt(N_("new password"))
    try:
        set_password(engine, user_id, password, actor=CLI_ACTOR)
    except PasswordError as exc:
        fail(exc)
    console.print(say(N_("password of %(name)s set"), name=username), highlight=False)


@app.command("unlock")
def user_unlock(username: str = typer.Argument(...)) -> None:
    """Lift a lock-out after failed logins."""
    from ecosentry.auth.accounts import unlock

    engine = _engine()
    unlock(engine, _user_id(engine, username), actor=CLI_ACTOR)
    console.print(say(N_("%(name)s unlocked"), name=username), highlight=False)


@app.command("list")
def user_list() -> None:
    """Every account with its role, scope and state."""
    from ecosentry.auth.accounts import list_users

    table = Table(*(say(h) for h in USER_COLUMNS))
    for u in list_users(_engine()):
        scope = u["region_code"] or (say(N_("enterprise %(id)s"), id=u["enterprise_id"]) if u["enterprise_id"]
                                     else "") \
            or (say(N_("park %(code)s"), code=u["park_code"]) if u["park_code"] else "")
        state = ACCOUNT_STATES["disabled" if not u["active"] else ("locked" if u["locked_until"] else "active")]
        table.add_row(u["username"], u["role"], scope, u["display_name"] or "",
                      say(N_("yes") if u["has_password"] else N_("no")), say(state))
    console.print(table)


@app.command("apikey")
def user_apikey(username: str = typer.Argument(...),
                name: str = typer.Option("cli", help="what the key is for"),
                rate_limit: int | None = typer.Option(None, help="own limit per minute (default: the settings')"),
                revoke: int | None = typer.Option(None, help="revoke the key with this id instead"),
                list_keys: bool = typer.Option(False, "--list", help="list the user's keys instead")) -> None:
    """Create an API key (printed once), or list or revoke the user's keys."""
    from ecosentry.auth.apikeys import ApiKeyError, create_api_key, list_api_keys, revoke_api_key

    engine = _engine()
    user_id = _user_id(engine, username)
    try:
        if list_keys:
            table = Table(*(say(h) for h in KEY_COLUMNS))
            for k in list_api_keys(engine, user_id):
                table.add_row(str(k["id"]), k["name"], k["prefix"] + "…", str(k["created_at"])[:19],
                              str(k["last_used_at"] or "")[:19], str(k["revoked_at"] or "")[:19])
            console.print(table)
            return
        if revoke is not None:
            keys = {k["id"] for k in list_api_keys(engine, user_id)}
            if revoke not in keys:
                fail(N_("%(name)s has no API key with id %(id)s"), name=username, id=revoke)
            revoke_api_key(engine, revoke, actor=CLI_ACTOR)
            console.print(say(N_("API key %(id)s revoked"), id=revoke), highlight=False)
            return
        key, record = create_api_key(engine, user_id, name, actor=CLI_ACTOR, rate_limit_per_minute=rate_limit)
    except ApiKeyError as exc:
        fail(exc)
    console.print(say(N_("API key %(id)s for %(name)s (shown once; send as 'Authorization: Bearer …'):"),
                      id=record["id"], name=username), highlight=False, markup=False, soft_wrap=True)
    print(key)
