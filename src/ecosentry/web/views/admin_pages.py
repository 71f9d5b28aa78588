"""Registry administration (administrators): lists and edit forms for regions, enterprises, outlets, points,
factors, limits and users, plus unlocking an account after failed logins.

The checks and the audit are :mod:`ecosentry.store.registry_edit`; a refused value comes back in the form
beside its field (422). Accounts are read with the same form rules and written by
:mod:`ecosentry.auth.accounts` (create, update, O&M points, an optional new password). Users need
``users.manage``, every other table ``registry.edit``. After a point changes, the running service's point
directory is reloaded so the gateway sees a new MN or password at once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from ecosentry.auth import accounts
from ecosentry.auth.passwords import PasswordError
from ecosentry.said import Said
from ecosentry.store import registry_edit as edit
from ecosentry.store.queries.sites import reference_names, row_count
from ecosentry.store.registry_edit import ENTITIES, RegistryEditError
from ecosentry.web.forms import check_csrf, error_text, gate, not_found, see_other, work_render
from ecosentry.web.listing import ListQuery

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: URL slug → entity name.
SLUGS = {"regions": "region", "enterprises": "enterprise", "outlets": "outlet", "points": "point",
         "point-factors": "point_factor", "factors": "factor", "limits": "limit", "users": "user"}


def _action(entity: str) -> str:
    return "users.manage" if entity == "user" else "registry.edit"


def ref_options(conn: Connection, ref: str) -> list[tuple[str, str]]:
    """(value, label) choices of a reference field, for the form's select."""
    return list(reference_names(conn, ref).items())


def _form_values(row: dict | None) -> dict[str, str]:
    """A row as the strings a form shows."""
    out: dict[str, str] = {}
    for k, v in (row or {}).items():
        if isinstance(v, datetime):  # a time of the row (联网时间 …) in its own zone, as the form takes it
            out[k] = v.astimezone(ZoneInfo((row or {}).get("tz") or "Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(v, list):
            out[k] = "\n".join(v)
        elif isinstance(v, bool):
            out[k] = "1" if v else ""
        else:
            out[k] = "" if v is None else str(v)
    return out


def _form_page(request: Request, slug: str, key: str | None, values: dict, row: dict | None,
               error: RegistryEditError | None = None, done: str | None = None):
    entity = ENTITIES[SLUGS[slug]]
    engine = request.app.state.engine
    with engine.connect() as conn:
        options = {f.name: ref_options(conn, f.ref) for f in entity.fields if f.kind == "ref"}
    return work_render(request, "admin_form.html", {
        "slug": slug, "entity": entity, "key": key, "v": values, "row": row, "options": options,
        "error": error_text(request, error) if error else None, "error_field": error.field if error else None,
        "done": done,
    }, status_code=422 if error else 200)


def _gate(request: Request, slug: str):
    if slug not in SLUGS:
        return None, not_found(request, Said("Unknown registry table %(slug)r.", slug=slug))
    return gate(request, _action(SLUGS[slug]))


@router.get("/admin", response_class=HTMLResponse)
def admin_index(request: Request):
    principal, denied = gate(request, "registry.edit")
    if denied:
        return denied
    engine = request.app.state.engine
    with engine.connect() as conn:
        counts = {slug: row_count(conn, ENTITIES[name].table) for slug, name in SLUGS.items()}
    return work_render(request, "admin_index.html", {"counts": counts})


@router.get("/admin/{slug}", response_class=HTMLResponse)
def admin_list(request: Request, slug: str):
    principal, denied = _gate(request, slug)
    if denied:
        return denied
    entity = ENTITIES[SLUGS[slug]]
    lq = ListQuery.from_request(request, sorts=tuple(entity.list_columns), default_sort=entity.key,
                                per_page=PAGE_SIZE)
    engine = request.app.state.engine
    rows, total = edit.list_rows(engine, entity.name, search=lq.q or None,
                                 offset=lq.offset, limit=PAGE_SIZE, sort=lq.sort, desc=lq.desc)
    with engine.connect() as conn:   # the references the page shows, by their names
        labels = {f.name: reference_names(conn, f.ref, [r[f.name] for r in rows]) for f in entity.fields
                  if f.kind == "ref" and f.ref and f.name in entity.list_columns}
    return work_render(request, "admin_list.html", {
        "slug": slug, "entity": entity, "rows": rows, "total": total, "q": lq.q, "lq": lq, "labels": labels})


@router.get("/admin/{slug}/new", response_class=HTMLResponse)
def admin_new(request: Request, slug: str):
    principal, denied = _gate(request, slug)
    if denied:
        return denied
    defaults = {"region": {"country": "CN", "level": "county"}, "point": {"tz": "Asia/Shanghai", "min_interval": "1",
                "rtd_interval": "30", "active": "1"}, "user": {"active": "1"}, "point_factor": {"assessed": "1"}}
    return _form_page(request, slug, None, defaults.get(SLUGS[slug], {}), None)


@router.post("/admin/{slug}/new", response_class=HTMLResponse)
async def admin_create(request: Request, slug: str):
    principal, denied = _gate(request, slug)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        if slug == "users":
            key = _create_user(request.app.state.engine, values, principal.username)
        else:
            key = edit.create(request.app.state.engine, SLUGS[slug], values, principal.username)
    except RegistryEditError as exc:
        return _form_page(request, slug, None, values, None, exc)
    _after_change(request, slug)
    return see_other(f"/admin/{slug}/{key}", done="created")


@router.get("/admin/{slug}/{key}", response_class=HTMLResponse)
def admin_edit(request: Request, slug: str, key: str):
    principal, denied = _gate(request, slug)
    if denied:
        return denied
    try:
        row = edit.get_row(request.app.state.engine, SLUGS[slug], key)
    except RegistryEditError:
        row = None
    if row is None:
        return not_found(request, Said("Nothing with the key %(key)s in this table.", key=key))
    return _form_page(request, slug, key, _form_values(row), row, done=request.query_params.get("done"))


@router.post("/admin/{slug}/{key}", response_class=HTMLResponse)
async def admin_update(request: Request, slug: str, key: str):
    principal, denied = _gate(request, slug)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    engine = request.app.state.engine
    try:
        row = edit.get_row(engine, SLUGS[slug], key)
    except RegistryEditError:
        row = None
    if row is None:
        return not_found(request, Said("Nothing with the key %(key)s in this table.", key=key))
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        if slug == "users":
            _update_user(engine, int(row["id"]), values, principal.username)
        else:
            edit.update(engine, SLUGS[slug], key, values, principal.username)
    except RegistryEditError as exc:
        kept = {f.name for f in ENTITIES[SLUGS[slug]].fields if f.create_only}
        shown = {k: v for k, v in _form_values(row).items() if k in kept}
        return _form_page(request, slug, key, {**values, **shown}, row, exc)
    _after_change(request, slug)
    return see_other(f"/admin/{slug}/{key}", done="saved")


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
async def admin_unlock(request: Request, user_id: int):
    principal, denied = gate(request, "users.manage")
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    try:
        edit.reset_lockout(request.app.state.engine, user_id, principal.username)
    except RegistryEditError as exc:
        return not_found(request, str(exc))
    return see_other(f"/admin/users/{user_id}", done="unlocked")


def _account_call(fn, *args, **kwargs):
    """Run an :mod:`ecosentry.auth.accounts` function; its refusals become form errors."""
    try:
        return fn(*args, **kwargs)
    except PasswordError as exc:
        raise RegistryEditError(exc.msgid, "new_password", **exc.params) from None
    except accounts.AccountError as exc:
        raise RegistryEditError(exc.msgid, **exc.params) from None


def _create_user(engine, raw: dict, actor: str) -> int:
    values = edit.read_form(engine, "user", raw)
    maintained = values.pop("maintained_points", None) or []  # the form always has the field
    point_ids = maintained if values["role"] == "om" else []
    username, role = values.pop("username"), values.pop("role")
    return _account_call(accounts.create_user, engine, username=username, role=role,
                         password=(raw.get("new_password") or None), actor=actor, point_ids=point_ids, **values)


def _update_user(engine, user_id: int, raw: dict, actor: str) -> None:
    before = edit.get_row(engine, "user", user_id)
    values = edit.read_form(engine, "user", raw, user_id)
    maintained = values.pop("maintained_points", None) or []  # the form always has the field
    point_ids = maintained if values["role"] == "om" else []
    _account_call(accounts.update_user, engine, user_id, values, actor)
    if point_ids or before["maintained_points"]:  # only O&M accounts have points; do not audit a no-op
        _account_call(accounts.set_maintained_points, engine, user_id, point_ids, actor)
    if raw.get("new_password"):
        _account_call(accounts.set_password, engine, user_id, raw["new_password"], actor)


def _after_change(request: Request, slug: str) -> None:
    """A changed point (MN, password, active) must reach the running gateway at once."""
    if slug != "points":
        return
    directory = getattr(getattr(request.app.state, "service", None), "directory", None)
    if directory is not None:
        directory.reload()
