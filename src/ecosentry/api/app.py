"""The FastAPI application: REST API under /api/v1 (OpenAPI at /docs) and the web pages, the core's and those of
every installed subsystem.

Middleware, outermost first: the session (signed cookie, Starlette ``SessionMiddleware`` with itsdangerous;
``SameSite=Lax``, ``Secure`` when ``access.session_cookie_secure``), then the API rate limits
(:mod:`ecosentry.auth.ratelimit`), which need the decoded session to count per user, then the CSRF check of
API writes made with the session cookie (:mod:`ecosentry.auth.csrf`).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from ecosentry import __version__
from ecosentry.alarms.channels.live import LiveHub
from ecosentry.api.routes import alarms, alerts, audit, auth, disposal, enterprises, live, system
from ecosentry.auth.csrf import CsrfMiddleware
from ecosentry.auth.ratelimit import RateLimitMiddleware
from ecosentry.auth.sessions import session_secret
from ecosentry.installed import each
from ecosentry.settings import Settings, get_settings
from ecosentry.web.pages import mount_web

#: Name of the session cookie.
SESSION_COOKIE = "ecosentry_session"


def create_app(engine: Engine, service=None, settings: Settings | None = None) -> FastAPI:
    """The application on ``engine``; settings from ``settings``, else the service's, else the process's one
    settings object (:func:`ecosentry.settings.get_settings`)."""
    app = FastAPI(title="ecosentry", version=__version__,
                  description="Pollution-source supervision: HJ 212 data, registry, derived values.")
    app.state.engine = engine
    app.state.service = service
    app.state.settings = settings or (service.settings if service is not None else get_settings())
    st = app.state.settings
    # added first = inner: the CSRF check and the rate limiter run inside the session middleware and see the session
    app.add_middleware(CsrfMiddleware, prefix="/api/", trusted_origins=[st.alarms.base_url or ""])
    app.add_middleware(RateLimitMiddleware, default=st.access.rate_limit_default,
                       anonymous=st.access.rate_limit_anonymous)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(st), session_cookie=SESSION_COOKIE,
                       max_age=st.access.session_max_age, same_site="lax",
                       https_only=st.access.session_cookie_secure)
    app.include_router(auth.router)
    app.include_router(enterprises.router)
    app.include_router(audit.router)
    app.include_router(system.router)
    # the live stream first: /api/v1/alarms/stream must not be read as /api/v1/alarms/{alarm_id}
    app.state.live_hub = getattr(service, "live_hub", None) or LiveHub()
    app.include_router(live.router)
    app.include_router(alarms.router)
    app.include_router(alerts.router)
    app.include_router(disposal.router)
    for _, router in each("api_routers"):  # the installed subsystems' routes (Subsystem.api_routers)
        app.include_router(router)
    mount_web(app)
    _document(app)
    return app


#: How a request authenticates (:func:`ecosentry.auth.deps.current_principal`), as OpenAPI security schemes.
SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "an API key (es_…), made on the account page or "
                                                                  "with POST /api/v1/auth/api-keys"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "the same API key"},
    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                "description": "the web session after POST /api/v1/auth/login (writes also need the CSRF header)"},
}


def _uses(dependant, call) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def _api_routes(routes, prefix: str = ""):
    """``(path, route)`` of every API route, included routers walked (FastAPI keeps them wrapped)."""
    from fastapi.routing import APIRoute

    for r in routes:
        if hasattr(r, "original_router"):
            yield from _api_routes(r.original_router.routes, prefix + (r.include_context.prefix or ""))
        elif isinstance(r, APIRoute):
            yield prefix + r.path_format, r


def _document(app: FastAPI) -> None:
    """Two things the OpenAPI document says beyond FastAPI's own (issue 19 item 7):

    * its security schemes, and on every operation that reads the principal which of them it takes; ``{}`` among
      them because an anonymous request is the public's (it sees what is published, 401 where it may not);
    * what a 422 holds: FastAPI's list of field errors when a parameter does not parse, or one sentence when the
      value parses but is refused (``end_day must not be before start_day``, a time that is not ISO 8601): the
      routes' ``HTTPException(422, sentence)``. Documented as only the list before, every such answer broke the
      API's own schema (found by schemathesis).
    """
    from ecosentry.auth.deps import current_principal

    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {})
            error = components.get("schemas", {}).get("HTTPValidationError")
            if error is not None:
                fields = dict(error["properties"]["detail"])
                fields.pop("title", None)
                error["properties"]["detail"] = {"title": "Detail", "anyOf": [
                    fields, {"type": "string", "description": "why a value that parses is refused"}]}
            components["securitySchemes"] = SECURITY_SCHEMES
            for path, route in _api_routes(app.routes):
                if _uses(route.dependant, current_principal):
                    for method in route.methods:
                        op = schema["paths"].get(path, {}).get(method.lower())
                        if op is not None:
                            op["security"] = [{name: []} for name in SECURITY_SCHEMES] + [{}]
        return app.openapi_schema

    app.openapi = openapi
