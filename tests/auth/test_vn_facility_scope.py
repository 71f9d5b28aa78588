"""The Vietnamese demo's accounts and their scopes (issue 14 item 7): a DONRE officer sees the province, a district
officer its district, a facility account its own stations and nothing of another facility, anywhere.

The world is the Vietnamese demo itself: the demo fleet of one province with its districts
(``demo_vn_fleet(12, province="BN")``), the demo's misbehaving stations and accounts (``vn_demo_users``), two
hours of station files judged by the real ``vn-file`` sink, the missing-file check's alarms, plus one alarm and
one mark per station. Then every GET route of the application (pages, the pages' JSON helpers, the API,
downloads: a Vietnamese page added later is walked too) is called as the facility account with ids of its own
and of other facilities; no answer may carry another facility's station key, name or tax code.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from authkit import make_app
from pgdb import make_pg_database
from ecosentry.alarms import store as alarm_store
from ecosentry.auth.principal import resolve_scope
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import pollution_alerts as alert_store
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.queries.vn_scope import station_scope, vn_file_scope, vn_station, vn_stations
from ecosentry.subsystems.monitoring.simulate.demo import stage_vn_misbehaviour, vn_demo_users
from ecosentry.subsystems.monitoring.simulate.fleet import DEMO_PASSWORD
from ecosentry.subsystems.monitoring.simulate.vn_stations import iter_station_files
from ecosentry.subsystems.monitoring.simulate.vn_uploader import spool_history
from ecosentry.subsystems.monitoring.store import marks as mark_store
from ecosentry.subsystems.monitoring.vn.missing import check_missing_files
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings
from ecosentry.subsystems.om.store import workorders as om_orders

NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)
#: Documentation and catalogues (they name fields, not objects) and the public pages (published data: the
#: demo publishes every facility, and the public page is for anyone, logged in or not).
NOT_SCOPED = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/api/v1/alarm-types")
PUBLIC_PREFIXES = ("/public", "/api/v1/public")
#: Answers that never end (server-sent events); their scope is tested in tests/auth/test_auth_live_scope.py.
STREAMS = ("/api/v1/alarms/stream",)


class VnWorld:
    def __init__(self, engine, fleet):
        self.engine, self.fleet = engine, fleet
        with engine.connect() as conn:
            self.points = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
            self.outlets = dict(conn.execute(select(s.points.c.mn, s.points.c.outlet_id)).all())
            self.enterprises = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
            self.users = {r.username: dict(r._mapping) for r in conn.execute(select(s.users))}
        self.own = fleet["enterprises"][0]
        self.district = self.own["region"]

    def mns(self, enterprises) -> set[str]:
        return {p["mn"] for e in enterprises for o in e["outlets"] for p in o["points"]}

    def principal(self, username):
        with self.engine.connect() as conn:
            return resolve_scope(conn, self.users[username])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def vn_world(request, tmp_path_factory) -> VnWorld:
    from gateways.vn_testkit import intake_stack  # tests/ is on the path (conftest)

    drop = None
    tmp = tmp_path_factory.mktemp("vnscope")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'vn.sqlite'}"
    else:
        url, drop = make_pg_database(request.getfixturevalue("pg_server"))
    engine = prepare_database(url)
    from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet

    fleet = demo_vn_fleet(12, province="BN", password="pw-vn-scope")
    stage_vn_misbehaviour(fleet, NOW, backfill_hours=2)
    fleet["users"] = vn_demo_users(fleet)
    import_fleet(engine, fleet)
    files = sorted((f for f in iter_station_files(fleet, NOW - timedelta(hours=2), NOW) if f.upload_at <= NOW),
                   key=lambda f: f.upload_at)

    async def feed():
        async with intake_stack(engine, tmp) as (appender, _directory, spool, worker):
            await asyncio.to_thread(spool_history, appender, tmp / "ftp", files)
            await worker.drain(spool.durable_seq, timeout=60)
        await check_missing_files(engine, NOW)

    asyncio.run(feed())
    world = VnWorld(engine, fleet)
    for mn, pid in world.points.items():
        alarm_store.raise_alarm(engine, type="ALM-EXCEEDANCE", source_type="point", source_id=f"scope-{pid}",
                                severity=None, title=f"{mn}: exceedance of a21026", explanation=f"about {mn}",
                                evidence={"station": mn}, point_id=pid, factor_codes=["a21026"], at=NOW)
        mark_store.file_mark(engine, point_id=pid, type="maintenance", start=NOW - timedelta(hours=5),
                             end=NOW - timedelta(hours=4), reason=f"maintenance of {mn}", filed_by="fixture")
    yield world
    engine.dispose()
    if drop is not None:
        drop()


# --------------------------------------------------------------------------- the accounts and their scopes


def test_the_demo_accounts_see_the_province_the_district_and_the_facility(vn_world):
    w = vn_world
    by_region: dict[str, list] = {}
    for e in w.fleet["enterprises"]:
        by_region.setdefault(e["region"], []).append(e)
    everything = w.mns(w.fleet["enterprises"])
    district = w.mns(by_region[w.district])
    own = w.mns([w.own])
    assert len(everything) == 12 and own < district < everything   # the fleet makes the three scopes differ
    with w.engine.connect() as conn:
        seen = {u: {r["station"] for r in vn_stations(conn, station_scope(w.principal(u)))}
                for u in ("admin", "donre", "huyen", "coso")}
        assert seen == {"admin": everything, "donre": everything, "huyen": district, "coso": own}
        coso = w.principal("coso")
        other = next(iter(everything - own))
        assert vn_station(conn, station_scope(coso), other) is None                      # 404, as missing
        assert vn_station(conn, station_scope(coso), w.points[other]) is None
        mine = vn_station(conn, station_scope(coso), next(iter(own)))
        assert mine["enterprise_name"] == w.own["name"] and mine["tax_code"] == w.own["credit_code"]
        # a district filter outside the scope finds nothing; the province's filter finds the district's
        assert vn_stations(conn, station_scope(w.principal("huyen")), region="VN27") and not \
            vn_stations(conn, station_scope(coso), region=next(r for r in by_region if r != w.district))


def test_received_files_are_scoped_like_the_stations(vn_world):
    w = vn_world
    with w.engine.connect() as conn:
        # a file of a station key registered nowhere: nobody's but the administrator's
        conn.execute(ms.vn_files.insert().values(
            station="BN_NOBODY_NUOSXL", point_id=None, file_name="BN_NOBODY_NUOSXL_20261201000000.txt",
            received_at=NOW, status="rejected", reason="unknown_station", sha256="0" * 64, size=1, transport="ftp"))
        conn.commit()
        counts = {}
        for u in ("admin", "donre", "huyen", "coso"):
            rows = conn.execute(select(ms.vn_files.c.station).where(vn_file_scope(w.principal(u)))).scalars().all()
            counts[u] = (len(rows), set(rows))
    own, everything = w.mns([w.own]), w.mns(w.fleet["enterprises"])
    assert counts["coso"][1] == own and counts["coso"][0] > 0
    assert counts["donre"][1] == everything and "BN_NOBODY_NUOSXL" in counts["admin"][1]
    assert counts["admin"][0] == counts["donre"][0] + 1
    assert counts["coso"][0] < counts["huyen"][0] < counts["donre"][0]


# --------------------------------------------------------------------------- every answer the facility gets


#: Alerts of one region may not overlap: each call of :func:`_samples` issues its alerts in a slot of its own.
_ALERT_SLOTS = itertools.count()


def _samples(w: VnWorld) -> dict[str, list]:
    """Ids for every path parameter: the facility's own object and another facility's."""
    own_mn = sorted(w.mns([w.own]))[0]
    other_e = w.fleet["enterprises"][1]           # same district: the nearest neighbour
    other_mn = sorted(w.mns([other_e]))[0]
    with w.engine.connect() as conn:
        def alarm_of(mn):
            return conn.execute(select(s.alarms.c.id).where(s.alarms.c.point_id == w.points[mn])).scalars().first()

        def mark_of(mn):
            return conn.execute(select(s.marks.c.id).where(s.marks.c.point_id == w.points[mn])).scalars().first()

        def file_of(mn):
            return conn.execute(select(ms.vn_files.c.id).where(ms.vn_files.c.station == mn)).scalars().first()

        samples = {
            "point_id": [w.points[own_mn], w.points[other_mn]],
            "enterprise_id": [w.enterprises[w.own["credit_code"]], w.enterprises[other_e["credit_code"]]],
            "outlet_id": [w.outlets[own_mn], w.outlets[other_mn]],
            "alarm_id": [alarm_of(own_mn), alarm_of(other_mn)],
            "mark_id": [mark_of(own_mn), mark_of(other_mn)],
            "station": [own_mn, other_mn], "station_key": [own_mn, other_mn], "mn": [own_mn, other_mn],
            "file_id": [file_of(own_mn), file_of(other_mn)],
            "slug": ["points", "enterprises", "users"], "key": [w.points[other_mn]],
            "region": [w.district, "VN27"], "region_code": [w.district, "VN27"],
        }
    samples["evidence_id"] = [mark_store.attach_evidence(w.engine, samples["mark_id"][1], "photo.jpg", "image/jpeg",
                                                         b"\xff\xd8evidence", "fixture")["id"]]
    samples["sub_id"] = [1]
    # a heavy-pollution alert of the facility's district and one of another province (each readable by whom it
    # covers); the power subsystem's meters: this world has none, so any id is unknown
    start = datetime(2031, 1, 1, tzinfo=timezone.utc) + timedelta(days=3 * next(_ALERT_SLOTS))
    samples["alert_id"] = [alert_store.issue(w.engine, region_code=region, level="orange", starts_at=start,
                                             ends_at=start + timedelta(days=1), issued_by="UBND", actor="fixture")
                           for region in (w.district, "VN27")]
    samples["meter_id"] = [1, 2]
    samples["name"] = ["view.js"]  # the power pages' script (static, public)
    samples["row_id"] = [1, 2]  # power registry rows: this world has none
    samples["sha256"] = ["0" * 64, "f" * 64]  # gate pictures: this world has none, so any digest is unknown
    samples["finding_id"] = [1, 2]  # the gate checks' findings: none in this world
    samples["park_code"], samples["event_id"] = ["JSHG", "NOPE"], [1, 2]  # chemical parks: none in this world
    # O&M work orders: a daily inspection of the facility's own station and one of the neighbour's
    samples["order_id"] = [om_orders.create_order(w.engine, kind="daily_inspection", at=NOW - timedelta(hours=1),
                                                  actor="fixture", settings=DeadlineSettings(),
                                                  zone=ZoneInfo("Asia/Ho_Chi_Minh"), point_id=w.points[mn])["id"]
                           for mn in (own_mn, other_mn)]
    samples["room_id"], samples["snapshot_id"] = [1, 2], [1, 2]  # O&M station rooms: none in this world
    return samples


def _om_order(w: VnWorld, point_id: int) -> int:
    from zoneinfo import ZoneInfo

    from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings
    from ecosentry.subsystems.om.store import workorders as om_orders

    return om_orders.create_order(w.engine, kind="weekly_inspection", at=NOW - timedelta(hours=2), actor="fixture",
                                  settings=DeadlineSettings(), zone=ZoneInfo("Asia/Ho_Chi_Minh"),
                                  point_id=point_id)["id"]


def _forbidden_words(w: VnWorld) -> list[str]:
    """What of the other facilities the facility account may not read: station keys, names, tax codes."""
    out = []
    for e in w.fleet["enterprises"][1:]:
        out += [e["name"], e["credit_code"], *w.mns([e])]
    return out


def _get_routes(app) -> list[str]:
    from starlette.routing import Route

    out = set()

    def walk(routes, prefix=""):
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes, prefix + (r.include_context.prefix or ""))
            elif isinstance(r, Route) and "GET" in (r.methods or ()):
                out.add(prefix + r.path)

    walk(app.routes)
    return sorted(out)


def _text(r) -> str:
    kind = r.headers.get("content-type", "")
    if "spreadsheetml" in kind or r.content[:2] == b"PK":          # XLSX: the words are in its XML parts
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return r.text if not kind.startswith("application/pdf") else r.content.decode("latin-1")


def login(client: TestClient, username: str) -> None:
    form = client.get("/login", params={"lang": "vi"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/", "csrf": csrf})
    assert r.status_code == 303, r.text[:300]


def test_a_facility_account_sees_no_other_facility_on_any_page_api_or_download(vn_world, tmp_path):
    w = vn_world
    app = make_app(w.engine, tmp_path, rate_limit_default="100000/minute", rate_limit_anonymous="100000/minute")
    samples = _samples(w)
    forbidden = _forbidden_words(w)
    own_mns = w.mns([w.own])
    day = (NOW + timedelta(hours=7)).date().isoformat()
    failures, served, own_seen = [], [], set()
    with TestClient(app, follow_redirects=False) as client:
        login(client, "coso")
        for path in _get_routes(app):
            if path in NOT_SCOPED + STREAMS or path.startswith(PUBLIC_PREFIXES) or path.endswith("/stream"):
                continue
            names = re.findall(r"{(\w+)}", path)
            missing = [n for n in names if n not in samples]
            assert not missing, f"{path}: add sample ids for {missing} to _samples"
            for combo in itertools.product(*(samples[n] for n in names)):
                url = path.format(**dict(zip(names, combo)))
                r = client.get(url, params={"day": day, "year": NOW.year, "month": NOW.month, "factor": "a21026",
                                            "lang": "vi"})
                if r.status_code in (301, 302, 303, 307) or r.status_code >= 400:
                    continue
                served.append(url)
                text = _text(r)
                own_seen |= {mn for mn in own_mns if mn in text}
                leaks = [x for x in forbidden if x in text]
                if leaks:
                    failures.append(f"{url}: {r.status_code} shows another facility's {leaks[:4]}")
    assert not failures, "\n".join(failures)
    # the walk reached the facility's own stations on the pages and in the API
    assert own_seen == own_mns and {"/", "/alarms", "/api/v1/points"} <= set(served)


def test_other_facilities_objects_answer_404_to_the_facility(vn_world, tmp_path):
    w = vn_world
    app = make_app(w.engine, tmp_path, rate_limit_default="100000/minute")
    s_ = _samples(w)
    other_point, other_alarm, other_ent = s_["point_id"][1], s_["alarm_id"][1], s_["enterprise_id"][1]
    with TestClient(app, follow_redirects=False) as client:
        login(client, "coso")
        day = (NOW + timedelta(hours=7)).date().isoformat()
        for url in (f"/points/{other_point}", f"/enterprises/{other_ent}", f"/alarms/{other_alarm}",
                    f"/api/v1/points/{other_point}", f"/api/v1/alarms/{other_alarm}",
                    f"/api/v1/om/work-orders/{s_['order_id'][1]}",
                    f"/api/v1/points/{other_point}/reports/daily?day={day}&format=xlsx",
                    f"/api/v1/points/{other_point}/reports/daily?day={day}&format=pdf"):
            assert client.get(url).status_code == 404, url
        assert client.get(f"/points/{s_['point_id'][0]}").status_code == 200
        assert client.get(f"/api/v1/om/work-orders/{s_['order_id'][0]}").status_code == 200
        own = client.get(f"/api/v1/points/{s_['point_id'][0]}/reports/daily?day={day}&format=xlsx")
        assert own.status_code == 200 and w.own["name"] in _text(own)
        # the report form offers the facility's own stations only
        offered = set(re.findall(r"\(([A-Z]+_[A-Z0-9]+_[A-Z0-9]+)\)", client.get("/reports").text))
        assert offered == w.mns([w.own])
