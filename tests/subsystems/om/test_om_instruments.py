"""Instrument parameters and door events reported by loggers over HJ 212 (issue 18 items 5 and 8), on SQLite and
PostgreSQL: CN 3020 frames over a real TCP socket to the core gateway, routed through the core's contract (record
kind ``hj212-instrument``) to om's sink; reports stored once, the registered values from the fleet key, the rule
``OM-PARAM-CHANGE-NO-ORDER`` as a stored finding and an alarm, door events as the room's (source ``hj212``); every
bad field isolated with its reason."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from ecosentry.contracts.envelope import INSTRUMENT_KIND, Envelope
from ecosentry.fleet import import_fleet
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.sinks import instrument_routes
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.protocols.hj212 import build_frame
from ecosentry.store import schema as s
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.hj212_info import DoorReport, ParameterReport, read_cp
from ecosentry.subsystems.om.pipeline.sink import InstrumentSink
from omkit import MN_A, fleet

READ = dict(parameter_prefix="i13", parameter_names={"i13001": "range"}, door_field="DoorState",
            door_open=["1", "open"], door_close=["0", "close"])


def test_the_cp_of_a_3020_upload_reads_into_parameters_and_door_events():
    cp = [[["DataTime", "20261205100000"], ["PolId", "a21026"], ["i13001-Info", "500"], ["i13008-Info", "1.02"],
           ["i11001-Info", "//清洗管路//"], ["i12001-Info", "0"]],
          [["PolId", "a34013"], ["i13001-Info", "//200//"], ["i13002-Info", "abc"]],
          [["DataTime", "20261205101500"], ["DoorState", "1"]], [["DoorState", "ajar"]]]
    got = read_cp(cp, "Asia/Shanghai", **READ)
    at = datetime(2026, 12, 5, 2, 0, tzinfo=timezone.utc)
    assert got.parameters == [ParameterReport("a21026", "range", at, 500.0),
                              ParameterReport("a21026", "i13008", at, 1.02),
                              ParameterReport("a34013", "range", at, 200.0)]
    assert got.doors == [DoorReport(at + timedelta(minutes=15), "open")]
    assert [c for c, _ in got.problems] == ["bad_number", "bad_door"]
    # no DataTime, a bad DataTime, an over-long PolId: each that field only
    got = read_cp([[["i13001-Info", "1"], ["DataTime", "2026120510"], ["i13001-Info", "2"],
                    ["DataTime", "20261205100000"], ["PolId", "x" * 17], ["i13001-Info", "3"],
                    ["PolId", "a21026"], ["i13001-Info", "4"]]], "Asia/Shanghai", **READ)
    assert [p.value for p in got.parameters] == [4.0]
    assert [c for c, _ in got.problems] == ["no_time", "bad_time", "no_time", "field_too_long"]


def _frame(cp: list[dict], cn: str = "3020", pw: str = "123456", mn: str = MN_A) -> bytes:
    return build_frame(qn="20261205100000000", st="31", cn=cn, pw=pw, mn=mn, flag=5, cp=cp)


async def _send(port: int, data: bytes) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(data)
        await w.drain()
        return await asyncio.wait_for(r.readuntil(b"\r\n"), 10)
    finally:
        w.close()


def _spooled(folder) -> list[Envelope]:
    return [Envelope.decode(r.payload) for r in SpoolReader(folder).read_batch(10_000)]


async def _through_gateway(engine, folder, frames: list[bytes], routes) -> list[Envelope]:
    gw = HJ212Gateway(PointDirectory(engine), Spool(folder), routes=routes)
    await gw.start("127.0.0.1", 0)
    try:
        for f in frames:
            assert b"CN=9014" in await _send(gw.port, f)
    finally:
        await gw.close()
    return _spooled(folder)


def _local(day: int, hour: int, minute: int = 0) -> str:
    return f"202612{day:02d}{hour:02d}{minute:02d}00"


async def test_a_changed_parameter_without_an_order_is_a_finding_and_an_alarm(om_world, om_names, tmp_path):
    engine, st, ids = om_world
    f = fleet()
    f["om"]["parameters"] = [{"point": MN_A, "factor": "a21026", "name": "range", "value": 500},
                             {"point": MN_A, "factor": "a21026", "name": "i13008", "value": 1.0}]
    import_fleet(engine, f)
    st = st.model_copy(update={"om": st.om.model_copy(update={"hj212": st.om.hj212.model_copy(
        update={"parameter_names": {"i13001": "range"}})})})
    routes = instrument_routes(st.hj212_instrument_cns, om_names)
    assert routes == {"3019": INSTRUMENT_KIND, "3020": INSTRUMENT_KIND}
    frames = [_frame([{"DataTime": _local(5, 9)}, {"PolId": "a21026", "i13001-Info": "500", "i13008-Info": "1.0"}]),
              _frame([{"DataTime": _local(5, 10)}, {"PolId": "a21026", "i13001-Info": "1000", "i13008-Info": "1.0"}]),
              _frame([{"DataTime": _local(5, 11)}, {"PolId": "a21026", "i13001-Info": "1000", "i13008-Info": "x"}]),
              _frame([{"DataTime": _local(5, 11, 5)}, {"DoorState": "1"}]),
              _frame([{"DataTime": _local(5, 9)}, {"a21026-Rtd": "12.5"}], cn="2011")]
    envs = await _through_gateway(engine, tmp_path / "spool", frames, routes)
    assert [e.kind for e in envs] == [INSTRUMENT_KIND] * 4 + ["observations"]
    assert envs[0].meta["tz"] == "Asia/Shanghai" and envs[0].point_id == ids["a"]
    sink = InstrumentSink.from_settings(engine, st, None)
    items = [(i, e) for i, e in enumerate(envs) if e.kind == INSTRUMENT_KIND]
    result = sink.write("om-spool", items)
    sink.after_commit(result)
    assert [fault.code for _, fault in result.isolated] == ["bad_number"]
    assert sink.write("om-spool", items).records_offered == 0      # a replay stores nothing twice
    with engine.connect() as c:
        reports = sorted((r.name, r.at, r.value) for r in c.execute(select(os_.om_parameter_reports)))
        latest = {r.name: (r.registered_value, r.reported_value) for r in c.execute(select(os_.om_parameters))}
        doors = [(r.event, r.source) for r in c.execute(select(os_.om_door_events))]
        raw = [(r.cn, r.point_id, r.error) for r in c.execute(select(s.raw_frames).order_by(s.raw_frames.c.id))]
    nine = datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc)
    assert reports == [("i13008", nine, 1.0), ("i13008", nine + timedelta(hours=1), 1.0),
                       ("range", nine, 500.0), ("range", nine + timedelta(hours=1), 1000.0),
                       ("range", nine + timedelta(hours=2), 1000.0)]
    assert latest == {"range": (500.0, 1000.0), "i13008": (1.0, 1.0)}
    assert doors == [("open", "hj212")]
    assert raw == [("3020", ids["a"], None)] * 2 + [("3020", ids["a"], "bad_number"), ("3020", ids["a"], None)]
    assert sink.flush() == 2   # the point's parameters, the room's doors
    with engine.connect() as c:
        found = [(r.code, r.subject, r.start, r.end, r.evidence["reports"]) for r in c.execute(select(os_.om_findings))]
        alarms = [(a.type, a.source_id, a.state) for a in c.execute(select(s.alarms).where(
            s.alarms.c.type == "ALM-OM-PARAM-CHANGE"))]
    assert found == [("OM-PARAM-CHANGE-NO-ORDER", f"{ids['a']}:a21026:range", nine + timedelta(hours=1),
                      nine + timedelta(hours=2), 2)]
    assert alarms == [("ALM-OM-PARAM-CHANGE", f"{ids['a']}:a21026:range", "active")]
    # the range set back: the next report agrees, the alarm is cleared; the finding stays
    envs = await _through_gateway(engine, tmp_path / "spool2", [_frame([{"DataTime": _local(5, 12)},
                                                                         {"PolId": "a21026", "i13001-Info": "500"}])],
                                  routes)
    sink.after_commit(sink.write("om-spool2", list(enumerate(envs))))
    sink.flush()
    with engine.connect() as c:
        assert [a.state for a in c.execute(select(s.alarms).where(s.alarms.c.type == "ALM-OM-PARAM-CHANGE"))] == \
            ["cleared"]
        assert len(c.execute(select(os_.om_findings)).all()) == 1


async def test_a_change_made_during_a_work_order_is_no_finding(om_world, om_names, tmp_path):
    engine, st, ids = om_world
    with engine.begin() as c:
        c.execute(insert(os_.om_parameters).values(point_id=ids["a"], factor_code="*", name="i13010",
                                                   registered_value=2.0))
        c.execute(insert(os_.om_work_orders).values(
            point_id=ids["a"], kind="calibration", state="on_site",
            created_at=datetime(2026, 12, 5, 0, 30, tzinfo=timezone.utc),
            on_site_at=datetime(2026, 12, 5, 0, 50, tzinfo=timezone.utc)))
    routes = instrument_routes(st.hj212_instrument_cns, om_names)
    envs = await _through_gateway(engine, tmp_path / "spool", [
        _frame([{"DataTime": _local(5, 9)}, {"i13010-Info": "2.5"}])], routes)
    sink = InstrumentSink.from_settings(engine, st, None)
    sink.after_commit(sink.write("s", list(enumerate(envs))))
    sink.flush()
    with engine.connect() as c:
        assert c.execute(select(os_.om_findings)).all() == []
        assert c.execute(select(s.alarms).where(s.alarms.c.type == "ALM-OM-PARAM-CHANGE")).all() == []
        assert [(r.factor_code, r.value) for r in c.execute(select(os_.om_parameter_reports))] == [("*", 2.5)]


async def test_without_a_subsystem_storing_them_the_frames_stay_monitoring_frames(om_world, tmp_path):
    engine, st, _ids = om_world
    assert instrument_routes(["3020"], ("ecosentry.subsystems.monitoring",)) == {}
    gw = HJ212Gateway(PointDirectory(engine), Spool(tmp_path / "spool"), routes={})
    env, reply = gw.decode(_frame([{"DataTime": _local(5, 9)}, {"i13001-Info": "1"}]), "peer",
                           datetime.now(timezone.utc))
    assert (env.kind, env.status, env.meta, reply) == ("observations", "accepted", {}, None)


async def test_bad_frames_and_over_long_fields_never_reach_om(om_world, om_names, tmp_path):
    engine, st, ids = om_world
    routes = instrument_routes(st.hj212_instrument_cns, om_names)
    long_name = "i13" + "9" * 60
    envs = await _through_gateway(engine, tmp_path / "spool", [
        _frame([{"DataTime": _local(5, 9)}, {"PolId": "a" * 40, "i13001-Info": "1"}, {long_name + "-Info": "2"},
                {"PolId": "a21026", "i13001-Info": "3"}])], routes)
    gw = HJ212Gateway(PointDirectory(engine), Spool(tmp_path / "spool3"), routes=routes)
    wrong, _ = gw.decode(_frame([{"DataTime": _local(5, 9)}, {"i13001-Info": "1"}], pw="wrong!"), "peer",
                         datetime.now(timezone.utc))
    assert (wrong.kind, wrong.status, wrong.error) == ("observations", "quarantined", "bad_password")
    sink = InstrumentSink.from_settings(engine, st, None)
    result = sink.write("s", list(enumerate(envs)))
    assert sorted(f.code for _, f in result.isolated) == ["field_too_long"]
    with engine.connect() as c:
        assert [(r.factor_code, r.name, r.value) for r in c.execute(select(os_.om_parameter_reports))] == \
            [("a21026", "i13001", 3.0)]


async def test_the_running_service_routes_a_loggers_3020_frame_to_om(om_world, om_names, tmp_path):
    """The whole path: the service's own HJ 212 gateway (routes from the installed list) → spool → ingest worker
    → om's sink → its follow-up check: a finding and an alarm, never monitoring's observations."""
    from ecosentry.service import Service
    from ecosentry.settings import settings_class

    engine, _st, ids = om_world
    f = fleet()
    f["om"]["parameters"] = [{"point": MN_A, "factor": "a21026", "name": "i13001", "value": 500}]
    import_fleet(engine, f)
    st = settings_class(om_names)(database_url=str(engine.url.render_as_string(hide_password=False)),
                                  data_dir=tmp_path / "svc", hj212_host="127.0.0.1", hj212_port=0,
                                  hourly_every=0.5)  # the worker's flush, 30 s by default: the test waited for it
    svc = Service(st)
    await svc.start(web=False, alarms=False, forward=False)
    try:
        reply = await _send(svc.gateway.port, _frame([{"DataTime": _local(5, 9)},
                                                     {"PolId": "a21026", "i13001-Info": "800"}]))
        assert b"CN=9014" in reply
        for _ in range(600):        # the worker's batch and its follow-up check (flushed every half second)
            with engine.connect() as c:
                found = c.execute(select(os_.om_findings.c.code, os_.om_findings.c.subject)).all()
            if found:
                break
            await asyncio.sleep(0.1)
    finally:
        await svc.stop()
    assert found == [("OM-PARAM-CHANGE-NO-ORDER", f"{ids['a']}:a21026:i13001")]
    with engine.connect() as c:
        assert [r.value for r in c.execute(select(os_.om_parameter_reports))] == [800.0]
        assert c.execute(select(s.observations)).all() == []
        assert [a.type for a in c.execute(select(s.alarms))] == ["ALM-OM-PARAM-CHANGE"]
