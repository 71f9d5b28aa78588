"""The parameter mapping page ``/vn/mapping`` (issue 14 item 3; subsystems.md §7 req. 34).

A Vietnamese station names its parameters and units in its own words. The lines the platform could not turn
into a factor are counted per station, name and unit by the vn-file sink (``vn_unmapped``); here a DONRE
officer (regulator or admin) maps each to a canonical factor, with the unit conversion it needs (a fixed
factor, ppm → mg/Nm³ at the reference state of the station's QCVN, an absolute pressure → static pressure,
actual → normal conditions; :mod:`ecosentry.subsystems.monitoring.rules.vn.units`), or marks it as not a
factor. Each change is written to the audit log (entity ``point``) in its transaction, and the vn-file sink
reads the next file with it (:meth:`~ecosentry.subsystems.monitoring.vn.sink.VnFileSink.mapper`). Facility
accounts see their own stations' names and rules, read-only.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.subsystems.monitoring.queries import vn_mapping as queries
from ecosentry.subsystems.monitoring.store import vn as vn_store
from ecosentry.subsystems.monitoring.vn.mapping import MappingError, ParameterMapper, Unresolved, plan_rule
from ecosentry.store.registry import PointInfo
from ecosentry.web.forms import FormError, check_csrf, denied_page, error_text, gate, see_other, work_render

__all__ = ["router", "EDITORS", "CONVERSION_CHOICES"]

router = APIRouter(include_in_schema=False)

#: Roles that may change a station's mapping (the DONRE's officers); the others read.
EDITORS = ("admin", "regulator")
#: Conversions offered on the form, in this order ("" = the unit conversion found).
CONVERSION_CHOICES = ("", "gauge", "normal", "ignore")


def _gate(request: Request):
    principal, denied = gate(request, "data.read")
    if denied is None and principal.role == "public":
        denied = denied_page(request, "The parameter mapping is shown to logged-in users.")
    return principal, denied


def _mapper(engine, settings) -> ParameterMapper:
    return ParameterMapper.load(engine, getattr(settings, "vn", None))


def _info(st: dict) -> PointInfo:
    return PointInfo(st["id"], st["mn"], "", st["tz"], True, st["medium"], 5)


def _context(request: Request, principal, point: str, show: str) -> dict:
    engine = request.app.state.engine
    settings = getattr(request.app.state, "settings", None)
    with engine.connect() as conn:
        stations = queries.vn_stations(conn, principal.point_clause(queries._p.c.id))
        by_id = {st["id"]: st for st in stations}
        chosen = [int(point)] if point.isdigit() and int(point) in by_id else list(by_id)
        unmapped = queries.unmapped_rows(conn, chosen)
        rules = queries.station_rules(conn, chosen)
        factors = queries.factor_choices(conn)
    mapper = _mapper(engine, settings)
    rows = []
    for u in unmapped:
        st = by_id[u["point_id"]]
        res = mapper.resolve(_info(st), u["raw_name"], u["raw_unit"])
        u["now"] = res  # how the next line of this name and unit is read
        u["open"] = isinstance(res, Unresolved) and res.reason != "ignored"
        if show == "all" or u["open"]:
            rows.append(u)
    units_by_code = {f["code"]: f["unit"] for fs in factors.values() for f in fs}
    names_by_code = {f["code"]: f for fs in factors.values() for f in fs}
    return {"stations": stations, "by_id": by_id, "point": point, "show": show, "rows": rows,
            "n_open": sum(1 for u in unmapped if u["open"]), "rules": rules, "factors": factors,
            "factor_units": units_by_code, "factor_by_code": names_by_code, "conversions": CONVERSION_CHOICES,
            "editor": principal.role in EDITORS,
            "references": {sid: mapper.reference(sid) for sid in by_id},
            "ambient_kpa": mapper.ambient_kpa}


@router.get("/vn/mapping", response_class=HTMLResponse)
def mapping_page(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    point = request.query_params.get("point") or ""
    show = "all" if request.query_params.get("show") == "all" else "open"
    ctx = _context(request, principal, point, show)
    ctx.update(error=None, done=request.query_params.get("done") or "")
    return work_render(request, "vn_mapping.html", ctx)


async def _form(request: Request):
    principal, denied = _gate(request)
    if denied:
        return principal, None, denied
    if principal.role not in EDITORS:
        return principal, None, denied_page(request, "Only the DONRE's officers change a station's mapping.")
    form = await request.form()
    bad = check_csrf(request, form)
    return principal, form, bad


def _station_in_scope(request: Request, principal, point_id: str) -> dict:
    if not point_id.isdigit() or not principal.sees_point(int(point_id)):
        raise FormError("choose one of your stations", "point_id")
    with request.app.state.engine.connect() as conn:
        st = queries.station(conn, int(point_id))
    if st is None:
        raise FormError("choose one of your stations", "point_id")
    return st


def _failed(request: Request, principal, point: str, exc: Exception):
    ctx = _context(request, principal, point, "open")
    ctx.update(error=error_text(request, exc), done="")
    return work_render(request, "vn_mapping.html", ctx, status_code=422)


@router.post("/vn/mapping", response_class=HTMLResponse)
async def map_parameter(request: Request):
    """Create or replace one station rule (audited: ``vn_map_parameter``)."""
    principal, form, stop = await _form(request)
    if stop:
        return stop
    values = {k: str(form.get(k) or "") for k in ("point_id", "raw_name", "raw_unit", "factor_code", "conversion")}
    engine = request.app.state.engine
    try:
        st = _station_in_scope(request, principal, values["point_id"])
        factor = values["factor_code"].strip()
        with engine.connect() as conn:
            known = {f["code"]: f for fs in queries.factor_choices(conn).values() for f in fs}
        if factor and factor not in known:
            raise FormError("unknown factor %(code)s", "factor_code", code=factor)
        reference = _mapper(engine, getattr(request.app.state, "settings", None)).reference(st["id"])
        row = plan_rule(st["id"], values["raw_name"], values["raw_unit"], factor or None,
                        known[factor]["unit"] if factor else None, values["conversion"] or None, reference,
                        actor=principal.username, now=datetime.now(timezone.utc))
        vn_store.set_mapping(engine, row, actor=principal.username)
    except vn_store.MappingTooLong as exc:
        if exc.field in ("raw_name", "name_key"):
            limit_exc = FormError("the name in the file has %(length)d characters; at most %(limit)d are kept",
                                  "raw_name", length=exc.length, limit=exc.limit)
        elif exc.field in ("raw_unit", "unit_key"):
            limit_exc = FormError("the unit has %(length)d characters; at most %(limit)d are kept", "raw_unit",
                                  length=exc.length, limit=exc.limit)
        else:
            limit_exc = FormError("%(what)s has %(length)d characters; at most %(limit)d are kept", exc.field,
                                  what=exc.field, length=exc.length, limit=exc.limit)
        return _failed(request, principal, values["point_id"], limit_exc)
    except (FormError, MappingError) as exc:
        return _failed(request, principal, values["point_id"], exc)
    return see_other("/vn/mapping", point=st["id"], done=row.raw_name)


@router.post("/vn/mapping/delete", response_class=HTMLResponse)
async def unmap_parameter(request: Request):
    """Remove one station rule (audited: ``vn_unmap_parameter``): the name is read by default again."""
    principal, form, stop = await _form(request)
    if stop:
        return stop
    values = {k: str(form.get(k) or "") for k in ("point_id", "name_key", "unit_key")}
    try:
        st = _station_in_scope(request, principal, values["point_id"])
    except FormError as exc:
        return _failed(request, principal, values["point_id"], exc)
    vn_store.delete_mapping(request.app.state.engine, st["id"], values["name_key"], values["unit_key"],
                            actor=principal.username)
    return see_other("/vn/mapping", point=st["id"])


