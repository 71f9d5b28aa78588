"""Evidence packs of alarms with the shapes real alarms have (issue 11 items 1h and 10): a CEMS point with nine
factors, minute data over days. Before, an offline or device-fault alarm (every factor of the point) or a
falsification alarm over days with seven factors stopped the PDF with reportlab's "Image too large" (one chart
taller than a page), and the chart showed hourly means only, hiding the minute spike that raised the alarm."""

from __future__ import annotations

import math
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from ecosentry.alarms.store import raise_alarm
from ecosentry.reports.chart import minmax_envelope
from ecosentry.subsystems.monitoring.reports.evidence import build_evidence_pack, chart_groups, evidence_pack_pdf
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.partitions import ensure_month_partitions
from ecosentry.fleet import import_fleet

UTC = timezone.utc
MN = "SHAPE000000000000000GAS1"
#: A coal boiler's CEMS: SO2, NOx, particulates, O2, temperature, pressure, velocity, humidity, flow.
CEMS = ["a21026", "a21002", "a34013", "a19001", "a01012", "a01013", "a01011", "a01014", "a00000"]
START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)       # minute data from here …
DAYS = 4                                             # … for four days
SPIKE_AT = START + timedelta(days=2, hours=5, minutes=17)
SPIKE = 480.0
SO2_LIMIT = 35.0
FLEET = {
    "regions": [{"code": "320000", "name": "江苏省", "level": "province"},
                {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"},
                {"code": "320506", "name": "吴中区", "level": "county", "parent": "320500"}],
    "enterprises": [{
        "credit_code": "91320506MA1SHAPE01", "name": "苏州形状热电有限公司", "region": "320506",
        "outlets": [{"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "ref_o2": 6.0,
                     "points": [{"mn": MN, "password": "123456", "st": "31", "name": "1号锅炉CEMS",
                                 "min_interval": 1, "factors": [
                                     {"code": "a21026", "range": [0, 600], "limits": [{"kind": "hour",
                                                                                       "upper": SO2_LIMIT}]},
                                     *({"code": c} for c in CEMS[1:])]}]}]}],
}


def _level(code: str) -> float:
    return {"a21026": 20.0, "a21002": 45.0, "a34013": 4.0, "a19001": 9.0, "a01012": 120.0, "a01013": -0.2,
            "a01011": 11.0, "a01014": 8.0, "a00000": 3.0e5}[code]


def _cems_days(engine) -> int:
    """The CEMS point and its DAYS of minute data and hourly means; returns the point's id."""
    import_fleet(engine, FLEET)
    with engine.begin() as conn:
        ensure_month_partitions(conn, around=START.date())
        pid = conn.execute(select(s.points.c.id).where(s.points.c.mn == MN)).scalar_one()
        minutes, hours = [], []
        n = DAYS * 24 * 60
        for code in CEMS:
            base = _level(code)
            values = [base * (1 + 0.05 * math.sin(i / 37.0)) for i in range(n)]
            if code == "a21026":
                values[int((SPIKE_AT - START).total_seconds() // 60)] = SPIKE
            minutes += [{"point_id": pid, "factor_code": code, "kind": "min",
                         "period_start": START + timedelta(minutes=i), "value": v,
                         "zs_value": v * 1.2 if code in ("a21026", "a21002", "a34013") else None,
                         "flag": "N", "received_at": START + timedelta(minutes=i + 1)} for i, v in enumerate(values)]
            for h in range(DAYS * 24):
                mean = sum(values[h * 60:(h + 1) * 60]) / 60
                hours.append({"point_id": pid, "factor_code": code, "period_start": START + timedelta(hours=h),
                              "value": mean, "zs_value": mean * 1.2 if code == "a21026" else None, "flag": "N",
                              "valid": True, "valid_minutes": 60, "received_minutes": 60, "n_records": 60,
                              "computed_at": START + timedelta(days=DAYS), "exceeded": False,
                              "limit_value": SO2_LIMIT if code == "a21026" else None})
        conn.execute(insert(s.observations), minutes)
        conn.execute(insert(s.hourly_values), hours)
    return pid


@pytest.fixture
def fleet(db_kind, built_database):
    """A database of each kind holding :func:`_cems_days`: written once per module and kind (~1 s of CPU),
    copied for each test."""
    url, pid = built_database(db_kind, _cems_days)
    engine = prepare_database(url)
    yield engine, pid
    engine.dispose()


def _offline(engine, pid):
    last = START + timedelta(days=DAYS)
    alarm, _ = raise_alarm(engine, type="ALM-LOGGER-OFFLINE", source_type="point", source_id=pid, severity=None,
                           title=f"{MN}: logger offline", explanation="No data for 3 h.",
                           evidence={"last_received_at": last.isoformat()}, point_id=pid, factor_codes=None,
                           at=last + timedelta(hours=3))
    return alarm["id"]


def _device_fault(engine, pid):
    at = START + timedelta(days=3, hours=4)
    alarm, _ = raise_alarm(engine, type="ALM-DEVICE-FAULT", source_type="point", source_id=pid, severity=None,
                           title=f"{MN}: analyser fault (flag D)", explanation="The logger reports flag D.",
                           evidence={"flags": {"a21026": "D"}}, point_id=pid, factor_codes=None, at=at)
    return alarm["id"]


def _falsification(engine, pid):
    t0, t1 = START + timedelta(hours=12), START + timedelta(days=3, hours=12)
    findings = [{"code": "DET-RANGE-HALFMONTH", "severity": "critical", "factor": c, "point": MN,
                 "start": t0.isoformat(), "end": t1.isoformat(),
                 "explanation": f"{c}: the range of the values stayed within 2 % of the span for 3 days."}
                for c in CEMS[:7]]
    alarm, _ = raise_alarm(engine, type="ALM-FALSIFICATION", source_type="point", source_id=pid, severity="critical",
                           title=f"{MN}: DET-RANGE-HALFMONTH", explanation="Seven factors barely moved for three days.",
                           evidence={"findings": findings, "codes": ["DET-RANGE-HALFMONTH"]}, point_id=pid,
                           factor_codes=CEMS[:7], at=t1)
    return alarm["id"]


def _pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.mark.parametrize("make", [_offline, _device_fault, _falsification], ids=["offline", "fault", "falsification"])
def test_packs_of_alarms_with_many_factors_and_long_windows_render(fleet, tmp_path, make):
    engine, pid = fleet
    pack = build_evidence_pack(engine, make(engine, pid))
    expected = CEMS if pack.alarm["factor_codes"] is None else CEMS[:7]
    assert [f.code for f in pack.factors] == sorted(expected)
    # every factor is charted, four per chart, each chart fits a page
    assert [len(g) for g in chart_groups(pack)] == [4] * (len(expected) // 4) + (
        [len(expected) % 4] if len(expected) % 4 else [])
    # the minute values of the window are in the pack, not only the hourly means
    span = pack.window_end - pack.window_start
    so2 = pack.minutes["a21026"]
    window_minutes = min(span, START + timedelta(days=DAYS) - pack.window_start) // timedelta(minutes=1)
    assert len(so2.times) == window_minutes and so2.times == sorted(so2.times)
    pdf = evidence_pack_pdf(pack)
    assert pdf.startswith(b"%PDF") and _pages(pdf, tmp_path) >= 3
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "pack.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "分钟值" in text and pack.alarm["type"] in text


def test_the_falsification_pack_shows_the_minute_spike(fleet):
    engine, pid = fleet
    pack = build_evidence_pack(engine, _falsification(engine, pid))
    so2 = pack.minutes["a21026"]
    assert SPIKE in so2.values and so2.times[so2.values.index(SPIKE)] == SPIKE_AT
    hourly = next(h.value for h in pack.hours if h.factor_code == "a21026" and h.start <= SPIKE_AT < h.start
                  + timedelta(hours=1))
    assert hourly < 30          # the hourly mean hides it: (59 × ~20 + 480) / 60
    # drawn as the min/max envelope of 600 slices, the spike survives downsampling
    x = np.array([(t - pack.window_start).total_seconds() for t in so2.times])
    span = (pack.window_end - pack.window_start).total_seconds()
    cx, lo, hi = minmax_envelope(x, np.array(so2.values), 0.0, span, pack.settings.chart_slices)
    assert len(cx) == pack.settings.chart_slices < len(x) and np.nanmax(hi) == SPIKE
    assert np.nanmin(lo) == pytest.approx(min(so2.values))


def test_envelope_keeps_short_series_and_marks_empty_slices():
    x = np.arange(100.0)
    cx, lo, hi = minmax_envelope(x, x, 0, 100, 60)
    assert cx is not None and list(lo) == list(x) and list(hi) == list(x)
    y = np.full(10_000, 1.0)
    y[2000:4000] = np.nan     # a gap in the data stays a gap
    cx, lo, hi = minmax_envelope(np.arange(10_000.0), y, 0, 10_000, 100)
    assert np.isnan(hi[25]) and hi[0] == 1.0 and len(cx) == 100


@pytest.mark.parametrize("lang", ["zh", "vi", "en"])
def test_the_pack_cites_published_rules_in_the_readers_language_and_no_design_notes(fleet, tmp_path, lang):
    from ecosentry.catalogue import full_catalogue
    from ecosentry.web.i18n import translations

    engine, pid = fleet
    pack = build_evidence_pack(engine, _falsification(engine, pid))
    tr = translations(lang).gettext
    pdf = evidence_pack_pdf(pack, tr)
    (tmp_path / "pack.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "pack.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = "".join(text.split())
    assert ".md" not in text and "china-vietnam" not in text and "anchors" not in text
    rule = {r.code: r for r in full_catalogue()}["DET-RANGE-HALFMONTH"]
    summary = tr(rule.summary)
    assert (summary != rule.summary) is (lang != "en")
    assert "".join(summary.split())[:30] in flat
    assert "".join("电子督办 恒值".split()) in flat          # the national rule it applies, as the catalogue cites it
    assert [r.source for r in pack.rules] == ["national 电子督办 rules 3, 11–16", "电子督办 恒值"]


def test_every_rule_an_alarm_can_cite_has_a_published_source_or_says_it_is_the_platforms_and_is_translated():
    from ecosentry.catalogue import full_catalogue
    from ecosentry.subsystems.monitoring.rules.citations import public_citations
    from ecosentry.web.i18n import translations

    for r in full_catalogue():
        for part in public_citations(r.source):
            assert ".md" not in part and "ours" not in part.split() and "(ours)" not in part, (r.code, part)
        if r.code.startswith(("ALM-", "DET-", "CN-EXC-", "VN-")):
            for lang in ("zh", "vi"):
                assert translations(lang).gettext(r.summary) != r.summary, (r.code, lang)
    assert public_citations("HJ 75-2017 §12; china-vietnam-rules.md §2.2") == ["HJ 75-2017 §12"]
    assert public_citations("anchors.md §6.1 (last-digit test; Benford caveats)") == []
    assert public_citations("电子督办 category 16 (thresholds ours); docs/benchmarks.md") == ["电子督办 category 16"]


def test_a_long_comment_and_clear_reason_split_over_pages(fleet, tmp_path):
    from ecosentry.alarms.store import add_comment, clear

    engine, pid = fleet
    alarm_id = _device_fault(engine, pid)
    # site-inspection notes pasted into a comment: taller than a page in the history table
    notes = "".join(f"第{i}条：现场核查发现分析仪采样管路堵塞，运维人员未按规定记录。" for i in range(1, 160))
    add_comment(engine, alarm_id, notes, "city-officer", at=START + timedelta(days=3, hours=5))
    clear(engine, alarm_id, "已整改。" * 400, "city-officer", at=START + timedelta(days=3, hours=6))
    pack = build_evidence_pack(engine, alarm_id)
    pdf = evidence_pack_pdf(pack)
    assert _pages(pdf, tmp_path) >= 4
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "pack.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = "".join(text.split())
    assert "第159条" in flat and "第1条" in flat


def test_text_pieces_cut_at_blanks_or_anywhere_in_chinese():
    from ecosentry.subsystems.monitoring.reports.evidence import text_pieces

    assert text_pieces("short", 60) == ["short"]
    words = " ".join(["inspection"] * 40)
    pieces = text_pieces(words, 100)
    assert all(len(p) <= 100 for p in pieces) and " ".join(pieces) == words
    assert all(p.split() == ["inspection"] * len(p.split()) for p in pieces)   # no word cut
    han = "现场核查" * 100
    assert "".join(text_pieces(han, 90)) == han and max(len(p) for p in text_pieces(han, 90)) == 90
