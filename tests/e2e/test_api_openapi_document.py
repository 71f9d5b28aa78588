"""What the OpenAPI document says beyond FastAPI's own (issue 19 item 7): its security schemes, on every operation
that reads the caller's account; the sentence a 422 may hold; the report downloads' file types. Each was a
schemathesis finding (tests/e2e/test_api_schemathesis.py) or the issue's request."""

from __future__ import annotations

from ecosentry.api.app import SECURITY_SCHEMES, create_app
from ecosentry.service import prepare_database


def test_the_document_declares_security_refusals_and_downloads(tmp_path):
    engine = prepare_database(f"sqlite:///{tmp_path}/api.sqlite")
    doc = create_app(engine).openapi()
    engine.dispose()
    assert doc["components"]["securitySchemes"] == SECURITY_SCHEMES
    ops = {(m.upper(), p): op for p, d in doc["paths"].items() for m, op in d.items()}
    anonymous = {k for k, op in ops.items() if "security" not in op}
    # the O&M devices (door controllers, station-room cameras) push with their own id and secret, not an account's
    devices = {("POST", "/api/v1/om/doors/events"), ("POST", "/api/v1/om/cameras/snapshots"),
               ("POST", "/api/v1/om/cameras/heartbeat")}
    assert anonymous == {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/stats"),
                         ("GET", "/api/v1/alarm-types")} | devices
    assert ops[("GET", "/api/v1/points")]["security"][:3] == [{"apiKey": []}, {"apiKeyHeader": []}, {"session": []}]
    detail = doc["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}} in detail["anyOf"]
    assert any(alt.get("type") == "string" for alt in detail["anyOf"])
    for path in ("/api/v1/points/{point_id}/reports/daily", "/api/v1/reports/rates"):
        assert set(ops[("GET", path)]["responses"]["200"]["content"]) == {
            "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
