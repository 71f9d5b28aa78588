"""The evidence pack (证据包) of a park alarm shows the data that proves the warning (``Subsystem.evidence_data``):
the chlorine a minute at the boundary station and the park edge with the warning levels' thresholds, the wind, the
warning's events, the plume and the ranked sources stored with the raise, the station's frames with their SHA-256,
every time in the park's local time (+08:00); in Chinese and in Vietnamese. Raised by one pass of the real warning
job on a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.reports.evidence import build_evidence_pack, evidence_pack_pdf
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.live.job import WarningJob
from ecosentry.subsystems.park.reports.evidence import hour_rows, minute_grid
from parkkit import B01_MN, fleet

#: 08:00 local on 2026-12-01; chlorine at the boundary station B01 from minute 40, at the park edge E01 too.
BASE = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
B01_CL2 = [0.01] * 40 + [2.0, 7.0] + [0.01] * 6
E01_CL2 = [0.004] * 40 + [0.3, 0.9, 0.2] + [0.004] * 5


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


def park_world(url: str) -> tuple:
    """The parkkit park with an hour of minute readings (the met station's wind from the west) and the B01 frame of
    minute 41 archived as the sink archives it; the warning job passes once. Returns the engine, the warning's
    alarm and the frame's bytes."""
    engine = prepare_database(url)
    import_fleet(engine, fleet())
    received = datetime.now(timezone.utc)       # the job reads what arrived lately
    raw = (f"##0101QN=20261201084100000;ST=21;CN=2011;PW=135790;MN={B01_MN};Flag=5;"
           "CP=&&DataTime=20261201084100;a21022-Rtd=7.0,a21022-Flag=N&&").encode()
    with engine.begin() as c:
        ids = dict(c.execute(select(ps.park_stations.c.code, ps.park_stations.c.id)).all())
        rows, met = [], []
        for i, (b, e) in enumerate(zip(B01_CL2, E01_CL2, strict=True)):
            rows += [{"station_id": ids["B01"], "factor": "Cl2", "at": at(i), "value": b, "received_at": received},
                     {"station_id": ids["E01"], "factor": "Cl2", "at": at(i), "value": e, "received_at": received}]
            met += [{"station_id": ids["M01"], "quantity": q, "at": at(i), "value": v, "received_at": received}
                    for q, v in (("wind_speed", 3.0), ("wind_dir", 270.0), ("stability", 4.0))]
        c.execute(insert(ps.park_readings), rows)
        c.execute(insert(ps.park_met_readings), met)
        c.execute(insert(s.raw_frames).values(received_at=at(41) + timedelta(seconds=3), transport="park-hj212",
                                              mn=B01_MN, cn="2011", qn="20261201084100000", status="accepted",
                                              raw=raw))
    asyncio.run(WarningJob(engine).pass_once())
    with engine.connect() as c:
        alarms = [dict(r) for r in c.execute(select(s.alarms).where(s.alarms.c.type.like("ALM-PARK-LEVEL-%"))
                                             .order_by(s.alarms.c.id)).mappings()]
    return engine, alarms, raw


@pytest.fixture
def world(db_url):
    return park_world(db_url)


def test_a_chlorine_warning_pack_holds_the_readings_thresholds_plume_and_frames_in_local_time(world, tmp_path):
    engine, alarms, raw = world
    alarm = alarms[0]                                # the first warning raised at B01, minute 40 (08:40 local)
    assert alarm["type"] == "ALM-PARK-LEVEL-I" and alarm["point_id"] is None
    pack = build_evidence_pack(engine, alarm["id"], now=at(60), default_tz="Asia/Ho_Chi_Minh")
    data = pack.data
    assert pack.tz == "Asia/Shanghai" and data is not None            # the park's zone, not the default
    assert pack.factors == [] and pack.marks == []
    assert data.span_start == at(40) and data.window_start == BASE - timedelta(hours=6)
    codes = [x.label.split("\n")[1].split()[0] for x in data.series[:2]]
    assert codes == ["B01", "E01"]                                    # the warning's station, then the edge
    b01 = data.series[0]
    assert b01.values[b01.times.index(at(41))] == 7.0 and b01.lines   # the readings with the level thresholds
    assert [round(line.value, 3) for line in b01.lines][:1] == [1.0]  # level I: the occupational MAC, 1 mg/m³
    assert any(x.unit == "m/s" for x in data.series)                  # the wind
    assert [f.sha256 for f in pack.frames] == [hashlib.sha256(raw).hexdigest()] and pack.frames_total == 1

    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    flat = "".join(text.split())
    assert "UTC" not in text and "+00:00" not in text
    assert "2026-12-0108:40:00+08:00" in flat                         # the raise, local with its offset
    assert "2026-12-0108:41:00+08:00" in flat and "7" in flat           # a minute of the warning
    assert "氯碱厂界东" in text and "园区东边界" in text and "氯气" in text
    assert "电解车间" in flat                                            # the ranked source by name
    assert "AEGL1" in flat and "occupational" in flat                  # the thresholds' basis
    assert hashlib.sha256(raw).hexdigest()[:16] in flat and B01_MN in flat
    assert "窗口内无数据" not in flat and "监测点" not in flat
    headings = re.findall(r"^(\d) (\S+)", text, flags=re.M)
    assert [n for n, _ in headings] == [str(i) for i in range(1, len(headings) + 1)]
    assert {"告警概况", "说明与依据", "数据窗口", "原始报文", "告警历史", "链接"} <= {w for _, w in headings}


def test_a_vietnamese_reader_gets_the_park_section_in_vietnamese(world, tmp_path):
    engine, alarms, _raw = world
    alarm = alarms[0]
    pack = build_evidence_pack(engine, alarm["id"], now=at(60), lang="vi")
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    assert "01/12/2026 08:40:00 +08:00" in text and "UTC" not in text
    assert "clo" in text.lower()
    with engine.connect() as c:
        names = set(c.execute(select(ps.park_stations.c.name)).scalars()) | set(
            c.execute(select(ps.park_sources.c.name)).scalars()) | set(c.execute(select(s.enterprises.c.name))
                                                                       .scalars())
        names |= set(c.execute(select(s.parks.c.name)).scalars()) | set(c.execute(select(s.regions.c.name)).scalars())
        names |= set(c.execute(select(ps.park_receptors.c.name)).scalars())
        # the alarm's history as stored: its clearing said in the deployment's language
        names |= set(c.execute(select(s.alarm_events.c.comment).where(s.alarm_events.c.alarm_id == alarm["id"]))
                     .scalars())
    data = {n for n in names if n} | {alarm["explanation"], alarm["title"]}
    han = {w for w in re.findall(r"[\u3400-\u9fff]+", text) if not any(w in d for d in data)}
    cited = {w for r in pack.rules for w in re.findall(r"[\u3400-\u9fff]+", r.source or "")}
    assert han <= cited, [line for line in text.splitlines() if any(w in line for w in han - cited)]


def test_minute_grid_and_hours_count_each_reading_once_in_its_minute_and_hour():
    grid = minute_grid(BASE, 120, [(at(0), 0.5), (at(1) + timedelta(seconds=30), 2.0), (at(61), 1.5),
                                   (at(200), 9.0), (BASE - timedelta(minutes=1), 9.0)])
    assert grid[0] == 0.5 and grid[1] == 2.0 and grid[61] == 1.5 and np.isnan(grid[2]) and np.isfinite(grid).sum() == 3
    assert hour_rows(BASE, grid, 1.0) == [(BASE, 1.25, 2.0, 2, 1), (at(60), 1.5, 1.5, 1, 1)]
    assert hour_rows(BASE, grid, float("nan"))[0][4] is None


def test_the_notice_to_an_enterprise_around_shows_the_warnings_data(world):
    """ALM-PARK-NEARBY (合成氨, 400 m from B01, is told; the escalation updates its one open notice) is proved by
    the same station's data as the warning, from the notice's first sighting to the warning's clearing."""
    engine, alarms, raw = world
    with engine.connect() as c:
        ammon = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.name == "园区合成氨有限公司"))
        b01 = alarms[0]["evidence"]["station_id"]
        notice = dict(c.execute(select(s.alarms).where(s.alarms.c.type == "ALM-PARK-NEARBY",
                                                       s.alarms.c.source_id == f"{b01}:Cl2:{ammon}")).mappings().one())
    pack = build_evidence_pack(engine, notice["id"], now=at(60))
    assert pack.tz == "Asia/Shanghai" and pack.data is not None
    assert (pack.data.span_start, pack.data.span_end) == (at(40), at(46))      # raised 08:40, cleared 08:46
    assert pack.data.series[0].label.split("\n")[1].startswith("B01")
    assert [f.sha256 for f in pack.frames] == [hashlib.sha256(raw).hexdigest()]
