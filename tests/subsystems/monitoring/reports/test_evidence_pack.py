"""The evidence pack (证据包) of an alarm: model (window, hourly rows, limits, marks, frames, digest) from a real
database, the PDF read back with pdftotext, the API route (PDF and 404) and the CLI command."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from typer.testing import CliRunner

from ecosentry.alarms.store import AlarmNotFound, acknowledge, add_comment, add_link, raise_alarm
from ecosentry.subsystems.monitoring.api.evidence import router
from ecosentry.catalogue import full_catalogue
from ecosentry.subsystems.monitoring.reports.evidence import (EvidenceSettings, alarm_span, build_evidence_pack, evidence_pack_pdf,
                                        evidence_window, frames_digest)
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import file_mark
from ecosentry.fleet import import_fleet
from ecosentry.web.errors import install_error_pages

sys.path.insert(0, str(Path(__file__).parents[3] / "e2e"))
from helpers import FLEET, GAS_MN, WATER_MN, AsUsers, minute_frame  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[4] / "test-artifacts"))
UTC = timezone.utc
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)      # finding start (10:00 Asia/Shanghai)
T1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)      # finding end
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
SO2_LIMIT = 35.0


def hour_row(point_id: int, code: str, start: datetime, value, zs=None, valid=True, reason=None, exceeded=None,
             mark_ids=None) -> dict:
    return {"point_id": point_id, "factor_code": code, "period_start": start, "value": value, "zs_value": zs,
            "min": None, "max": None, "cou": None, "flag": "N" if valid else "M", "valid": valid,
            "valid_minutes": 60 if valid else 30, "received_minutes": 60, "n_records": 60, "reason": reason,
            "computed_at": NOW, "mark_ids": mark_ids, "exceeded": exceeded,
            "limit_value": SO2_LIMIT if code == "a21026" else None}


def frame_row(point_id: int, mn: str, received: datetime, raw: bytes) -> dict:
    return {"received_at": received, "transport": "hj212-tcp", "peer": "127.0.0.1:5000", "mn": mn, "cn": "2051",
            "qn": received.strftime("%Y%m%d%H%M%S") + "000", "point_id": point_id, "status": "accepted", "raw": raw}


@pytest.fixture
def setup(db_url):
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        gas, water = ids[GAS_MN], ids[WATER_MN]
        conn.execute(insert(s.limits).values(point_id=gas, factor_code="a21026", kind="hour", upper=SO2_LIMIT,
                                             valid_from=datetime(2020, 1, 1).date(), standard="GB 13223-2011 表1"))
        rows = []
        for i in range(-10, 8):   # 2026-11-19 16:00Z … 2026-11-20 09:00Z
            t = T0 + timedelta(hours=i)
            so2 = 30.0 if not 0 <= i < 4 else 42.0
            if i == 5:
                rows.append(hour_row(gas, "a21026", t, 12.0, 15.0, valid=False, reason="有效分钟数 30 < 45"))
            else:
                rows.append(hour_row(gas, "a21026", t, so2, so2 * 1.1, exceeded=so2 * 1.1 > SO2_LIMIT))
            rows.append(hour_row(gas, "a19001", t, 9.0))
        conn.execute(insert(s.hourly_values), rows)
        frames = {}
        for label, pid, mn, received in (
                ("before", gas, GAS_MN, T0 - timedelta(minutes=1)),
                ("a", gas, GAS_MN, T0 + timedelta(minutes=30)),
                ("b", gas, GAS_MN, T0 + timedelta(hours=2)),
                ("grace", gas, GAS_MN, T1 + timedelta(minutes=59)),
                ("late", gas, GAS_MN, T1 + timedelta(minutes=61)),
                ("other", water, WATER_MN, T0 + timedelta(hours=1))):
            local = (received + timedelta(hours=8)).replace(tzinfo=None)
            raw = minute_frame(mn, local.replace(second=0), {"a21026": 42.0, "a19001": 9.0})
            conn.execute(insert(s.raw_frames).values(**frame_row(pid, mn, received, raw)))
            frames[label] = raw
    mark_id = file_mark(engine, point_id=gas, type="maintenance", start=T0 + timedelta(hours=4),
                        end=T0 + timedelta(hours=5, minutes=30), reason="更换采样探头", filed_by="运维张工")
    file_mark(engine, point_id=gas, type="maintenance", start=T0 - timedelta(days=3),
              end=T0 - timedelta(days=3) + timedelta(hours=1), reason="outside the window", filed_by="x")
    finding = {"code": "DET-CONST-4H", "severity": "critical", "point": GAS_MN, "factor": "a21026",
               "start": T0.isoformat().replace("+00:00", "Z"), "end": T1.isoformat().replace("+00:00", "Z"),
               "explanation": "SO2 stayed at 42.0 mg/m³ for 4 h.", "evidence": {"value": 42.0}}
    alarm, _ = raise_alarm(engine, type="ALM-FALSIFICATION", source_type="point", source_id=gas, severity="critical",
                           title=f"{GAS_MN}: DET-CONST-4H", explanation="SO2 stayed at 42.0 mg/m³ for 4 h.",
                           evidence={"findings": [finding], "n_findings": 1, "codes": ["DET-CONST-4H"]},
                           point_id=gas, factor_codes=["a21026"], at=NOW)
    acknowledge(engine, alarm["id"], "city-officer", "现场核查", at=NOW + timedelta(minutes=5))
    add_comment(engine, alarm["id"], "已通知企业", "city-officer", at=NOW + timedelta(minutes=6))
    add_link(engine, alarm["id"], "mark", mark_id, "city-officer", at=NOW + timedelta(minutes=7))
    with engine.begin() as conn:
        conn.execute(insert(s.alarm_deliveries).values(alarm_id=alarm["id"], event="raised", channel="email",
                                                       recipient="officer@example.org", at=NOW, ok=True))
    yield engine, alarm["id"], gas, frames, mark_id
    engine.dispose()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_window_is_widened_floored_and_capped():
    st = EvidenceSettings()
    t0, t1, capped = evidence_window(T0 + timedelta(minutes=10), T1 + timedelta(minutes=1), st)
    assert (t0, t1, capped) == (T0 - timedelta(hours=6), T1 + timedelta(hours=3), False)
    t0, t1, capped = evidence_window(T0 - timedelta(days=30), T1, st)
    assert capped and t1 == T1 + timedelta(hours=2) and t1 - t0 == timedelta(days=7)


def test_span_from_periods_and_offline_evidence():
    base = {"first_at": NOW, "last_at": NOW + timedelta(hours=1)}
    exc = {**base, "evidence": {"periods": [{"factor_code": "a21026", "period": "hour",
                                             "period_start": "2026-11-20T03:00:00+00:00"}]}}
    assert alarm_span(exc) == (datetime(2026, 11, 20, 3, tzinfo=UTC), NOW + timedelta(hours=1))
    off = {**base, "evidence": {"last_received_at": "2026-11-20T05:10:00+00:00"}}
    assert alarm_span(off) == (datetime(2026, 11, 20, 5, 10, tzinfo=UTC), NOW + timedelta(hours=1))
    assert alarm_span({**base, "evidence": None}) == (NOW, NOW + timedelta(hours=1))


def test_model_window_rows_limits_marks_frames_and_digest(setup):
    engine, alarm_id, gas, frames, mark_id = setup
    pack = build_evidence_pack(engine, alarm_id, base_url="https://eco.example.cn/", now=NOW)
    assert (pack.span_start, pack.span_end) == (T0, T1)
    assert (pack.window_start, pack.window_end) == (T0 - timedelta(hours=6), T1 + timedelta(hours=2))
    assert [f.code for f in pack.factors] == ["a21026"]          # the alarm's factor only
    assert [h.start for h in pack.hours] == [T0 + timedelta(hours=i) for i in range(-6, 6)]
    invalid = [h for h in pack.hours if not h.valid]
    assert len(invalid) == 1 and invalid[0].start == T0 + timedelta(hours=5) and "30 < 45" in invalid[0].reason
    assert sum(bool(h.exceeded) for h in pack.hours) == 4
    assert pack.limit_kind == {"a21026": "hour"} and {v for _, v in pack.limits["a21026"]} == {SO2_LIMIT}
    assert [m.id for m in pack.marks] == [mark_id] and pack.marks[0].filed_by == "运维张工"
    # frames of the point received in the span plus 60 min grace, oldest first; the water point's excluded
    listed = [frames["a"], frames["b"], frames["grace"]]
    assert [f.sha256 for f in pack.frames] == [hashlib.sha256(r).hexdigest() for r in listed]
    assert pack.frames_total == 3 and pack.frames_sha256 == frames_digest(listed) == hashlib.sha256(
        b"".join(listed)).hexdigest()
    assert pack.frames[0].cn == "2051" and pack.frames[0].text.startswith("##")
    assert [r.code for r in pack.rules] == ["ALM-FALSIFICATION", "DET-CONST-4H"]
    assert [e["kind"] for e in pack.events] == ["raised", "acknowledged", "commented", "linked"]
    assert pack.deliveries[0]["recipient"] == "officer@example.org"
    urls = dict(pack.links)
    assert urls["告警页面 Alarm in the web UI"] == f"https://eco.example.cn/alarms/{alarm_id}"
    assert f"https://eco.example.cn/api/v1/marks/{mark_id}" in urls.values()
    assert pack.local(T0) == "2026-11-20 10:00:00 +08:00"
    assert (pack.enterprise, pack.credit_code, pack.mn) == ("苏州测试热电有限公司", "91320506MA1TEST001", GAS_MN)
    assert pack.region == "江苏省 苏州市 吴中区（320506）"

    small = build_evidence_pack(engine, alarm_id, settings=EvidenceSettings(max_frames=2, frame_chars=40), now=NOW)
    assert small.frames_total == 3 and len(small.frames) == 2 and small.frames_sha256 == frames_digest(listed[:2])
    assert len(small.frames[0].text) == 41 and small.frames[0].text.endswith("…")
    assert dict(small.links)["告警页面 Alarm in the web UI"] == f"/alarms/{alarm_id}"

    with pytest.raises(AlarmNotFound):
        build_evidence_pack(engine, 9999)


def test_frames_back_filled_after_the_span_are_evidence_of_it(setup):
    """A logger back-fills an outage the next morning: the frames carrying the span's minutes arrive long after
    it, and they are the raw evidence of those minutes (before: only frames received in the span were listed)."""
    engine, alarm_id, gas, frames, _ = setup
    received = T1 + timedelta(hours=20)
    raw = minute_frame(GAS_MN, (T0 + timedelta(hours=9, minutes=15)).replace(tzinfo=None), {"a21026": 42.0})
    with engine.begin() as conn:
        rid = conn.execute(insert(s.raw_frames).values(**frame_row(gas, GAS_MN, received, raw))
                           .returning(s.raw_frames.c.id)).scalar_one()
        conn.execute(insert(s.observations).values(point_id=gas, factor_code="a21026", kind="min",
                                                   period_start=T0 + timedelta(hours=1, minutes=15), value=42.0,
                                                   flag="N", received_at=received, raw_frame_id=rid))
    pack = build_evidence_pack(engine, alarm_id, now=received + timedelta(minutes=1))
    listed = [frames["a"], frames["b"], frames["grace"], raw]
    assert pack.frames_total == 4 and [f.sha256 for f in pack.frames] == [hashlib.sha256(r).hexdigest()
                                                                           for r in listed]


def test_pdf_carries_mn_code_enterprise_rule_and_digest(setup, tmp_path):
    engine, alarm_id, _gas, _frames, _mark = setup
    pack = build_evidence_pack(engine, alarm_id, now=NOW)
    pdf = evidence_pack_pdf(pack)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    flat = squeeze(text)
    rule = next(r for r in full_catalogue() if r.code == "DET-CONST-4H")
    for needle in (GAS_MN, "ALM-FALSIFICATION", "DET-CONST-4H", "苏州测试热电有限公司", "91320506MA1TEST001",
                   "告警证据包", "更换采样探头", "2026-11-2010:00", pack.frames_sha256, rule.summary[:40]):
        assert squeeze(needle) in flat, needle
    assert "第1页/共" in flat
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "evidence-pack.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(ARTIFACTS / "evidence-pack.pdf"),
                        str(ARTIFACTS / "evidence-pack")], check=True)


def _exceedance_alarm(engine, gas: int) -> int:
    """An exceedance alarm of the 11:00 (local) SO2 hour: 46.2 against 35, 0.32 times over."""
    period = {"factor_code": "a21026", "period": "hour", "period_start": T0 + timedelta(hours=1),
              "judged_value": 46.2, "exceeded": True, "multiple": 0.32, "limit_value": SO2_LIMIT}
    alarm, _ = raise_alarm(engine, type="ALM-EXCEEDANCE", source_type="point", source_id=gas, severity=None,
                           title=f"{GAS_MN}: exceedance of a21026", explanation="Point exceeds its limit.",
                           evidence={"periods": [period]}, point_id=gas, factor_codes=["a21026"], at=NOW)
    return alarm["id"]


def test_exceedance_alarm_lists_its_periods(setup, tmp_path):
    engine, _alarm_id, gas, _frames, _mark = setup
    pack = build_evidence_pack(engine, _exceedance_alarm(engine, gas), now=NOW)
    assert [(p.factor_code, p.value, p.limit_value, p.multiple) for p in pack.periods] == [
        ("a21026", 46.2, SO2_LIMIT, 0.32)]
    assert pack.span_start == T0 + timedelta(hours=1) and pack.span_end == NOW
    assert [r.code for r in pack.rules] == ["ALM-EXCEEDANCE", "CN-EXC-GAS-HOUR"]
    flat = squeeze(pdf_text(evidence_pack_pdf(pack), tmp_path))
    assert "46.2" in flat and "0.32" in flat and "CN-EXC-GAS-HOUR" in flat


async def test_route_gives_the_pdf_and_404(setup):
    engine, alarm_id, *_ = setup
    app = FastAPI()
    app.include_router(router)
    install_error_pages(app)  # the app's answer to a refusal (its detail said in the reader's language)
    app.state.engine = engine
    async with httpx.AsyncClient(transport=AsUsers(app, engine), base_url="http://t") as api:
        r = await api.get(f"/api/v1/alarms/{alarm_id}/evidence.pdf", params={"max_frames": 1})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF") and f"alarm-{alarm_id}-evidence.pdf" in r.headers["content-disposition"]
        missing = await api.get("/api/v1/alarms/9999/evidence.pdf")
        assert missing.status_code == 404 and "9999" in missing.json()["detail"]


def test_cli_writes_the_pack(setup, tmp_path, db_url, monkeypatch):
    import typer

    from ecosentry.subsystems.monitoring.cli.evidence import evidence_command
    from ecosentry.settings import get_settings

    _engine, alarm_id, *_ = setup
    app = typer.Typer()
    app.command()(evidence_command)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "pack.pdf"
        res = CliRunner().invoke(app, ["--id", str(alarm_id), "--output", str(out)])
        assert res.exit_code == 0, res.output
        assert out.read_bytes().startswith(b"%PDF") and GAS_MN in pdf_text(out.read_bytes(), tmp_path)
        res = CliRunner().invoke(app, ["--id", "9999", "--output", str(tmp_path / "no.pdf")])
        assert res.exit_code == 2 and not (tmp_path / "no.pdf").exists()
    finally:
        get_settings.cache_clear()


def test_pack_says_the_alarm_and_marks_in_chinese(setup):
    """The pack's title and explanation name the enterprise, point and factor with local times; marks show
    their type and family by name (not ``equipment_maintenance``)."""
    from ecosentry.subsystems.monitoring.reports.evidence import hour_reason, mark_kind

    engine, _alarm_id, gas, _frames, _mark = setup
    pack = build_evidence_pack(engine, _exceedance_alarm(engine, gas), now=NOW)
    assert pack.title_text.startswith("苏州测试热电有限公司") and "二氧化硫" in pack.title_text
    assert "超过限值" in pack.explanation_text and "11:00" in pack.explanation_text  # 03:00 UTC
    assert [mark_kind(m) for m in pack.marks] == ["维护（设备维护）"]
    assert [hour_reason(h) for h in pack.hours if not h.valid] == ["有效分钟数 30 < 45"]  # already a sentence


def test_a_vietnamese_reader_gets_a_vietnamese_pack(setup, tmp_path):
    """``lang="vi"`` (the alarm page of a Vietnamese reader, issue 14 item 7): headings, labels, the alarm's
    title and explanation, factor names, mark and hour reasons in Vietnamese, times dd/mm/yyyy, no Chinese word
    of the pack itself (the enterprise's Chinese name and the cited Chinese standards are data)."""
    import dataclasses
    import re

    from ecosentry.subsystems.monitoring.reports.evidence import VI_LABELS, hour_reason, mark_kind

    engine, _alarm_id, gas, _frames, _mark = setup
    pack = build_evidence_pack(engine, _exceedance_alarm(engine, gas), now=NOW, lang="vi")
    assert "Lưu huỳnh đioxit" in pack.title_text and "vượt quy chuẩn" in pack.explanation_text
    assert "20/11/2026 11:00" in pack.explanation_text and pack.local(NOW).startswith("20/11/2026")
    assert [f.name_zh for f in pack.factors if f.code == "a21026"] == ["Lưu huỳnh đioxit (SO2)"]
    assert [mark_kind(m, "vi") for m in pack.marks] == ["Bảo trì（Bảo trì thiết bị）"]
    invalid = next(h for h in pack.hours if not h.valid)
    said = hour_reason(dataclasses.replace(invalid, reason="valid minutes 30 < 45"), "vi")
    assert said and not re.search(r"[\u3400-\u9fff]|valid", said), said    # the rules' shorthand, said in vi
    text = pdf_text(evidence_pack_pdf(pack), tmp_path)
    for needle in ("Hồ sơ chứng cứ cảnh báo", "1 Tổng quan cảnh báo", "Mã số thuế (MST)", "Lưu huỳnh đioxit",
                   "3 Cửa sổ số liệu", "Trang 1 / ", "20/11/2026 11:00"):
        assert needle in text, needle
    # the Chinese world's own names and texts: enterprise, outlet and point, a mark's reason and filer, a stored
    # hour reason
    data = {"苏州测试热电有限公司", "1号锅炉排口", "1号锅炉CEMS", "更换采样探头", "运维张工", "有效分钟数", "苏州市",
            "吴中区", "江苏省"}
    han = {w for w in re.findall(r"[\u3400-\u9fff]+", text) if not any(w in d for d in data)}
    cited = {w for r in pack.rules for w in re.findall(r"[\u3400-\u9fff]+", r.source or "")}
    assert han <= cited, [line for line in text.splitlines() if any(w in line for w in han - cited)]
    assert all(not re.search(r"[\u3400-\u9fff]", v) for v in VI_LABELS.values())
