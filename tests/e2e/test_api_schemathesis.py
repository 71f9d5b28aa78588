"""Schemathesis against the running API (issue 19 item 7): the service on PostgreSQL with its web port open, its
OpenAPI document read from ``/openapi.json``, and every operation called with generated inputs as an
authenticated regulator of the city (an API key). No answer may be a 5xx, and every answer must match the schema
it documents (status, content type, body).

The example count per operation is bounded for CI (``EXAMPLES``, times ``ECOSENTRY_FUZZ_SCALE``); a longer run
against any running server is the ``schemathesis`` command of docs/testing.md.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from ecosentry.auth.accounts import create_user
from ecosentry.auth.apikeys import create_api_key
from ecosentry.fleet import import_fleet
from ecosentry.protocols.hj212 import parse_frame
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from fuzzkit import SCALE
from helpers import FLEET, GAS_MN, Logger, minute_frame
from pgdb import make_pg_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1800)]

EXAMPLES = 5
#: Operations that never end by design: the live alarm stream (Server-Sent Events) is tested in tests/alarms.
ENDLESS = {"GET /api/v1/alarms/stream"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


class LiveService:
    """The service running on its own event loop in a thread, so schemathesis' synchronous client can call it."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.loop = settings, asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="api-under-test")
        self.thread.start()
        self.svc = Service(settings)
        self.run(self.svc.start(web=True))

    def run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.run(self.svc.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


async def _some_data(port: int) -> None:
    """An hour of minute data, so that the point's series, periods and reports have something to show."""
    lg = await Logger.connect(port)
    t0 = datetime(2026, 11, 22, 9, 0)
    for i in range(60):
        await lg.send(minute_frame(GAS_MN, t0 + timedelta(minutes=i), {"a21026": 10.0 + i % 7}))
        assert parse_frame(await lg.reply()).cn == "9014"
    await lg.close()


@pytest.fixture(scope="module")
def live_api(pg_server, pg_migrated_template, tmp_path_factory):
    url, drop = make_pg_database(pg_server, template=pg_migrated_template)
    engine = prepare_database(url)
    import_fleet(engine, FLEET)
    user_id = create_user(engine, username="regulator", role="regulator", region_code="320500", actor="test")
    key, record = create_api_key(engine, user_id, "schemathesis")
    engine.dispose()
    st = Settings(database_url=url, data_dir=tmp_path_factory.mktemp("api-state"), hj212_host="127.0.0.1",
                  hj212_port=0, http_host="127.0.0.1", http_port=0,
                  access={"rate_limit_default": "1000000/minute", "rate_limit_anonymous": "1000000/minute"})
    live = LiveService(st)
    try:
        live.run(_some_data(live.svc.hj212_port))
        live.run(live.svc.drain())
        live.headers, live.key_id = {"Authorization": f"Bearer {key}"}, record["id"]
        yield live
    finally:
        live.stop()
        drop()


def _fuzz(operation, mode: GenerationMode, examples: int, live: LiveService) -> list[str]:
    """Call ``operation`` with ``examples`` generated cases; the failures, one line each (the first per kind)."""
    failures: dict[str, str] = {}

    @settings(max_examples=examples, deadline=None, derandomize=SCALE == 1, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if case.path_parameters and case.path_parameters.get("key_id") == live.key_id:
            case.path_parameters["key_id"] = live.key_id + 10_000  # not the key this run authenticates with
        try:
            case.call_and_validate(headers=live.headers, checks=CHECKS, timeout=60)
        except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup: each failure and the curl line to reproduce it
            text = "\n".join([str(exc)] + [str(e) for e in getattr(exc, "exceptions", ())]).strip()
            kinds = "; ".join(sorted({type(e).__name__ for e in getattr(exc, "exceptions", [exc])}))
            failures.setdefault(kinds, f"{operation.label} [{mode.value}] {kinds}:\n{text[:1500]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        assert mode is GenerationMode.NEGATIVE, operation.label
    return list(failures.values())


def test_every_operation_as_a_regulator(live_api):
    schema = schemathesis.openapi.from_url(f"{live_api.svc.url.rstrip('/')}/openapi.json")
    failures, took = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in ENDLESS:
            continue
        t0 = time.monotonic()
        failures += _fuzz(operation, GenerationMode.POSITIVE, EXAMPLES * SCALE, live_api)
        failures += _fuzz(operation, GenerationMode.NEGATIVE, EXAMPLES * SCALE // 2, live_api)
        took[operation.label] = time.monotonic() - t0
    print("slowest operations:", ", ".join(f"{k} {v:.1f} s" for k, v in sorted(took.items(), key=lambda kv: -kv[1])[:8]))
    assert len(took) >= 59
    assert not failures, "\n\n".join(failures)
