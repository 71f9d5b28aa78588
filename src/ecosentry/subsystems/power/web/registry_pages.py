"""The electricity registry of one enterprise, to read and edit: ``/power/enterprises/{id}/registry`` (its
devices, meters, lines, equipment and linkage), the forms ``…/registry/{table}/new`` and
``…/registry/{table}/{row}``, and ``…/linkage`` (add, change the grace of, or remove a pair).

Who may edit (:data:`ecosentry.auth.principal.PERMISSIONS`):

* devices, meters, lines and equipment: ``registry.edit`` (administrators), as the core registry: they carry
  the credentials and the identity of what is measured;
* the linkage: ``limits.edit`` (administrators and the regulators of the enterprise's region). Which treatment
  must run whenever which production runs is the yardstick the enterprise is judged by, like an emission
  limit: the regulator who enforces it checks it on site and must be able to correct it at once, and an
  enterprise may not edit its own (it could unlink a facility it switched off). Every change is audited.

The checks and the audit are :mod:`ecosentry.subsystems.power.store.registry_edit`; a refused value comes back
in the form beside its field (422), said in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.said import N_
from ecosentry.store.registry_edit import RegistryEditError
from ecosentry.subsystems.power.queries.registry import (devices_of, enterprise_head, enterprise_settings,
                                                         enterprise_zone,
                                                         equipment_of, linkage_of, lines_of, meters_of, row_of)
from ecosentry.subsystems.power.registry import ROLES, TREATMENT_KINDS
from ecosentry.subsystems.power.store import registry_edit as edit
from ecosentry.subsystems.power.store.enterprise_settings import save_enterprise_settings
from ecosentry.subsystems.power.web.enterprise_view import words
from ecosentry.web.forms import check_csrf, error_text, gate, not_found, see_other, work_render

router = APIRouter(include_in_schema=False)

#: Form fields per table: (name, label msgid, kind, required). Kinds: text, number, bool, choice:<tuple>,
#: ref:<table> (a row of the enterprise).
FORMS = {
    "devices": (("mn", N_("MN / client id"), "text", True), ("transport", N_("Transport"), "choice", True),
                ("tz", N_("Time zone"), "text", False), ("password", N_("HJ 212 password (empty = unchanged)"),
                                                         "secret", False),
                ("active", N_("Active"), "bool", False)),
    "meters": (("code", N_("Meter code"), "text", True), ("device_id", N_("Acquisition device"), "ref", False),
               ("channel", N_("Channel (as the device names it, e.g. SB1)"), "text", False),
               ("meter_no", N_("Serial number"), "text", False), ("ct_ratio", N_("CT ratio (e.g. 200/5)"), "text",
                                                                   False),
               ("phases", N_("Phases"), "choice", True), ("rated_kw", N_("Rated power (kW)"), "number", False)),
    "lines": (("code", N_("Line code"), "text", True), ("name", N_("Name"), "text", True)),
    "equipment": (("code", N_("Equipment code"), "text", True), ("name", N_("Name"), "text", True),
                  ("role", N_("Role"), "choice", True), ("kind", N_("Treatment kind"), "choice", False),
                  ("line_id", N_("Production line"), "ref", False), ("meter_id", N_("Meter"), "ref", False),
                  ("rated_kw", N_("Rated power (kW)"), "number", False),
                  ("normal_kw", N_("Normal load (kW)"), "number", False),
                  ("safety_load", N_("Safety load (保安用电, not named by stop orders)"), "bool", False)),
}
TITLES = {"devices": N_("Devices"), "meters": N_("Meters"), "lines": N_("Production lines"),
          "equipment": N_("Equipment")}
SAVE = {"devices": edit.save_device, "meters": edit.save_meter, "lines": edit.save_line,
        "equipment": edit.save_equipment}
CHOICES = {"transport": edit.TRANSPORTS, "phases": ("3", "1"), "role": ROLES, "kind": TREATMENT_KINDS}


def _may_see(principal) -> bool:
    return principal.may("registry.edit") or principal.may("limits.edit")


def _enterprise(request: Request, principal, enterprise_id: int) -> dict | None:
    if not principal.sees_enterprise(enterprise_id):
        return None
    with request.app.state.engine.connect() as conn:
        return enterprise_head(conn, enterprise_id)


def _registry(request: Request, enterprise_id: int) -> dict:
    with request.app.state.engine.connect() as conn:
        return {"devices": devices_of(conn, enterprise_id), "meters": meters_of(conn, enterprise_id),
                "lines": lines_of(conn, enterprise_id), "equipment": equipment_of(conn, enterprise_id),
                "linkage": linkage_of(conn, enterprise_id),
                "settings": enterprise_settings(conn, [enterprise_id])[enterprise_id],
                "tz": enterprise_zone(conn, enterprise_id)}


def _options(reg: dict, ref_field: str) -> list[tuple[str, str]]:
    if ref_field == "device_id":
        return [(str(d["id"]), d["mn"]) for d in reg["devices"]]
    if ref_field == "line_id":
        return [(str(x["id"]), f'{x["code"]} {x["name"]}') for x in reg["lines"]]
    if ref_field == "meter_id":
        return [(str(m["id"]), m["code"] + (f' ({m["channel"]})' if m["channel"] else "")) for m in reg["meters"]]
    return []


def _values(row: dict | None) -> dict[str, str]:
    out = {}
    for k, v in (row or {}).items():
        out[k] = "1" if v is True else "" if v in (None, False) else (f"{v:g}" if isinstance(v, float) else str(v))
    return out


def _registry_page(request: Request, principal, ent: dict, *, error: RegistryEditError | None = None,
                   values: dict | None = None, done: str | None = None):
    reg = _registry(request, ent["id"])
    settings = reg["settings"]
    typed = values if values is not None and "unmetered_kw" in values else None
    return work_render(request, "power_registry.html", {
        "ent": ent, "reg": reg, "titles": TITLES, "w": words(), "done": done, "v": values or {},
        "settings": settings, "sv": typed or {"unmetered_kw": f"{settings['unmetered_kw']:g}",
                                              "schedule": settings["schedule"]},
        "error": error_text(request, error) if error else None, "error_field": error.field if error else None,
        "may_edit": principal.may("registry.edit"), "may_link": principal.may("limits.edit")},
        status_code=422 if error else 200)


def _form_page(request: Request, ent: dict, slug: str, row_id: int | None, values: dict,
               error: RegistryEditError | None = None):
    reg = _registry(request, ent["id"])
    fields = FORMS[slug]
    options = {name: _options(reg, name) for name, _, kind, _ in fields if kind == "ref"}
    return work_render(request, "power_form.html", {
        "ent": ent, "slug": slug, "title": TITLES[slug], "fields": fields,
        "labels": {name: label for name, label, _, _ in fields}, "row_id": row_id, "v": values,
        "options": options, "choices": CHOICES, "w": words(),
        "error": error_text(request, error) if error else None, "error_field": error.field if error else None},
        status_code=422 if error else 200)


@router.get("/power/enterprises/{enterprise_id}/registry", response_class=HTMLResponse)
def registry_page(request: Request, enterprise_id: int, done: str | None = None):
    principal, denied = gate(request)
    if denied:
        return denied
    if not _may_see(principal):
        return gate(request, "registry.edit")[1]
    ent = _enterprise(request, principal, enterprise_id)
    if ent is None:
        return not_found(request, f"no enterprise {enterprise_id} in scope")
    return _registry_page(request, principal, ent, done=done)


def _row_gate(request: Request, enterprise_id: int, slug: str):
    principal, denied = gate(request, "registry.edit")
    if denied:
        return principal, None, denied
    ent = _enterprise(request, principal, enterprise_id) if slug in FORMS else None
    if ent is None:
        return principal, None, not_found(request, f"no {slug} of enterprise {enterprise_id}")
    return principal, ent, None


@router.get("/power/enterprises/{enterprise_id}/registry/{slug}/new", response_class=HTMLResponse)
def new_row(request: Request, enterprise_id: int, slug: str):
    principal, ent, denied = _row_gate(request, enterprise_id, slug)
    if denied:
        return denied
    defaults = {"devices": {"transport": "hj212", "tz": "Asia/Shanghai", "active": "1"},
                "meters": {"phases": "3", "ct_ratio": "1"}, "equipment": {"role": "production"}}
    return _form_page(request, ent, slug, None, defaults.get(slug, {}))


@router.get("/power/enterprises/{enterprise_id}/registry/{slug}/{row_id}", response_class=HTMLResponse)
def edit_row(request: Request, enterprise_id: int, slug: str, row_id: int):
    principal, ent, denied = _row_gate(request, enterprise_id, slug)
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        row = row_of(conn, slug, row_id)
    if row is None or row["enterprise_id"] != enterprise_id:
        return not_found(request, f"no {slug} {row_id}")
    return _form_page(request, ent, slug, row_id, _values(row))


@router.post("/power/enterprises/{enterprise_id}/registry/{slug}/{target}", response_class=HTMLResponse)
async def save_row(request: Request, enterprise_id: int, slug: str, target: str):
    principal, ent, denied = _row_gate(request, enterprise_id, slug)
    if denied:
        return denied
    form = await request.form()
    bad = check_csrf(request, form)
    if bad:
        return bad
    row_id = None
    if target != "new":
        with request.app.state.engine.connect() as conn:
            row = row_of(conn, slug, int(target)) if target.isdigit() else None
        if row is None or row["enterprise_id"] != enterprise_id:
            return not_found(request, f"no {slug} {target}")
        row_id = int(target)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        SAVE[slug](request.app.state.engine, enterprise_id, row_id, values, principal.username)
    except RegistryEditError as exc:
        return _form_page(request, ent, slug, row_id, values, exc)
    return see_other(f"/power/enterprises/{enterprise_id}/registry", done="saved")


async def _enterprise_form(request: Request, enterprise_id: int, permission: str):
    """(principal, enterprise, form, None) for a POST on an enterprise in scope by a principal who may
    ``permission`` with a good CSRF token; else the answer (login/403, 404, 403) as the last item."""
    principal, denied = gate(request, permission)
    if denied:
        return principal, None, None, denied
    ent = _enterprise(request, principal, enterprise_id)
    if ent is None:
        return principal, None, None, not_found(request, f"no enterprise {enterprise_id} in scope")
    form = await request.form()
    bad = check_csrf(request, form)
    return principal, ent, form, bad


@router.post("/power/enterprises/{enterprise_id}/linkage", response_class=HTMLResponse)
async def save_linkage(request: Request, enterprise_id: int):
    principal, ent, form, denied = await _enterprise_form(request, enterprise_id, "limits.edit")
    if denied:
        return denied
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    engine = request.app.state.engine
    try:
        if values.get("action") == "delete":
            edit.delete_linkage(engine, enterprise_id, int(values.get("treatment_id") or 0),
                                int(values.get("production_id") or 0), principal.username)
            return see_other(f"/power/enterprises/{enterprise_id}/registry", done="removed")
        edit.save_linkage(engine, enterprise_id, values, principal.username)
    except RegistryEditError as exc:
        return _registry_page(request, principal, ent, error=exc, values=values)
    except ValueError:
        return not_found(request, "bad linkage pair")
    return see_other(f"/power/enterprises/{enterprise_id}/registry", done="saved")


@router.post("/power/enterprises/{enterprise_id}/settings", response_class=HTMLResponse)
async def save_settings(request: Request, enterprise_id: int):
    """The enterprise's unmetered load and declared schedule (``registry.edit``; audited)."""
    principal, ent, form, denied = await _enterprise_form(request, enterprise_id, "registry.edit")
    if denied:
        return denied
    values = {k: v[:4000] for k, v in form.items() if isinstance(v, str) and k in ("unmetered_kw", "schedule")}
    try:
        save_enterprise_settings(request.app.state.engine, enterprise_id, values, principal.username or "")
    except RegistryEditError as exc:
        return _registry_page(request, principal, ent, error=exc, values=values)
    return see_other(f"/power/enterprises/{enterprise_id}/registry", done="saved")
