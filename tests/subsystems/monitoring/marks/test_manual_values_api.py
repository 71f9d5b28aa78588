"""Manual monitoring values (手工监测值录入) on a mark, through the API."""

from __future__ import annotations

import httpx

from helpers import AsUsers

from ecosentry.api.app import create_app


async def test_manual_values_lifecycle(engine, gas_point):
    transport = AsUsers(create_app(engine), engine)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        r = await api.post(f"/api/v1/points/{gas_point}/marks", headers={"X-Test-User": "om"},
                           json={"type": "fault", "start": "2026-11-10T08:00:00", "end": "2026-11-10T14:00:00",
                                 "factor_codes": ["a21026"]})
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        ok = await api.post(f"/api/v1/marks/{mid}/manual-values", headers={"X-Test-User": "om"},
                            json={"factor_code": "a21026", "sampled_at": "2026-11-10T10:00:00", "value": 18.5,
                                  "zs_value": 21.2, "unit": "mg/m3", "method": "HJ 57-2017", "monitor_type": 1})
        assert ok.status_code == 201, ok.text
        assert ok.json()["sampled_at"] == "2026-11-10T10:00:00+08:00" and ok.json()["value"] == 18.5
        listed = (await api.get(f"/api/v1/marks/{mid}/manual-values")).json()["items"]
        assert [(v["factor_code"], v["value"], v["zs_value"]) for v in listed] == [("a21026", 18.5, 21.2)]
        # a factor the mark does not cover, a bad monitor type, an unknown mark
        r = await api.post(f"/api/v1/marks/{mid}/manual-values",
                           json={"factor_code": "a21002", "sampled_at": "2026-11-10T10:00:00", "value": 1})
        assert r.status_code == 422 and "不在标记" in r.json()["detail"]  # the reader's language (zh)
        r = await api.post(f"/api/v1/marks/{mid}/manual-values",
                           json={"factor_code": "a21026", "sampled_at": "2026-11-10T10:00:00", "value": 1,
                                 "monitor_type": 7})
        assert r.status_code == 422 and "monitor_type" in r.json()["detail"]
        assert (await api.get("/api/v1/marks/99999/manual-values")).status_code == 404
        audit = (await api.get("/api/v1/audit", params={"entity": "mark", "entity_id": str(mid)})).json()["items"]
        assert "add_manual_value" in {a["action"] for a in audit}
