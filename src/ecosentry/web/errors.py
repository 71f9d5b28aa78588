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
default) when it is answered as JSON; ``str()`` of it stays English for the logs. A request FastAPI refuses
before the route runs (422: a missing field, ``id=abc``, a string too long …) keeps FastAPI's JSON shape
(``detail``: a list of ``loc``, ``type``, ``msg``, ``input``, ``ctx``) with each ``msg`` said in that language
from the error's ``type`` (:mod:`ecosentry.validation_words`; a type it does not know keeps pydantic's English).

A number in the request too large for the database's column (``/api/v1/points/76504715792``: PostgreSQL's
``integer out of range``, SQLite's ``Python int too large to convert to SQLite INTEGER``) is the request's fault,
not the server's: it is answered as a malformed request (422, FastAPI's validation-error shape, or the error page),
never 500 (found by schemathesis, issue 19). Any other database error stays a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ecosentry.said import Said
from ecosentry.validation_words import invalid_value
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
    """A page address with a malformed id or parameter (``/points/abc``): the error page, not JSON. As JSON:
    FastAPI's shape, each ``msg`` said in the reader's language (:func:`said_errors`)."""
    if wants_page(request):
        try:
            return error_page(request, 422)
        except StarletteHTTPException:
            pass
    return await request_validation_exception_handler(request, RequestValidationError(
        said_errors(exc.errors(), reader_gettext(request)), body=exc.body))


def said_errors(errors: Sequence[dict], gettext: Callable[[str], str]) -> list[dict]:
    """pydantic's errors with each ``msg`` said from its ``type`` (:func:`ecosentry.validation_words.invalid_value`);
    a type without a sentence keeps pydantic's English ``msg``."""
    out = []
    for error in errors:
        said = invalid_value(error)
        out.append(error if said is None else {**error, "msg": said.say(gettext)})
    return out


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
    error = {"type": "out_of_range", "loc": ["request"], "input": None, "msg": str(invalid_value({"type": "out_of_range"}))}
    return await _invalid_request(request, RequestValidationError([error]))


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
