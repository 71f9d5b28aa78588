"""Monthly (月报表), yearly (年报表) and transmission-rate (有效传输率报表) reports: model numbers against hand
arithmetic, XLSX read back with openpyxl, PDFs with the embedded CJK font rendered to PNG."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from ecosentry.subsystems.monitoring.reports.model import MISSING, ReportError
from ecosentry.subsystems.monitoring.reports.periodic import (build_monthly_report, build_yearly_report, local_month_start_utc,
                                        monthly_report_pdf, monthly_report_xlsx, yearly_report_pdf,
                                        yearly_report_xlsx)
from ecosentry.subsystems.monitoring.reports.rate_report import build_rate_report, rate_report_pdf, rate_report_xlsx
from ecosentry.subsystems.monitoring.reports.tabular import XLSX_FIRST_DATA_ROW, XLSX_HEADER_ROW
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet

sys.path.insert(0, str(Path(__file__).parents[3] / "e2e"))
from helpers import FLEET, GAS_MN, WATER_MN  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[4] / "test-artifacts"))
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
RATE_DAY = date(2026, 11, 20)  # local 00:00 Asia/Shanghai = 2026-11-19 16:00 UTC


def local_day_utc(d: date) -> datetime:
    """Local (UTC+8) midnight of ``d`` in UTC: the previous day at 16:00."""
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc) - timedelta(hours=8)


def dp(point_id, code, period, start, value, zs, cou, valid, n_valid, n_expected, reason=None) -> dict:
    return {"point_id": point_id, "factor_code": code, "period": period, "period_start": start, "value": value,
            "zs_value": zs, "cou": cou, "valid": valid, "n_valid": n_valid, "n_received": n_valid,
            "n_expected": n_expected, "reason": reason, "exceeded": None, "multiple": None, "limit_value": None,
            "computed_at": NOW}


def hv(point_id, code, local_hour, valid=True) -> dict:
    start = local_day_utc(RATE_DAY) + timedelta(hours=local_hour)
    return {"point_id": point_id, "factor_code": code, "period_start": start,
            "value": 1.0, "zs_value": None, "min": None, "max": None, "cou": None, "flag": "N" if valid else "D",
            "valid": valid, "valid_minutes": 60 if valid else 10, "received_minutes": 60, "n_records": 60,
            "reason": None if valid else "有效分钟数 10 < 45", "computed_at": NOW}


# November 2026, SO2 (a21026) per local day: (value, zs, cou kg, valid, valid hours)
SO2_DAYS = {1: (30.0, 36.0, 100.0, True, 24), 2: (40.0, 48.0, 120.0, True, 22),
            3: (80.0, 96.0, 10.0, False, 5), 4: (20.0, 24.0, 80.0, True, 20)}
# 2026 SO2 per local month (November comes from the monthly fixture row)
SO2_MONTHS = {1: (30.0, 36.0, 3000.0, True, 28), 2: (40.0, 48.0, 2500.0, True, 24), 3: (90.0, 108.0, 500.0, False, 10)}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('periodic') / 'p.sqlite'}")
    import_fleet(engine, FLEET)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        gas, water = ids[GAS_MN], ids[WATER_MN]
        rows = []
        for d, (v, zs, cou, ok, n) in SO2_DAYS.items():
            rows.append(dp(gas, "a21026", "day", local_day_utc(date(2026, 11, d)), v, zs, cou, ok, n, 24,
                           None if ok else f"有效小时数 {n} < 20"))
        rows.append(dp(gas, "a21002", "day", local_day_utc(date(2026, 11, 1)), 50.0, 60.0, 150.0, True, 24, 24))
        rows.append(dp(gas, "a19001", "day", local_day_utc(date(2026, 11, 1)), 9.0, None, None, True, 24, 24))
        # the month row: mean of the 3 valid days (30+40+20)/3 = 30, cou = Σ all days = 310, invalid (3 < 25)
        rows.append(dp(gas, "a21026", "month", local_day_utc(date(2026, 11, 1)), 30.0, 36.0, 310.0, False, 3, 30,
                       "有效天数 3 < 25"))
        for m, (v, zs, cou, ok, n) in SO2_MONTHS.items():
            rows.append(dp(gas, "a21026", "month", local_day_utc(date(2026, m, 1)), v, zs, cou, ok, n, 31,
                           None if ok else f"有效天数 {n} < 25"))
        conn.execute(s.derived_periods.insert(), rows)

        # rates, local day 2026-11-20: gas SO2 20 valid + 2 invalid hours, NOx 24 valid, O2 12 valid;
        # water COD 24 valid, NH3-N nothing, flow 6 valid
        hours = ([hv(gas, "a21026", h) for h in range(20)] + [hv(gas, "a21026", h, False) for h in (20, 21)]
                 + [hv(gas, "a21002", h) for h in range(24)] + [hv(gas, "a19001", h) for h in range(12)]
                 + [hv(water, "w01018", h) for h in range(24)] + [hv(water, "w00000", h) for h in range(6)])
        conn.execute(s.hourly_values.insert(), hours)
    yield engine, gas, water
    engine.dispose()


def render_png(pdf: bytes, name: str) -> Path | None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / name)], check=True, timeout=60)
    return ARTIFACTS / f"{name}.png"


def assert_pdf_with_cjk_font(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansSC-Regular" in pdf and b"FontFile2" in pdf


# --------------------------------------------------------------------------- monthly


def test_monthly_rows_and_summary(db):
    engine, gas, _ = db
    rep = build_monthly_report(engine, gas, 2026, 11)
    assert rep.title == "废气排放连续监测月报表" and rep.period_label == "2026年11月"
    assert len(rep.rows) == 30 and rep.rows[0].label == "01日" and rep.rows[-1].label == "30日"
    assert rep.header.start_utc == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert rep.header.end_utc == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)
    keys = [c.key for c in rep.columns]
    assert keys[:4] == ["a21026.value", "a21026.zs", "a21026.cou", "a21026.n_valid"]
    assert "a19001.zs" not in keys                       # 折算 only for gas pollutants
    d1 = rep.row_at("01日")
    assert d1.status == "有效" and d1.cells["a21026.value"].value == 30.0 and d1.cells["a21026.zs"].value == 36.0
    assert d1.cells["a21026.cou"].value == 100.0 and d1.cells["a21026.n_valid"].value == 24
    d3 = rep.row_at("03日")
    assert d3.status == "无效" and d3.cells["a21026.value"].valid is False and "有效小时数 5 < 20" in d3.reasons[0]
    assert rep.row_at("05日").status == "缺失" and rep.row_at("05日").cells["a21026.value"].missing

    so2 = "a21026.value"
    assert rep.summary_row("min").values[so2] == 20.0
    assert rep.summary_row("max").values[so2] == 40.0                        # invalid day 3 (80) left out
    assert rep.summary_row("mean").values[so2] == pytest.approx((30 + 40 + 20) / 3)        # 30
    assert rep.summary_row("mean").values["a21026.zs"] == pytest.approx((36 + 48 + 24) / 3)  # 36
    assert rep.summary_row("total").values["a21026.cou"] == pytest.approx(100 + 120 + 10 + 80)  # 310, all days
    assert rep.summary_row("total").values["a21026.n_valid"] == 24 + 22 + 5 + 20               # 71 valid hours
    assert rep.summary_row("total").values[so2] is None
    assert rep.summary_row("n_valid").values[so2] == 3
    assert rep.summary_row("n_invalid").values[so2] == 1
    assert rep.summary_row("n_missing").values[so2] == 30 - 4
    # the month row (period='month') as stored
    assert rep.summary_row("month").values[so2] == 30.0
    assert rep.summary_row("month").values["a21026.cou"] == 310.0
    assert rep.period_validity["a21026"]["valid"] is False and rep.period_validity["a21026"]["n_valid"] == 3
    # the notes speak to a reader: no table names of the engine
    assert rep.notes and not any("derived_periods" in n for n in rep.notes)


def test_monthly_xlsx_read_back(db):
    from openpyxl import load_workbook

    engine, gas, _ = db
    ws = load_workbook(io.BytesIO(monthly_report_xlsx(build_monthly_report(engine, gas, 2026, 11)))).active
    assert ws["A1"].value == "废气排放连续监测月报表"
    assert "苏州测试热电有限公司" in ws["A2"].value and GAS_MN in ws["A3"].value and "2026年11月" in ws["A4"].value
    assert "二氧化硫：无效，有效天数 3/30" in ws["A5"].value
    header = [ws.cell(XLSX_HEADER_ROW, c).value for c in range(1, ws.max_column + 1)]
    assert header[0] == "日期" and "二氧化硫" in header and "氮氧化物" in header and header[-1] == "状态"
    col = header.index("二氧化硫") + 1
    assert [ws.cell(XLSX_HEADER_ROW + 1, col + k).value for k in range(4)] == ["实测均值", "折算均值", "排放量",
                                                                              "有效小时数"]
    assert ws.cell(XLSX_HEADER_ROW + 2, col + 2).value == "kg"
    r1 = XLSX_FIRST_DATA_ROW
    assert ws.cell(r1, 1).value == "01日" and ws.cell(r1, col).value == 30.0 and ws.cell(r1, col + 2).value == 100.0
    assert ws.cell(r1, col).number_format == "0.00"
    assert ws.cell(r1 + 2, col).value == 80.0 and ws.cell(r1 + 2, col).number_format == '0.00"*"'
    assert ws.cell(r1 + 4, col).value == MISSING
    labels = [ws.cell(r, 1).value for r in range(r1 + 30, r1 + 38)]
    assert labels == ["最小值", "最大值", "平均值", "月累计", "月数据", "有效天数", "无效天数", "缺失天数"]
    assert ws.cell(r1 + 32, col).value == pytest.approx(30.0)                     # 平均值
    assert ws.cell(r1 + 33, col + 2).value == pytest.approx(310.0)                # 月累计排放量
    assert ws.cell(r1 + 33, col + 3).value == 71                                  # 月累计有效小时数
    assert ws.cell(r1 + 35, col).value == 3                                       # 有效天数


def test_monthly_pdf(db):
    engine, gas, _ = db
    pdf = monthly_report_pdf(build_monthly_report(engine, gas, 2026, 11))
    assert_pdf_with_cjk_font(pdf)
    assert b"/Subtype /Image" in pdf                                            # the chart of daily means
    png = render_png(pdf, "report-monthly")
    if png is None:
        pytest.skip("pdftoppm not installed")
    assert png.stat().st_size > 20_000


def test_monthly_february_and_bad_month(db):
    engine, gas, water = db
    rep = build_monthly_report(engine, water, 2026, 2)
    assert len(rep.rows) == 28 and all(r.status == "缺失" for r in rep.rows)
    assert rep.title == "废水排放连续监测月报表"
    assert monthly_report_xlsx(rep)[:2] == b"PK" and monthly_report_pdf(rep).startswith(b"%PDF")
    with pytest.raises(ValueError):
        build_monthly_report(engine, gas, 2026, 13)
    with pytest.raises(ReportError):
        build_monthly_report(engine, 9999, 2026, 11)


# --------------------------------------------------------------------------- yearly


def test_yearly_rows_and_summary(db):
    engine, gas, _ = db
    rep = build_yearly_report(engine, gas, 2026)
    assert rep.title == "废气排放连续监测年报表" and len(rep.rows) == 12 and rep.rows[0].label == "01月"
    assert rep.rows[0].start_utc == local_month_start_utc(2026, 1, "Asia/Shanghai") == datetime(
        2025, 12, 31, 16, tzinfo=timezone.utc)
    assert rep.row_at("01月").cells["a21026.n_valid"].value == 28                  # valid days
    assert rep.row_at("03月").status == "无效" and rep.row_at("11月").status == "无效"
    so2 = "a21026.value"
    assert rep.summary_row("min").values[so2] == 30.0
    assert rep.summary_row("max").values[so2] == 40.0
    assert rep.summary_row("mean").values[so2] == pytest.approx((30 + 40) / 2)     # valid months Jan, Feb
    assert rep.summary_row("total").values["a21026.cou"] == pytest.approx(3000 + 2500 + 500 + 310)  # 6310
    assert rep.summary_row("n_valid").values[so2] == 2
    assert rep.summary_row("n_invalid").values[so2] == 2
    assert rep.summary_row("n_missing").values[so2] == 12 - 4


def test_yearly_xlsx_and_pdf(db):
    from openpyxl import load_workbook

    engine, gas, _ = db
    rep = build_yearly_report(engine, gas, 2026)
    ws = load_workbook(io.BytesIO(yearly_report_xlsx(rep))).active
    assert ws["A1"].value == "废气排放连续监测年报表" and "2026年" in ws["A4"].value
    header = [ws.cell(XLSX_HEADER_ROW, c).value for c in range(1, ws.max_column + 1)]
    assert header[0] == "月份"
    col = header.index("二氧化硫") + 1
    assert ws.cell(XLSX_HEADER_ROW + 1, col + 3).value == "有效天数"
    assert ws.cell(XLSX_FIRST_DATA_ROW + 1, col + 2).value == 2500.0                # February cou
    assert ws.cell(XLSX_FIRST_DATA_ROW + 12 + 3, 1).value == "年累计"
    assert ws.cell(XLSX_FIRST_DATA_ROW + 12 + 3, col + 2).value == pytest.approx(6310.0)
    pdf = yearly_report_pdf(rep)
    assert_pdf_with_cjk_font(pdf)
    png = render_png(pdf, "report-yearly")
    if png is not None:
        assert png.stat().st_size > 20_000


# --------------------------------------------------------------------------- rates


def test_rate_report_sums_counts(db):
    engine, gas, water = db
    rep = build_rate_report(engine, "320506", RATE_DAY, RATE_DAY)
    assert rep.start_utc == datetime(2026, 11, 19, 16, tzinfo=timezone.utc)
    assert rep.end_utc - rep.start_utc == timedelta(hours=24)
    g = rep.point(GAS_MN)
    # 3 assessed factors × 24 h = 72 expected; received 22 + 24 + 12 = 58; valid 20 + 24 + 12 = 56
    assert (g.counts.expected, g.counts.received, g.counts.valid_groups) == (72, 58, 56)
    assert g.trans_rate == pytest.approx(58 / 72) and g.effe_rate == pytest.approx(56 / 72)
    assert g.effe_trans_rate == pytest.approx(58 / 72 * 56 / 72)
    w = rep.point(WATER_MN)
    # COD 24 + NH3-N 0 + flow 6 = 30 received, all valid, of 72
    assert (w.counts.expected, w.counts.received, w.counts.valid_groups) == (72, 30, 30)
    ent = rep.enterprises
    assert len(ent) == 1 and ent[0].enterprise == "苏州测试热电有限公司"
    assert ent[0].counts.expected == 144 and ent[0].counts.received == 88 and ent[0].counts.valid_groups == 86
    assert ent[0].trans_rate == pytest.approx(88 / 144)                          # (58 + 30) / (72 + 72)
    assert ent[0].effe_trans_rate == pytest.approx(88 / 144 * 86 / 144)          # ≠ mean of the point products
    assert ent[0].effe_trans_rate != pytest.approx((g.effe_trans_rate + w.effe_trans_rate) / 2)
    assert rep.total.counts == ent[0].counts and rep.total.point == "合计"
    assert [x.kind for x in rep.lines] == ["point", "point", "enterprise", "region"]
    assert rep.region_name == "吴中区"


def test_rate_report_empty_region_shows_dashes(db):
    engine, _, _ = db
    rep = build_rate_report(engine, "110000", RATE_DAY, RATE_DAY)
    assert rep.points == [] and rep.total.trans_rate is None
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(rate_report_xlsx(rep))).active
    assert ws.cell(XLSX_FIRST_DATA_ROW, 2).value == "合计" and ws.cell(XLSX_FIRST_DATA_ROW, 9).value == MISSING
    with pytest.raises(ValueError):
        build_rate_report(engine, None, RATE_DAY, RATE_DAY - timedelta(days=1))


def test_rate_report_xlsx_and_pdf(db):
    from openpyxl import load_workbook

    engine, _, _ = db
    rep = build_rate_report(engine, None, RATE_DAY, RATE_DAY)
    assert rep.region_name == "全部" and len(rep.points) == 2
    ws = load_workbook(io.BytesIO(rate_report_xlsx(rep))).active
    assert ws["A1"].value == "自动监测数据有效传输率报表"
    header = [ws.cell(XLSX_HEADER_ROW, c).value for c in range(1, ws.max_column + 1)]
    assert header[:4] == ["企业名称", "监测点", "MN", "数据计数"] and "比率" in header
    subs = [ws.cell(XLSX_HEADER_ROW + 1, c).value for c in range(1, ws.max_column + 1)]
    assert subs[3:] == ["应收个数", "实收个数", "应收组数", "有效组数", "不参与组数", "传输率", "有效率", "有效传输率"]
    rows = {ws.cell(r, 3).value or ws.cell(r, 2).value: r for r in range(XLSX_FIRST_DATA_ROW, XLSX_FIRST_DATA_ROW + 4)}
    rg = rows[GAS_MN]
    assert ws.cell(rg, 1).value == "苏州测试热电有限公司" and ws.cell(rg, 4).value == 72 and ws.cell(rg, 5).value == 58
    assert ws.cell(rg, 9).value == pytest.approx(58 / 72) and ws.cell(rg, 9).number_format == "0.00%"
    rt = rows["合计"]
    assert ws.cell(rt, 5).value == 88 and ws.cell(rt, 11).value == pytest.approx(88 / 144 * 86 / 144)
    pdf = rate_report_pdf(rep)
    assert_pdf_with_cjk_font(pdf)
    png = render_png(pdf, "report-rates")
    if png is not None:
        assert png.stat().st_size > 10_000


def test_rate_pdf_text_shows_percentages(db):
    from ecosentry.subsystems.monitoring.reports.rate_report import rate_report_sheet
    from ecosentry.subsystems.monitoring.reports.tabular import cell_text

    engine, _, _ = db
    sheet = rate_report_sheet(build_rate_report(engine, "320506", RATE_DAY, RATE_DAY))
    last = sheet.lines[-1]
    assert cell_text(sheet.columns[8], last.cells[8]) == f"{88 / 144 * 100:.2f}%" == "61.11%"
    assert cell_text(sheet.columns[8], type(last.cells[8])(None)) == MISSING


def test_second_document_keeps_its_own_glyphs(db):
    """reportlab maps a font to the first registered one of the same face name: each subset needs its own."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    engine, gas, water = db
    first = monthly_report_pdf(build_monthly_report(engine, water, 2026, 2))      # another character subset
    second = yearly_report_pdf(build_yearly_report(engine, gas, 2026))
    for pdf, title in ((first, "废水排放连续监测月报表"), (second, "废气排放连续监测年报表")):
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()
        assert title in text
