"""The evidence pack (证据包) of a power alarm shows the electricity that proves it (``Subsystem.evidence_data``):
the production line's and the treatment's power around the alarm span, the stop order in force and the power
logger's frames with their SHA-256, every time in the enterprise's local time (+08:00), no monitoring section left
empty. An alarm of another subsystem without a point (a gate's) is in the deployment's zone, its empty sections
left out. On a migrated database (SQLite and PostgreSQL) with the readings the live engine judged."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from power_dbkit import T0, _power_pg, _power_sqlite, power_db, write_minutes  # noqa: F401 (fixtures)

from ecosentry.alarms.store import raise_alarm
from ecosentry.catalogue import full_catalogue
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.reports.evidence import build_evidence_pack, evidence_pack_pdf
from ecosentry.subsystems.power.engine.engine import PowerEngine
from ecosentry.subsystems.power.queries.measures import orders_for
from ecosentry.subsystems.power.schema import power_measures

ON_P, ON_T = 100.0, 30.0


def at(minute: int):
    return T0 + timedelta(minutes=minute)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def stop_order_alarm(eng) -> dict:
    """A red alert over 临汾市 from minute 20 (08:20 local) to 120; the enterprise's list stops production P1 (焦炉)
    at red. P1 keeps running at about 100 kW, its treatment T1 (除尘) at about 30 kW: the engine, with the orders of
    the measures' read model, raises ALM-PWR-ORDER-STOP."""
    with eng.begin() as c:
        c.execute(delete(s.pollution_alerts))
        c.execute(delete(power_measures))
        c.execute(insert(power_measures).values(enterprise_id=1, level="red", equipment_id=1, measure="stop"))
        c.execute(insert(s.pollution_alerts).values(id=7, region_code="141000", level="red", starts_at=at(20),
                                                    ends_at=at(120), issued_by="临汾市重污染天气应急指挥部",
                                                    entered_by="test", entered_at=T0))
    pe = PowerEngine(eng, locale="zh", orders_for=orders_for)
    write_minutes(eng, 0, [ON_P - (i % 7) for i in range(40)], [ON_T + (i % 3) for i in range(40)])
    asyncio.run(pe.pass_once(at(40)))
    with eng.connect() as c:
        [alarm] = c.execute(select(s.alarms)).mappings().all()
    assert alarm["type"] == "ALM-PWR-ORDER-STOP" and alarm["point_id"] is None
    return dict(alarm)


def archive(eng, received_minute: int, text: str) -> bytes:
    raw = text.encode()
    with eng.begin() as c:
        c.execute(insert(s.raw_frames).values(received_at=at(received_minute), transport="power-hj212", mn="PWR0001",
                                              cn="2051", qn=f"Q{received_minute}", status="accepted", raw=raw))
    return raw


def test_a_stop_order_alarm_pack_holds_the_power_of_the_window_in_local_time(power_db, tmp_path):
    eng = power_db
    alarm = stop_order_alarm(eng)
    inside = archive(eng, 25, "##0101QN=Q25;ST=31;CN=2051;MN=PWR0001;CP=&&SB1-P-Avg=99.0&&")
    archive(eng, 5 * 60, "##late frame, hours after the span")
    pack = build_evidence_pack(eng, alarm["id"], now=at(45), default_tz="Asia/Ho_Chi_Minh")
    assert pack.tz == "Asia/Shanghai"                       # the enterprise's loggers' zone, not the default
    assert pack.data is not None and pack.factors == [] and pack.marks == []
    assert (pack.span_start, pack.window_start) == (at(20), T0 - timedelta(hours=6))   # floored to the hour
    assert [s.label.split("\n")[1] for s in pack.data.series] == ["P1", "T1"]   # the line and its treatment
    p1 = pack.data.series[0]
    assert p1.values[p1.times.index(at(22))] == ON_P - 1 and [line.value for line in p1.lines] == [10, 5]
    assert [b.start for b in pack.data.bands] == [at(20)] and "红色" in pack.data.bands[0].label
    assert [f.sha256 for f in pack.frames] == [hashlib.sha256(inside).hexdigest()]
    assert pack.frames_sha256 == hashlib.sha256(inside).hexdigest() and pack.frames_total == 1
    assert "PWR-ORDER-STOP-RUNNING" in [r.code for r in pack.rules]

    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    flat = "".join(text.split())
    assert "UTC" not in text and "+00:00" not in text
    assert "2026-12-0108:20:00+08:00" in flat                       # the span's start, local with its offset
    assert "2026-12-0108:22+08:00" in flat and "99.0" in flat          # a minute of the span: P1 at 99 kW
    assert "31.0" in flat and "焦炉" in text and "除尘" in text          # T1's power, by name
    assert "停产令" in flat and "PWR0001" in flat and hashlib.sha256(inside).hexdigest()[:16] in flat
    assert "窗口内无数据" not in flat and "4标记" not in flat and "监测点" not in flat   # no monitoring section
    headings = re.findall(r"^(\d) (\S+)", text, flags=re.M)
    assert [n for n, _ in headings] == [str(i) for i in range(1, len(headings) + 1)]   # numbered without gaps
    assert {"告警概况", "说明与依据", "数据窗口", "原始报文", "告警历史", "链接"} <= {w for _, w in headings}


def test_a_vietnamese_reader_gets_the_power_section_in_vietnamese(power_db, tmp_path):
    eng = power_db
    alarm = stop_order_alarm(eng)
    pack = build_evidence_pack(eng, alarm["id"], now=at(45), lang="vi")
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    assert "01/12/2026 08:20:00 +08:00" in text and "UTC" not in text
    # the Chinese world's names, and the alarm's history as stored (its explanation in the deployment's language)
    data = {"焦炉", "除尘", "临汾焦化", "临汾市", "山西省", alarm["explanation"], alarm["title"]}
    han = {w for w in re.findall(r"[\u3400-\u9fff]+", text) if not any(w in d for d in data)}
    cited = {w for r in pack.rules for w in re.findall(r"[\u3400-\u9fff]+", r.source or "")}
    assert han <= cited, [line for line in text.splitlines() if any(w in line for w in han - cited)]


def test_an_alarm_without_point_of_another_subsystem_is_in_local_time_without_empty_sections(power_db, tmp_path):
    """A gate's alarm (enterprise, no point, no data of its subsystem here): the deployment's zone, the alarm's
    summary, rules, history and links; no empty data window, marks or frames."""
    full_catalogue()   # every subsystem's alarm types registered, as in the service
    eng = power_db
    alarm, _ = raise_alarm(eng, type="ALM-VEH-NO-LEDGER", source_type="gate", source_id="1:G1", severity="warning",
                           title="临汾焦化: vehicle without ledger", explanation="A truck entered without a ledger entry.",
                           evidence={}, enterprise_id=1, at=at(30))
    pack = build_evidence_pack(eng, alarm["id"], now=at(45), default_tz="Asia/Shanghai")
    assert pack.tz == "Asia/Shanghai" and pack.data is None
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    assert "2026-12-01 08:30:00 +08:00" in text and "UTC" not in text
    flat = "".join(text.split())
    for gone in ("数据窗口", "标记Marks", "原始报文Raw", "窗口内无数据", "MN—"):
        assert gone not in flat, gone
    assert [n for n, _ in re.findall(r"^(\d) (\S+)", text, flags=re.M)] == ["1", "2", "3", "4"]


