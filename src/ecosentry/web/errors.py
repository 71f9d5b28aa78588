"""Error answers of the pages: one place decides how a refusal looks on an HTML page.

An ``HTTPException`` raised while serving a page (a route declared with ``response_class=HTMLResponse``, or a
path that matches no route and is not under ``/api/``) is answered with the error page in the user's language
(``work_denied.html`` in the base layout), never with the API's JSON. Everything else (the REST API, the
JSON helpers of the pages such as ``/map/markers.json``) keeps FastAPI's JSON answer.

The page says only the status's general sentence: an object outside the account's scope and one that does not
exist both answer 404 (:func:`ecosentry.web.views.site_state.require_point` and friends), with the same page,
so ids cannot be probed from the pages either (docs/access.md).

A refusal whose ``detail`` is a :class:`~ecosentry.said.Said` (the scope guards' ``no point with id 7``, a
store's ``MarkError``, ``start must be before end``) is said in the reader's language
(:func:`ecosentry.web.i18n.reader_gettext`: ``?lang=``, cookie, the account's locale, ``Accept-Language``, the
default) when it is answered as JSON; ``str()`` of it stays English for the logs.

A number in the request too large for the database's column (``/api/v1/points/76504715792``: PostgreSQL's
``integer out of range``, SQLite's ``Python int too large to convert to SQLite INTEGER``) is the request's fault,
not the server's: it is answered as a malformed request (422, FastAPI's validation-error shape, or the error page),
never 500 (found by schemathesis, issue 19). Any other database error stays a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ecosentry.said import Said
from ecosentry.web.forms import work_render
from ecosentry.web.i18n import reader_gettext

__all__ = ["wants_page", "error_page", "install_error_pages"]

#: Paths whose errors always stay JSON (the API, and the packaged static files).
JSON_PREFIXES = ("/api/", "/static/", "/vendor/", "/docs", "/redoc", "/openapi")


def wants_page(request: Request) -> bool:
    """True when the request is for an HTML page (so a refusal must be a page too)."""
    path = request.url.path
    if path.startswith(JSON_PREFIXES) or path.endswith((".json", ".csv", ".pdf", ".xlsx", ".js", ".css")):
        return False
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return route.response_class is HTMLResponse or getattr(route.response_class, "value", None) is HTMLResponse
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status_code: int, headers: dict | None = None) -> Response:
    """The error page of ``status_code`` (404 and 403 have their own sentence; others a general one)."""
    response = work_render(request, "work_denied.html", {"status": status_code, "message": None},
                           status_code=status_code)
    for k, v in (headers or {}).items():
        response.headers.setdefault(k, v)
    return response


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code >= 400 and exc.status_code != 401 and wants_page(request):
        try:
            return error_page(request, exc.status_code, getattr(exc, "headers", None))
        except StarletteHTTPException:  # the principal itself cannot be resolved (a bad API key): JSON
            pass
    if isinstance(exc.detail, Said):
        exc = StarletteHTTPException(exc.status_code, exc.detail.say(reader_gettext(request)),
                                     headers=getattr(exc, "headers", None))
    return await http_exception_handler(request, exc)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """A page address with a malformed id or parameter (``/points/abc``): the error page, not JSON."""
    if wants_page(request):
        try:
            return error_page(request, 422)
        except StarletteHTTPException:
            pass
    return await request_validation_exception_handler(request, exc)


#: SQLSTATE of PostgreSQL's "numeric value out of range" (an int beyond the column's type).
NUMERIC_VALUE_OUT_OF_RANGE = "22003"


def number_out_of_range(exc: BaseException) -> bool:
    """True when ``exc`` is the database refusing a number too large for its column."""
    if isinstance(exc, OverflowError):
        return "too large to convert to SQLite INTEGER" in str(exc)
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == NUMERIC_VALUE_OUT_OF_RANGE


async def _out_of_range(request: Request, exc: Exception) -> Response:
    if not number_out_of_range(exc):
        raise exc  # a defect of ours: the server-error answer (500) and its log
    error = {"type": "out_of_range", "loc": ["request"], "input": None,
             "msg": "A number in the request is larger than the database stores."}
    return await _invalid_request(request, RequestValidationError([error]))


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
