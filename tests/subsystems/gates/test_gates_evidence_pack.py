"""The evidence pack (证据包) of a gate alarm shows the gate record that proves it (``Subsystem.evidence_data``): the
passages of the window with plate, stage, fuel, gate, direction and the capture's SHA-256, the ledger rows, the
orange alert in force with the least stage grade B allows, the counts, every time in the enterprise's local time
(+08:00); in Chinese and in Vietnamese. Raised by the checks job on a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from ecosentry.store import pollution_alerts
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.checks_job import CheckJob
from ecosentry.subsystems.gates.reports.evidence import hourly_counts
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.monitoring.reports.evidence import build_evidence_pack, evidence_pack_pdf
from gates_dbkit import STAGE4, STAGE5, STAGE6, gates_database, png

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)   # 18:00 in 临汾
CAPTURE = png(4)
SHA = hashlib.sha256(CAPTURE).hexdigest()


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "pack") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


class Gate:
    def __init__(self, url: str) -> None:
        self.engine = gates_database(url)
        with self.engine.connect() as c:
            self.ent = c.scalar(select(s.enterprises.c.id))
            self.gate = c.scalar(select(gs.gates_gates.c.id).where(gs.gates_gates.c.code == "G1"))
            self.device = c.scalar(select(gs.gates_devices.c.id).where(gs.gates_devices.c.code == "GD-0001"))
        self.seq = 0

    def passage(self, at: datetime, plate: str, inbound: bool = True, stage: str | None = None,
                ledger: bool = True, picture: str | None = None) -> int:
        self.seq += 1
        with self.engine.begin() as c:
            pid = c.execute(insert(gs.gates_passages).values(
                spool="t", spool_seq=self.seq, enterprise_id=self.ent, gate_id=self.gate, device_id=self.device,
                at=at, received_at=at, inbound=inbound, plate=plate, confidence=0.99, picture=picture)
                .returning(gs.gates_passages.c.id)).scalar_one()
            if ledger:
                c.execute(insert(gs.gates_ledger).values(
                    enterprise_id=self.ent, source="camera", passage_id=pid, at=at, inbound=inbound, plate=plate,
                    vin="LZZ1CLVB5KA123456", emission_stage=stage, fuel="diesel", cargo="煤", weight_t=31.5,
                    entered_at=at))
        return pid

    def alarm(self, kind: str, now: datetime = NOW) -> dict:
        CheckJob(self.engine, GatesSettings(camera={"working_hours": "00:00-24:00"})).pass_sync(now)
        with self.engine.connect() as c:
            [alarm] = c.execute(select(s.alarms).where(s.alarms.c.type == kind)).mappings().all()
        return dict(alarm)


@pytest.fixture
def gate(db_url) -> Gate:
    return Gate(db_url)


def stage_alarm(gate: Gate) -> dict:
    """An orange alert over 山西省 from 13:00 to 23:00 local; 晋A12344 (国四, grade B needs 国五 at orange) enters
    through 东门 at 16:00 with its capture stored, 晋A12346 (国六) at 16:05; 晋A12344 leaves at 17:00."""
    pollution_alerts.issue(gate.engine, region_code="140000", level="orange", starts_at=NOW - timedelta(hours=5),
                           ends_at=NOW + timedelta(hours=5), issued_by="山西省重污染天气应急指挥部", actor="test")
    with gate.engine.begin() as c:
        c.execute(insert(gs.gates_pictures).values(sha256=SHA, content_type="image/png", size=len(CAPTURE),
                                                   stored_at=NOW - timedelta(hours=2)))
    refused = gate.passage(NOW - timedelta(hours=2), STAGE4, stage="4", picture=SHA)
    with gate.engine.begin() as c:      # the gate's rule refused it; the guard let it through
        c.execute(insert(gs.gates_decisions), [
            {"passage_id": refused, "kind": "rule", "allowed": False, "reason": "stage_below", "stage": "4",
             "level": "orange", "grade": "B", "decided_at": NOW - timedelta(hours=2)},
            {"passage_id": refused, "kind": "override", "allowed": True, "reason": "override", "stage": "4",
             "level": "orange", "grade": "B", "decided_at": NOW - timedelta(hours=2)}])
    gate.passage(NOW - timedelta(hours=1, minutes=55), STAGE6, stage="6")
    gate.passage(NOW - timedelta(hours=1), STAGE4, inbound=False, stage="4")
    return gate.alarm("ALM-VEH-ALERT-STAGE")


def test_a_stage_alarm_pack_holds_the_passages_ledger_and_alert_in_local_time(gate, tmp_path):
    alarm = stage_alarm(gate)
    pack = build_evidence_pack(gate.engine, alarm["id"], now=NOW, default_tz="Asia/Ho_Chi_Minh")
    data = pack.data
    assert pack.tz == "Asia/Shanghai" and data is not None       # the enterprise's zone, not the default
    assert pack.factors == [] and pack.frames == []                 # no monitoring data, no raw frames kept
    assert (data.span_start, data.span_end) == (NOW - timedelta(hours=2), NOW - timedelta(hours=1))   # its passages
    assert data.window_start == NOW - timedelta(hours=8)           # 6 h before, on the hour
    entries = data.series[0]
    assert sum(entries.values) == 2 and entries.values[entries.times.index(NOW - timedelta(hours=2))] == 2
    assert sum(data.series[1].values) == 1
    assert data.values_label == "每小时车辆数 Vehicles counted each hour"   # the chart's legend: hourly counts, not minutes
    assert [b.start for b in data.bands] == [NOW - timedelta(hours=5)] and "橙色" in data.bands[0].label
    assert "VEH-ALERT-STAGE" in [r.code for r in pack.rules]

    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    flat = "".join(text.split())
    assert "UTC" not in text and "+00:00" not in text
    assert "2026-12-0616:00:00+08:00" in flat                       # the passage, local with its offset
    assert "2026-12-0613:00:00+08:00" in flat and "2026-12-0623:00:00+08:00" in flat   # the alert's period
    assert "*2026-12-0616:00:00+08:00" in flat                      # named by the finding
    assert STAGE4 in flat and STAGE6 in flat and "国四" in flat and "国六" in flat and "东门(G1)" in flat
    assert "柴油" in flat and "进厂" in flat and "出厂" in flat and "煤" in flat and "31.5" in flat
    assert SHA in flat                                               # the capture's SHA-256, whole
    assert "国五(B)" in flat and "山西省重污染天气应急指挥部" in flat     # the least stage grade B allows at orange
    assert "LZZ1CLVB5KA123456" in flat
    assert "拒绝；门卫：放行" in flat and "门禁规则拒绝" in flat   # the rule's decision, the guard's beside it
    headings = re.findall(r"^(\d) (\S+)", text, flags=re.M)
    assert [n for n, _ in headings] == [str(i) for i in range(1, len(headings) + 1)]   # numbered without gaps
    assert {"告警概况", "说明与依据", "数据窗口", "告警历史", "链接"} <= {w for _, w in headings}
    assert "原始报文" not in {w for _, w in headings} and "窗口内无数据" not in flat and "监测点" not in flat


def test_a_vietnamese_reader_gets_the_gate_section_in_vietnamese(gate, tmp_path):
    gate.passage(NOW - timedelta(hours=2), STAGE6, stage="6")
    gate.passage(NOW - timedelta(seconds=10), STAGE6, inbound=False, stage="6")
    gate.passage(NOW - timedelta(hours=1), STAGE5, ledger=False)       # its ledger row was never made
    alarm = gate.alarm("ALM-VEH-NO-LEDGER")
    pack = build_evidence_pack(gate.engine, alarm["id"], now=NOW, lang="vi")
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    flat = "".join(text.split())
    assert "06/12/2026 17:00:00 +08:00" in text and "UTC" not in text
    assert "*06/12/2026" in flat and STAGE5 in flat and "vào" in text
    assert "VEH-PASSAGE-NO-LEDGER" in text
    # the Chinese world's names, and the alarm's history as stored (its explanation in the deployment's language)
    data = {"临汾焦化", "临汾市", "山西省", "东门", "侧门", "煤", STAGE5, STAGE6, alarm["explanation"], alarm["title"]}
    han = {w for w in re.findall(r"[\u3400-\u9fff]+", text) if not any(w in d for d in data)}
    cited = {w for r in pack.rules for w in re.findall(r"[\u3400-\u9fff]+", r.source or "")}
    assert han <= cited, [line for line in text.splitlines() if any(w in line for w in han - cited)]


def test_hourly_counts_put_each_passage_in_its_clock_hour():
    t0 = NOW - timedelta(hours=3)
    traffic = [{"at": t0, "inbound": True}, {"at": t0 + timedelta(minutes=59, seconds=59), "inbound": True},
               {"at": t0 + timedelta(hours=1), "inbound": False}, {"at": t0 + timedelta(hours=3), "inbound": True},
               {"at": t0 - timedelta(seconds=1), "inbound": True}]
    assert hourly_counts(t0, 3, traffic) == ([2, 0, 0], [0, 1, 0])


def test_a_silent_camera_pack_shows_the_devices_signs_of_life_around_the_silence(gate, tmp_path):
    """东门's device beats every minute until 17:20 local, then nothing: the pack of ALM-VEH-CAMERA-OFFLINE lists
    its heartbeats and the last one before the silence, in local time."""
    rows, t = [], NOW - timedelta(hours=3)
    while t <= NOW - timedelta(minutes=40):
        rows.append({"device_id": gate.device, "at": t, "status": "ok"})
        t += timedelta(seconds=60)
    with gate.engine.begin() as c:
        c.execute(insert(gs.gates_heartbeats), rows)
    alarm = gate.alarm("ALM-VEH-CAMERA-OFFLINE")
    pack = build_evidence_pack(gate.engine, alarm["id"], now=NOW)
    assert pack.data is not None and "VEH-CAMERA-OFFLINE" in [r.code for r in pack.rules]
    [signs] = [tb for tb in pack.data.tables if "心跳" in tb.caption]
    g1 = next(r for r in signs.rows if r[1] == "GD-0001")
    assert g1[4] == "2026-12-06 17:20:00 +08:00" and g1[5] == "—"        # silent since, not heard again
    assert int(g1[2]) == sum(1 for r in rows if r["at"] >= pack.window_start)
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    assert "UTC" not in text and "GD-0001" in text and "2026-12-0617:20:00+08:00" in "".join(text.split())
