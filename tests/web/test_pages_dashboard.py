"""The overview dashboard: online rate, today's effective transmission rate (national counts summed),
open alarms by type, today's exceedances and the worst enterprises, for a region subtree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pages_testkit import OTHER_NAME, add_alarm, add_hours, add_latest, as_user, ids
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)

from ecosentry.auth.deps import principal_for_user
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.web.dashboard import overview, today_hours


def _user_id(engine, name):
    with engine.connect() as c:
        return c.execute(s.users.select().where(s.users.c.username == name)).mappings().one()["id"]


def test_figures_of_a_county(engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_latest(engine, i["other"], {"a21026": 80.0, "a19001": 11.0}, now)
    t0, t1 = today_hours(now, "Asia/Shanghai")
    n = int((t1 - t0).total_seconds() // 3600)  # today's complete hours (0 just after midnight)
    values = [120.0 if k % 2 else 60.0 for k in range(n)]
    add_hours(engine, i["other"], "a21026", t0, values, limit=100.0, invalid={0} if n else set())
    add_alarm(engine, i["other"])
    add_alarm(engine, i["other"], type="ALM-DATA-MISSING")
    principal = principal_for_user(engine, _user_id(engine, "huqiu"))
    o = overview(engine, principal, "320505", now, "Asia/Shanghai")
    assert (o["n_points"], o["n_online"], o["online_rate"]) == (1, 1, 1.0)
    assert [x["name"] for x in o["ents"]] == [OTHER_NAME]
    assert dict(o["alarms_by_type"]) == {"ALM-EXCEEDANCE": 1, "ALM-DATA-MISSING": 1}
    assert o["n_alarms"] == 2 and o["alarms_by_severity"] == {"critical": 1, "warning": 1}
    exceeded = sum(1 for k, v in enumerate(values) if v > 100.0 and k != 0)
    assert o["n_exceeded"] == exceeded
    if n == 0:
        assert o["rates"] is None
        return
    c = o["rates"].counts
    # two assessed factors (SO2, O2), n hours each; only SO2 hours were received, hour 0 invalid
    assert (c.expected, c.received, c.valid_groups) == (2 * n, n, n - 1)
    assert o["rates"].effe_trans_rate == (n / (2 * n)) * ((n - 1) / (2 * n))
    assert [x["name"] for x in o["worst_by_alarms"]] == [OTHER_NAME]
    assert o["ent_alarms"][i["other_ent"]] == 2


def test_regulator_defaults_to_own_region_and_page_renders_in_chinese(client, engine, keys):
    i = ids(engine)
    add_alarm(engine, i["gas"], type="ALM-LOGGER-OFFLINE")
    as_user(client, keys, "wuzhong")
    page = client.get("/dashboard?lang=zh").text
    assert "吴中区 (320506)" in page and "selected" in page.split('value="320506"')[1][:20]
    assert "在线率" in page and "今日有效传输率" in page and "数采仪离线" in page
    assert 'id="kpi-alarms"' in page


def test_city_regulator_may_narrow_to_a_county(client, engine, keys):
    i = ids(engine)
    add_alarm(engine, i["gas"], type="ALM-LOGGER-OFFLINE")
    add_alarm(engine, i["other"])
    as_user(client, keys, "suzhou")
    whole = client.get("/dashboard?lang=en").text
    county = client.get("/dashboard?region=320505&lang=en").text
    assert 'data-type="ALM-LOGGER-OFFLINE"' in whole and 'data-type="ALM-EXCEEDANCE"' in whole
    assert 'data-type="ALM-LOGGER-OFFLINE"' not in county and 'data-type="ALM-EXCEEDANCE"' in county


def test_exceedance_list_names_point_and_limit(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    t0, _ = today_hours(now, "Asia/Shanghai")
    add_hours(engine, i["other"], "a21026", hour, [150.0], limit=100.0)
    as_user(client, keys, "admin")
    page = client.get("/dashboard?lang=en").text
    if hour < t0:  # 00:00–01:00 Beijing time: the last complete hour is yesterday's, and today has none yet
        assert 'id="exceedances"' not in page and "Exceedances today" in page
        return
    table = page.split('id="exceedances"')[1].split("</table>")[0]
    assert "焚烧炉CEMS" in table and "150.00" in table and "100.00" in table and "Sulphur dioxide" in table
